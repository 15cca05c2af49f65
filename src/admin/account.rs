//! An editor's own account: changing one's password, and whether one logs in with two factors
//! (turning that on and off is [`super::two_factor`]'s).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    csrf::Submission,
    session::Editor,
    view::{self, AdminLayout, DoneQuery, FieldErrors, Section, done_at},
};
use crate::{accounts, app::AppState, auth, db, error::AppError, vocab::Done};

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    layout: AdminLayout,
    errors: FieldErrors,
    username: String,
    csrf: String,
    two_factor: accounts::two_factor::Status,
    /// Whether the site requires this editor to keep two-factor login on.
    required: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    password: String,
    password2: String,
}

crate::admin::csrf::csrf_form!(PasswordForm);

/// The account screen, with `errors` in one of its forms.
pub async fn page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    errors: FieldErrors,
    done: Option<Done>,
) -> Result<Response, AppError> {
    let page = AccountPage {
        layout: AdminLayout::new(state, "Mitt konto", Some(editor), Section::Account)
            .with_notice(done),
        errors,
        username: editor.session.username.clone(),
        csrf: editor.csrf().to_owned(),
        two_factor: accounts::two_factor::status(&state.db, editor.id()).await?,
        required: state.site.two_factor_for_admins && editor.is_admin(),
    };
    view::html(status, &page)
}

/// `GET /admin/account`
pub async fn show(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    page(
        &state,
        &editor,
        StatusCode::OK,
        FieldErrors::default(),
        query.done(),
    )
    .await
}

/// What a form that asks for the current password says when it is not.
pub const WRONG_PASSWORD: &str = "Det nuvarande lösenordet stämmer inte. Försök igen.";

/// Whether `password` is the editor's current one.
pub async fn is_current_password(
    state: &AppState,
    editor: &Editor,
    password: String,
) -> Result<bool, AppError> {
    let user = db::users::find(&state.db, editor.id())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(auth::verify_password(password, Some(user.password_hash)).await)
}

/// `POST /admin/account`: a new password, after the current one. The account's other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<PasswordForm>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            let errors = FieldErrors::one("current", refused.reason);
            return page(&state, &editor, StatusCode::FORBIDDEN, errors, None).await;
        }
    };
    let mut errors = FieldErrors::default();
    if !is_current_password(&state, &editor, form.current).await? {
        errors.add("current", WRONG_PASSWORD);
    }
    let username = &editor.session.username;
    if let Err(problem) = accounts::check_new_password(&form.password, &form.password2, username) {
        errors.add(problem.field(), problem.swedish());
    }
    if !errors.is_empty() {
        return page(&state, &editor, StatusCode::BAD_REQUEST, errors, None).await;
    }
    accounts::set_password(
        &state.db,
        &state.clock,
        &editor.actor(),
        editor.id(),
        form.password,
        Some(&editor.session.id_hash),
    )
    .await?;
    Ok(done_at("/admin/account", Done::OwnPasswordChanged))
}
