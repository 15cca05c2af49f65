//! What visitors see: pages, news, feeds, the sitemap, health checks and static files.
//!
//! Every public handler renders into a [`CachedResponse`] and hands it to [`PublicRequest::publish`],
//! which stores it in the render cache (when the address is canonical) and answers the request from it.
//! The next request for the same address never reaches the handler.

pub mod error_page;
pub mod feeds;
pub mod health;
pub mod layout;
pub mod media;
pub mod news;
pub mod pages;
pub mod search;
pub mod stale;

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, State},
    http::{HeaderMap, Method, StatusCode, Uri, request::Parts},
    response::{IntoResponse, Response},
};
use percent_encoding::percent_decode_str;

use crate::{
    app::AppState,
    error::AppError,
    lang::Lang,
    render_cache::{self, CachedResponse, Dep, Effort, REVALIDATE},
};

/// The longest request target (path and query) accepted, in bytes.
pub const MAX_URI_LEN: usize = 1024;

/// A GET or HEAD request for a public address, with its path already decoded and checked.
#[derive(Debug)]
pub struct PublicRequest {
    /// The language the address belongs to.
    pub lang: Lang,
    /// The decoded path, always valid UTF-8 and free of NUL.
    pub path: String,
    /// The raw query, if any.
    pub query: Option<String>,
    /// The address as received: the render cache's key.
    key: String,
    /// The render cache's generation when the request arrived, before any content was read.
    generation: u64,
    head: bool,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for PublicRequest {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let uri = &parts.uri;
        let key = render_cache::key(uri).to_owned();
        let lang = Lang::of_path(uri.path());
        if key.len() > MAX_URI_LEN {
            return Err(AppError::UriTooLong);
        }
        let invalid = || AppError::BadRequest(lang.texts().invalid_address);
        let path = percent_decode_str(uri.path())
            .decode_utf8()
            .map_err(|_| invalid())?
            .into_owned();
        if path.contains('\0') {
            return Err(invalid());
        }
        if let Some(query) = uri.query()
            && percent_decode_str(query).decode_utf8().is_err()
        {
            return Err(invalid());
        }
        Ok(PublicRequest {
            lang,
            path,
            query: uri.query().map(str::to_owned),
            key,
            generation: state.cache.generation(),
            head: parts.method == Method::HEAD,
            headers: parts.headers.clone(),
        })
    }
}

/// What a response shows, so that the change of any of that removes it (see
/// [`render_cache::Dep`]), and whether the render cache keeps it for the next request to its
/// address. A shared cache in front is told what it shows either way (see [`crate::cdn`]).
#[derive(Debug)]
pub struct Keep {
    kept: bool,
    shows: Vec<Dep>,
}

impl Keep {
    /// Showing `deps`, and kept if `cacheable`.
    pub fn when(cacheable: bool, deps: Vec<Dep>) -> Keep {
        Keep {
            kept: cacheable,
            shows: deps,
        }
    }
}

impl PublicRequest {
    /// Answers with `response`, and keeps it for the next request to this address as `keep` says.
    pub fn publish(&self, state: &AppState, response: CachedResponse, keep: Keep) -> Response {
        let mut response = response.revalidated_as(&state.site.public_cache_control);
        if state.cdn.is_some() {
            response = response.with_keys(crate::cdn::keys(&keep.shows));
        }
        let response = Arc::new(response);
        if keep.kept {
            state.cache.insert(
                &self.key,
                Arc::clone(&response),
                self.generation,
                keep.shows,
            );
            if !response.is_best() {
                state.cache.improve_later(&self.key, Arc::clone(&response));
            }
        }
        response.respond(&self.headers, self.head)
    }

    /// Renders an HTML page and publishes it. The request that rendered a page to keep gets a quick
    /// compression; the best follows for the next ones.
    pub fn publish_html(&self, state: &AppState, html: String, keep: Keep) -> Response {
        let effort = if keep.kept {
            Effort::Quick
        } else {
            Effort::Best
        };
        let response = CachedResponse::with_effort(
            StatusCode::OK,
            "text/html; charset=utf-8",
            REVALIDATE,
            html.into(),
            effort,
        );
        self.publish(state, response, keep)
    }
}

/// A number as addresses write it (`/nyheter/sida/2`, `/sitemaps/3.xml`): digits only, from 1 to
/// 100,000.
pub fn address_number(text: &str) -> Option<i64> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<i64>().ok())
        .flatten()
        .filter(|n| (1..=100_000).contains(n))
}

/// A fingerprinted static file.
pub async fn static_file(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    match state.assets.get(uri.path()) {
        Some(asset) => asset.respond(&headers, method == Method::HEAD),
        None => AppError::NotFound.into_response(),
    }
}

/// Any address no route claims.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::address_number;

    #[test]
    fn page_numbers_in_addresses_are_plain_digits() {
        assert_eq!(address_number("2"), Some(2));
        assert_eq!(address_number("100000"), Some(100_000));
        assert_eq!(address_number("+2"), None);
        assert_eq!(address_number("0"), None);
        assert_eq!(address_number("100001"), None);
        assert_eq!(address_number(""), None);
    }
}
