//! Accounts, for administrators: the list, new accounts, roles, passwords, disabling and enabling
//! them, and turning off the two-factor login of someone who lost their phone.

use askama::Template;
use axum::{
    extract::{FromRequest, FromRequestParts, Path, Query, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, de::DeserializeOwned};

use super::{
    csrf::{Button, CsrfForm, Submission},
    session::Editor,
    view::{self, AdminLayout, DoneQuery, FieldErrors, Section, done_at},
};
use crate::{
    accounts::{self, AccountError, NewAccount, two_factor::TwoFactorError},
    app::AppState,
    db,
    error::AppError,
    ids::UserId,
    lang::Label,
    time,
    vocab::{Done, Role},
};

/// An account as the list shows it.
#[derive(Debug)]
struct Row {
    id: UserId,
    username: String,
    display_name: String,
    role: &'static str,
    disabled: bool,
    last_login: String,
    two_factor: bool,
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
#[serde(default)]
pub struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    role: String,
    password: String,
    password2: String,
}

crate::admin::csrf::csrf_form!(UserForm);

async fn page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    mut form: UserForm,
    errors: FieldErrors,
    done: Option<Done>,
) -> Result<Response, AppError> {
    let with_two_factor = db::two_factor::accounts_with_it(&state.db).await?;
    let rows = db::users::all(&state.db)
        .await?
        .into_iter()
        .map(|user| Row {
            last_login: last_login(&user),
            two_factor: with_two_factor.contains(&user.id),
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role.swedish(),
            disabled: user.disabled,
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
        query.done(),
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
    let role = Role::from_id(&form.role);
    let checked = NewAccount::check(
        &form.username,
        &form.display_name,
        &form.password,
        &form.password2,
        role.unwrap_or(Role::Editor),
    );
    let account = match (checked, role) {
        (Ok(account), Some(_)) => account,
        (checked, role) => {
            let mut errors = FieldErrors::of_problems(&checked.err().unwrap_or_default());
            if role.is_none() {
                errors.add("role", CHOOSE_ROLE);
            }
            return page(&state, &editor, StatusCode::BAD_REQUEST, form, errors, None).await;
        }
    };
    match accounts::create(&state.db, &state.clock, &editor.actor(), account).await {
        Ok(_) => Ok(done_at("/admin/users", Done::AccountSaved)),
        Err(refusal @ AccountError::UsernameTaken) => {
            let errors = FieldErrors::one("username", refusal.swedish());
            page(&state, &editor, StatusCode::CONFLICT, form, errors, None).await
        }
        Err(error) => Err(error.into()),
    }
}

const CHOOSE_ROLE: &str = "Välj en roll: redaktör eller administratör.";

/// `POST /admin/users/{id}/disable`
pub async fn disable(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<UserId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    set_disabled(&state, &editor, id, submission, true).await
}

/// `POST /admin/users/{id}/enable`
pub async fn enable(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<UserId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    set_disabled(&state, &editor, id, submission, false).await
}

async fn set_disabled(
    state: &AppState,
    editor: &Editor,
    id: UserId,
    submission: Submission<Button>,
    disable: bool,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    submission.verified_or_forbidden()?;
    accounts::set_disabled(&state.db, &state.clock, &editor.actor(), id, disable).await?;
    Ok(done_at(&format!("/admin/users/{id}"), Done::AccountSaved))
}

#[derive(Debug)]
struct UserView {
    id: UserId,
    username: String,
    display_name: String,
    is_admin: bool,
    disabled: bool,
    last_login: String,
    is_self: bool,
    two_factor: bool,
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
    id: UserId,
    status: StatusCode,
    errors: FieldErrors,
    done: Option<Done>,
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
            two_factor: db::two_factor::is_on(&state.db, user.id).await?,
            last_login: last_login(&user),
            id: user.id,
            is_self: user.id == editor.id(),
            username: user.username,
            display_name: user.display_name,
            is_admin: user.role == Role::Admin,
            disabled: user.disabled,
        },
        errors,
        csrf: editor.csrf().to_owned(),
    };
    view::html(status, &page)
}

/// An administrator's form about account `id`, past the checks: a form that failed the CSRF checks
/// is answered with the account's page again (403), with why at the form's [`OnAccountPage::FIELD`].
pub struct AccountForm<T> {
    editor: Editor,
    id: UserId,
    form: T,
}

/// A form of the account page: where a refusal of it shows.
pub trait OnAccountPage {
    const FIELD: &'static str;
}

