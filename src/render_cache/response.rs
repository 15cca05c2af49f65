//! A response kept whole: its body plain, gzip and brotli, its ETag, and the choice among them for
//! each request (`Accept-Encoding`, `If-None-Match`).

use std::io::Write;

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::REVALIDATE;

/// Bodies shorter than this are not worth compressing.
const MIN_COMPRESS_LEN: usize = 256;

/// A response ready to send in any of its encodings.
#[derive(Debug)]
pub struct CachedResponse {
    status: StatusCode,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// Hex digest of the plain body; each encoding's ETag is this plus a suffix.
    pub(super) tag: String,
    pub(super) etags: [HeaderValue; 3],
    plain: Bytes,
    pub(super) gzip: Option<Bytes>,
    pub(super) brotli: Option<Bytes>,
    effort: Effort,
    /// The surrogate keys for a shared cache in front (see [`crate::cdn`]), when one is purged.
    keys: Option<HeaderValue>,
}

/// A response's body in each encoding it has (see [`CachedResponse::bodies`]).
#[derive(Debug, Clone, Copy)]
pub struct Bodies<'a> {
    pub plain: &'a Bytes,
    pub gzip: Option<&'a Bytes>,
    pub brotli: Option<&'a Bytes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
}

/// How hard a response is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// gzip at its fastest level and no brotli: a fraction of a millisecond, for the request that
    /// rendered the page, which must not wait for more.
    Quick,
    /// gzip at its best level and brotli at quality 7 (5 above 256 KiB): about a millisecond of CPU, spent
    /// off the async runtime once per change, for every request after.
    Best,
}

impl CachedResponse {
    /// Prepares `body` for sending: computes its ETag and, for text worth compressing, its gzip and
    /// brotli forms (each kept only if smaller), as hard as `effort` says.
    pub fn new(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
    ) -> Self {
        CachedResponse::with_effort(status, content_type, cache_control, body, Effort::Best)
    }

    /// [`new`](Self::new) with the given effort.
    pub fn with_effort(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
        effort: Effort,
    ) -> Self {
        CachedResponse::prepare(
            status,
            HeaderValue::from_static(content_type),
            HeaderValue::from_static(cache_control),
            body,
            effort,
        )
    }

    /// [`with_effort`](Self::with_effort) for headers known only at run time.
    pub fn prepare(
        status: StatusCode,
        content_type: HeaderValue,
        cache_control: HeaderValue,
        body: Bytes,
        effort: Effort,
    ) -> Self {
        let digest = Sha256::digest(&body);
        let tag: String = digest
            .iter()
            .take(10)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let etag = |suffix: &str| {
            // The tag is hex digits and a fixed suffix, which is always a valid header value.
            HeaderValue::from_str(&format!("\"{tag}{suffix}\""))
                .unwrap_or(HeaderValue::from_static("\"0\""))
        };
        // The quick gzip's bytes differ from the best one's, so it has a tag of its own.
        let gzip_suffix = match effort {
            Effort::Quick => "-gzq",
            Effort::Best => "-gz",
        };
        let etags = [etag(""), etag(gzip_suffix), etag("-br")];
        let compressible =
            body.len() >= MIN_COMPRESS_LEN && is_text(content_type.to_str().unwrap_or(""));
        let smaller =
            |compressed: Vec<u8>| (compressed.len() < body.len()).then(|| Bytes::from(compressed));
        let gzip = compressible.then(|| gzip(&body, effort)).and_then(smaller);
        let brotli = (compressible && effort == Effort::Best)
            .then(|| brotli(&body))
            .and_then(smaller);
        CachedResponse {
            status,
            content_type,
            cache_control,
            tag,
            etags,
            plain: body,
            gzip,
            brotli,
            effort,
            keys: None,
        }
    }

