//! Who is asking: the editor behind a session cookie, and the client's address.
//!
//! Sessions live in the database; the cookie holds a random token whose SHA-256 is the session's key.
//! The cookie is `HttpOnly`, `SameSite=Strict`, limited to `/admin`, and `Secure` when the site is
//! served over https. A session ends after [`IDLE`] without requests or [`LIFETIME`] after login,
//! whichever comes first, or at logout.

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri},
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use jiff::SignedDuration;

use crate::{
    accounts::Actor,
    app::{AppState, Peer},
    auth,
    change::Author,
    db::{self, sessions::Session},
    error::AppError,
    ids::UserId,
    time::{self, Moment},
    vocab::{AuditAction, ObjectType, Role},
};

/// The session cookie.
pub const SESSION_COOKIE: &str = "skl_session";

/// The cookie that carries the CSRF token of forms shown before login (login and setup).
pub const LOGIN_COOKIE: &str = "skl_login";

/// A session ends after this long without a request.
pub const IDLE: SignedDuration = SignedDuration::from_hours(2);

/// A session ends this long after login, however active it is.
pub const LIFETIME: SignedDuration = SignedDuration::from_hours(12);

/// How stale `last_seen_at` may get before a request refreshes it; saves a write per request.
const TOUCH_AFTER: SignedDuration = SignedDuration::from_secs(60);

/// A logged-in editor.
#[derive(Debug, Clone)]
pub struct Editor {
    pub session: Session,
    pub ip: String,
}

impl Editor {
    pub fn id(&self) -> UserId {
        self.session.user_id
    }

    pub fn is_admin(&self) -> bool {
        self.session.role == Role::Admin
    }

    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    /// Records in the audit log what this editor did, from where.
    pub async fn audit(
        &self,
        state: &AppState,
        action: AuditAction,
        object_type: ObjectType,
        object_id: Option<i64>,
        detail: &str,
    ) -> sqlx::Result<()> {
        db::audit::record(
            &state.db,
            &db::audit::Entry {
                user_id: Some(self.id()),
                action,
                object_type,
                object_id,
                detail,
                ip: &self.ip,
            },
            &state.clock.now_db(),
        )
        .await
    }

    /// Refuses editors who are not administrators.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Det här får bara administratörer göra. Be en administratör om hjälp.",
            ))
        }
    }
}

/// The session of this request, if it has a live one. Found once per request and kept in its
/// extensions, so several extractors can ask.
pub async fn current(parts: &mut Parts, state: &AppState) -> Result<Option<Editor>, AppError> {
    if let Some(found) = parts.extensions.get::<Option<Editor>>() {
        return Ok(found.clone());
    }
    // The database did not answer this request's first look (after the pool's wait): a second
    // look would only wait as long again.
    if parts.extensions.get::<DatabaseAway>().is_some() {
        return Err(AppError::Database(sqlx::Error::PoolTimedOut));
    }
    let editor = look_up(parts, state).await;
    match &editor {
        Ok(editor) => {
            parts.extensions.insert(editor.clone());
        }
        Err(error) if error.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE => {
            parts.extensions.insert(DatabaseAway);
        }
        Err(_) => {}
    }
    editor
}

/// Marks a request whose session could not be looked up because the database was away.
#[derive(Debug, Clone, Copy)]
struct DatabaseAway;

async fn look_up(parts: &mut Parts, state: &AppState) -> Result<Option<Editor>, AppError> {
    let ip = client_ip(parts, state);
    let editor = match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => {
            let now = state.clock.now();
            let session = db::sessions::find(
                &state.db,
                &auth::token_hash(token),
                &Moment::of(now),
                &time::to_db(now - IDLE),
            )
            .await?;
            if let Some(session) = &session {
                let stale = time::from_db(&session.last_seen_at)
                    .is_none_or(|seen| seen + TOUCH_AFTER < now);
                if stale {
                    db::sessions::touch(&state.db, &session.id_hash, &Moment::of(now)).await?;
                }
            }
            session.map(|session| Editor { session, ip })
        }
        None => None,
    };
    Ok(editor)
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(parts, state).await {
            Ok(Some(editor)) if must_enrol_first(parts, state, &editor) => Err(to_enrolment(parts)),
            Ok(Some(editor)) => Ok(editor),
            Ok(None) => Err(to_login(parts)),
            Err(error) => Err(error.into_response()),
        }
    }
}

impl OptionalFromRequestParts<AppState> for Editor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        current(parts, state).await
    }
}

impl Editor {
    /// The editor as the author of a change to pages.
    pub fn author(&self) -> Author {
        Author {
            id: self.id(),
            ip: self.ip.clone(),
        }
    }

    /// The editor as the one changing an account.
    pub fn actor(&self) -> Actor {
        Actor::user(self.id(), &self.ip)
    }
}

/// Whether this request is one an administrator who must turn on two-factor login cannot make yet:
/// anything but their account's screens and logging out.
fn must_enrol_first(parts: &Parts, state: &AppState, editor: &Editor) -> bool {
    if !super::two_factor::must_enrol(state, editor) {
        return false;
    }
    let path = original_uri(parts).path();
    let allowed = path == "/admin/account" || path.starts_with("/admin/account/");
    !(allowed || path == "/admin/logout")
}

