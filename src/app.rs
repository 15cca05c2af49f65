//! The application: shared state, the router with its middleware stack, and the server loop.
//!
//! `state` holds the state and its rebuilders, `serve` the accept loop and the change watcher.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
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
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::public;

mod serve;
mod state;

pub use serve::{serve, shutdown_signal, write_search_misses};
pub use state::{AppState, Peer, Site};

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

/// The routes and the middleware of requests that are not cache hits. [`serve`] puts the
/// [`Front`](crate::front::Front) door around it, which answers cache hits and adds security headers.
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
