//! Accounts, for administrators: the list, new accounts, and disabling and enabling them.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    csrf::{Button, CsrfForm, Submission},
    session::Editor,
    view::{self, AdminLayout, DoneQuery, FieldErrors, Section},
};
use crate::{
    app::AppState,
    auth,
    db::{self, users::Role},
    error::AppError,
    time,
};

/// The longest username accepted.
const MAX_USERNAME: usize = 64;

/// An account that passed the checks, ready to be created.
#[derive(Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

impl NewAccount {
    /// Checks what someone typed to create an account, saying what to fix in each field.
    pub fn check(
        username: &str,
        display_name: &str,
        password: &str,
        password2: &str,
    ) -> Result<NewAccount, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = username.trim();
        if let Err(problem) = check_username(username) {
            errors.add("username", problem);
        }
        let display_name = display_name.trim();
        if display_name.is_empty() {
            errors.add(
                "display_name",
                "Skriv det namn som ska visas, till exempel förnamn och efternamn.",
            );
        } else if display_name.chars().count() > 100 {
            errors.add("display_name", "Namnet får vara högst 100 tecken.");
        }
        check_new_password(&mut errors, username, password, password2);
        if errors.is_empty() {
            Ok(NewAccount {
                username: username.to_owned(),
                display_name: display_name.to_owned(),
                password: password.to_owned(),
            })
        } else {
            Err(errors)
        }
    }
}

/// Checks a new password typed twice: the policy, then that both fields agree. Problems go to the
/// `password` and `password2` fields.
pub fn check_new_password(
    errors: &mut FieldErrors,
    username: &str,
    password: &str,
    password2: &str,
) {
    if let Err(problem) = auth::check_password_policy(password, username) {
        errors.add("password", problem.swedish());
    } else if password != password2 {
        errors.add(
            "password2",
            "Lösenorden är inte lika. Skriv samma lösenord i båda fälten.",
        );
    }
}

/// Usernames: 2–64 of a–z, 0–9, `.`, `-` and `_`, so they are easy to type and to read in the log.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    let valid = (2..=MAX_USERNAME).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if valid {
        Ok(())
    } else {
        Err(
            "Användarnamnet ska vara 2–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller understreck, till exempel anna.berg.",
        )
    }
}

/// An account as the list shows it.
#[derive(Debug)]
struct Row {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    disabled: bool,
    last_login: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: AdminLayout,
    rows: Vec<Row>,
    errors: FieldErrors,
    form: UserForm,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

impl CsrfForm for UserForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

async fn page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    mut form: UserForm,
    errors: FieldErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let rows = db::users::all(&state.db)
        .await?
        .into_iter()
        .map(|user| Row {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role.label(),
            disabled: user.disabled,
            last_login: user
                .last_login_at
                .as_deref()
                .and_then(time::from_db)
                .map(time::admin_datetime)
                .unwrap_or_else(|| "aldrig".to_owned()),
        })
        .collect();
    form.password.clear();
    form.password2.clear();
    let page = UsersPage {
        layout: AdminLayout::new(state, "Användare", Some(editor), Section::Users)
            .with_notice(done),
        rows,
        errors,
        form,
        csrf: editor.csrf().to_owned(),
    };
    view::html(status, &page)
}

/// `GET /admin/users`
pub async fn list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    page(
        &state,
        &editor,
        StatusCode::OK,
        UserForm::default(),
        FieldErrors::default(),
        query.klart.as_deref(),
    )
    .await
}

/// `POST /admin/users`: a new account.
pub async fn create(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<UserForm>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            let errors = FieldErrors::one("username", refused.reason);
            return page(
                &state,
                &editor,
                StatusCode::FORBIDDEN,
                refused.form,
                errors,
                None,
            )
            .await;
        }
    };
    let role = Role::parse(&form.role);
    let checked = NewAccount::check(
        &form.username,
        &form.display_name,
        &form.password,
        &form.password2,
    );
    let account = match (checked, role) {
        (Ok(account), Some(role)) => (account, role),
        (checked, role) => {
            let mut errors = checked.err().unwrap_or_default();
            if role.is_none() {
                errors.add("role", "Välj en roll: redaktör eller administratör.");
            }
            return page(&state, &editor, StatusCode::BAD_REQUEST, form, errors, None).await;
        }
    };
    let (account, role) = account;
    let hash = auth::hash_password(account.password.clone())
        .await
        .map_err(|error| AppError::Internal(error.to_string()))?;
    let created = db::users::insert(
        &state.db,
        &account.username,
        &account.display_name,
        &hash,
        role,
        &state.clock.now_db(),
    )
    .await?;
    let Some(id) = created else {
        let errors = FieldErrors::one(
            "username",
            "Det finns redan ett konto med det användarnamnet. Välj ett annat.",
        );
        return page(&state, &editor, StatusCode::CONFLICT, form, errors, None).await;
    };
    editor
        .audit(
            &state,
            "user_create",
            "user",
            Some(id),
            &format!("{} ({})", account.username, role.as_str()),
        )
        .await?;
    Ok(Redirect::to("/admin/users?klart=anvandare").into_response())
}

