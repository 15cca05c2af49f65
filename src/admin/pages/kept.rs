//! A page's form given back as it was sent, built without the database: after the session ended
//! while the editor wrote (with fields to log in again, and the save goes on), when the database
//! would not take the save, and when it could not be reached at all. Nothing typed is lost.

use axum::{
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::{
    EditPage,
    form::{Choices, PageForm},
    form_again, save_existing, save_new,
};
use crate::{
    admin::{
        csrf::{self, Submission},
        login,
        session::{self, Editor, LoginToken},
        view::{self, AdminLayout, FieldErrors, Section},
    },
    app::AppState,
    db::pages::Page,
    error::AppError,
    ids::PageId,
};

/// The edit form of `page_id` (or of a new page) holding `form`, with nothing from the database.
fn as_sent(
    state: &AppState,
    heading: &str,
    form: PageForm,
    page_id: Option<PageId>,
    csrf: String,
) -> EditPage {
    let action = match page_id {
        Some(id) => format!("/admin/pages/{id}"),
        None => "/admin/pages/new".to_owned(),
    };
    EditPage {
        layout: AdminLayout::new(state, heading, None, Section::None),
        heading: heading.to_owned(),
        errors: FieldErrors::default(),
        form,
        action,
        page: None,
        choices: Choices::default(),
        conflict: None,
        signed_out: false,
        database_away: false,
        csrf,
        media: Vec::new(),
        writing: None,
        confirm_publish: false,
        now: state.clock.now(),
    }
}

const NOT_SAVED: &str = "Sidan kunde inte sparas: databasen tar inte emot ändringar just nu (den \
     kan vara full eller skrivskyddad). Inget ändrades, och din text finns kvar nedan. Försök igen om \
     en stund, och kopiera gärna texten under tiden. Säg till den som sköter servern om det inte går \
     över.";

/// A save the database would not take (a full disk, a read-only file, a lock held too long): the
/// form comes back with 503 and everything typed. The save was one transaction, so nothing of it
/// was written.
pub(super) async fn not_saved(
    state: &AppState,
    editor: &Editor,
    form: PageForm,
    page: Option<Page>,
    error: &sqlx::Error,
) -> Result<Response, AppError> {
    tracing::error!(%error, "the database did not take a save; the editor has the form back");
    let errors = FieldErrors::one("body", NOT_SAVED);
    let mut response = form_again(
        state,
        editor,
        form,
        page,
        StatusCode::SERVICE_UNAVAILABLE,
        errors,
    )
    .await?;
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("30"),
    );
    Ok(response)
}

/// A save that came while the database could not be reached even to find the editor's session: the
/// form comes back with 503, built from what was sent alone, with the token it came with, so that
/// sending it again once the database is back saves it. Any other failure is answered as usual.
pub(super) fn database_away(
    state: &AppState,
    error: AppError,
    submission: Submission<PageForm>,
    page_id: Option<PageId>,
) -> Result<Response, AppError> {
    if error.status() != StatusCode::SERVICE_UNAVAILABLE {
        return Err(error);
    }
    let Some(form) = submission.sent_while_database_away() else {
        return Err(error);
    };
    tracing::error!(%error, "the database was away for a save; the editor has the form back");
    let csrf = csrf::CsrfForm::csrf_token(&form).to_owned();
    let mut template = as_sent(state, "Sidan kunde inte sparas", form, page_id, csrf);
    template.errors = FieldErrors::one("body", NOT_SAVED);
    template.database_away = true;
    let mut response = view::html(StatusCode::SERVICE_UNAVAILABLE, &template)?;
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("30"),
    );
    Ok(response)
}

const SIGNED_OUT: &str = "Du är inte inloggad längre, så inget sparades ännu. Din text finns kvar \
     nedan. Logga in igen här, så sparas den direkt.";

/// A save that arrived without a session (it ended while the editor wrote). The first time, the form
/// comes back whole with fields to log in again; sent with them, the editor is logged in and the
/// save goes on as if nothing had happened. Nothing typed is lost either way.
pub(super) async fn resume(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
    submission: Submission<PageForm>,
    page_id: Option<PageId>,
) -> Result<Response, AppError> {
    let (mut form, refusal) = match submission.verified() {
        Ok(form) => (form, None),
        Err(refused) => (refused.form, Some(refused.reason)),
    };
    let password = std::mem::take(&mut form.relogin_password);
    let code = std::mem::take(&mut form.relogin_code);
    let username = form.relogin_username.trim().to_owned();
    // A stale form carries the ended session's token; that is the usual way here. A form from
    // another site is refused; any other refusal, or no login typed, asks for a login.
    if let Some(reason) = refusal.filter(|reason| *reason == csrf::CROSS_SITE) {
        return signed_out(state, headers, form, page_id, reason, StatusCode::FORBIDDEN);
    }
    if refusal.is_some() || username.is_empty() {
        return signed_out(
            state,
            headers,
            form,
            page_id,
            SIGNED_OUT,
            StatusCode::UNAUTHORIZED,
        );
    }
    let at_once = login::authenticate_at_once(state, headers, &username, password, &code, ip);
    let login = match at_once.await? {
        Ok(login) => login,
        Err(refusal) => {
            let message = refusal.swedish();
            let status = login::refusal_status(refusal);
            let mut response = signed_out(state, headers, form, page_id, &message, status)?;
            login::add_retry_after(refusal, &mut response);
            return Ok(response);
        }
    };
    let editor = session::editor(state, &login.id_hash, ip)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a session just opened is gone")))?;
    let mut response = match page_id {
        Some(id) => save_existing(state, &editor, id, form).await?,
        None => save_new(state, &editor, form).await?,
    };
    login.set_cookies(state, &mut response);
    Ok(response)
}

/// The form back without a session, with the editor's text, fields to log in again, and why.
fn signed_out(
    state: &AppState,
    headers: &HeaderMap,
    mut form: PageForm,
    page_id: Option<PageId>,
    message: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let login = LoginToken::of(state, headers);
    form.relogin_password.clear();
    form.relogin_code.clear();
    let csrf = login.value().to_owned();
    let mut template = as_sent(state, "Logga in igen för att spara", form, page_id, csrf);
    template.layout = AdminLayout::new(state, "Logga in igen", None, Section::None);
    template.errors = FieldErrors::one("relogin_username", message);
    template.signed_out = true;
    login.answer(view::html(status, &template)?)
}
