//! Logging in and out, login throttling, and the first administrator's setup link.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use jiff::SignedDuration;
use serde::Deserialize;

use super::{
    csrf::{Button, Refused, Submission},
    session::{self, ClientIp, Editor, LOGIN_COOKIE, LoginToken},
    two_factor,
    view::{self, AdminLayout, FieldErrors, Section},
};
use crate::{
    accounts::{self, AccountError, Actor, Authenticated, NewAccount, Refusal},
    app::AppState,
    auth, db,
    error::AppError,
    time,
    vocab::{AuditAction, Done, ObjectType, Role},
};

/// How long a setup link works.
const SETUP_LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(1);

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    layout: AdminLayout,
    errors: FieldErrors,
    username: String,
    next: String,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    klart: Option<String>,
}

impl LoginQuery {
    fn done(&self) -> Option<Done> {
        self.klart.as_deref().and_then(Done::from_id)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    next: String,
}

crate::admin::csrf::csrf_form!(before login: LoginForm);

/// Renders the login form, setting the login cookie when the browser lacks it.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    next: &str,
    errors: FieldErrors,
    done: Option<Done>,
) -> Result<Response, AppError> {
    let token = LoginToken::of(state, headers);
    let page = LoginPage {
        layout: AdminLayout::new(state, "Logga in", None, Section::None).with_notice(done),
        errors,
        username,
        next: session::safe_next(next).to_owned(),
        csrf: token.value().to_owned(),
    };
    token.answer(view::html(status, &page)?)
}

/// `GET /admin/login`
pub async fn form(
    State(state): State<AppState>,
    editor: Option<Editor>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if editor.is_some() {
        return Ok(Redirect::to(session::safe_next(&query.next)).into_response());
    }
    login_page(
        &state,
        &headers,
        StatusCode::OK,
        String::new(),
        &query.next,
        FieldErrors::default(),
        query.done(),
    )
}

/// `POST /admin/login`
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    submission: Submission<LoginForm>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(Refused { form, reason }) => {
            let errors = FieldErrors::one("username", reason);
            return login_page(
                &state,
                &headers,
                StatusCode::FORBIDDEN,
                form.username,
                &form.next,
                errors,
                None,
            );
        }
    };
    let username = form.username.trim().to_owned();
    let checked =
        accounts::authenticate(&state.db, &state.clock, &username, form.password, &ip).await?;
    let refusal = match checked {
        Ok(Authenticated::LoggedIn(user)) => {
            let login = Login::open(&state, &headers, user, &ip).await?;
            let mut response = Redirect::to(session::safe_next(&form.next)).into_response();
            login.set_cookies(&state, &mut response);
            return Ok(response);
        }
        Ok(Authenticated::CodeNeeded(user)) => {
            return two_factor::ask_for_code(&state, user.id, &form.next).await;
        }
        Err(refusal) => refusal,
    };
    let errors = FieldErrors::one("username", refusal.swedish());
    let mut response = login_page(
        &state,
        &headers,
        refusal_status(refusal),
        username,
        &form.next,
        errors,
        None,
    )?;
    add_retry_after(refusal, &mut response);
    Ok(response)
}

/// A successful login: the account and the cookie of its new session.
#[derive(Debug)]
pub struct Login {
    pub user: db::users::User,
    pub cookie: header::HeaderValue,
    /// The new session's key.
    pub id_hash: String,
}

impl Login {
    /// Opens a session for `user`, who passed every step of logging in (a new session: any the
    /// browser had is ended).
    pub async fn open(
        state: &AppState,
        headers: &HeaderMap,
        user: db::users::User,
        ip: &str,
    ) -> sqlx::Result<Login> {
        let (cookie, id_hash) = session::start(state, headers, user.id, ip).await?;
        Ok(Login {
            user,
            cookie,
            id_hash,
        })
    }

    /// Sets the session cookie on `response` and drops the login form's cookie.
    pub fn set_cookies(&self, state: &AppState, response: &mut Response) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, self.cookie.clone());
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(state, LOGIN_COOKIE, "", 0),
        );
    }
}

/// The status of a refused login: 429 when throttled, 401 when wrong.
pub fn refusal_status(refusal: Refusal) -> StatusCode {
    match refusal {
        Refusal::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        Refusal::Wrong | Refusal::WrongCode | Refusal::CodeNeeded => StatusCode::UNAUTHORIZED,
    }
}

/// Adds `Retry-After` to a throttled answer.
pub fn add_retry_after(refusal: Refusal, response: &mut Response) {
    if let Refusal::Throttled(wait) = refusal {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, wait.as_secs().into());
    }
}

