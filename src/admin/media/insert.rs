//! `POST /admin/media/insert`: a file uploaded from the edit screen's insert panel, answered
//! with the Markdown that puts it into the text (as plain text, for `static/editor.js`). The same
//! checks as the library's own upload screen: the type by content, an alternative text for an
//! image that is not decorative, the size limit, the form's token. A problem is answered with a
//! sentence saying what to do; the panel keeps the chosen file, so nothing is chosen again.

use axum::{
    extract::{Multipart, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    Read, read_upload, store_all,
    upload::{clean_text, limit_text},
};
use crate::{
    admin::{csrf, pages::preview::scripted, session::Editor},
    app::AppState,
    db,
    error::{AppError, ScriptAnswer},
    media::{self, library::Stored},
};

/// A sentence for the panel, with `status`, left as it is by the error pages.
fn sentence(status: StatusCode, text: impl Into<String>) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.into(),
    )
        .into_response();
    response.extensions_mut().insert(ScriptAnswer);
    response
}

/// `POST /admin/media/insert`
pub async fn insert(
    State(state): State<AppState>,
    editor: Option<Editor>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let editor = scripted(editor)?;
    let limit = state.site.max_upload;
    let form = match read_upload(multipart, limit).await {
        Read::Whole(form) => form,
        Read::TooLarge(_) => {
            return Ok(sentence(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Filen är för stor: en uppladdning får vara högst {}. Förminska den och försök igen.",
                    limit_text(limit)
                ),
            ));
        }
        Read::Unreadable => {
            return Ok(sentence(
                StatusCode::BAD_REQUEST,
                "Uppladdningen kunde inte läsas. Ladda om sidan och försök igen.",
            ));
        }
    };
    if let Some(reason) = csrf::refusal(&headers, &state, &editor, &form.csrf) {
        return Ok(sentence(StatusCode::FORBIDDEN, reason));
    }
    if form.files.len() > 1 {
        return Ok(sentence(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Välj en fil i taget här. Flera filer på en gång laddar du upp under Bilder och dokument.",
        ));
    }
    let texts = form.texts.clone();
    let stored = match store_all(&state, &editor, form.files, &texts).await? {
        Ok(stored) => stored,
        Err(problem) => {
            return Ok(sentence(
                StatusCode::UNPROCESSABLE_ENTITY,
                problem.swedish(),
            ));
        }
    };
    let Some(Stored::New(id) | Stored::Existing(id)) = stored.first().copied() else {
        return Ok(sentence(StatusCode::UNPROCESSABLE_ENTITY, "Välj en fil."));
    };
    let item = db::media::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let alt = if texts.decorative { "" } else { &texts.alt_sv };
    let caption = clean_text(&form.caption);
    let snippet = media::snippet(
        item.id,
        &item.file_name,
        item.media_type.is_image(),
        alt,
        &caption,
    );
    Ok(sentence(StatusCode::OK, snippet))
}
