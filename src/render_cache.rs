//! Whole public responses kept in memory: the body as sent plain, gzip and brotli, and an ETag.
//!
//! A public page is rendered and compressed once per content change, not once per request, and then
//! served by the [front door](crate::front::Front) before routing even starts: a cache hit costs a hash
//! lookup and a few header copies. The cache holds at most a byte budget (`--cache-size`), evicting
//! the entries used least. Each entry records what it shows ([`Dep`]); an edit removes the entries
//! that show what it changed ([`RenderCache::invalidate`], with the rule in `public::stale`), and a
//! change the server did not make itself empties the cache. Scheduled pages are handled by
//! remembering when the next one goes live: the first lookup after that moment empties the cache.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use crate::{lang::Lang, publishing::Schedule, time::Clock};

/// How pages may be cached downstream: any cache may store them but must revalidate (cheaply, with the
/// ETag) before each reuse, so an edit is visible at once.
pub const REVALIDATE: &str = "public, no-cache";

/// Static assets at fingerprinted URLs never change.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

mod deps;
mod response;

pub use deps::{Dep, Stale};
pub use response::{Bodies, CachedResponse, Effort};

/// The key a request's response is cached under: its path and query, exactly as received. The front
/// door looks hits up by it and public handlers store under it, so both must use this.
pub fn key(uri: &axum::http::Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
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
    /// When scheduled pages go live: the cache is emptied at each of those moments. Unsure between
    /// [`forget_all`](RenderCache::forget_all) and the [`reset`](RenderCache::reset) that says when,
    /// and then nothing may be stored.
    schedule: Schedule,
    /// Scheduled moments passed, for what keeps other caches (a CDN) in step.
    passed: AtomicU64,
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
            schedule: Schedule::default(),
            passed: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The stored response for `key` (a request's path and query), unless content has changed since.
    pub fn get(&self, key: &str) -> Option<Hit> {
        let now = self.clock.now().as_second();
        if self.schedule.is_due(now) {
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
        if self.schedule.is_due(now) {
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
        self.schedule.set(upcoming);
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
        self.schedule.forget();
        self.clear();
    }

    /// Whether responses are not being stored because the schedule is unknown.
    pub fn is_unsure(&self) -> bool {
        self.schedule.is_unsure()
    }

    /// A scheduled moment has come: forgets it (and any others passed) and every stored response.
    fn pass_scheduled(&self, now: i64) {
        self.schedule.pass(now);
        self.passed.fetch_add(1, Ordering::AcqRel);
        self.clear();
    }

    /// How many scheduled moments have passed (a due one counted in): when it grows, every
    /// response anyone keeps may be stale.
    pub fn scheduled_passed(&self) -> u64 {
        self.current_generation();
        self.passed.load(Ordering::Acquire)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PageId;
    use axum::{body::Bytes, http::StatusCode};

    fn page() -> CachedResponse {
        let body = Bytes::from("<!DOCTYPE html><p>".to_owned() + &"Hej världen. ".repeat(100));
        CachedResponse::new(StatusCode::OK, "text/html; charset=utf-8", REVALIDATE, body)
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
        store("/a", vec![Dep::Page(PageId(1)), Dep::ChildrenOf(PageId(1))]);
        store("/a/b", vec![Dep::Page(PageId(2)), Dep::Page(PageId(1))]);
        store("/c", vec![Dep::Page(PageId(3))]);
        store("/nyheter", vec![Dep::News(Lang::Sv)]);
        let before = cache.generation();
        let mut stale = Stale::default();
        stale.add(Dep::Page(PageId(1)));
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
}