impl<T> FromRequest<AppState> for AccountForm<T>
where
    T: CsrfForm + OnAccountPage + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let editor = Editor::from_request_parts(&mut parts, state).await?;
        editor
            .require_admin()
            .map_err(IntoResponse::into_response)?;
        let Path(id) = Path::<UserId>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let submission = Submission::<T>::from_request(Request::from_parts(parts, body), state);
        match submission.await?.verified() {
            Ok(form) => Ok(AccountForm { editor, id, form }),
            Err(refused) => {
                let errors = FieldErrors::one(T::FIELD, refused.reason);
                let page = user_page(state, &editor, id, StatusCode::FORBIDDEN, errors, None).await;
                Err(page.unwrap_or_else(IntoResponse::into_response))
            }
        }
    }
}

/// `GET /admin/users/{id}`: one account, with its role, a new password, and disabling.
pub async fn show(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<UserId>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    user_page(
        &state,
        &editor,
        id,
        StatusCode::OK,
        FieldErrors::default(),
        query.done(),
    )
    .await
}

/// A form of the account page: implements [`CsrfForm`] and [`OnAccountPage`], with its refusals
/// shown at `field`.
macro_rules! account_form {
    ($form:ty, $field:literal) => {
        crate::admin::csrf::csrf_form!($form);

        impl OnAccountPage for $form {
            const FIELD: &'static str = $field;
        }
    };
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    password: String,
    password2: String,
}

account_form!(RoleForm, "role");
account_form!(PasswordForm, "password");

/// `POST /admin/users/{id}/role`
pub async fn set_role(
    State(state): State<AppState>,
    AccountForm { editor, id, form }: AccountForm<RoleForm>,
) -> Result<Response, AppError> {
    let Some(role) = Role::from_id(&form.role) else {
        let errors = FieldErrors::one("role", CHOOSE_ROLE);
        return user_page(&state, &editor, id, StatusCode::BAD_REQUEST, errors, None).await;
    };
    match accounts::set_role(&state.db, &state.clock, &editor.actor(), id, role).await {
        Ok(_) => Ok(done_at(&format!("/admin/users/{id}"), Done::AccountSaved)),
        Err(refusal @ AccountError::LastAdmin) => {
            let errors = FieldErrors::one("role", refusal.swedish());
            user_page(&state, &editor, id, StatusCode::CONFLICT, errors, None).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /admin/users/{id}/password`: a new password for an account; its sessions end.
pub async fn set_password(
    State(state): State<AppState>,
    AccountForm { editor, id, form }: AccountForm<PasswordForm>,
) -> Result<Response, AppError> {
    let user = db::users::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Err(problem) =
        accounts::check_new_password(&form.password, &form.password2, &user.username)
    {
        let errors = FieldErrors::one(problem.field(), problem.swedish());
        return user_page(&state, &editor, id, StatusCode::BAD_REQUEST, errors, None).await;
    }
    // An administrator setting their own password here keeps this session, as on their account page.
    let keep = (id == editor.id()).then_some(editor.session.id_hash.as_str());
    accounts::set_password(
        &state.db,
        &state.clock,
        &editor.actor(),
        id,
        form.password,
        keep,
    )
    .await?;
    Ok(done_at(&format!("/admin/users/{id}"), Done::PasswordSet))
}

/// `POST /admin/users/{id}/two-factor/reset`: turns off an account's two-factor login, for someone
/// who lost their phone and their recovery codes. Audited; the account can turn it on again.
pub async fn reset_two_factor(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<UserId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    submission.verified_or_forbidden()?;
    let actor = editor.actor();
    let required = state.site.two_factor_for_admins;
    match accounts::two_factor::turn_off(&state.db, &state.clock, &actor, id, required).await {
        Ok(user) => {
            tracing::warn!(user = %user.username, by = %editor.session.username, "two-factor login reset");
            Ok(done_at(&format!("/admin/users/{id}"), Done::TwoFactorReset))
        }
        Err(TwoFactorError::NotOn) => {
            Ok(done_at(&format!("/admin/users/{id}"), Done::TwoFactorReset))
        }
        Err(TwoFactorError::Account(error)) => Err(error.into()),
        Err(error @ TwoFactorError::Required) => Err(AppError::Conflict(error.swedish())),
        Err(error) => Err(AppError::Internal(error.into())),
    }
}

/// When the account last logged in, as the admin area writes times: "aldrig" if it never did.
fn last_login(user: &db::users::User) -> String {
    user.last_login_at
        .as_deref()
        .and_then(time::from_db)
        .map(time::admin_datetime)
        .unwrap_or_else(|| "aldrig".to_owned())
}
