//! What every handler can reach ([`AppState`]), the facts of the deployment ([`Site`]), and how a
//! committed change is shown to visitors ([`AppState::apply`]).

use std::sync::{
    Arc,
    atomic::{AtomicI64, AtomicU64, Ordering},
};

use axum::http::HeaderValue;

use crate::{
    assets::Assets,
    change::{Changes, Committed},
    db,
    public::{
        self,
        search::{Found, FoundKey},
    },
    render_cache::RenderCache,
    search,
    time::Clock,
};

use super::{DEFAULT_MAX_CONNECTIONS, DEFAULT_REVIEW_MONTHS};

/// What every handler can reach. Cheap to clone: everything is behind an `Arc` or is a pool handle.
#[derive(Clone)]
pub struct AppState {
    pub db: crate::db::Pool,
    /// Reading connections to the same database, for searches (see [`db::readers`]).
    pub readers: Arc<db::readers::Readers>,
    pub cache: Arc<RenderCache>,
    pub assets: Arc<Assets>,
    pub site: Arc<Site>,
    /// Where "now" comes from: the system clock, or a test's.
    pub clock: Clock,
    /// Searches that found little, counted until the background task writes them.
    pub search_misses: Arc<search::Misses>,
    /// Files of the media library answered lately.
    pub media: Arc<public::media::MediaCache>,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where a shared cache in front (a CDN) is told what each change made stale, when one is.
    pub cdn: Option<Arc<crate::cdn::Purger>>,
    /// Files of uploads that came back for their texts, waiting for their form (bounded).
    pub pending_uploads: Arc<crate::media::pending::Pending>,
    /// Pages of search results, by the render cache's generation; bounded.
    pub search_results: Arc<quick_cache::sync::Cache<FoundKey, Arc<Found>>>,
    /// The content version (`db::changes`) the render cache reflects: a higher one in the database
    /// means something changed that the cache has not heard of.
    seen: Arc<AtomicI64>,
    /// One more than the render cache's generation when every link of the site was last checked
    /// (0: never), so that the list of broken links checks again only after a change.
    links_checked: Arc<AtomicU64>,
}

/// Facts about the deployment that pages need.
#[derive(Debug, Clone)]
pub struct Site {
    /// The public address of the site without a trailing slash, for canonical links, feeds and the
    /// sitemap: `https://www.example.se`.
    pub base_url: String,
    /// The reverse proxies whose `X-Forwarded-For` and `X-Request-Id` are believed; none by default.
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// The `Cache-Control` of public pages, feeds and the sitemap (see [`Site::public_cache_control`]).
    pub public_cache_control: HeaderValue,
    /// Whether pages offer search: not in a static copy of the site, where nothing answers it.
    pub searchable: bool,
    /// The most bytes an upload to the media library may hold.
    pub max_upload: u64,
    /// The most connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Whether administrators must log in with two factors: until they turn it on, the admin area
    /// shows them only the screen where they do.
    pub two_factor_for_admins: bool,
    /// How many months after its last review a published page is listed at `/admin/review`.
    pub review_months: u32,
}

/// The address of the other end of a request's TCP connection, put in the extensions of every request
/// to the admin area by [`serve`](super::serve).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

impl Site {
    /// How public pages may be cached downstream when shared caches (a CDN) may keep them for
    /// `cdn_max_age` seconds: browsers revalidate every time with the ETag (cheap: a 304), shared
    /// caches serve their copy that long and a stale one as long again while they revalidate. With
    /// 0, every cache revalidates before each reuse, so an edit is seen at once everywhere.
    pub fn public_cache_control(cdn_max_age: u32) -> HeaderValue {
        if cdn_max_age == 0 {
            return HeaderValue::from_static(crate::render_cache::REVALIDATE);
        }
        // Digits and fixed words only: always a valid header value.
        HeaderValue::from_str(&format!(
            "public, max-age=0, s-maxage={cdn_max_age}, stale-while-revalidate={cdn_max_age}"
        ))
        .unwrap_or(HeaderValue::from_static(crate::render_cache::REVALIDATE))
    }

    /// `path` (which starts with a slash) as an absolute URL.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl AppState {
    /// State over an open, migrated database, on the system clock.
    pub async fn new(db: crate::db::Pool, base_url: &str) -> sqlx::Result<AppState> {
        AppState::with_clock(db, base_url, Clock::system()).await
    }

