//! Files from `static/`, compiled into the binary and served at fingerprinted URLs.
//!
//! `site.css` is served as `/static/site.{hash}.css`, where the hash is taken from its content, so the
//! file can be cached for a year: a changed file gets a new URL.

use std::{collections::HashMap, sync::Arc};

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::render_cache::{CachedResponse, IMMUTABLE};

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct StaticFiles;

/// The embedded static files, by fingerprinted URL.
#[derive(Debug)]
pub struct Assets {
    /// Original name (`site.css`) to URL (`/static/site.1a2b3c4d5e.css`).
    urls: HashMap<String, String>,
    /// URL to the prepared response.
    responses: HashMap<String, Arc<CachedResponse>>,
}

impl Assets {
    /// Fingerprints and compresses every embedded file.
    pub fn load() -> Assets {
        let mut urls = HashMap::new();
        let mut responses = HashMap::new();
        for name in StaticFiles::iter() {
            let Some(file) = StaticFiles::get(&name) else {
                continue;
            };
            let digest = Sha256::digest(&file.data);
            let hash: String = digest
                .iter()
                .take(5)
                .map(|byte| format!("{byte:02x}"))
                .collect();
            let url = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("/static/{stem}.{hash}.{ext}"),
                None => format!("/static/{name}.{hash}"),
            };
            let body = Bytes::from(file.data.into_owned());
            let response = CachedResponse::new(
                axum::http::StatusCode::OK,
                content_type(&name),
                IMMUTABLE,
                body,
            );
            urls.insert(name.to_string(), url.clone());
            responses.insert(url, Arc::new(response));
        }
        Assets { urls, responses }
    }

    /// The fingerprinted URL of `name`; names are fixed in templates, so a missing one is a bug caught by
    /// the tests, and yields a URL that answers 404 rather than a crash.
    pub fn url(&self, name: &str) -> &str {
        self.urls
            .get(name)
            .map_or("/static/missing", String::as_str)
    }

    /// Every file, as its fingerprinted URL and its response.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<CachedResponse>)> {
        self.responses
            .iter()
            .map(|(url, response)| (url.as_str(), response))
    }

    /// The response for a fingerprinted URL.
    pub fn get(&self, url: &str) -> Option<&Arc<CachedResponse>> {
        self.responses.get(url)
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "application/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