/// Logs in on a form that asks for everything at once (the edit form's, when a session ended while
/// the editor wrote): the username and password, and for an account with two-factor login the code.
pub async fn authenticate_at_once(
    state: &AppState,
    headers: &HeaderMap,
    username: &str,
    password: String,
    code: &str,
    ip: &str,
) -> Result<Result<Login, Refusal>, AppError> {
    let user = match accounts::authenticate(&state.db, &state.clock, username, password, ip).await?
    {
        Ok(Authenticated::LoggedIn(user)) => user,
        Ok(Authenticated::CodeNeeded(_)) if code.trim().is_empty() => {
            return Ok(Err(Refusal::CodeNeeded));
        }
        Ok(Authenticated::CodeNeeded(user)) => {
            match accounts::authenticate_code(&state.db, &state.clock, user.id, code, ip).await? {
                Ok(user) => user,
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(Ok(Login::open(state, headers, user, ip).await?))
}

/// The login form again, with why the login has to start over.
pub fn start_over(
    state: &AppState,
    headers: &HeaderMap,
    why: &'static str,
) -> Result<Response, AppError> {
    let errors = FieldErrors::one("username", why);
    let status = StatusCode::UNAUTHORIZED;
    login_page(state, headers, status, String::new(), "", errors, None)
}

/// `POST /admin/logout`: ends the session on the server and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    db::sessions::delete(&state.db, &editor.session.id_hash).await?;
    editor
        .audit(&state, AuditAction::Logout, ObjectType::Session, None, "")
        .await?;
    let done = Done::LoggedOut;
    let mut response = Redirect::to(&format!("/admin/login?klart={done}")).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, session::SESSION_COOKIE, "", 0),
    );
    Ok(response)
}

/// On a start with no accounts, logs a one-time link where the first administrator creates theirs.
pub async fn offer_setup_link(state: &AppState) -> sqlx::Result<Option<String>> {
    if db::users::count(&state.db).await? > 0 {
        return Ok(None);
    }
    let token = auth::random_token();
    let expires = state.clock.now() + SETUP_LINK_LIFETIME;
    db::users::insert_setup_token(&state.db, &auth::token_hash(&token), &time::to_db(expires))
        .await?;
    let link = state.site.absolute(&format!("/admin/setup/{token}"));
    tracing::warn!(
        %link,
        "no accounts yet: open this link within an hour to create the first administrator \
         (or run `skl-cms user add NAME --role admin`)"
    );
    Ok(Some(link))
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
struct SetupPage {
    layout: AdminLayout,
    errors: FieldErrors,
    form: SetupForm,
    action: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    password2: String,
}

crate::admin::csrf::csrf_form!(before login: SetupForm);

const SETUP_LINK_DEAD: &str = "Länken gäller inte. Den kan ha använts redan, ha gått ut efter en \
     timme, eller så finns det redan ett konto. Starta om servern för en ny länk, eller be en \
     administratör om ett konto.";

async fn setup_link_valid(state: &AppState, token: &str) -> sqlx::Result<bool> {
    Ok(db::users::count(&state.db).await? == 0
        && db::users::setup_token_valid(&state.db, &auth::token_hash(token), &state.clock.now_db())
            .await?)
}

fn setup_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    mut form: SetupForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let login = LoginToken::of(state, headers);
    form.csrf = login.value().to_owned();
    form.password.clear();
    form.password2.clear();
    let page = SetupPage {
        layout: AdminLayout::new(state, "Skapa det första kontot", None, Section::None),
        errors,
        form,
        action: format!("/admin/setup/{token}"),
    };
    login.answer(view::html(status, &page)?)
}

/// `GET /admin/setup/{token}`
pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !setup_link_valid(&state, &token).await? {
        return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD));
    }
    setup_page(
        &state,
        &headers,
        &token,
        StatusCode::OK,
        SetupForm::default(),
        FieldErrors::default(),
    )
}

/// `POST /admin/setup/{token}`: creates the first administrator and logs them in.
pub async fn setup_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    submission: Submission<SetupForm>,
) -> Result<Response, AppError> {
    if !setup_link_valid(&state, &token).await? {
        return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD));
    }
    let form = match submission.verified() {
        Ok(form) => form,
        Err(Refused { form, reason }) => {
            let errors = FieldErrors::one("username", reason);
            return setup_page(
                &state,
                &headers,
                &token,
                StatusCode::FORBIDDEN,
                form,
                errors,
            );
        }
    };
    let checked = NewAccount::check(
        &form.username,
        &form.display_name,
        &form.password,
        &form.password2,
        Role::Admin,
    );
    let account = match checked {
        Ok(account) => account,
        Err(problems) => {
            return setup_page(
                &state,
                &headers,
                &token,
                StatusCode::BAD_REQUEST,
                form,
                FieldErrors::of_problems(&problems),
            );
        }
    };
    // The link is used up in its own transaction first, so that two submissions at once cannot both
    // create an administrator.
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let used = db::users::use_setup_token(&mut tx, &auth::token_hash(&token), &now).await?;
    let none_yet = db::users::count(&mut tx).await? == 0;
    if !(used && none_yet) {
        return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD));
    }
    tx.commit().await?;
    let name = account.username.as_str().to_owned();
    let user_id = match accounts::create(&state.db, &state.clock, &Actor::setup_link(&ip), account)
        .await
    {
        Ok(id) => id,
        Err(AccountError::UsernameTaken) => return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD)),
        Err(error) => return Err(AppError::Internal(error.into())),
    };
    tracing::info!(user = %name, "the first administrator was created");
    let (cookie, _) = session::start(&state, &headers, user_id, &ip).await?;
    let done = Done::LoggedIn;
    let mut response = Redirect::to(&format!("/admin?klart={done}")).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
