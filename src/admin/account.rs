//! An editor's own account: changing one's password.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    csrf::{CsrfForm, Submission},
    session::Editor,
    users::check_new_password,
    view::{self, AdminLayout, DoneQuery, FieldErrors, Section},
};
use crate::{app::AppState, auth, db, error::AppError};

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    layout: AdminLayout,
    errors: FieldErrors,
    username: String,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

impl CsrfForm for PasswordForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

fn page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    errors: FieldErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let page = AccountPage {
        layout: AdminLayout::new(state, "Mitt konto", Some(editor), Section::Account)
            .with_notice(done),
        errors,
        username: editor.session.username.clone(),
        csrf: editor.csrf().to_owned(),
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
        query.klart.as_deref(),
    )
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
            return page(&state, &editor, StatusCode::FORBIDDEN, errors, None);
        }
    };
    let user = db::users::find(&state.db, editor.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::default();
    if !auth::verify_password(form.current, Some(user.password_hash)).await {
        errors.add(
            "current",
            "Det nuvarande lösenordet stämmer inte. Försök igen.",
        );
    }
    check_new_password(&mut errors, &user.username, &form.password, &form.password2);
    if !errors.is_empty() {
        return page(&state, &editor, StatusCode::BAD_REQUEST, errors, None);
    }
    let hash = auth::hash_password(form.password)
        .await
        .map_err(|error| AppError::Internal(error.to_string()))?;
    db::users::set_password(&state.db, user.id, &hash).await?;
    db::sessions::delete_others(&state.db, user.id, &editor.session.id_hash).await?;
    editor
        .audit(
            &state,
            "user_password",
            "user",
            Some(user.id),
            &user.username,
        )
        .await?;
    Ok(Redirect::to("/admin/account?klart=losenord").into_response())
}
