//! Whole public responses kept in memory: the body as sent plain, gzip and brotli, and an ETag.
//!
//! A public page is rendered and compressed once per content change, not once per request, and then
//! served by the [front door](crate::front::Front) before routing even starts: a cache hit costs a hash
//! lookup and a few header copies. The cache holds at most a byte budget (`--cache-size`), evicting
//! the entries used least. Each entry records what it shows ([`Dep`]); an edit removes the entries
//! that show what it changed ([`RenderCache::invalidate`], with the rule in `public::stale`), and a
//! change the server did not make itself empties the cache. Scheduled pages are handled by
//! remembering when the next one goes live: the first lookup after that moment empties the cache.

use std::{
    collections::HashSet,
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering},
    },
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{lang::Lang, time::Clock};

/// How pages may be cached downstream: any cache may store them but must revalidate (cheaply, with the
/// ETag) before each reuse, so an edit is visible at once.
pub const REVALIDATE: &str = "public, no-cache";

/// Static assets at fingerprinted URLs never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Bodies shorter than this are not worth compressing.
const MIN_COMPRESS_LEN: usize = 256;

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
    effort: Effort,
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

/// What a cached response shows of the site's content, so that a change removes the responses it
/// makes stale and no others. The main menu is on every page; a change to it empties the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Shows something of this page: the page itself, or an ancestor in its breadcrumb trail.
    Page(i64),
    /// Lists the visible children of this page.
    ChildrenOf(i64),
    /// Links to the translation with this key (the language switch, `hreflang`).
    Translation(String),
    /// Lists news of this language: the news list, the feed, the home page.
    News(Lang),
    /// Lists every visible page: the sitemap.
    AllPages,
    /// Says that nothing is at this page path in this language: a "not found" page.
    Address(Lang, String),
}

/// What a change made stale: everything, or the responses that show any of a set of [`Dep`]s.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stale {
    everything: bool,
    deps: HashSet<Dep>,
}

impl Stale {
    /// Every response.
    pub fn everything() -> Stale {
        Stale {
            everything: true,
            deps: HashSet::new(),
        }
    }

    /// Adds the responses that show `dep`.
    pub fn add(&mut self, dep: Dep) {
        self.deps.insert(dep);
    }

    /// Makes it every response.
    pub fn add_everything(&mut self) {
        self.everything = true;
    }

    pub fn is_everything(&self) -> bool {
        self.everything
    }

    /// Whether a response that shows `deps` is stale.
    pub fn touches(&self, deps: &[Dep]) -> bool {
        self.everything || deps.iter().any(|dep| self.deps.contains(dep))
    }
}

/// A stored response and what it shows.
#[derive(Debug)]
struct Entry {
    response: Arc<CachedResponse>,
    deps: Box<[Dep]>,
    /// Bytes held for it: what the byte budget counts.
    weight: u64,
}

/// What the memory an entry holds besides its bodies costs, about: the map's slot, the headers,
/// the key's allocation.
const ENTRY_OVERHEAD: u64 = 256;

impl Entry {
    fn new(key: &str, response: Arc<CachedResponse>, deps: Box<[Dep]>, shared: bool) -> Entry {
        let body = if shared { 0 } else { response.bytes() };
        let weight = ENTRY_OVERHEAD
            + key.len() as u64
            + body
            + (deps.len() * std::mem::size_of::<Dep>()) as u64;
        Entry {
            response,
            deps,
            weight,
        }
    }
}

/// A stored response, as a lookup finds it: one reference count taken, however many it holds.
#[derive(Debug, Clone)]
pub struct Hit(Arc<Entry>);

impl std::ops::Deref for Hit {
    type Target = CachedResponse;

    fn deref(&self) -> &CachedResponse {
        &self.0.response
    }
}

impl Hit {
    /// The response, to hand to [`RenderCache::improve_later`].
    pub fn response(&self) -> &Arc<CachedResponse> {
        &self.0.response
    }

    /// Whether this is `response`.
    pub fn is(&self, response: &Arc<CachedResponse>) -> bool {
        Arc::ptr_eq(&self.0.response, response)
    }
}

/// Weighs entries by the bytes they hold, for the byte budget.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, _key: &String, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

/// Collects the keys of the entries an insert let go. quick_cache reports a replaced entry the same
/// way as one evicted for room, so [`RenderCache::put`] tells them apart by key.
#[derive(Debug, Clone, Copy, Default)]
struct LetGo;

