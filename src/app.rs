//! The application: shared state, the router with its middleware stack, and the server loop.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode},
    middleware,
    response::{IntoResponse, Redirect},
    routing::get,
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use sqlx::SqlitePool;
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    assets::Assets,
    change::{Changes, Committed},
    db,
    front::Front,
    public::{
        self,
        search::{Found, FoundKey},
    },
    render_cache::RenderCache,
    search,
    time::Clock,
};

/// How long a request may take before it is answered with 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an upload to the media library may take, on a slow line.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a client may take to send a request's head, on a new connection or a kept-alive one.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often the server looks for changes to pages made by another process.
const CHANGE_POLL: Duration = Duration::from_secs(2);

/// How many connections are served at once unless `--max-connections` says otherwise: below the
/// usual limit of 1,024 open files, which the database and the listener share.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1000;

/// Months after its last review that a published page is due for another, as the Swedish agency for
/// digital government (DIGG) recommends reviewing content at least yearly.
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;

/// The largest request body accepted. The public site takes no bodies at all.
const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler can reach. Cheap to clone: everything is behind an `Arc` or is a pool handle.
#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
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
/// to the admin area by [`serve`].
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
    pub async fn new(db: SqlitePool, base_url: &str) -> sqlx::Result<AppState> {
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
        self
    }

    /// State over an open, migrated database that reads the time from `clock`.
    pub async fn with_clock(
        db: SqlitePool,
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
            search_results: Arc::new(quick_cache::sync::Cache::new(public::search::FOUND_KEPT)),
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
        self.cache.invalidate(&public::stale::of(changes));
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
    async fn changed_elsewhere(&self) -> sqlx::Result<bool> {
        Ok(db::changes::version(&self.db).await? > self.seen.load(Ordering::Acquire))
    }
}

/// The routes and the middleware of requests that are not cache hits. [`serve`] puts the
/// [`Front`] door around it, which answers cache hits and adds security headers.
pub fn router(state: AppState) -> Router {
    let request_ids = RequestIds::default();
    let proxies = state.site.trusted_proxies.clone();
    let middleware = ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(SetRequestIdLayer::x_request_id(request_ids))
        .layer(TraceLayer::new_for_http().make_span_with(move |request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|id| id.to_str().ok()).unwrap_or("-");
            // The path only, never the query: a search's words are not logged with an address.
            let client = request.extensions().get::<Peer>().map(|peer| proxies.client(peer.0.ip(), request.headers()));
            let client = client.map(tracing::field::display);
            tracing::info_span!("request", id, client, method = %request.method(), path = %request.uri().path())
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn_with_state(state.clone(), public::error_page::render_errors))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a handler panicked");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }))
        .layer(middleware::from_fn(limit_requests));

    Router::new()
        .route("/", get(public::pages::show))
        .route("/nyheter", get(public::news::list))
        .route("/en/news", get(public::news::list))
        .route("/nyheter/sida/{number}", get(public::news::numbered))
        .route("/en/news/page/{number}", get(public::news::numbered))
        .route("/feed.xml", get(public::feeds::atom))
        .route("/en/feed.xml", get(public::feeds::atom))
        .route("/sitemap.xml", get(public::feeds::sitemap))
        .route("/sitemaps/{file}", get(public::feeds::sitemap_part))
        .route("/robots.txt", get(public::feeds::robots))
        .route("/sok", get(public::search::results))
        .route("/en/search", get(public::search::results))
        .route("/opensearch.xml", get(public::search::opensearch))
        .route("/en/opensearch.xml", get(public::search::opensearch))
        .route("/healthz", get(public::health::live))
        .route("/readyz", get(public::health::ready))
        .route("/static/{file}", get(public::static_file))
        .route("/media/{id}/{name}", get(public::media::original))
        .route("/media/{id}/{width}/{name}", get(public::media::variant))
        .nest("/admin", crate::admin::routes())
        .route("/admin/", get(|| async { Redirect::permanent("/admin") }))
        .route("/{*path}", get(public::pages::show))
        .fallback(public::not_found)
        .layer(middleware)
        .with_state(state)
}