    /// Believe the forwarding headers of requests from `proxies`: for servers behind a reverse proxy.
    pub fn with_trusted_proxies(mut self, proxies: crate::proxy::TrustedProxies) -> AppState {
        self.site = Arc::new(Site {
            trusted_proxies: proxies,
            ..Site::clone(&self.site)
        });
        self
    }

    /// Let shared caches (a CDN) keep public pages for `seconds` (see
    /// [`Site::public_cache_control`]); 0, the default, has every cache revalidate.
    pub fn with_cdn_max_age(mut self, seconds: u32) -> AppState {
        self.site = Arc::new(Site {
            public_cache_control: Site::public_cache_control(seconds),
            ..Site::clone(&self.site)
        });
        self
    }

    /// Tell a shared cache in front what each change made stale, through `purger`; every
    /// response it keeps is purged now, since it may have been rendered by another version of
    /// this program, or before changes made while none was told.
    pub fn with_cdn_purger(mut self, purger: Arc<crate::cdn::Purger>) -> AppState {
        purger.purge_everything();
        self.cdn = Some(purger);
        self
    }

    /// Pages without the search box and the OpenSearch link: for a static copy of the site.
    pub fn without_search(mut self) -> AppState {
        self.site = Arc::new(Site {
            searchable: false,
            ..Site::clone(&self.site)
        });
        self
    }

    /// Serve at most `connections` connections at once.
    pub fn with_max_connections(mut self, connections: usize) -> AppState {
        self.site = Arc::new(Site {
            max_connections: connections.max(1),
            ..Site::clone(&self.site)
        });
        self
    }

    /// Require administrators to log in with two factors.
    pub fn with_two_factor_for_admins(mut self, required: bool) -> AppState {
        self.site = Arc::new(Site {
            two_factor_for_admins: required,
            ..Site::clone(&self.site)
        });
        self
    }

    /// List published pages as due for review once they are `months` old since their last review.
    pub fn with_review_months(mut self, months: u32) -> AppState {
        self.site = Arc::new(Site {
            review_months: months,
            ..Site::clone(&self.site)
        });
        self
    }

    /// Take uploads to the media library of at most `bytes`.
    pub fn with_max_upload(mut self, bytes: u64) -> AppState {
        self.site = Arc::new(Site {
            max_upload: bytes,
            ..Site::clone(&self.site)
        });
        self.pending_uploads = Arc::new(crate::media::pending::Pending::new(2 * bytes));
        self
    }

    /// State over an open, migrated database that reads the time from `clock`.
    pub async fn with_clock(
        db: crate::db::Pool,
        base_url: &str,
        clock: Clock,
    ) -> sqlx::Result<AppState> {
        let state = AppState {
            readers: Arc::new(db::readers::Readers::of(&db)),
            db,
            cache: Arc::new(RenderCache::new(
                clock.clone(),
                crate::render_cache::DEFAULT_BUDGET,
            )),
            seen: Arc::default(),
            links_checked: Arc::default(),
            clock,
            search_misses: Arc::default(),
            media: Arc::default(),
            metrics: Arc::default(),
            cdn: None,
            search_results: Arc::new(quick_cache::sync::Cache::new(public::search::FOUND_KEPT)),
            pending_uploads: Arc::new(crate::media::pending::Pending::new(
                2 * crate::media::DEFAULT_MAX_UPLOAD,
            )),
            assets: Arc::new(Assets::load()),
            site: Arc::new(Site {
                base_url: base_url.trim_end_matches('/').to_owned(),
                trusted_proxies: crate::proxy::TrustedProxies::default(),
                public_cache_control: Site::public_cache_control(0),
                searchable: true,
                max_upload: crate::media::DEFAULT_MAX_UPLOAD,
                max_connections: DEFAULT_MAX_CONNECTIONS as usize,
                two_factor_for_admins: false,
                review_months: DEFAULT_REVIEW_MONTHS,
            }),
        };
        if !db::search::is_current(&state.db).await? {
            let started = std::time::Instant::now();
            let pages = crate::search::rebuild(&state.db, &state.clock.now_db()).await?;
            tracing::info!(pages, elapsed = ?started.elapsed(), "built the search index");
        }
        if !db::links::is_current(&state.db, crate::writing::links::VERSION).await? {
            let started = std::time::Instant::now();
            let pages = crate::writing::links::rebuild(&state.db, &state.clock.now_db()).await?;
            tracing::info!(pages, elapsed = ?started.elapsed(), "recorded the links of every page");
        }
        state.content_changed().await?;
        Ok(state)
    }

