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
    csrf::{Button, CsrfForm, Refused, Submission},
    session::{self, ClientIp, Editor, LOGIN_COOKIE},
    view::{self, AdminLayout, FieldErrors, Section},
};
use crate::{
    app::AppState,
    auth,
    db::{self, audit::Entry, users::Role},
    error::AppError,
    time,
};

/// Failed logins count for this long.
pub const THROTTLE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// Failed logins for one username within the window before further attempts are refused.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;

/// Failed logins from one client address within the window before further attempts are refused.
pub const MAX_FAILURES_PER_IP: i64 = 20;

/// How long a setup link works.
const SETUP_LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(1);

const WRONG_CREDENTIALS: &str = "Fel användarnamn eller lösenord. Kontrollera stavningen och att \
     Caps Lock inte är på.";

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
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    klart: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

impl CsrfForm for LoginForm {
    const BEFORE_LOGIN: bool = true;

    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// The token of the forms shown before login: the login cookie's, or a new one with the cookie to set.
pub fn login_token(state: &AppState, headers: &HeaderMap) -> (String, Option<header::HeaderValue>) {
    match session::cookie(headers, LOGIN_COOKIE) {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = auth::random_token();
            let cookie = session::set_cookie(state, LOGIN_COOKIE, &token, 3600);
            (token, Some(cookie))
        }
    }
}

/// Renders the login form, setting the login cookie when the browser lacks it.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    next: &str,
    errors: FieldErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let (csrf, cookie) = login_token(state, headers);
    let page = LoginPage {
        layout: AdminLayout::new(state, "Logga in", None, Section::None).with_notice(done),
        errors,
        username,
        next: session::safe_next(next).to_owned(),
        csrf,
    };
    let mut response = view::html(status, &page)?;
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
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
        query.klart.as_deref(),
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
    let refusal = match authenticate(&state, &headers, &username, form.password, &ip).await? {
        Ok(login) => {
            let mut response = Redirect::to(session::safe_next(&form.next)).into_response();
            login.set_cookies(&state, &mut response);
            return Ok(response);
        }
        Err(refusal) => refusal,
    };
    let errors = FieldErrors::one("username", refusal.message());
    let mut response = login_page(
        &state,
        &headers,
        refusal.status(),
        username,
        &form.next,
        errors,
        None,
    )?;
    refusal.add_retry_after(&mut response);
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

/// Why a login was refused.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// Too many failures lately; try again after this long.
    Throttled(SignedDuration),
    /// The username or the password is wrong (which, is not said).
    Wrong,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Wrong => StatusCode::UNAUTHORIZED,
        }
    }

    pub fn message(self) -> String {
        match self {
            Refusal::Throttled(wait) => {
                let minutes = (wait.as_secs() + 59) / 60;
                format!(
                    "För många misslyckade inloggningar. Vänta {minutes} {} och försök sedan igen.",
                    if minutes == 1 { "minut" } else { "minuter" }
                )
            }
            Refusal::Wrong => WRONG_CREDENTIALS.to_owned(),
        }
    }

    /// Adds `Retry-After` to a throttled answer.
    pub fn add_retry_after(self, response: &mut Response) {
        if let Refusal::Throttled(wait) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, wait.as_secs().into());
        }
    }
}

/// Checks a username and password, with throttling and auditing, and on success opens a session
/// (a new one: any session the browser had is ended).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    username: &str,
    password: String,
    ip: &str,
) -> Result<Result<Login, Refusal>, AppError> {
    let now = state.clock.now();
    let now_db = time::to_db(now);
    let audit = |action: &'static str, user_id: Option<i64>, detail: String| {
        let (state, ip, now_db) = (state.clone(), ip.to_owned(), now_db.clone());
        async move {
            db::audit::record(
                &state.db,
                &Entry {
                    user_id,
                    action,
                    object_type: "session",
                    object_id: None,
                    detail: &detail,
                    ip: &ip,
                },
                &now_db,
            )
            .await
        }
    };

    if let Some(retry_after) = throttled(state, username, ip, now).await? {
        audit("login_throttled", None, format!("username: {username}")).await?;
        return Ok(Err(Refusal::Throttled(retry_after)));
    }

    let user = if username.is_empty() {
        None
    } else {
        db::users::find_by_name(&state.db, username).await?
    };
    let hash = user
        .as_ref()
        .filter(|user| !user.disabled)
        .map(|user| user.password_hash.clone());
    let known = hash.is_some();
    let matches = auth::verify_password(password, hash).await;
    let Some(user) = user.filter(|_| known && matches) else {
        db::users::prune_failures(&state.db, &time::to_db(now - THROTTLE_WINDOW)).await?;
        db::users::record_failure(&state.db, username, ip, &now_db).await?;
        audit("login_failed", None, format!("username: {username}")).await?;
        return Ok(Err(Refusal::Wrong));
    };

    db::users::clear_failures(&state.db, &user.username).await?;
    db::users::prune_failures(&state.db, &time::to_db(now - THROTTLE_WINDOW)).await?;
    let (cookie, id_hash) = session::start(state, headers, user.id, ip).await?;
    db::users::touch_login(&state.db, user.id, &now_db).await?;
    audit("login", Some(user.id), String::new()).await?;
    tracing::info!(user = %user.username, "logged in");
    Ok(Ok(Login {
        user,
        cookie,
        id_hash,
    }))
}

