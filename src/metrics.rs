//! `/metrics` in the Prometheus (OpenMetrics) text format, served on an address of its own
//! (`--metrics-bind`), never on the public one: requests and their latency by route group and
//! status, the render cache's hits, misses, evictions, entries and bytes, the database pool, pages by status,
//! failed and throttled logins, and the age of the last backup.
//!
//! Requests answered from the render cache by the front door never reach the router; they are the
//! cache's hits. The request metrics count the rest.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::Instant,
};

use axum::{
    Router,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::{app::AppState, db};

/// The labels of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    group: &'static str,
    status: u16,
}

/// The labels of a latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabel {
    group: &'static str,
}

/// The labels of a count of pages.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<GroupLabel, Histogram, fn() -> Histogram>,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_evictions: Counter,
    cache_entries: Gauge,
    cache_bytes: Gauge,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pages: Family<StatusLabel, Gauge>,
    logins_failed: Gauge,
    logins_throttled: Gauge,
    backup_age: Gauge,
    /// When the last backup was taken, in Unix seconds (0: none known).
    last_backup: AtomicI64,
    /// The render cache's counts (hits, misses, evictions) when last read, to add the difference
    /// to the counters.
    seen: Mutex<[u64; 3]>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("skl_cms");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<GroupLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let metrics = Metrics {
            requests,
            latency,
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            cache_evictions: Counter::default(),
            cache_entries: Gauge::default(),
            cache_bytes: Gauge::default(),
            pool_connections: Gauge::default(),
            pool_idle: Gauge::default(),
            pages: Family::default(),
            logins_failed: Gauge::default(),
            logins_throttled: Gauge::default(),
            backup_age: Gauge::default(),
            last_backup: AtomicI64::new(0),
            seen: Mutex::new([0; 3]),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "Requests that reached the router (cache hits do not), by route group and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer requests that reached the router, by route group",
            metrics.latency.clone(),
        );
        registry.register(
            "render_cache_hits",
            "Requests answered from the render cache by the front door",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "render_cache_misses",
            "Lookups in the render cache that found nothing",
            metrics.cache_misses.clone(),
        );
        registry.register(
            "render_cache_evictions",
            "Responses the render cache let go to stay within its byte budget",
            metrics.cache_evictions.clone(),
        );
        registry.register(
            "render_cache_entries",
            "Responses kept in the render cache",
            metrics.cache_entries.clone(),
        );
        registry.register(
            "render_cache_bytes",
            "Bytes the render cache holds, as its budget counts them",
            metrics.cache_bytes.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open connections of the database pool",
            metrics.pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle",
            "Idle connections of the database pool",
            metrics.pool_idle.clone(),
        );
        registry.register(
            "pages",
            "Pages by status: published, draft, trashed",
            metrics.pages.clone(),
        );
        registry.register(
            "logins_failed",
            "Failed logins in the audit log",
            metrics.logins_failed.clone(),
        );
        registry.register(
            "logins_throttled",
            "Throttled logins in the audit log",
            metrics.logins_throttled.clone(),
        );
        registry.register(
            "backup_age_seconds",
            "Seconds since the last scheduled backup was written and checked (-1: none yet)",
            metrics.backup_age.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    /// Notes that a backup was written and checked at `unix_seconds`.
    pub fn backup_taken(&self, unix_seconds: i64) {
        self.last_backup.fetch_max(unix_seconds, Ordering::Relaxed);
    }

    fn observe(&self, group: &'static str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                group,
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&GroupLabel { group })
            .observe(seconds);
    }
}

/// The group a path belongs to, for the labels: few and fixed, whatever addresses clients ask for.
fn group_of(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "admin" => "admin",
        "media" => "media",
        "static" => "static",
        "healthz" | "readyz" => "health",
        "sok" => "search",
        "feed.xml" | "sitemap.xml" | "sitemaps" | "robots.txt" | "opensearch.xml" => "feeds",
        "en" => match path
            .trim_start_matches("/en/")
            .split('/')
            .next()
            .unwrap_or("")
        {
            "search" => "search",
            "feed.xml" | "opensearch.xml" => "feeds",
            _ => "pages",
        },
        _ => "pages",
    }
}

/// Middleware: counts and times every request that reaches the router.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let group = group_of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .observe(group, response.status(), started.elapsed().as_secs_f64());
    response
}

/// The metrics router, for `--metrics-bind`: `GET /metrics` only.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// `GET /metrics`
async fn scrape(State(state): State<AppState>) -> Response {
    match render(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot read the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The metrics as text, with the gauges read now.
pub async fn render(state: &AppState) -> anyhow::Result<String> {
    let metrics = &state.metrics;
    let (hits, misses) = state.cache.lookups();
    let now = [hits, misses, state.cache.evictions()];
    {
        let mut seen = metrics
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counters = [
            &metrics.cache_hits,
            &metrics.cache_misses,
            &metrics.cache_evictions,
        ];
        for ((counter, now), seen) in counters.into_iter().zip(now).zip(seen.iter_mut()) {
            counter.inc_by(now.saturating_sub(*seen));
            *seen = now.max(*seen);
        }
    }
    metrics
        .cache_entries
        .set(i64::try_from(state.cache.len()).unwrap_or(i64::MAX));
    metrics
        .cache_bytes
        .set(i64::try_from(state.cache.bytes()).unwrap_or(i64::MAX));
    let (size, idle) = state.db.size_and_idle();
    metrics.pool_connections.set(i64::from(size));
    metrics
        .pool_idle
        .set(i64::try_from(idle).unwrap_or(i64::MAX));
    let counts = db::pages::counts_by_standing(&state.db).await?;
    for (status, count) in [
        ("published", counts.published),
        ("draft", counts.drafts),
        ("trashed", counts.trashed),
    ] {
        metrics
            .pages
            .get_or_create(&StatusLabel { status })
            .set(count);
    }
    let (failed, throttled) = db::audit::login_refusals(&state.db).await?;
    metrics.logins_failed.set(failed);
    metrics.logins_throttled.set(throttled);
    let last = metrics.last_backup.load(Ordering::Relaxed);
    metrics.backup_age.set(if last == 0 {
        -1
    } else {
        (state.clock.now().as_second() - last).max(0)
    });
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_into_few_groups() {
        assert_eq!(group_of("/"), "pages");
        assert_eq!(group_of("/om-oss"), "pages");
        assert_eq!(group_of("/en/about"), "pages");
        assert_eq!(group_of("/admin/pages/3"), "admin");
        assert_eq!(group_of("/media/1/x.jpg"), "media");
        assert_eq!(group_of("/sok"), "search");
        assert_eq!(group_of("/en/search"), "search");
        assert_eq!(group_of("/en/feed.xml"), "feeds");
        assert_eq!(group_of("/sitemaps/2.xml"), "feeds");
        assert_eq!(group_of("/static/site.1.css"), "static");
        assert_eq!(group_of("/readyz"), "health");
    }
}