    /// This response compressed as hard as it is worth: what replaces a [`Effort::Quick`] one in the
    /// cache. Blocks for milliseconds; call it off the async runtime.
    pub fn best(&self) -> CachedResponse {
        CachedResponse {
            keys: self.keys.clone(),
            ..CachedResponse::prepare(
                self.status,
                self.content_type.clone(),
                self.cache_control.clone(),
                self.plain.clone(),
                Effort::Best,
            )
        }
    }

    /// The same response naming `keys` for a shared cache in front (see [`crate::cdn`]).
    pub fn with_keys(mut self, keys: HeaderValue) -> Self {
        self.keys = Some(keys);
        self
    }

    /// This response with `cache_control` instead of [`REVALIDATE`], if that is what it had: the
    /// site's own choice for pages that may be revalidated.
    pub fn revalidated_as(mut self, cache_control: &HeaderValue) -> Self {
        if self.cache_control == REVALIDATE {
            self.cache_control = cache_control.clone();
        }
        self
    }

    /// The bytes its bodies hold.
    pub fn bytes(&self) -> u64 {
        let compressed = |body: &Option<Bytes>| body.as_ref().map_or(0, Bytes::len);
        (self.plain.len() + compressed(&self.gzip) + compressed(&self.brotli)) as u64
    }

    /// The body as sent in each encoding: plain, and gzip and brotli where they are smaller.
    pub fn bodies(&self) -> Bodies<'_> {
        Bodies {
            plain: &self.plain,
            gzip: self.gzip.as_ref(),
            brotli: self.brotli.as_ref(),
        }
    }

    /// Whether this response has its best compression already.
    pub fn is_best(&self) -> bool {
        self.effort == Effort::Best
    }

    /// The response to a request with `headers`: a 304 when the client's copy is current, otherwise the
    /// best encoding the client accepts. For HEAD, the same headers without the body.
    pub fn respond(&self, headers: &HeaderMap, head: bool) -> Response {
        let encoding = self.choose_encoding(headers);
        let (body, content_encoding) = match encoding {
            Encoding::Brotli => (self.brotli.as_ref(), Some("br")),
            Encoding::Gzip => (self.gzip.as_ref(), Some("gzip")),
            Encoding::Identity => (None, None),
        };
        let body = body.unwrap_or(&self.plain);
        let mut response_headers = HeaderMap::with_capacity(8);
        response_headers.insert(header::ETAG, self.etags[encoding as usize].clone());
        response_headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(keys) = &self.keys {
            response_headers.insert(crate::cdn::KEYS_HEADER, keys.clone());
        }
        if self.status == StatusCode::OK && self.matches(headers) {
            return (StatusCode::NOT_MODIFIED, response_headers).into_response();
        }
        response_headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(encoding) = content_encoding {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        let body = if head {
            Body::empty()
        } else {
            Body::from(body.clone())
        };
        (self.status, response_headers, body).into_response()
    }

    fn choose_encoding(&self, headers: &HeaderMap) -> Encoding {
        if self.gzip.is_none() && self.brotli.is_none() {
            return Encoding::Identity;
        }
        let Some(accept) = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|value| value.to_str().ok())
        else {
            return Encoding::Identity;
        };
        let (mut brotli, mut gzip) = (false, false);
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                let param = param.trim();
                param
                    .strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            match name {
                "br" => brotli = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => (brotli, gzip) = (true, true),
                _ => {}
            }
        }
        if brotli && self.brotli.is_some() {
            Encoding::Brotli
        } else if gzip && self.gzip.is_some() {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// Whether `If-None-Match` names any encoding of this body.
    fn matches(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
        else {
            return false;
        };
        value.split(',').any(|candidate| {
            let candidate = candidate.trim();
            let candidate = candidate
                .strip_prefix("W/")
                .unwrap_or(candidate)
                .trim_matches('"');
            let base = candidate
                .strip_suffix("-gz")
                .or_else(|| candidate.strip_suffix("-gzq"))
                .or_else(|| candidate.strip_suffix("-br"))
                .unwrap_or(candidate);
            candidate == "*" || base == self.tag
        })
    }
}

