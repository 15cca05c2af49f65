//! Error pages: every 4xx and 5xx response without a body of its own becomes a page of the site, in the
//! language of the address that was asked for, with the way back home and to the main sections.

use std::sync::Arc;

use askama::Template;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use percent_encoding::percent_decode_str;

use crate::{
    app::AppState,
    db,
    error::{ErrorMessage, ScriptAnswer},
    lang::Lang,
    public::layout::{Layout, PageMeta},
    render_cache::{self, CachedResponse, Effort},
};

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorTemplate {
    pub layout: Layout,
    pub title: &'static str,
    pub message: &'static str,
    /// Shown on server errors, so that a visitor can quote it and an operator find the log line.
    pub request_id: Option<String>,
    /// Offer a search where a page was not found.
    pub search: bool,
}

/// What is sent if the error page itself cannot be rendered.
const FALLBACK_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">\
     <title>SKL International</title></head><body><main><h1>SKL International</h1>\
     <p><a href=\"/\">Startsida</a></p></main></body></html>\n";

/// Middleware: dresses bare error responses as pages.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let lang = Lang::of_path(request.uri().path());
    let keep = NotFound::of(&request, &state);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    // Handlers that answer errors with a page of their own (the admin forms) set an HTML content type.
    // Bodies without one, and the plain-text rejections of axum's extractors (English, technical), are
    // replaced by a page of the site.
    let own_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| !value.as_bytes().starts_with(b"text/plain"))
        || response.extensions().get::<ScriptAnswer>().is_some();
    if !(status.is_client_error() || status.is_server_error()) || own_page {
        return response;
    }
    let message = response
        .extensions()
        .get::<ErrorMessage>()
        .map(|message| message.0);
    if status == StatusCode::NOT_FOUND
        && message.is_none()
        && let Some(keep) = keep
    {
        return keep.answer(&state, lang).await;
    }
    let (mut parts, _) = response.into_parts();
    let html = render(
        &state,
        lang,
        status,
        message,
        request_id.filter(|_| status.is_server_error()),
    )
    .await;
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// A request that may be answered with the shared "not found" page and have that answer kept: a
/// GET or HEAD of a public address without a query string.
struct NotFound {
    key: String,
    /// The page path the address would have.
    path: String,
    generation: u64,
    head: bool,
    headers: HeaderMap,
}

impl NotFound {
    fn of(request: &Request, state: &AppState) -> Option<NotFound> {
        let uri = request.uri();
        let method = request.method();
        if !(method == Method::GET || method == Method::HEAD)
            || uri.query().is_some()
            || uri.path().starts_with("/admin")
        {
            return None;
        }
        let decoded = percent_decode_str(uri.path()).decode_utf8().ok()?;
        let path = decoded
            .strip_prefix("/en/")
            .or_else(|| decoded.strip_prefix('/'))
            .unwrap_or(&decoded)
            .to_owned();
        Some(NotFound {
            key: render_cache::key(uri).to_owned(),
            path,
            generation: state.cache.generation(),
            head: method == Method::HEAD,
            headers: request.headers().clone(),
        })
    }

    /// The "not found" page of `lang`, rendered once per change and kept for this address until a
    /// page (or a redirect) appears there.
    async fn answer(self, state: &AppState, lang: Lang) -> Response {
        let page = match state.cache.not_found_page(lang) {
            Some(page) => page,
            None => {
                let html = render(state, lang, StatusCode::NOT_FOUND, None, None).await;
                Arc::new(CachedResponse::with_effort(
                    StatusCode::NOT_FOUND,
                    "text/html; charset=utf-8",
                    "no-store",
                    html.into(),
                    // Once per language and change, and shared: worth a millisecond now.
                    Effort::Best,
                ))
            }
        };
        state.cache.insert_not_found(
            &self.key,
            lang,
            &self.path,
            Arc::clone(&page),
            self.generation,
        );
        page.respond(&self.headers, self.head)
    }
}

async fn render(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    message: Option<&'static str>,
    request_id: Option<String>,
) -> String {
    let t = lang.texts();
    let (title, default_message) = match status {
        StatusCode::NOT_FOUND => (t.error_not_found_title, t.error_not_found),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            (t.error_bad_request_title, t.invalid_address)
        }
        StatusCode::METHOD_NOT_ALLOWED => (t.error_method_title, t.error_method),
        StatusCode::URI_TOO_LONG => (t.error_too_long_title, t.error_too_long),
        StatusCode::PAYLOAD_TOO_LARGE => (t.error_too_large_title, t.error_too_large),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            (t.error_unavailable_title, t.error_unavailable)
        }
        status if status.is_server_error() => (t.error_internal_title, t.error_internal),
        _ => (t.error_generic_title, t.invalid_address),
    };
    let message = message.unwrap_or(default_message);
    let now = state.clock.now_db();
    // The menu makes the page useful, but an error page must not fail for want of one: when the
    // database is what failed, the page goes without it.
    let menu = db::pages::menu(&state.db, lang, &now)
        .await
        .unwrap_or_default();
    let meta = PageMeta {
        lang,
        title,
        description: message,
        url: None,
        translation_url: None,
        trail: &[],
        article: false,
    };
    let page = ErrorTemplate {
        layout: Layout::with_menu(state, meta, menu),
        title,
        message,
        request_id,
        search: status == StatusCode::NOT_FOUND,
    };
    page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "cannot render the error page");
        // Templates are compiled in, so this cannot happen short of a bug; a fixed page beats no page.
        FALLBACK_PAGE.to_owned()
    })
}
