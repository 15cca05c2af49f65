//! Reverse proxies the site trusts (`--trusted-proxies`): only when a request's TCP peer is one of
//! them are the headers a proxy adds believed. The client is then the rightmost address of
//! `X-Forwarded-For` that is not itself a trusted proxy; anyone else's `X-Forwarded-For` and
//! `X-Request-Id` are ignored, so a client cannot put another address in the audit log or dodge
//! login throttling by naming one.

use std::{net::IpAddr, str::FromStr};

use axum::http::HeaderMap;

/// Put in a request's extensions when a trusted proxy says the client used https
/// (`X-Forwarded-Proto: https`): its response gets HSTS, and its cookies `Secure`.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedHttps;

/// An address, or a range of them in CIDR notation: `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or a CIDR range"))?;
        let most = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= most)
                .ok_or_else(|| format!("`{text}`: the prefix must be a number from 0 to {most}"))?,
        };
        Ok(Network { addr, prefix })
    }
}

impl Network {
    /// Whether `ip` is in this range. An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) counts
    /// as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose forwarding headers are believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// A proxy on this machine: what the old `--behind-proxy` meant.
    pub fn loopback() -> TrustedProxies {
        TrustedProxies(vec![
            Network {
                addr: IpAddr::from([127, 0, 0, 0]),
                prefix: 8,
            },
            Network {
                addr: IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
                prefix: 128,
            },
        ])
    }

    /// Reads a comma-separated list of addresses and ranges.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Network::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// Whether a request from `peer` came to the proxy over https: `peer` is trusted and the last
    /// `X-Forwarded-Proto` (the one it set) says `https`.
    pub fn says_https(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        self.trusts(peer)
            && headers
                .get_all("x-forwarded-proto")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }

    /// The client of a request from `peer`: `peer` itself, unless it is a trusted proxy; then the
    /// rightmost address of `X-Forwarded-For` that is not a trusted proxy (the one the first trusted
    /// proxy saw), or the leftmost if all are. An entry that is not an address ends the walk: what
    /// stands left of it was not written by a proxy this site trusts.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().expect("a header value"));
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn ranges_hold_what_their_prefix_says() {
        let private: Network = "10.0.0.0/8".parse().expect("range");
        assert!(private.contains(ip("10.200.3.4")));
        assert!(!private.contains(ip("11.0.0.1")));
        assert!(
            private.contains(ip("::ffff:10.1.2.3")),
            "IPv4 written as IPv6"
        );
        let v6: Network = "fd00::/8".parse().expect("range");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let one: Network = "192.0.2.7".parse().expect("address");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let everything: Network = "0.0.0.0/0".parse().expect("range");
        assert!(everything.contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "fd00::/129", "proxy.example", "10.0.0/8", ""] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_trusted_peer_s_forwarded_for_is_believed() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").expect("list");
        let headers = forwarded("198.51.100.1, 203.0.113.5, 10.0.0.2");
        // From the proxy: the rightmost address that is not a proxy.
        assert_eq!(trusted.client(ip("127.0.0.1"), &headers), ip("203.0.113.5"));
        // From anyone else: the header is theirs to forge, so the peer is the client.
        assert_eq!(
            trusted.client(ip("203.0.113.66"), &headers),
            ip("203.0.113.66")
        );
        // Only proxies in the chain: the leftmost.
        let all_proxies = forwarded("10.0.0.9, 10.0.0.2");
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &all_proxies),
            ip("10.0.0.9")
        );
        // Garbage stops the walk.
        let garbage = forwarded("198.51.100.1, not-an-address, 10.0.0.2");
        assert_eq!(trusted.client(ip("127.0.0.1"), &garbage), ip("10.0.0.2"));
        // No header: the proxy itself.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        let mut https = HeaderMap::new();
        https.insert("x-forwarded-proto", "https".parse().expect("value"));
        assert!(trusted.says_https(ip("10.1.1.1"), &https));
        assert!(
            !trusted.says_https(ip("203.0.113.66"), &https),
            "not from anyone"
        );
        assert!(!trusted.says_https(ip("10.1.1.1"), &HeaderMap::new()));
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &headers),
            ip("127.0.0.1"),
            "no proxies trusted by default"
        );
    }
}
