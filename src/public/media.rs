//! Files of the media library as visitors get them: `/media/{id}/{name}` and the variants'
//! `/media/{id}/{width}/{name}`. An address never changes what it holds (a replaced file gets a new
//! id, and its old address leads there), so every answer may be kept for a year. Large files can be
//! fetched in parts (`Range`). The files asked for most are kept in memory ([`MediaCache`]), so a
//! popular image costs no database read.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use std::sync::Arc;

use bytes::Bytes;

use crate::{app::AppState, db, error::AppError, ids::MediaId, media, vocab::MediaType};

/// The most memory the files kept for the next request may take: 32 MiB.
pub const CACHE_BUDGET: u64 = 32 * 1024 * 1024;

/// Files larger than this are read from the database each time (a long PDF, an original photo).
const LARGEST_KEPT: usize = 2 * 1024 * 1024;

/// A file or variant as it is answered: its bytes and what the headers need.
#[derive(Debug)]
pub struct Served {
    sha256: String,
    media_type: MediaType,
    file_name: String,
    body: Bytes,
}

/// Which file or variant: the file's id, the variant's width (0 for the file itself) and format.
type Key = (MediaId, u32, MediaType);

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<Key, Arc<Served>> for ByBytes {
    fn weight(&self, _key: &Key, served: &Arc<Served>) -> u64 {
        served.body.len() as u64 + 128
    }
}

/// Files of the library answered lately, within [`CACHE_BUDGET`]. What an address holds never
/// changes, but a replaced or deleted file's address stops answering with it: every change to the
/// library empties this cache ([`MediaCache::clear`], through `AppState::content_changed`).
pub struct MediaCache(quick_cache::sync::Cache<Key, Arc<Served>, ByBytes>);

impl Default for MediaCache {
    fn default() -> Self {
        MediaCache(quick_cache::sync::Cache::with_weighter(
            1024,
            CACHE_BUDGET,
            ByBytes,
        ))
    }
}

impl std::fmt::Debug for MediaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaCache")
            .field("files", &self.0.len())
            .field("bytes", &self.0.weight())
            .finish()
    }
}

impl MediaCache {
    pub fn clear(&self) {
        self.0.clear();
    }

    fn get(&self, key: &Key) -> Option<Arc<Served>> {
        self.0.get(key)
    }

    /// Keeps `stored` (a current file's) unless it is too large, and returns it ready to serve.
    fn keep(&self, key: Key, stored: db::media::Stored) -> Arc<Served> {
        let served = Arc::new(Served {
            sha256: stored.sha256,
            media_type: stored.media_type,
            file_name: stored.file_name,
            body: Bytes::from(stored.body),
        });
        if served.body.len() <= LARGEST_KEPT {
            self.0.insert(key, Arc::clone(&served));
        }
        served
    }
}

/// How long browsers and shared caches may keep a file: it never changes at its address.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An uploaded document may be opened, never run: no script, no plugins, no forms, nothing from
/// elsewhere, never framed.
const DOCUMENT_POLICY: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// `GET /media/{id}/{name}`: a file as uploaded (cleaned).
pub async fn original(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let key = (id, 0, MediaType::Pdf);
    let served = match state.media.get(&key) {
        Some(served) => served,
        None => {
            let Some(stored) = db::media::original(&state.db, id).await? else {
                return Err(AppError::NotFound);
            };
            if let Some(newer) = stored.replaced_by {
                return moved(&state, newer, None).await;
            }
            state.media.keep(key, stored)
        }
    };
    if served.file_name != name {
        return Err(AppError::NotFound);
    }
    Ok(keyed(&state, id, respond(&served, "o", &headers)))
}