impl quick_cache::Lifecycle<String, Arc<Entry>> for LetGo {
    type RequestState = Vec<String>;

    fn begin_request(&self) -> Self::RequestState {
        Vec::new()
    }

    fn on_evict(&self, keys: &mut Self::RequestState, key: String, _entry: Arc<Entry>) {
        keys.push(key);
    }
}

/// The default byte budget of the cache: 64 MiB, some 4,000 pages of 15 KB with their gzip and
/// brotli forms.
pub const DEFAULT_BUDGET: u64 = 64 * 1024 * 1024;

/// Pages of this size, with their compressed forms, are what the cache is sized for.
const TYPICAL_ENTRY: u64 = 24 * 1024;

/// The rendered public responses, by request path and query, within a byte budget: past it, the
/// entries used least recently and least often make room (quick_cache's CLOCK-Pro, which also keeps
/// a crawler's one-off visits from pushing out the pages visitors read).
pub struct RenderCache {
    entries: quick_cache::sync::Cache<
        String,
        Arc<Entry>,
        ByBytes,
        quick_cache::DefaultHashBuilder,
        LetGo,
    >,
    /// Entries let go to keep within the budget (for the metrics).
    evictions: AtomicU64,
    /// Held by every change to `entries` (an insert, an improvement, an invalidation), so that a
    /// response rendered before an invalidation is never stored after it. Lookups do not take it.
    writer: Mutex<()>,
    /// Counts invalidations. A render that began in an older generation may have read content from
    /// before a change, so it is not stored.
    generation: AtomicU64,
    /// The "not found" page of each language, rendered once and shared by every address that has
    /// no page.
    not_found: Mutex<[Option<Arc<CachedResponse>>; 2]>,
    /// Compressions running off the runtime (see [`improve_later`](Self::improve_later)).
    improving: AtomicUsize,
    /// Unix second of the next scheduled change, or `i64::MAX` when none is scheduled. Read without a
    /// lock on every lookup.
    next_change: AtomicI64,
    /// Every upcoming scheduled change in Unix seconds, latest first, so the next one pops off the end.
    schedule: Mutex<Vec<i64>>,
    /// Set between [`forget_all`](RenderCache::forget_all) and the [`reset`](RenderCache::reset) that
    /// says when scheduled pages go live: without knowing that, nothing may be stored.
    unsure: AtomicBool,
    /// Lookups that found a response, and that did not (for the metrics).
    hits: AtomicU64,
    misses: AtomicU64,
    /// False for a budget of 0: nothing is stored, and nothing compressed to be.
    keeps: bool,
    clock: Clock,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.entries.weight())
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl RenderCache {
    /// An empty cache of at most `budget` bytes that reads the time from `clock` to know when
    /// scheduled pages are due. With a budget of 0 it keeps nothing: every request renders.
    pub fn new(clock: Clock, budget: u64) -> Self {
        let keeps = budget > 0;
        let budget = budget.max(1);
        RenderCache {
            keeps,
            entries: quick_cache::sync::Cache::with(
                usize::try_from((budget / TYPICAL_ENTRY).max(64)).unwrap_or(usize::MAX),
                budget,
                ByBytes,
                quick_cache::DefaultHashBuilder::default(),
                LetGo,
            ),
            evictions: AtomicU64::new(0),
            writer: Mutex::new(()),
            generation: AtomicU64::new(0),
            not_found: Mutex::default(),
            improving: AtomicUsize::new(0),
            clock,
            next_change: AtomicI64::new(i64::MAX),
            schedule: Mutex::default(),
            unsure: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The stored response for `key` (a request's path and query), unless content has changed since.
    pub fn get(&self, key: &str) -> Option<Hit> {
        let now = self.clock.now().as_second();
        if now >= self.next_change.load(Ordering::Relaxed) {
            self.pass_scheduled(now);
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let found = self.entries.get(key).map(Hit);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// How many lookups found a response, and how many did not, since the start.
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// How many entries were let go to keep within the budget, since the start.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// The current generation: take it before reading content, and give it to [`insert`](Self::insert).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
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

    /// Stores a response for `key` that shows `deps`, rendered from content read in `generation`;
    /// if anything was invalidated since, the response may be stale and is dropped.
    pub fn insert(
        &self,
        key: &str,
        response: Arc<CachedResponse>,
        generation: u64,
        deps: impl Into<Box<[Dep]>>,
    ) {
        self.store(
            key,
            Entry::new(key, response, deps.into(), false),
            generation,
        );
    }

    /// The "not found" page of `lang`, if one is stored: rendered once per language and change,
    /// and shared by every address that has no page.
    pub fn not_found_page(&self, lang: Lang) -> Option<Arc<CachedResponse>> {
        lock(&self.not_found)[lang as usize].clone()
    }

    /// Stores `page`, the "not found" page of `lang` rendered from content read in `generation`, for
    /// `key`, whose page path is `path`: the page is shared, so each address costs its key only.
    pub fn insert_not_found(
        &self,
        key: &str,
        lang: Lang,
        path: &str,
        page: Arc<CachedResponse>,
        generation: u64,
    ) {
        let deps: Box<[Dep]> = Box::new([Dep::Address(lang, path.to_owned())]);
        let _writer = lock(&self.writer);
        if self.generation() != generation || self.is_unsure() || !self.keeps {
            return;
        }
        lock(&self.not_found)[lang as usize].get_or_insert_with(|| Arc::clone(&page));
        self.put(key, Entry::new(key, page, deps, true));
    }

    fn store(&self, key: &str, entry: Entry, generation: u64) {
        let _writer = lock(&self.writer);
        if self.generation() == generation && !self.is_unsure() && self.keeps {
            self.put(key, entry);
        }
    }

    /// Stores `entry` under `key`, counting what the budget made room from.
    fn put(&self, key: &str, entry: Entry) {
        let let_go = self
            .entries
            .insert_with_lifecycle(key.to_owned(), Arc::new(entry));
        self.count_evicted(key, &let_go);
    }

    /// Counts the entries an insert under `key` let go, but the one it replaced.
    fn count_evicted(&self, key: &str, let_go: &[String]) {
        let evicted = let_go.iter().filter(|other| *other != key).count();
        self.evictions.fetch_add(evicted as u64, Ordering::Relaxed);
    }

    /// Replaces the response stored for `key` by `better` (the same body, compressed harder), if
    /// `stored` is still what is stored there: a change in between has made both stale.
    pub fn improve(&self, key: &str, stored: &Arc<CachedResponse>, better: Arc<CachedResponse>) {
        let _writer = lock(&self.writer);
        if let Some(current) = self.entries.peek(key)
            && Arc::ptr_eq(&current.response, stored)
        {
            let deps = current.deps.clone();
            let entry = Entry::new(key, better, deps, false);
            if let Ok(let_go) =
                self.entries
                    .replace_with_lifecycle(key.to_owned(), Arc::new(entry), false)
            {
                self.count_evicted(key, &let_go);
            }
        }
    }

    /// Compresses `stored` as hard as it is worth on a blocking thread, and swaps the result into
    /// the cache under `key` (unless content changed meanwhile). At most one compression a core but
    /// one runs at a time; past that, nothing is queued and the response keeps its quick compression
    /// until a later request for it tries again. So a crawler walking thousands of pages can neither
    /// queue unbounded work nor take the cores that answer requests.
    pub fn improve_later(self: &Arc<Self>, key: &str, stored: Arc<CachedResponse>) {
        if !self.keeps {
            return;
        }
        if self.improving.fetch_add(1, Ordering::AcqRel) >= max_improving() {
            self.improving.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let cache = Arc::clone(self);
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || {
            let better = Arc::new(stored.best());
            cache.improve(&key, &stored, better);
            cache.improving.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// Content has changed: forgets the stored responses that `stale` names.
    pub fn invalidate(&self, stale: &Stale) {
        if stale.is_everything() {
            self.clear();
            return;
        }
        let _writer = lock(&self.writer);
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.retain(|_, entry| !stale.touches(&entry.deps));
    }

    /// Remembers when scheduled pages go live (database timestamps), so that the cache is emptied at
    /// each of those moments, and stores responses again if it had stopped.
    pub fn set_schedule<'a>(&self, upcoming: impl IntoIterator<Item = &'a str>) {
        let mut seconds: Vec<i64> = upcoming
            .into_iter()
            .filter_map(crate::time::from_db)
            .map(|ts| ts.as_second())
            .collect();
        seconds.sort_unstable_by(|a, b| b.cmp(a));
        let mut schedule = lock(&self.schedule);
        self.next_change.store(
            seconds.last().copied().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
        *schedule = seconds;
        self.unsure.store(false, Ordering::Relaxed);
    }

    /// Content has changed in ways not known: forgets every stored response and remembers when
    /// scheduled pages go live.
    pub fn reset<'a>(&self, upcoming: impl IntoIterator<Item = &'a str>) {
        self.clear();
        self.set_schedule(upcoming);
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
        {
            let mut schedule = lock(&self.schedule);
            while schedule.last().is_some_and(|second| *second <= now) {
                schedule.pop();
            }
            self.next_change.store(
                schedule.last().copied().unwrap_or(i64::MAX),
                Ordering::Relaxed,
            );
        }
        self.clear();
    }

    fn clear(&self) {
        let _writer = lock(&self.writer);
        self.generation.fetch_add(1, Ordering::AcqRel);
        *lock(&self.not_found) = [None, None];
        self.entries.clear();
    }

    /// How many responses are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the stored responses hold, as the budget counts them.
    pub fn bytes(&self) -> u64 {
        self.entries.weight()
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        if self.keeps {
            self.entries.capacity()
        } else {
            0
        }
    }

    /// Whether a response is stored for `key`, without counting it as a use.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.peek(key).is_some()
    }
}

/// How many compressions may run off the runtime at once: one a core but one, at least one.
fn max_improving() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |cores| cores.get().saturating_sub(1))
            .max(1)
    })
}

// A panic while holding one of these locks cannot leave what it guards half-updated (every update
// is a single assignment or call), so a poisoned lock is still safe to use.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parses a byte size as operators write it: `64MiB`, `512 KiB`, `1GiB`, `64MB`, `1000000`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size, such as 64MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => return Err(format!("`{text}`: the unit must be B, KiB, MiB or GiB")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
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
        let cache = RenderCache::new(clock.clone(), DEFAULT_BUDGET);
        let at = |seconds: i64| start + jiff::SignedDuration::from_secs(seconds);
        let (first, second) = (crate::time::to_db(at(10)), crate::time::to_db(at(30)));
        cache.reset([second.as_str(), first.as_str(), "2999-01-01T00:00:00Z"]);
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert!(cache.get("/").is_some(), "nothing is due yet");
        clock.set(at(9));
        assert!(cache.get("/").is_some(), "a second early is still early");
        clock.set(at(10));
        assert!(cache.get("/").is_none(), "the first scheduled page is due");
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert!(cache.get("/").is_some());
        clock.set(at(31));
        assert!(cache.get("/").is_none(), "so is the second");
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert!(cache.get("/").is_some(), "the far one is not");
    }

    #[test]
    fn the_budget_holds_and_what_it_let_go_is_counted() {
        let one = page().bytes();
        let cache = RenderCache::new(Clock::system(), one * 10);
        cache.reset([]);
        for number in 0..40 {
            let key = format!("/sida-{number}");
            cache.insert(&key, Arc::new(page()), cache.generation(), Vec::new());
        }
        assert!(cache.bytes() <= one * 10, "{} bytes", cache.bytes());
        assert!(cache.len() < 40);
        let evicted = cache.evictions();
        assert_eq!(evicted, 40 - cache.len() as u64);
        // Neither a new response for a stored address nor an invalidation is an eviction.
        let kept = (0..40)
            .map(|number| format!("/sida-{number}"))
            .find(|key| cache.get(key).is_some())
            .expect("some are kept");
        cache.insert(&kept, Arc::new(page()), cache.generation(), Vec::new());
        assert_eq!(cache.evictions(), evicted);
        cache.forget_all();
        assert_eq!(cache.evictions(), evicted);
    }

    #[test]
    fn a_render_that_began_before_a_change_is_not_stored() {
        let cache = RenderCache::new(Clock::system(), DEFAULT_BUDGET);
        let before = cache.generation();
        cache.reset([]);
        cache.insert("/", Arc::new(page()), before, Vec::new());
        assert!(cache.is_empty());
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn nothing_is_stored_while_the_schedule_is_unknown() {
        let cache = RenderCache::new(Clock::system(), DEFAULT_BUDGET);
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        cache.forget_all();
        assert!(cache.get("/").is_none(), "forgotten at once");
        assert!(cache.is_unsure());
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert!(
            cache.is_empty(),
            "a page rendered now might miss a scheduled change"
        );
        cache.reset([]);
        assert!(!cache.is_unsure());
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_budget_of_nothing_keeps_nothing() {
        let cache = RenderCache::new(Clock::system(), 0);
        assert_eq!(cache.budget(), 0);
        cache.insert("/", Arc::new(page()), cache.generation(), Vec::new());
        cache.insert_not_found("/x", Lang::Sv, "x", Arc::new(page()), cache.generation());
        assert!(cache.is_empty() && cache.not_found_page(Lang::Sv).is_none());
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

        let cache = RenderCache::new(Clock::system(), DEFAULT_BUDGET);
        cache.insert("/", Arc::clone(&quick), cache.generation(), Vec::new());
        cache.improve("/", &quick, Arc::clone(&best));
        assert!(cache.get("/").is_some_and(|stored| stored.is_best()));

        // A change in between: the improvement of the old response is not stored.
        cache.reset([]);
        let fresh = Arc::new(page());
        cache.insert("/", Arc::clone(&fresh), cache.generation(), Vec::new());
        cache.improve("/", &quick, best);
        assert!(cache.get("/").is_some_and(|stored| stored.is(&fresh)));
    }

    #[test]
    fn an_invalidation_removes_what_shows_the_change_and_nothing_else() {
        let cache = RenderCache::new(Clock::system(), DEFAULT_BUDGET);
        let store = |key: &str, deps: Vec<Dep>| {
            cache.insert(key, Arc::new(page()), cache.generation(), deps);
        };
        store("/a", vec![Dep::Page(1), Dep::ChildrenOf(1)]);
        store("/a/b", vec![Dep::Page(2), Dep::Page(1)]);
        store("/c", vec![Dep::Page(3)]);
        store("/nyheter", vec![Dep::News(Lang::Sv)]);
        let before = cache.generation();
        let mut stale = Stale::default();
        stale.add(Dep::Page(1));
        cache.invalidate(&stale);
        assert!(!cache.contains("/a") && !cache.contains("/a/b"));
        assert!(cache.contains("/c") && cache.contains("/nyheter"));
        assert_ne!(
            cache.generation(),
            before,
            "renders begun before are not stored"
        );
        cache.invalidate(&Stale::everything());
        assert!(cache.is_empty());
    }

    #[test]
    fn the_budget_bounds_the_bytes_held() {
        let budget = 256 * 1024;
        let cache = RenderCache::new(Clock::system(), budget);
        for n in 0..200 {
            let body = Bytes::from(format!("<p>{n}</p>{}", "x".repeat(8 * 1024)));
            let response = CachedResponse::with_effort(
                StatusCode::OK,
                "application/octet-stream",
                REVALIDATE,
                body,
                Effort::Quick,
            );
            cache.insert(
                &format!("/{n}"),
                Arc::new(response),
                cache.generation(),
                Vec::new(),
            );
        }
        assert!(cache.bytes() <= budget, "{} > {budget}", cache.bytes());
        assert!(
            cache.len() > 10,
            "it still holds what fits: {}",
            cache.len()
        );
        assert!(cache.len() < 200, "and let the rest go");
    }

    #[test]
    fn not_found_pages_are_shared_and_weigh_their_key_only() {
        let cache = RenderCache::new(Clock::system(), DEFAULT_BUDGET);
        assert!(cache.not_found_page(Lang::Sv).is_none());
        let shared = Arc::new(page());
        for n in 0..100 {
            let key = format!("/saknas-{n}");
            cache.insert_not_found(
                &key,
                Lang::Sv,
                &key[1..],
                Arc::clone(&shared),
                cache.generation(),
            );
        }
        assert!(
            cache
                .not_found_page(Lang::Sv)
                .is_some_and(|page| Arc::ptr_eq(&page, &shared))
        );
        assert!(cache.bytes() < 100 * 1024, "{}", cache.bytes());
        let mut stale = Stale::default();
        stale.add(Dep::Address(Lang::Sv, "saknas-7".to_owned()));
        cache.invalidate(&stale);
        assert!(!cache.contains("/saknas-7") && cache.contains("/saknas-8"));
    }

    #[test]
    fn sizes_read_as_operators_write_them() {
        assert_eq!(parse_size("64MiB"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