/// Bounds every request's time at [`REQUEST_TIMEOUT`] and its body at [`BODY_LIMIT`], except an
/// upload to the media library: that may take [`UPLOAD_TIMEOUT`] on a slow line, and its handler
/// counts the bytes as they stream in against the site's own limit, so that it can answer a file too
/// large with the form and what it held.
async fn limit_requests(request: Request, next: middleware::Next) -> axum::response::Response {
    let upload = crate::admin::media::is_upload(&request);
    let timeout = if upload {
        UPLOAD_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    let request = if upload {
        request
    } else {
        let declared = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        request.map(|body| Body::new(http_body_util::Limited::new(body, BODY_LIMIT)))
    };
    let response = tokio::time::timeout(timeout, next.run(request)).await;
    response.unwrap_or_else(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())
}

/// Serves `state` on `listener` until `shutdown` completes, then lets in-flight requests finish.
///
/// The accept loop is hyper-util's rather than `axum::serve`'s because axum's sets no timer, and so no
/// header-read timeout: a client could hold a connection (and a file descriptor) open for ever by
/// sending its request head a byte at a time.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watcher = tokio::spawn(watch_for_outside_changes(state.clone()));
    let proxies = Arc::new(state.site.trusted_proxies.clone());
    let https = state.site.base_url.starts_with("https://");
    let app = Front::new(router(state.clone()), Arc::clone(&state.cache), https)
        .map_request(|request: axum::http::Request<Incoming>| request.map(Body::new));
    let mut connections = auto::Builder::new(TokioExecutor::new());
    connections
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    connections.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(state.site.max_connections));
    let mut refusals = Refusals::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Usually out of file descriptors: wait for connections to close rather than spin.
                    tracing::error!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            refusals.refuse(stream);
            continue;
        };
        // Small responses go out at once rather than waiting to be coalesced (Nagle's algorithm).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let proxies = Arc::clone(&proxies);
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: axum::http::Request<Incoming>| {
                // A request id is taken over only from a proxy this site trusts; anyone else's is
                // replaced by one of ours, so that log lines cannot be made to look like another's.
                if request.headers().contains_key("x-request-id") && !proxies.trusts(peer.ip()) {
                    request.headers_mut().remove("x-request-id");
                }
                if proxies.says_https(peer.ip(), request.headers()) {
                    request
                        .extensions_mut()
                        .insert(crate::proxy::ForwardedHttps);
                }
                // Only the admin area asks who is at the other end; the first extension of a request
                // allocates, which public pages, cache hits above all, are spared.
                if request.uri().path().starts_with("/admin") {
                    request.extensions_mut().insert(Peer(peer));
                }
                request
            },
        ));
        let connection = connections
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
    }
    watcher.abort();
    write_search_misses(&state).await;
    Ok(())
}

/// What a connection past `--max-connections` is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 50\r\nConnection: close\r\n\r\n\
The server is busy. Please try again in a moment.\n";

/// Refuses connections past the limit with [`BUSY`], and logs them once a minute at most, with how
/// many there were, rather than once each.
#[derive(Default)]
struct Refusals {
    since_logged: u64,
    logged_at: Option<std::time::Instant>,
}

impl Refusals {
    fn refuse(&mut self, stream: tokio::net::TcpStream) {
        // A small answer fits the socket's buffer at once; a client that does not read it is
        // closed on all the same.
        let _ = stream.try_write(BUSY);
        drop(stream);
        self.since_logged += 1;
        let due = self
            .logged_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
        if due {
            tracing::warn!(
                refused = self.since_logged,
                "too many open connections (--max-connections): new ones get 503"
            );
            self.since_logged = 0;
            self.logged_at = Some(std::time::Instant::now());
        }
    }
}

/// Empties the render cache when pages change behind the server's back, as when an operator runs
/// `skl-cms import` against the database of a running server, and retries a refresh that failed.
/// Changes made through the server invalidate the cache at once; this catches the rest within
/// [`CHANGE_POLL`], reading one row of the database each time.
async fn watch_for_outside_changes(state: AppState) {
    let mut ticks = tokio::time::interval(CHANGE_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        write_search_misses(&state).await;
        let Ok(outside) = state.changed_elsewhere().await else {
            continue;
        };
        if (outside || state.cache.is_unsure()) && state.content_changed().await.is_ok() {
            if outside {
                tracing::info!("pages changed outside the server; cached pages dropped");
            } else {
                tracing::info!("the publishing schedule is readable again; pages are cached again");
            }
        }
    }
}

/// Writes the searches that found little, counted since the last time, and forgets those older
/// than the report keeps.
pub async fn write_search_misses(state: &AppState) {
    let misses = state.search_misses.take();
    if misses.is_empty() {
        return;
    }
    let keep_from =
        state.clock.now() - jiff::SignedDuration::from_hours(24 * db::search::KEEP_MISSES_DAYS);
    let keep_from = crate::time::to_db(keep_from);
    let day = crate::time::day_of(&keep_from);
    if let Err(error) = db::search::record_misses(&state.db, &misses, day).await {
        tracing::warn!(%error, "cannot write the counts of searches that found little");
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Request ids: a process-wide counter, which is unique, short and cheap. A proxy's own
/// `x-request-id` is kept.
#[derive(Clone, Default)]
struct RequestIds(Arc<AtomicU64>);

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Some(RequestId::new(HeaderValue::from(id)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(super::BUSY).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .and_then(|length| length.parse().ok())
            .expect("a length");
        assert_eq!(length, body.len());
        assert!(head.starts_with("HTTP/1.1 503 ") && head.contains("Retry-After: 1"));
    }
}