/// `POST /admin/users/{id}/disable`
pub async fn disable(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    set_disabled(&state, &editor, id, submission, true).await
}

/// `POST /admin/users/{id}/enable`
pub async fn enable(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    set_disabled(&state, &editor, id, submission, false).await
}

async fn set_disabled(
    state: &AppState,
    editor: &Editor,
    id: i64,
    submission: Submission<Button>,
    disable: bool,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    submission.verified_or_forbidden()?;
    let user = db::users::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if disable && user.id == editor.id() {
        return Err(AppError::Forbidden(
            "Du kan inte stänga av ditt eget konto. Be en annan administratör.",
        ));
    }
    if disable && user.role == Role::Admin && db::users::count_active_admins(&state.db).await? <= 1
    {
        return Err(AppError::Forbidden(
            "Det här är den enda aktiva administratören och kan inte stängas av.",
        ));
    }
    db::users::set_disabled(&state.db, id, disable).await?;
    if disable {
        db::sessions::delete_for_user(&state.db, id).await?;
    }
    let action = if disable {
        "user_disable"
    } else {
        "user_enable"
    };
    editor
        .audit(state, action, "user", Some(id), &user.username)
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?klart=anvandare")).into_response())
}

#[derive(Debug)]
struct UserView {
    id: i64,
    username: String,
    display_name: String,
    is_admin: bool,
    disabled: bool,
    last_login: String,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: AdminLayout,
    user: UserView,
    errors: FieldErrors,
    csrf: String,
}

async fn user_page(
    state: &AppState,
    editor: &Editor,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let user = db::users::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = UserPage {
        layout: AdminLayout::new(
            state,
            &format!("Konto: {}", user.username),
            Some(editor),
            Section::Users,
        )
        .with_notice(done),
        user: UserView {
            id: user.id,
            is_self: user.id == editor.id(),
            username: user.username,
            display_name: user.display_name,
            is_admin: user.role == Role::Admin,
            disabled: user.disabled,
            last_login: user
                .last_login_at
                .as_deref()
                .and_then(time::from_db)
                .map(time::admin_datetime)
                .unwrap_or_else(|| "aldrig".to_owned()),
        },
        errors,
        csrf: editor.csrf().to_owned(),
    };
    view::html(status, &page)
}

/// `GET /admin/users/{id}`: one account, with its role, a new password, and disabling.
pub async fn show(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    user_page(
        &state,
        &editor,
        id,
        StatusCode::OK,
        FieldErrors::default(),
        query.klart.as_deref(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

impl CsrfForm for RoleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/users/{id}/role`
pub async fn set_role(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<RoleForm>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let mut errors = FieldErrors::default();
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            errors.add("role", refused.reason);
            return user_page(&state, &editor, id, StatusCode::FORBIDDEN, errors, None).await;
        }
    };
    let user = db::users::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(role) = Role::parse(&form.role) else {
        errors.add("role", "Välj en roll: redaktör eller administratör.");
        return user_page(&state, &editor, id, StatusCode::BAD_REQUEST, errors, None).await;
    };
    let last_admin = user.role == Role::Admin
        && !user.disabled
        && db::users::count_active_admins(&state.db).await? <= 1;
    if role != Role::Admin && last_admin {
        errors.add(
            "role",
            "Det här är den enda aktiva administratören. Gör någon annan till administratör först.",
        );
        return user_page(&state, &editor, id, StatusCode::CONFLICT, errors, None).await;
    }
    if role != user.role {
        db::users::set_role(&state.db, id, role).await?;
        let detail = format!(
            "{}: {} → {}",
            user.username,
            user.role.as_str(),
            role.as_str()
        );
        editor
            .audit(&state, "user_role", "user", Some(id), &detail)
            .await?;
    }
    Ok(Redirect::to(&format!("/admin/users/{id}?klart=anvandare")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
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

/// `POST /admin/users/{id}/password`: a new password for an account; its sessions end.
pub async fn set_password(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<PasswordForm>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let mut errors = FieldErrors::default();
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            errors.add("password", refused.reason);
            return user_page(&state, &editor, id, StatusCode::FORBIDDEN, errors, None).await;
        }
    };
    let user = db::users::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_new_password(&mut errors, &user.username, &form.password, &form.password2);
    if !errors.is_empty() {
        return user_page(&state, &editor, id, StatusCode::BAD_REQUEST, errors, None).await;
    }
    let hash = auth::hash_password(form.password)
        .await
        .map_err(|error| AppError::Internal(error.to_string()))?;
    db::users::set_password(&state.db, id, &hash).await?;
    if id == editor.id() {
        db::sessions::delete_others(&state.db, id, &editor.session.id_hash).await?;
    } else {
        db::sessions::delete_for_user(&state.db, id).await?;
    }
    editor
        .audit(&state, "user_password", "user", Some(id), &user.username)
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?klart=losenord-satt")).into_response())
}
