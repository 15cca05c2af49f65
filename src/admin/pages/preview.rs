//! Previews: the edit form's unsaved contents, or a stored page, rendered exactly as the public page
//! and marked as a preview. Never cached, never public.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::form::PageForm;
use crate::{
    admin::{csrf::Submission, session::Editor, writing},
    app::AppState,
    change,
    db::{
        self,
        pages::{Content, Page},
    },
    error::AppError,
    ids::PageId,
    lang::Lang,
    public,
    time::{self, DatePrecision, Moment},
    vocab::Status,
};

/// `body` as a save would render it, with the files of the library it shows.
async fn rendered(state: &AppState, lang: Lang, body: &str) -> Result<String, AppError> {
    let mut conn = state.db.acquire().await?;
    Ok(change::render(&mut conn, lang, body).await?.into_html())
}

/// The editor behind a request of the edit screen's script: without a session 401 rather than a
/// redirect (the script fetches it, and a redirect would hand it the login page to show).
pub fn scripted(editor: Option<Editor>) -> Result<Editor, AppError> {
    editor.ok_or(AppError::Unauthorized(
        "Du är inte inloggad längre. Spara sidan, så kan du logga in igen utan att förlora texten.",
    ))
}

/// The edit form as the editor's script sends it to ask for a preview or writing help: 401 without
/// a session ([`scripted`]), 403 for a forged one.
pub fn scripted_form(
    editor: Option<Editor>,
    submission: Submission<PageForm>,
) -> Result<PageForm, AppError> {
    scripted(editor)?;
    submission.verified_or_forbidden()
}

/// A piece of HTML for the editor's script to put into the form.
pub fn fragment(html: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// `POST /admin/pages/body-preview`: only the body of the form, rendered and sanitised as it would be
/// saved, for the live preview beside the text field (`static/admin.js`).
pub async fn body_preview(
    State(state): State<AppState>,
    editor: Option<Editor>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let form = scripted_form(editor, submission)?;
    Ok(fragment(rendered(&state, form.lang(), &form.body).await?))
}

/// `POST /admin/pages/preview`: the form's contents rendered as the public page, never stored.
pub async fn preview_form(
    State(state): State<AppState>,
    _editor: Editor,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let form = submission.verified_or_forbidden()?;
    let existing = match PageForm::id_field(&form.page_id) {
        Some(id) => db::pages::find(&state.db, id).await?,
        None => None,
    };
    let now = state.clock.now_db();
    let lang = existing.as_ref().map_or(form.lang(), |page| page.lang);
    let translation_key = match PageForm::id_field(&form.translation) {
        Some(id) => db::pages::find(&state.db, id)
            .await?
            .and_then(|other| other.content.translation_key),
        None => None,
    };
    let title = match form.title.trim() {
        "" => "(Rubrik saknas)".to_owned(),
        title => title.to_owned(),
    };
    let publish_at = time::parse_form_fields(&form.publish_date, &form.publish_time)
        .ok()
        .map(time::to_db);
    let page = Page {
        id: existing.as_ref().map_or(PageId(0), |page| page.id),
        lang,
        content: Content {
            path: existing.as_ref().map_or_else(
                || form.path.trim().to_owned(),
                |page| page.content.path.clone(),
            ),
            title,
            description: form.description.trim().to_owned(),
            body_md: form.body.clone(),
            kind: form.kind(),
            status: Status::Draft,
            publish_at: publish_at.or_else(|| Some(now.to_string())),
            date_precision: DatePrecision::Day,
            menu_order: None,
            translation_key,
            archived: form.archived.is_some(),
        },
        body_html: rendered(&state, lang, &form.body).await?,
        parent_id: PageForm::id_field(&form.parent),
        version: 0,
        created_at: now.to_string(),
        updated_at: now.to_string(),
        deleted_at: None,
    };
    preview_response(&state, page, &now).await
}

/// `GET /admin/pages/{id}/preview`: the stored page as it will look, published or not.
pub async fn preview_saved(
    State(state): State<AppState>,
    _editor: Editor,
    Path(id): Path<PageId>,
) -> Result<Response, AppError> {
    let page = crate::admin::pages::stored_page(&state, id).await?;
    let now = state.clock.now_db();
    preview_response(&state, page, &now).await
}

async fn preview_response(
    state: &AppState,
    page: Page,
    now: &Moment,
) -> Result<Response, AppError> {
    let assessment =
        writing::assess(state, page.lang, &page.content.path, &page.content.body_md).await?;
    let note = writing::WritingPanel::of(&assessment).preview_note();
    let html = public::pages::render(state, page, now, Some(note))
        .await?
        .html;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        html,
    )
        .into_response())
}
