//! Whole public responses kept in memory: the body as sent plain, gzip and brotli, and an ETag.
//!
//! A public page is rendered and compressed once per content change, not once per request, and then
//! served by the [front door](crate::front::Front) before routing even starts: a cache hit costs a hash
//! lookup and a few header copies. Any change to content empties it ([`RenderCache::forget_all`], then
//! [`RenderCache::reset`] with the publishing schedule, both through `AppState::content_changed`).
//! Scheduled pages are handled by remembering when the next one goes live: the first lookup after that
//! moment empties the cache.

use std::{
    collections::HashMap,
    io::Write,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::time::Clock;

/// How pages may be cached downstream: any cache may store them but must revalidate (cheaply, with the
/// ETag) before each reuse, so an edit is visible at once.
pub const REVALIDATE: &str = "public, no-cache";

/// Static assets at fingerprinted URLs never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Bodies shorter than this are not worth compressing.
const MIN_COMPRESS_LEN: usize = 256;

/// The most entries kept; past this, responses are still served but no longer stored, so that a
/// crawler walking every query string cannot exhaust memory.
const MAX_ENTRIES: usize = 4096;

/// The key a request's response is cached under: its path and query, exactly as received. The front
/// door looks hits up by it and public handlers store under it, so both must use this.
pub fn key(uri: &axum::http::Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// A response ready to send in any of its encodings.
#[derive(Debug)]
pub struct CachedResponse {
    status: StatusCode,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    /// Hex digest of the plain body; each encoding's ETag is this plus a suffix.
    tag: String,
    etags: [HeaderValue; 3],
    plain: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
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
    /// gzip at its best level and brotli at quality 11 (5 above 256 KiB): milliseconds of CPU, spent
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

    fn prepare(
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
        }
    }

    /// This response compressed as hard as it is worth: what replaces a [`Effort::Quick`] one in the
    /// cache. Blocks for milliseconds; call it off the async runtime.
    pub fn best(&self) -> CachedResponse {
        CachedResponse::prepare(
            self.status,
            self.content_type.clone(),
            self.cache_control.clone(),
            self.plain.clone(),
            Effort::Best,
        )
    }

    /// Whether this response has its best compression already.
    pub fn is_best(&self) -> bool {
        self.brotli.is_some() || self.gzip.is_none()
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

/// Responses up to this size get brotli's best (and slowest) quality; an ordinary page takes about a
/// millisecond. Larger ones, which an editor may publish, get a quality that keeps the first request
/// after a change from holding a thread for a second.
const BEST_BROTLI_UP_TO: usize = 256 * 1024;

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: if data.len() <= BEST_BROTLI_UP_TO {
            11
        } else {
            5
        },
        lgwin: 22,
        ..Default::default()
    };
    // Reading from a slice and writing to a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

/// The rendered public responses, by request path and query.
#[derive(Debug)]
pub struct RenderCache {
    entries: RwLock<Entries>,
    /// Unix second of the next scheduled change, or `i64::MAX` when none is scheduled. Read without a
    /// lock on every lookup.
    next_change: AtomicI64,
    /// Every upcoming scheduled change in Unix seconds, latest first, so the next one pops off the end.
    schedule: Mutex<Vec<i64>>,
    /// Set between [`forget_all`](RenderCache::forget_all) and the [`reset`](RenderCache::reset) that
    /// says when scheduled pages go live: without knowing that, nothing may be stored.
    unsure: AtomicBool,
    clock: Clock,
}

#[derive(Debug, Default)]
struct Entries {
    /// Counts the times the cache was emptied. A render that began in an older generation may have
    /// read content from before the change, so it is not stored.
    generation: u64,
    map: HashMap<String, Arc<CachedResponse>>,
}

impl RenderCache {
    /// An empty cache that reads the time from `clock` to know when scheduled pages are due.
    pub fn new(clock: Clock) -> Self {
        RenderCache {
            clock,
            entries: RwLock::default(),
            next_change: AtomicI64::new(i64::MAX),
            schedule: Mutex::default(),
            unsure: AtomicBool::new(false),
        }
    }

    /// The stored response for `key` (a request's path and query), unless content has changed since.
    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let now = self.clock.now().as_second();
        if now >= self.next_change.load(Ordering::Relaxed) {
            self.pass_scheduled(now);
            return None;
        }
        self.read().map.get(key).cloned()
    }

    /// The current generation: take it before reading content, and give it to [`insert`](Self::insert).
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// The generation as of now, a scheduled change that is due counted in: what other caches of
    /// content (search results) key their entries by, so that they go stale exactly when this one
    /// does.
    pub fn current_generation(&self) -> u64 {
        let now = self.clock.now().as_second();
        if now >= self.next_change.load(Ordering::Relaxed) {
            self.pass_scheduled(now);
        }
        self.generation()
    }

    /// Stores a response for `key`, rendered from content read in `generation`; if the cache has been
    /// emptied since, the response may be stale and is dropped.
    pub fn insert(&self, key: &str, response: Arc<CachedResponse>, generation: u64) {
        let mut entries = self.write();
        let room = entries.map.len() < MAX_ENTRIES || entries.map.contains_key(key);
        if entries.generation == generation && room && !self.is_unsure() {
            entries.map.insert(key.to_owned(), response);
        }
    }

    /// Replaces the response stored for `key` by `better` (the same body, compressed harder), if
    /// `stored` is still what is stored there: a change in between has made both stale.
    pub fn improve(&self, key: &str, stored: &Arc<CachedResponse>, better: Arc<CachedResponse>) {
        let mut entries = self.write();
        if let Some(current) = entries.map.get_mut(key)
            && Arc::ptr_eq(current, stored)
        {
            *current = better;
        }
    }

    /// Content has changed: forgets every stored response and remembers when scheduled pages go live
    /// (database timestamps), so that the cache is emptied again at each of those moments.
    pub fn reset<'a>(&self, upcoming: impl IntoIterator<Item = &'a str>) {
        let mut seconds: Vec<i64> = upcoming
            .into_iter()
            .filter_map(crate::time::from_db)
            .map(|ts| ts.as_second())
            .collect();
        seconds.sort_unstable_by(|a, b| b.cmp(a));
        let mut schedule = self
            .schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.next_change.store(
            seconds.last().copied().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        *schedule = seconds;
        self.clear();
        self.unsure.store(false, Ordering::Relaxed);
    }

    /// Content has changed but the schedule is not known yet: forgets every stored response and
    /// stores none until [`reset`](Self::reset) says when scheduled pages go live.
    pub fn forget_all(&self) {
        self.unsure.store(true, Ordering::Relaxed);
        self.clear();
    }

    /// Whether responses are not being stored because the schedule is unknown.
    pub fn is_unsure(&self) -> bool {
        self.unsure.load(Ordering::Relaxed)
    }

    /// A scheduled moment has come: forgets it (and any others passed) and every stored response.
    fn pass_scheduled(&self, now: i64) {
        let mut schedule = self
            .schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while schedule.last().is_some_and(|second| *second <= now) {
            schedule.pop();
        }
        self.next_change.store(
            schedule.last().copied().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        self.clear();
    }

    fn clear(&self) {
        let mut entries = self.write();
        entries.generation += 1;
        entries.map.clear();
    }

    /// How many responses are stored.
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A panic while holding the lock cannot leave the map half-updated (every update is a single
    // insert or clear), so a poisoned lock is still safe to use.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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

    #[test]
    fn every_scheduled_change_empties_the_cache_when_due() {
        let start = jiff::Timestamp::from_second(1_800_000_000).expect("valid");
        let clock = Clock::manual(start);
        let cache = RenderCache::new(clock.clone());
        let at = |seconds: i64| start + jiff::SignedDuration::from_secs(seconds);
        let (first, second) = (crate::time::to_db(at(10)), crate::time::to_db(at(30)));
        cache.reset([second.as_str(), first.as_str(), "2999-01-01T00:00:00Z"]);
        cache.insert("/", Arc::new(page()), cache.generation());
        assert!(cache.get("/").is_some(), "nothing is due yet");
        clock.set(at(9));
        assert!(cache.get("/").is_some(), "a second early is still early");
        clock.set(at(10));
        assert!(cache.get("/").is_none(), "the first scheduled page is due");
        cache.insert("/", Arc::new(page()), cache.generation());
        assert!(cache.get("/").is_some());
        clock.set(at(31));
        assert!(cache.get("/").is_none(), "so is the second");
        cache.insert("/", Arc::new(page()), cache.generation());
        assert!(cache.get("/").is_some(), "the far one is not");
    }

    #[test]
    fn a_render_that_began_before_a_change_is_not_stored() {
        let cache = RenderCache::new(Clock::system());
        let before = cache.generation();
        cache.reset([]);
        cache.insert("/", Arc::new(page()), before);
        assert!(cache.is_empty());
        cache.insert("/", Arc::new(page()), cache.generation());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn nothing_is_stored_while_the_schedule_is_unknown() {
        let cache = RenderCache::new(Clock::system());
        cache.insert("/", Arc::new(page()), cache.generation());
        cache.forget_all();
        assert!(cache.get("/").is_none(), "forgotten at once");
        assert!(cache.is_unsure());
        cache.insert("/", Arc::new(page()), cache.generation());
        assert!(
            cache.is_empty(),
            "a page rendered now might miss a scheduled change"
        );
        cache.reset([]);
        assert!(!cache.is_unsure());
        cache.insert("/", Arc::new(page()), cache.generation());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_quick_response_is_improved_in_place_unless_something_changed() {
        let body = Bytes::from("<!DOCTYPE html><p>".to_owned() + &"Hej världen. ".repeat(100));
        let quick = Arc::new(CachedResponse::with_effort(
            StatusCode::OK,
            "text/html; charset=utf-8",
            REVALIDATE,
            body,
            Effort::Quick,
        ));
        assert!(quick.gzip.is_some() && quick.brotli.is_none() && !quick.is_best());
        let best = Arc::new(quick.best());
        assert!(best.brotli.is_some() && best.is_best());
        assert_eq!(best.tag, quick.tag, "the same body, the same tag");
        assert_ne!(
            best.etags[1], quick.etags[1],
            "different gzip bytes, different ETags"
        );

        let cache = RenderCache::new(Clock::system());
        cache.insert("/", Arc::clone(&quick), cache.generation());
        cache.improve("/", &quick, Arc::clone(&best));
        assert!(cache.get("/").is_some_and(|stored| stored.is_best()));

        // A change in between: the improvement of the old response is not stored.
        cache.reset([]);
        let fresh = Arc::new(page());
        cache.insert("/", Arc::clone(&fresh), cache.generation());
        cache.improve("/", &quick, best);
        assert!(
            cache
                .get("/")
                .is_some_and(|stored| Arc::ptr_eq(&stored, &fresh))
        );
    }
}
