//! Uploads to the media library, read as they stream in: a file past the site's limit is answered
//! with 413 and the form as it was typed, without the rest of the body being kept anywhere.

use axum::{
    extract::{Multipart, Request},
    http::Method,
};

use crate::{
    db::media::Texts,
    lang::Lang,
    media::{self, library::Upload},
};

/// The longest alternative text taken, in characters.
const MAX_ALT_CHARS: usize = 1000;

/// The most bytes a text field of an upload may have.
const MAX_FIELD_BYTES: usize = 8 * 1024;

/// The most parts an upload may have: its texts and up to 20 files.
const MAX_PARTS: usize = 25;

/// How much of an upload past its limit is read and thrown away before the answer, so that the
/// browser, still sending, reads the answer instead of a reset connection.
const MAX_DRAIN: u64 = 64 * 1024 * 1024;

/// Whether `request` is an upload to the library, whose body its handler bounds (see
/// `app::limit_requests`).
pub fn is_upload(request: &Request) -> bool {
    if request.method() != Method::POST {
        return false;
    }
    let path = request.uri().path();
    path == "/admin/media"
        || path == "/admin/media/insert"
        || path
            .strip_prefix("/admin/media/")
            .and_then(|rest| rest.strip_suffix("/replace"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// An upload form as it came in.
#[derive(Debug, Default)]
pub(super) struct UploadForm {
    pub(super) csrf: String,
    pub(super) texts: Texts,
    pub(super) files: Vec<Upload>,
    /// A caption for the text, from the edit screen's insert panel (the library keeps none).
    pub(super) caption: String,
    /// The token of files kept from the form's last sending (see [`crate::media::pending`]).
    pub(super) pending: String,
}

/// How reading an upload ended.
pub(super) enum Read {
    Whole(UploadForm),
    /// The files held more than the limit; the texts before them were kept.
    TooLarge(UploadForm),
    Unreadable,
}

/// Reads an upload as it streams in, keeping at most `limit` bytes of files. Past the limit, the
/// rest of the files is read and thrown away (up to [`MAX_DRAIN`] bytes, so that the browser, still
/// sending, reads the answer instead of a reset connection), while the texts after them are still
/// kept: the file field comes first in the form.
pub(super) async fn read_upload(mut multipart: Multipart, limit: u64) -> Read {
    let mut form = UploadForm::default();
    let mut total: u64 = 0;
    let mut too_large = false;
    for _ in 0..MAX_PARTS {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) if too_large => return Read::TooLarge(form),
            Ok(None) => return Read::Whole(form),
            Err(_) if too_large => return Read::TooLarge(form),
            Err(_) => return Read::Unreadable,
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        total += chunk.len() as u64;
                        if total > limit.saturating_add(MAX_DRAIN) {
                            return Read::TooLarge(form);
                        }
                        if total > limit {
                            too_large = true;
                            bytes = Vec::new();
                        } else {
                            bytes.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(_) if too_large => return Read::TooLarge(form),
                    Err(_) => return Read::Unreadable,
                }
            }
            // A file input left empty sends a part without a name or bytes.
            let empty = file_name.is_empty() && bytes.is_empty();
            if !(too_large || empty) {
                form.files.push(Upload {
                    name: file_name,
                    bytes,
                });
            }
            continue;
        }
        let mut value = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if value.len() + chunk.len() <= MAX_FIELD_BYTES => {
                    value.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Ok(Some(_)) | Err(_) if too_large => return Read::TooLarge(form),
                Ok(Some(_)) | Err(_) => return Read::Unreadable,
            }
        }
        let Ok(value) = String::from_utf8(value) else {
            return Read::Unreadable;
        };
        match name.as_str() {
            "csrf" => form.csrf = value,
            "alt_sv" => form.texts.alt_sv = clean_text(&value),
            "alt_en" => form.texts.alt_en = clean_text(&value),
            "decorative" => form.texts.decorative = true,
            "caption" => form.caption = value,
            "pending" => form.pending = value,
            _ => {}
        }
    }
    if too_large {
        Read::TooLarge(form)
    } else {
        Read::Unreadable
    }
}

/// An alternative text as stored: one line, without control characters, at most
/// [`MAX_ALT_CHARS`] long.
pub(super) fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ALT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A limit as people read it: "10 MiB".
pub(super) fn limit_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        media::human_size(bytes, Lang::Sv)
    }
}