fn is_text(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("image/svg+xml")
        || content_type.starts_with("application/javascript")
}

fn gzip(data: &[u8], effort: Effort) -> Vec<u8> {
    let level = match effort {
        Effort::Quick => flate2::Compression::fast(),
        Effort::Best => flate2::Compression::best(),
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// Responses up to this size get brotli quality 7; larger ones, which an editor may publish,
/// quality 5, so that compressing them never holds a thread for long.
const BROTLI_7_UP_TO: usize = 256 * 1024;

/// Brotli at quality 7, with a window just large enough for the body but never below 2^17. With the
/// Rust brotli crate, quality 9 takes ten to fifteen times as long for no fewer bytes on pages up to
/// 18 KB (it fills a 32 MiB hasher on every call), quality 8 half as long again for 0–0.3 % fewer,
/// and a window of 2^16 picks hashers as slow as quality 9's (`cargo bench --bench compression`;
/// figures in docs/performance.md).
fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    // The smallest window (2^lgwin bytes, from 2^17 to 2^22) that holds the whole body.
    let needed = usize::BITS - data.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: if data.len() <= BROTLI_7_UP_TO { 7 } else { 5 },
        lgwin: needed.clamp(17, 22) as i32,
        ..Default::default()
    };
    // Reading from a slice and writing to a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> CachedResponse {
        let body = Bytes::from("<!DOCTYPE html><p>".to_owned() + &"Hej världen. ".repeat(100));
        CachedResponse::new(StatusCode::OK, "text/html; charset=utf-8", REVALIDATE, body)
    }

    fn request(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn picks_the_best_accepted_encoding() {
        let page = page();
        let encoding = |accept| {
            page.respond(&request(&[(header::ACCEPT_ENCODING, accept)]), false)
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|value| value.to_str().unwrap_or("?").to_owned())
        };
        assert_eq!(encoding("gzip, deflate, br").as_deref(), Some("br"));
        assert_eq!(encoding("gzip").as_deref(), Some("gzip"));
        assert_eq!(encoding("br;q=0, gzip;q=0.5").as_deref(), Some("gzip"));
        assert_eq!(encoding("identity"), None);
        assert_eq!(encoding("*").as_deref(), Some("br"));
    }

    #[test]
    fn any_encodings_etag_revalidates() {
        let page = page();
        let plain = page.respond(&HeaderMap::new(), false);
        let etag = plain
            .headers()
            .get(header::ETAG)
            .expect("etag")
            .to_str()
            .expect("ascii")
            .to_owned();
        let gzip_etag = etag.trim_end_matches('"').to_owned() + "-gz\"";
        for tag in [
            etag.clone(),
            gzip_etag,
            format!("W/{etag}"),
            "\"other\", ".to_owned() + &etag,
        ] {
            let value = HeaderValue::from_str(&tag).expect("valid");
            let headers: HeaderMap = [(header::IF_NONE_MATCH, value)].into_iter().collect();
            assert_eq!(
                page.respond(&headers, false).status(),
                StatusCode::NOT_MODIFIED,
                "{tag}"
            );
        }
        let headers = request(&[(header::IF_NONE_MATCH, "\"stale\"")]);
        assert_eq!(page.respond(&headers, false).status(), StatusCode::OK);
    }

    #[test]
    fn compressed_forms_decode_to_the_plain_body() {
        let page = page();
        let mut decoded = Vec::new();
        let gzip = page.gzip.as_ref().expect("compressible");
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut decoded)
            .expect("gzip");
        assert_eq!(decoded, page.plain);
        let mut decoded = Vec::new();
        let brotli = page.brotli.as_ref().expect("compressible");
        brotli::BrotliDecompress(&mut &brotli[..], &mut decoded).expect("brotli");
        assert_eq!(decoded, page.plain);
    }
}