/// `GET /media/{id}/{width}/{name}`: a smaller copy of an image, or a copy in WebP.
pub async fn variant(
    State(state): State<AppState>,
    Path((id, width, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let width: u32 = crate::public::address_number(&width)
        .and_then(|width| u32::try_from(width).ok())
        .ok_or(AppError::NotFound)?;
    let (stem, extension) = name.rsplit_once('.').ok_or(AppError::NotFound)?;
    let format = MediaType::ALL
        .iter()
        .copied()
        .find(|format| format.is_image() && format.extension() == extension)
        .ok_or(AppError::NotFound)?;
    let key = (id, width, format);
    let served = match state.media.get(&key) {
        Some(served) => served,
        None => {
            let Some(stored) = db::media::variant(&state.db, id, width, format).await? else {
                // A replaced file has no variants left: lead on to the newer file's.
                if let Some(item) = db::media::find(&state.db, id).await?
                    && let Some(newer) = item.replaced_by
                {
                    return moved(&state, newer, Some((width, format))).await;
                }
                return Err(AppError::NotFound);
            };
            state.media.keep(key, stored)
        }
    };
    if media::stem(&served.file_name) != stem {
        return Err(AppError::NotFound);
    }
    let tag = format!("{width}{}", format.extension());
    Ok(keyed(&state, id, respond(&served, &tag, &headers)))
}

/// `response`, naming file `id` for a shared cache in front, so that replacing or deleting the file
/// purges it there (see [`crate::cdn`]).
fn keyed(state: &AppState, id: MediaId, mut response: Response) -> Response {
    if state.cdn.is_some() {
        response
            .headers_mut()
            .insert(crate::cdn::KEYS_HEADER, crate::cdn::media_keys(id));
    }
    response
}

/// An id as addresses write it: digits only.
fn parse_id(text: &str) -> Result<MediaId, AppError> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    text.parse().map_err(|_| AppError::NotFound)
}

/// The address of a replaced file leads to its newer file: the same variant if it has one, the
/// file itself otherwise.
async fn moved(
    state: &AppState,
    newer: MediaId,
    variant: Option<(u32, MediaType)>,
) -> Result<Response, AppError> {
    let Some(item) = db::media::find(&state.db, newer)
        .await?
        .filter(|item| item.replaced_by.is_none())
    else {
        return Err(AppError::NotFound);
    };
    let mut to = media::url(item.id, &item.file_name);
    if let Some((width, format)) = variant {
        let variants = db::media::variants(&state.db, item.id).await?;
        if variants
            .iter()
            .any(|info| info.width == width && info.format == format)
        {
            to = media::variant_url(item.id, width, &item.file_name, format);
        }
    }
    Ok(Redirect::permanent(&to).into_response())
}

/// Answers with a stored file: whole, in part (`Range`), or "not modified".
fn respond(stored: &Served, variant: &str, headers: &HeaderMap) -> Response {
    let etag = format!(
        "\"{}-{variant}\"",
        &stored.sha256[..stored.sha256.len().min(32)]
    );
    let length = stored.body.len() as u64;
    let mut response = if matches(headers.get(header::IF_NONE_MATCH), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match requested_range(headers, &etag, length) {
            Ask::Whole => (StatusCode::OK, Body::from(stored.body.clone())).into_response(),
            Ask::Part { start, end } => {
                let body = stored.body.slice(start as usize..=end as usize);
                let mut response = (StatusCode::PARTIAL_CONTENT, Body::from(body)).into_response();
                insert(
                    &mut response,
                    header::CONTENT_RANGE,
                    &format!("bytes {start}-{end}/{length}"),
                );
                response
            }
            Ask::Unsatisfiable => {
                let mut response = (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "The requested range is outside the file.",
                )
                    .into_response();
                insert(
                    &mut response,
                    header::CONTENT_RANGE,
                    &format!("bytes */{length}"),
                );
                return response;
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(stored.media_type.mime()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    // Cleaned names are ASCII letters, digits, dashes and one dot: safe inside the quotes.
    let disposition = if stored.media_type.is_image() {
        format!("inline; filename=\"{}\"", stored.file_name)
    } else {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCUMENT_POLICY),
        );
        format!("attachment; filename=\"{}\"", stored.file_name)
    };
    if let Ok(disposition) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}

fn insert(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// Whether an `If-None-Match` names `etag` (or anything, `*`).
fn matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    if_none_match
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag == etag)
        })
}

/// What part of a file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Whole,
    /// Bytes `start` to `end`, both included.
    Part {
        start: u64,
        end: u64,
    },
    Unsatisfiable,
}

/// The range a request asks for, of a file of `length` bytes with `etag`. One range is served; a
/// request for several, a malformed one or one for an older version (`If-Range`) gets the whole file,
/// as RFC 9110 allows.
fn requested_range(headers: &HeaderMap, etag: &str, length: u64) -> Ask {
    let Some(range) = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Ask::Whole;
    };
    if let Some(if_range) = headers.get(header::IF_RANGE)
        && if_range.as_bytes() != etag.as_bytes()
    {
        return Ask::Whole;
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Ask::Whole;
    };
    if spec.contains(',') {
        return Ask::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ask::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    if first.is_empty() {
        // The last `n` bytes.
        return match number(last) {
            None => Ask::Whole,
            Some(0) => Ask::Unsatisfiable,
            Some(_) if length == 0 => Ask::Unsatisfiable,
            Some(suffix) => Ask::Part {
                start: length.saturating_sub(suffix),
                end: length - 1,
            },
        };
    }
    let Some(start) = number(first) else {
        return Ask::Whole;
    };
    let end = if last.is_empty() {
        length.saturating_sub(1)
    } else {
        match number(last) {
            Some(last) if last >= start => last.min(length.saturating_sub(1)),
            _ => return Ask::Whole,
        }
    };
    if start >= length {
        return Ask::Unsatisfiable;
    }
    Ask::Part { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(range: &str, length: u64) -> Ask {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::RANGE,
            HeaderValue::from_str(range).unwrap_or(HeaderValue::from_static("")),
        );
        requested_range(&headers, "\"tag\"", length)
    }

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(ask("bytes=0-99", 1000), Ask::Part { start: 0, end: 99 });
        assert_eq!(
            ask("bytes=500-", 1000),
            Ask::Part {
                start: 500,
                end: 999
            }
        );
        assert_eq!(
            ask("bytes=-100", 1000),
            Ask::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(ask("bytes=-5000", 1000), Ask::Part { start: 0, end: 999 });
        assert_eq!(
            ask("bytes=900-5000", 1000),
            Ask::Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(ask("bytes=1000-", 1000), Ask::Unsatisfiable);
        assert_eq!(ask("bytes=-0", 1000), Ask::Unsatisfiable);
        assert_eq!(ask("bytes=5-2", 1000), Ask::Whole);
        assert_eq!(ask("bytes=0-1,5-6", 1000), Ask::Whole);
        assert_eq!(ask("items=0-1", 1000), Ask::Whole);
        assert_eq!(ask("bytes=x-1", 1000), Ask::Whole);
        assert_eq!(ask("bytes=-", 1000), Ask::Whole);
    }

    #[test]
    fn an_old_version_s_range_gets_the_whole_file() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"old\""));
        assert_eq!(requested_range(&headers, "\"tag\"", 100), Ask::Whole);
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"tag\""));
        assert_eq!(
            requested_range(&headers, "\"tag\"", 100),
            Ask::Part { start: 0, end: 9 }
        );
    }
}