    /// The same state with a render cache of at most `bytes`: call before serving.
    pub async fn with_cache_budget(mut self, bytes: u64) -> sqlx::Result<AppState> {
        self.cache = Arc::new(RenderCache::new(self.clock.clone(), bytes));
        self.content_changed().await?;
        Ok(self)
    }

    /// Shows a committed change to visitors, and hands back what it did: the one place where what
    /// changed becomes cache invalidation. Forgets the cached responses the change made stale (for a
    /// file of the library, the pages that show it). When something else changed content since the
    /// cache last heard (another process, or a change of this one not yet applied), the whole cache
    /// is emptied instead. The change is committed whatever happens here, so a failure is logged,
    /// never answered as an error; the change watcher tries again within two seconds.
    pub async fn apply<T>(&self, committed: Committed<T>) -> T {
        self.show(&committed.changes).await;
        committed.outcome
    }

    async fn show(&self, changes: &Changes) {
        if changes.is_empty() {
            return;
        }
        let stale = public::stale::of(changes);
        self.forget(changes, &stale).await;
        // After the render cache forgot them, so that the shared cache's next request for them
        // gets them new.
        if let Some(cdn) = &self.cdn {
            cdn.purge(&stale, &changes.media);
        }
    }

    /// Shows a change another instance made and told in detail (see `change::announce`): forgets
    /// what it made stale in this server's caches. The instance that made it purged any shared
    /// cache in front.
    pub async fn show_elsewhere(&self, changes: &Changes) {
        if !changes.is_empty() {
            self.forget(changes, &public::stale::of(changes)).await;
        }
    }

    /// Forgets the responses `changes` made stale (`stale`) in this server's own caches.
    async fn forget(&self, changes: &Changes, stale: &crate::render_cache::Stale) {
        let only_this = changes.versions.is_some_and(|versions| {
            self.seen
                .compare_exchange(
                    versions.before,
                    versions.after,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        });
        if !only_this {
            self.content_changed_or_log().await;
            return;
        }
        if !changes.media.is_empty() {
            self.media.clear();
        }
        self.cache.invalidate(stale);
        match crate::publishing::upcoming(&self.db, &self.clock.now_db()).await {
            Ok(scheduled) => self
                .cache
                .set_schedule(scheduled.iter().map(String::as_str)),
            Err(error) => {
                self.cache.forget_all();
                tracing::error!(%error, "cannot read the publishing schedule; pages are not cached until it can be read");
            }
        }
    }

    /// Call after any change to pages that is not known in detail: drops every cached response and
    /// notes when scheduled pages go live.
    pub async fn content_changed(&self) -> sqlx::Result<()> {
        // Forget first: that cannot fail, and the cache serves nothing stale from here on.
        self.cache.forget_all();
        self.media.clear();
        // The version is read before the schedule and the responses rendered from here on, so any
        // change after it shows as a higher version later.
        let version = db::changes::version(&self.db).await?;
        let scheduled = crate::publishing::upcoming(&self.db, &self.clock.now_db()).await?;
        self.cache.reset(scheduled.iter().map(String::as_str));
        self.seen.fetch_max(version, Ordering::AcqRel);
        Ok(())
    }

    /// [`content_changed`](Self::content_changed), logging a failure. Until it succeeds the cache
    /// stores nothing, since it cannot know when scheduled pages go live.
    pub async fn content_changed_or_log(&self) {
        if let Err(error) = self.content_changed().await {
            tracing::error!(%error, "cannot read the publishing schedule; pages are not cached until it can be read");
        }
    }

    /// Whether the site's links are to be checked again, after a change of content (an edit, a
    /// scheduled page going live, a change by another process) since the last check: then the
    /// token to give [`links_checked`](Self::links_checked) once it is done.
    pub fn links_check_due(&self) -> Option<u64> {
        let token = self.cache.current_generation() + 1;
        (self.links_checked.load(Ordering::Acquire) != token).then_some(token)
    }

    /// Notes that every link was checked, as of the `token` [`links_check_due`](Self::links_check_due) gave.
    pub fn links_checked(&self, token: u64) {
        self.links_checked.store(token, Ordering::Release);
    }

    /// Whether content changed since the cache last heard: another process wrote to the database.
    pub(super) async fn changed_elsewhere(&self) -> sqlx::Result<bool> {
        Ok(db::changes::version(&self.db).await? > self.seen.load(Ordering::Acquire))
    }
}
