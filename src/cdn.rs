//! A shared cache in front of the site (Varnish, a CDN), told what each change made stale.
//!
//! Every public response the site lets shared caches keep names what it shows as surrogate keys, in
//! the `xkey` header ([`keys`]): the same [`Dep`]s the render cache keeps it by, as short tokens,
//! and `site`, which every response has. A change purges exactly the keys of what it made stale
//! ([`Purger::purge`]), so that a shared cache may keep pages for hours and still show an edit
//! within a second; `site` purges everything (a scheduled page going live, a new version of the
//! program, an import).
//!
//! Purges go to one endpoint (`--cdn-purge`), as HTTP requests `PURGE` with the keys in the
//! `xkey-purge` header, which `deploy/varnish.vcl` turns into a ban (or vmod xkey into a purge).
//! They are sent by a task of their own: a save only notes the keys ([`Purger::purge`] never waits),
//! keys noted while a purge is on its way go out together in the next, a purge that fails is tried
//! again with backoff until it arrives, and each is sent once more a second later, for a response
//! that was rendered before the change and reached the shared cache after the first purge.

use std::{
    collections::{BTreeSet, VecDeque},
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::http::{HeaderValue, Method, Request, Uri};
use sha2::{Digest, Sha256};

use crate::{
    ids::MediaId,
    render_cache::{Dep, Stale},
};

/// The response header that lists a response's surrogate keys.
pub const KEYS_HEADER: &str = "xkey";
/// The request header of a purge that lists the keys to purge.
pub const PURGE_HEADER: &str = "xkey-purge";
/// The key every response has: purging it purges everything.
pub const EVERY_RESPONSE: &str = "site";

/// Keys noted beyond this many are purged as everything: a change that touched that much is best
/// shown by emptying the shared cache, and what waits to be sent stays small.
const MAX_PENDING_KEYS: usize = 10_000;
/// Keys per purge request: a header of a few kilobytes, well within Varnish's 8 KiB.
const KEYS_PER_REQUEST: usize = 200;
/// How long a purge may take, connecting included, before it counts as failed.
const PURGE_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before a failed purge is tried again, doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long after a purge the same keys are purged once more.
const ECHO_AFTER: Duration = Duration::from_secs(1);
/// The most purges waiting for their echo; past it, a purge is echoed with the newest waiting.
const MAX_ECHOES: usize = 64;

/// The surrogate keys of a response that shows `deps`, for its [`KEYS_HEADER`].
pub fn keys(deps: &[Dep]) -> HeaderValue {
    let mut keys = String::from(EVERY_RESPONSE);
    for dep in deps {
        keys.push(' ');
        keys.push_str(&key(dep));
    }
    // Letters, digits and dashes only: always a valid header value.
    HeaderValue::from_str(&keys).unwrap_or(HeaderValue::from_static(EVERY_RESPONSE))
}

/// The surrogate keys of a file of the media library, in any size.
pub fn media_keys(id: MediaId) -> HeaderValue {
    HeaderValue::from_str(&format!("{EVERY_RESPONSE} {}", media_key(id)))
        .unwrap_or(HeaderValue::from_static(EVERY_RESPONSE))
}

fn media_key(id: MediaId) -> String {
    format!("m{id}")
}

/// The token that stands for `dep`: lowercase letters, digits and dashes, so that it can stand in a
/// header and in a regular expression as it is.
fn key(dep: &Dep) -> String {
    match dep {
        Dep::Page(id) => format!("p{id}"),
        Dep::ChildrenOf(id) => format!("c{id}"),
        Dep::Translation(key) => format!("t-{}", digest(key)),
        Dep::News(lang) => format!("n-{}", lang.code()),
        Dep::AllPages => "all".to_owned(),
        Dep::Address(lang, path) => format!("a-{}", digest(&format!("{}/{path}", lang.code()))),
    }
}

/// A short digest of free text (a translation key, a page path): 12 hex digits.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Where purges are sent: an `http://` address of the shared cache (`http://127.0.0.1:6081/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host:port`, to connect to and to name in the `Host` header.
    authority: String,
    path: String,
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let uri: Uri = text
            .parse()
            .map_err(|_| format!("`{text}` is not an address such as http://127.0.0.1:6081/"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(format!(
                    "`{text}`: purges are sent over plain http, to a cache on this machine or \
                     the local network (such as http://127.0.0.1:6081/); https is not supported"
                ));
            }
            _ => return Err(format!("`{text}` must start with http://")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{text}` names no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        Ok(Endpoint {
            authority: format!("{}:{port}", authority.host()),
            path: uri.path().to_owned(),
        })
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority, self.path)
    }
}

/// Keys waiting to be purged.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Batch {
    everything: bool,
    keys: BTreeSet<String>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        !self.everything && self.keys.is_empty()
    }

    fn add(&mut self, other: Batch) {
        self.everything |= other.everything;
        self.keys.extend(other.keys);
        if self.everything || self.keys.len() > MAX_PENDING_KEYS {
            self.everything = true;
            self.keys.clear();
        }
    }

    /// The keys to send: `site` alone for everything.
    fn keys(&self) -> Vec<&str> {
        if self.everything {
            vec![EVERY_RESPONSE]
        } else {
            self.keys.iter().map(String::as_str).collect()
        }
    }
}

/// What the purging task shares with the rest of the server.
#[derive(Debug, Default)]
struct Shared {
    /// Noted and not yet sent.
    pending: Batch,
    /// Whether the task has taken what was noted and is sending it.
    sending: bool,
    /// Purges that reached the endpoint, and attempts that failed.
    sent: u64,
    failed: u64,
}

/// Sends purges to the shared cache: see the [module](self).
#[derive(Debug)]
pub struct Purger {
    endpoint: Endpoint,
    shared: Mutex<Shared>,
    /// Wakes the task when keys are noted.
    noted: tokio::sync::Notify,
    /// Wakes those waiting for [`Purger::settled`] after each attempt.
    attempted: tokio::sync::Notify,
}

impl Purger {
    /// A purger for `endpoint`, with its task started on the current runtime.
    pub fn start(endpoint: Endpoint) -> Arc<Purger> {
        let purger = Arc::new(Purger {
            endpoint,
            shared: Mutex::default(),
            noted: tokio::sync::Notify::new(),
            attempted: tokio::sync::Notify::new(),
        });
        tokio::spawn(Arc::clone(&purger).run());
        purger
    }

    /// Notes that the responses `stale` names and the files `media` are to be purged, and returns
    /// at once.
    pub fn purge(&self, stale: &Stale, media: &[MediaId]) {
        self.note(Batch {
            everything: stale.is_everything(),
            keys: stale
                .deps()
                .map(key)
                .chain(media.iter().copied().map(media_key))
                .collect(),
        });
    }

    /// Notes that every response is to be purged, and returns at once.
    pub fn purge_everything(&self) {
        self.note(Batch {
            everything: true,
            keys: BTreeSet::new(),
        });
    }

    /// Waits until nothing noted is left to send, or `timeout` passes: whether it was all sent.
    /// For a command that exits after its change.
    pub async fn settled(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let attempted = self.attempted.notified();
            {
                let shared = self.lock();
                if shared.pending.is_empty() && !shared.sending {
                    return true;
                }
            }
            if tokio::time::timeout_at(deadline, attempted).await.is_err() {
                return false;
            }
        }
    }

    /// How many purges reached the endpoint, and how many attempts failed.
    pub fn counts(&self) -> (u64, u64) {
        let shared = self.lock();
        (shared.sent, shared.failed)
    }

    fn note(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        self.lock().pending.add(batch);
        self.noted.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // The lock is held for a few statements that cannot panic halfway.
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The task: sends what is noted, tries again after a failure, and echoes each purge once.
    async fn run(self: Arc<Self>) {
        let mut backoff = FIRST_BACKOFF;
        // Purges sent, each to be sent once more at its time, oldest first.
        let mut echoes: VecDeque<(tokio::time::Instant, Batch)> = VecDeque::new();
        let mut failing = false;
        loop {
            let waiting = self.noted.notified();
            if self.lock().pending.is_empty() {
                match echoes.front() {
                    Some((at, _)) => {
                        let _ = tokio::time::timeout_at(*at, waiting).await;
                    }
                    None => waiting.await,
                }
            }
            let fresh = {
                let mut shared = self.lock();
                shared.sending = true;
                std::mem::take(&mut shared.pending)
            };
            let mut batch = fresh.clone();
            let now = tokio::time::Instant::now();
            while let Some((_, due)) = echoes.pop_front_if(|(at, _)| *at <= now) {
                batch.add(due);
            }
            if batch.is_empty() {
                self.lock().sending = false;
                continue;
            }
            match tokio::time::timeout(PURGE_TIMEOUT, self.send(&batch)).await {
                Ok(Ok(())) => {
                    if failing {
                        tracing::info!(endpoint = %self.endpoint, "purges reach the shared cache again");
                        failing = false;
                    }
                    {
                        let mut shared = self.lock();
                        shared.sent += 1;
                        shared.sending = false;
                    }
                    backoff = FIRST_BACKOFF;
                    if !fresh.is_empty() {
                        let at = tokio::time::Instant::now() + ECHO_AFTER;
                        let full = echoes.len() >= MAX_ECHOES;
                        match echoes.back_mut() {
                            Some((_, last)) if full => last.add(fresh),
                            _ => echoes.push_back((at, fresh)),
                        }
                    }
                    self.attempted.notify_waiters();
                }
                outcome => {
                    let error = match outcome {
                        Ok(Err(error)) => error,
                        _ => "no answer in time".to_owned(),
                    };
                    if !failing {
                        tracing::warn!(endpoint = %self.endpoint, %error, "cannot purge the shared cache; trying again until it answers");
                        failing = true;
                    }
                    {
                        let mut shared = self.lock();
                        shared.failed += 1;
                        shared.sending = false;
                        let noted_since = std::mem::replace(&mut shared.pending, batch);
                        shared.pending.add(noted_since);
                    }
                    self.attempted.notify_waiters();
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Sends `batch` as one or more `PURGE` requests on one connection.
    async fn send(&self, batch: &Batch) -> Result<(), String> {
        let stream = tokio::net::TcpStream::connect(&self.endpoint.authority)
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|error| error.to_string())?;
        let connection = tokio::spawn(connection);
        let keys = batch.keys();
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            let request = Request::builder()
                .method(Method::from_bytes(b"PURGE").map_err(|error| error.to_string())?)
                .uri(&self.endpoint.path)
                .header("host", &self.endpoint.authority)
                .header(PURGE_HEADER, chunk.join(" "))
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .map_err(|error| error.to_string())?;
            sender.ready().await.map_err(|error| error.to_string())?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|error| error.to_string())?;
            if !response.status().is_success() {
                return Err(format!("answered {}", response.status()));
            }
        }
        drop(sender);
        connection.abort();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ids::PageId, lang::Lang};

    #[test]
    fn keys_are_tokens_a_header_and_a_pattern_take_as_they_are() {
        let header = keys(&[
            Dep::Page(PageId(7)),
            Dep::ChildrenOf(PageId(1)),
            Dep::Translation("om oss / \"x\"".to_owned()),
            Dep::News(Lang::En),
            Dep::AllPages,
            Dep::Address(Lang::Sv, "å ä/ö?".to_owned()),
        ]);
        let text = header.to_str().expect("ASCII");
        let tokens: Vec<&str> = text.split(' ').collect();
        assert_eq!(tokens[..3], ["site", "p7", "c1"]);
        assert_eq!(tokens[4..6], ["n-en", "all"]);
        assert!(tokens[3].starts_with("t-") && tokens[5 + 1].starts_with("a-"));
        for token in tokens {
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{token}"
            );
        }
        // The same path in the other language, and another translation, are other keys.
        assert_ne!(
            key(&Dep::Address(Lang::Sv, "x".to_owned())),
            key(&Dep::Address(Lang::En, "x".to_owned()))
        );
        assert_ne!(
            key(&Dep::Translation("a".to_owned())),
            key(&Dep::Translation("b".to_owned()))
        );
    }

    #[test]
    fn many_keys_or_everything_become_everything() {
        let mut batch = Batch::default();
        batch.add(Batch {
            everything: false,
            keys: ["p1".to_owned()].into(),
        });
        assert_eq!(batch.keys(), ["p1"]);
        batch.add(Batch {
            everything: false,
            keys: (0..MAX_PENDING_KEYS).map(|n| format!("c{n}")).collect(),
        });
        assert!(batch.everything && batch.keys.is_empty());
        assert_eq!(batch.keys(), [EVERY_RESPONSE]);
    }

    #[test]
    fn the_endpoint_is_plain_http_with_a_port() {
        let endpoint: Endpoint = "http://127.0.0.1:6081/".parse().expect("valid");
        assert_eq!(endpoint.authority, "127.0.0.1:6081");
        assert_eq!(endpoint.path, "/");
        let endpoint: Endpoint = "http://varnish.internal".parse().expect("valid");
        assert_eq!(endpoint.to_string(), "http://varnish.internal:80/");
        for wrong in ["https://cdn.example/", "ftp://x/", "varnish:6081", ""] {
            assert!(wrong.parse::<Endpoint>().is_err(), "{wrong}");
        }
    }
}