/// How long until another attempt is allowed, if attempts for `username` or from `ip` are throttled.
async fn throttled(
    state: &AppState,
    username: &str,
    ip: &str,
    now: jiff::Timestamp,
) -> sqlx::Result<Option<SignedDuration>> {
    let since = now - THROTTLE_WINDOW;
    let failures = db::users::recent_failures(&state.db, username, ip, &time::to_db(since)).await?;
    let mut oldest = Vec::new();
    if failures.by_username >= MAX_FAILURES_PER_USERNAME {
        oldest.extend(failures.oldest_by_username);
    }
    if failures.by_ip >= MAX_FAILURES_PER_IP {
        oldest.extend(failures.oldest_by_ip);
    }
    // Attempts are allowed again when the oldest failure that counts leaves the window; with both
    // limits reached, the later of the two.
    Ok(oldest
        .iter()
        .filter_map(|at| time::from_db(at))
        .map(|at| (at + THROTTLE_WINDOW).duration_since(now))
        .max()
        .map(|wait| wait.max(SignedDuration::from_secs(1))))
}

/// `POST /admin/logout`: ends the session on the server and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    db::sessions::delete(&state.db, &editor.session.id_hash).await?;
    editor.audit(&state, "logout", "session", None, "").await?;
    let mut response = Redirect::to("/admin/login?klart=utloggad").into_response();
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
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

impl CsrfForm for SetupForm {
    const BEFORE_LOGIN: bool = true;

    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

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
    let (csrf, cookie) = login_token(state, headers);
    form.csrf = csrf;
    form.password.clear();
    form.password2.clear();
    let page = SetupPage {
        layout: AdminLayout::new(state, "Skapa det första kontot", None, Section::None),
        errors,
        form,
        action: format!("/admin/setup/{token}"),
    };
    let mut response = view::html(status, &page)?;
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
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
    let account = match super::users::NewAccount::check(
        &form.username,
        &form.display_name,
        &form.password,
        &form.password2,
    ) {
        Ok(account) => account,
        Err(errors) => {
            return setup_page(
                &state,
                &headers,
                &token,
                StatusCode::BAD_REQUEST,
                form,
                errors,
            );
        }
    };
    let hash = auth::hash_password(account.password.clone())
        .await
        .map_err(|error| AppError::Internal(error.to_string()))?;
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let used = db::users::use_setup_token(&mut *tx, &auth::token_hash(&token), &now).await?;
    let none_yet = db::users::count(&mut *tx).await? == 0;
    if !(used && none_yet) {
        return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD));
    }
    let Some(user_id) = db::users::insert(
        &mut *tx,
        &account.username,
        &account.display_name,
        &hash,
        Role::Admin,
        &now,
    )
    .await?
    else {
        return Err(AppError::NotFoundBecause(SETUP_LINK_DEAD));
    };
    db::audit::record(
        &mut *tx,
        &Entry {
            user_id: Some(user_id),
            action: "user_create",
            object_type: "user",
            object_id: Some(user_id),
            detail: &format!("{} (admin), via the setup link", account.username),
            ip: &ip,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = %account.username, "the first administrator was created");
    let (cookie, _) = session::start(&state, &headers, user_id, &ip).await?;
    let mut response = Redirect::to("/admin?klart=inloggad").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