/// Sends an administrator who must turn on two-factor login to where they do; a form sent meanwhile
/// is refused with why.
fn to_enrolment(parts: &Parts) -> Response {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        Redirect::to("/admin/account/two-factor").into_response()
    } else {
        AppError::Forbidden(
            "Administratörer på den här webbplatsen måste slå på tvåstegsverifiering innan de kan \
             göra något annat. Gör det under Mitt konto.",
        )
        .into_response()
    }
}

/// The request's address as the browser sent it: inside the nested admin router the URI lacks its
/// `/admin` prefix, and the original has it.
fn original_uri(parts: &Parts) -> &axum::http::Uri {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
}

/// Sends a visitor without a session to the login form, to come back here afterwards.
fn to_login(parts: &Parts) -> Response {
    let uri = original_uri(parts);
    let back = if parts.method == Method::GET {
        uri.path_and_query().map_or("/admin", |pq| pq.as_str())
    } else {
        "/admin"
    };
    let next = percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC);
    Redirect::to(&format!("/admin/login?next={next}")).into_response()
}

/// Where to go after login: only addresses in the admin area of this site, so that a link cannot
/// send an editor elsewhere (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let inside = next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?");
    let plain = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !next.contains("//")
        && !next.contains("/..");
    if inside && plain { next } else { "/admin" }
}

/// Opens a session for `user_id` and returns the cookie that carries it and the session's key. Any
/// session the browser had is ended first, so the session id always changes at login.
pub async fn start(
    state: &AppState,
    headers: &HeaderMap,
    user_id: UserId,
    ip: &str,
) -> sqlx::Result<(HeaderValue, String)> {
    if let Some(old) = cookie(headers, SESSION_COOKIE) {
        db::sessions::delete(&state.db, &auth::token_hash(old)).await?;
    }
    let token = auth::random_token();
    let id_hash = auth::token_hash(&token);
    let now = state.clock.now();
    db::sessions::insert(
        &state.db,
        &id_hash,
        user_id,
        &auth::random_token(),
        &Moment::of(now),
        &time::to_db(now + LIFETIME),
        ip,
    )
    .await?;
    db::sessions::prune(&state.db, &Moment::of(now), &time::to_db(now - IDLE)).await?;
    let cookie = set_cookie(state, SESSION_COOKIE, &token, LIFETIME.as_secs());
    Ok((cookie, id_hash))
}

/// The editor of the live session with key `id_hash`.
pub async fn editor(state: &AppState, id_hash: &str, ip: &str) -> sqlx::Result<Option<Editor>> {
    let now = state.clock.now();
    let session = db::sessions::find(
        &state.db,
        id_hash,
        &Moment::of(now),
        &time::to_db(now - IDLE),
    )
    .await?;
    Ok(session.map(|session| Editor {
        session,
        ip: ip.to_owned(),
    }))
}

/// The CSRF token of a form shown before login (login, setup, logging in again to save), and the
/// login cookie that carries it when the browser does not have one yet (double submit).
#[derive(Debug)]
pub struct LoginToken {
    value: String,
    /// Set when the token is new and the browser must be given it.
    cookie: Option<HeaderValue>,
}

impl LoginToken {
    /// The browser's token, or a new one.
    pub fn of(state: &AppState, headers: &HeaderMap) -> LoginToken {
        match cookie(headers, LOGIN_COOKIE) {
            Some(token) => LoginToken {
                value: token.to_owned(),
                cookie: None,
            },
            None => {
                let value = auth::random_token();
                let cookie = Some(set_cookie(state, LOGIN_COOKIE, &value, 3600));
                LoginToken { value, cookie }
            }
        }
    }

    /// The token, for the form's hidden field.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The response that shows the form, with the cookie if the token is new.
    pub fn answer(self, mut response: Response) -> Result<Response, AppError> {
        if let Some(cookie) = self.cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }
}

/// A `Set-Cookie` value with the attributes every cookie of the admin area has.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.site.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    // Names are constants and values hex digits, so the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in the request, if it is there and looks like one of ours.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the client
/// that `X-Forwarded-For` names (see [`crate::proxy::TrustedProxies::client`]).
pub fn client_ip(parts: &Parts, state: &AppState) -> String {
    parts.extensions.get::<Peer>().map_or_else(
        || "unknown".to_owned(),
        |peer| {
            state
                .site
                .trusted_proxies
                .client(peer.0.ip(), &parts.headers)
                .to_string()
        },
    )
}

/// The client's address as an extractor.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_addresses_are_followed_after_login() {
        for good in [
            "/admin",
            "/admin/pages/3",
            "/admin?x=1",
            "/admin/audit?user=2",
        ] {
            assert_eq!(safe_next(good), good);
        }
        for bad in [
            "//evil.example",
            "https://evil.example/admin",
            "/admin//evil.example",
            "/administrator",
            "/admin/../x",
            "/admin\\evil",
            "/",
            "",
            "/admin/\u{0}",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/admin", "{bad:?}");
        }
    }

    #[test]
    fn cookies_are_read_by_name_and_shape() {
        let token = "a".repeat(64);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {SESSION_COOKIE}={token}")).expect("valid"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some(token.as_str()));
        assert_eq!(cookie(&headers, LOGIN_COOKIE), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("skl_session=short"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
    }
}
