//! The editor's desk: what the edit screen's script asks the server while an editor writes. The
//! link picker's search of the site's pages by title or address, and text pasted from Word or a
//! web page turned into Markdown ([`crate::content::pasted`]). The screen works without either:
//! they only spare the editor from knowing addresses and Markdown.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    csrf::Submission,
    pages::preview::{fragment, scripted},
    session::Editor,
    view,
};
use crate::{
    app::AppState,
    content::pasted,
    db::{self, pages::ListFilter},
    error::AppError,
    lang::Lang,
};

/// The most pages one search of the link picker lists.
pub const MAX_FOUND: i64 = 8;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FindQuery {
    q: String,
}

/// A page the picker offers to link to.
#[derive(Debug)]
struct Found {
    title: String,
    /// The address a link to it has: `/om-oss`, `/en/about`.
    href: String,
    /// "Publicerad", "Utkast", "Schemalagd 3 mars 2027 kl. 09.00".
    status: String,
    /// The page is in English (the picker says so, since most links stay within a language).
    english: bool,
}

#[derive(Template)]
#[template(path = "admin/link_choices.html")]
struct LinkChoices {
    text: String,
    found: Vec<Found>,
}

/// `GET /admin/pages/find?q=…`: the pages whose title or address holds `q`, the last changed
/// first, as the list the link picker shows. A session is needed (401 without, as for the other
/// requests of the script).
pub async fn find(
    State(state): State<AppState>,
    editor: Option<Editor>,
    Query(query): Query<FindQuery>,
) -> Result<Response, AppError> {
    scripted(editor)?;
    let text = view::filter_text(&query.q);
    let found = if text.is_empty() {
        Vec::new()
    } else {
        let now = state.clock.now_db();
        let filter = ListFilter {
            text: Some(&text),
            ..ListFilter::default()
        };
        db::pages::listed_page(&state.db, filter, &now, MAX_FOUND, 0)
            .await?
            .into_iter()
            .map(|page| Found {
                href: page.lang.page_url(&page.path),
                status: crate::admin::pages::tree::status_label(
                    page.status,
                    page.publish_at.as_deref(),
                    &now,
                ),
                english: page.lang == Lang::En,
                title: page.title,
            })
            .collect()
    };
    Ok(fragment(LinkChoices { text, found }.render()?))
}

/// What the script sends when an editor pastes HTML into the text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasteForm {
    csrf: String,
    html: String,
}

crate::admin::csrf::csrf_form!(PasteForm);

/// The body limit of a paste: the HTML url-encoded (each `<` three bytes), with room for the token.
pub const PASTE_BODY_LIMIT: usize = 3 * pasted::MAX_HTML_BYTES + 4096;

/// `POST /admin/pages/paste`: the clipboard's HTML as Markdown, as plain text for the script to put
/// where the cursor is. More than [`pasted::MAX_HTML_BYTES`] gets 413, and the script pastes the
/// clipboard's plain text instead.
pub async fn paste(
    editor: Option<Editor>,
    submission: Submission<PasteForm>,
) -> Result<Response, AppError> {
    scripted(editor)?;
    let form = submission.verified_or_forbidden()?;
    if form.html.len() > pasted::MAX_HTML_BYTES {
        return Ok(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    }
    // The conversion is plain CPU work, bounded by the limit above; off the async threads.
    let markdown = tokio::task::spawn_blocking(move || pasted::markdown(&form.html))
        .await
        .map_err(|error| AppError::Internal(error.into()))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        markdown,
    )
        .into_response())
}
