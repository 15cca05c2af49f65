//! Two-factor login in the browser: turning it on at `/admin/account/two-factor` (a QR code drawn on
//! the server as inline SVG, the secret as text for those who cannot scan, confirmed with a code),
//! the recovery codes shown once, the login's second step at `/admin/login/code`, new recovery codes
//! and turning it off. The rules are [`accounts::two_factor`]'s.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use jiff::SignedDuration;
use serde::Deserialize;

use super::{
    csrf::{Button, Refused, Submission},
    login::{self, Login},
    session::{self, ClientIp, Editor, LoginToken},
    view::{self, AdminLayout, FieldErrors, Section, done_at},
};
use crate::{
    accounts::{
        self,
        two_factor::{self as rules, Secret, TwoFactorError},
    },
    app::AppState,
    auth, db,
    error::AppError,
    ids::UserId,
    lang::Lang,
    time::{self, Moment},
    vocab::Done,
};

/// The cookie of a login whose password was right and that waits for its code.
pub const CODE_COOKIE: &str = "skl_code";

/// How long a login waits for its code.
const CODE_WAIT: SignedDuration = SignedDuration::from_mins(5);

/// The modules of quiet space around a QR code that scanners need.
const QUIET_ZONE: usize = 4;

// ---------------------------------------------------------------------------------------------
// The login's second step.

#[derive(Template)]
#[template(path = "admin/login_code.html")]
struct CodePage {
    layout: AdminLayout,
    errors: FieldErrors,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

crate::admin::csrf::csrf_form!(before login: CodeForm);

/// After a right password for an account with two-factor login: remembers the login for a few
/// minutes and asks for the code.
pub async fn ask_for_code(
    state: &AppState,
    user_id: UserId,
    next: &str,
) -> Result<Response, AppError> {
    let token = auth::random_token();
    let now = state.clock.now();
    let expires = time::to_db(now + CODE_WAIT);
    let next = session::safe_next(next);
    db::two_factor::prune_challenges(&state.db, &Moment::of(now)).await?;
    db::two_factor::insert_challenge(
        &state.db,
        &auth::token_hash(&token),
        user_id,
        next,
        &expires,
    )
    .await?;
    let mut response = Redirect::to("/admin/login/code").into_response();
    let cookie = session::set_cookie(state, CODE_COOKIE, &token, CODE_WAIT.as_secs());
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// The login waiting for a code in this browser, with its key.
async fn waiting(
    state: &AppState,
    headers: &HeaderMap,
) -> sqlx::Result<Option<(String, db::two_factor::Challenge)>> {
    let Some(token) = session::cookie(headers, CODE_COOKIE) else {
        return Ok(None);
    };
    let hash = auth::token_hash(token);
    let found = db::two_factor::find_challenge(&state.db, &hash, &state.clock.now_db()).await?;
    Ok(found.map(|challenge| (hash, challenge)))
}

fn code_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let token = LoginToken::of(state, headers);
    let page = CodePage {
        layout: AdminLayout::new(state, "Kod från appen", None, Section::None),
        errors,
        csrf: token.value().to_owned(),
    };
    token.answer(view::html(status, &page)?)
}

const CODE_WAITED_TOO_LONG: &str = "Inloggningen väntade för länge på koden, eller så har den redan \
     använts. Logga in igen med användarnamn och lösenord.";

/// `GET /admin/login/code`
pub async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if waiting(&state, &headers).await?.is_none() {
        return Ok(Redirect::to("/admin/login").into_response());
    }
    code_page(&state, &headers, StatusCode::OK, FieldErrors::default())
}

/// `POST /admin/login/code`: the app's code or a recovery code, throttled like passwords.
pub async fn code_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    submission: Submission<CodeForm>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(Refused { reason, .. }) => {
            let errors = FieldErrors::one("code", reason);
            return code_page(&state, &headers, StatusCode::FORBIDDEN, errors);
        }
    };
    let Some((key, challenge)) = waiting(&state, &headers).await? else {
        return login::start_over(&state, &headers, CODE_WAITED_TOO_LONG);
    };
    let checked =
        accounts::authenticate_code(&state.db, &state.clock, challenge.user_id, &form.code, &ip)
            .await?;
    let user = match checked {
        Ok(user) => user,
        Err(refusal) => {
            let errors = FieldErrors::one("code", refusal.swedish());
            let mut response = code_page(&state, &headers, login::refusal_status(refusal), errors)?;
            login::add_retry_after(refusal, &mut response);
            return Ok(response);
        }
    };
    db::two_factor::delete_challenge(&state.db, &key).await?;
    let login = Login::open(&state, &headers, user, &ip).await?;
    let mut response = Redirect::to(session::safe_next(&challenge.next)).into_response();
    login.set_cookies(&state, &mut response);
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, CODE_COOKIE, "", 0),
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Turning it on.

/// A QR code as the path of its dark modules, in a square of `size` modules with the quiet zone.
#[derive(Debug)]
struct Qr {
    size: usize,
    path: String,
}

impl Qr {
    /// The QR code of `text`, or `None` if it is too long for one (an `otpauth://` address never is).
    fn of(text: &str) -> Option<Qr> {
        use std::fmt::Write;
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
        let width = code.width();
        let colors = code.to_colors();
        let mut path = String::new();
        for (y, row) in colors.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                if row[x] == qrcode::Color::Dark {
                    let run = row[x..]
                        .iter()
                        .take_while(|color| **color == qrcode::Color::Dark)
                        .count();
                    let _ = write!(
                        path,
                        "M{} {}h{run}v1h-{run}z",
                        x + QUIET_ZONE,
                        y + QUIET_ZONE
                    );
                    x += run;
                } else {
                    x += 1;
                }
            }
        }
        Some(Qr {
            size: width + 2 * QUIET_ZONE,
            path,
        })
    }
}

/// A secret offered to the editor's app.
#[derive(Debug)]
struct Offer {
    qr: Qr,
    /// The secret as typed into an app, in groups of four.
    typed: String,
    /// The `otpauth://` address, for a phone's own browser.
    uri: String,
}

impl Offer {
    fn of(secret: &Secret, username: &str) -> Option<Offer> {
        let uri = secret.uri(Lang::Sv.texts().site_name, username);
        Some(Offer {
            qr: Qr::of(&uri)?,
            typed: secret.typed(),
            uri,
        })
    }
}

#[derive(Template)]
#[template(path = "admin/two_factor.html")]
struct EnrolPage {
    layout: AdminLayout,
    errors: FieldErrors,
    csrf: String,
    offer: Option<Offer>,
    /// Whether this editor must turn it on before anything else.
    required: bool,
}

/// Whether the site requires `editor` to log in with two factors and they do not yet.
pub fn must_enrol(state: &AppState, editor: &Editor) -> bool {
    state.site.two_factor_for_admins && editor.is_admin() && !editor.session.two_factor
}

async fn enrol_page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let offer = rules::pending(&state.db, editor.id())
        .await?
        .and_then(|secret| Offer::of(&secret, &editor.session.username));
    let page = EnrolPage {
        layout: AdminLayout::new(state, "Tvåstegsverifiering", Some(editor), Section::Account),
        errors,
        csrf: editor.csrf().to_owned(),
        offer,
        required: must_enrol(state, editor),
    };
    view::html(status, &page)
}

/// `GET /admin/account/two-factor`
pub async fn show(State(state): State<AppState>, editor: Editor) -> Result<Response, AppError> {
    if editor.session.two_factor {
        return Ok(Redirect::to("/admin/account").into_response());
    }
    enrol_page(&state, &editor, StatusCode::OK, FieldErrors::default()).await
}

/// `POST /admin/account/two-factor/start`: a new secret for the app.
pub async fn start(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    match rules::begin(&state.db, &state.clock, editor.id()).await {
        Ok(_) | Err(TwoFactorError::AlreadyOn) => {
            Ok(Redirect::to("/admin/account/two-factor").into_response())
        }
        Err(error) => Err(internal(error)),
    }
}

/// The first code from the app, from a logged-in editor (the login's code form is [`CodeForm`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
    code: String,
}

crate::admin::csrf::csrf_form!(ConfirmForm);

#[derive(Template)]
#[template(path = "admin/recovery_codes.html")]
struct RecoveryCodesPage {
    layout: AdminLayout,
    codes: Vec<String>,
    /// Whether two-factor login was just turned on (rather than the codes renewed).
    first: bool,
}

fn recovery_codes_page(
    state: &AppState,
    editor: &Editor,
    codes: Vec<String>,
    first: bool,
) -> Result<Response, AppError> {
    let page = RecoveryCodesPage {
        layout: AdminLayout::new(state, "Dina reservkoder", Some(editor), Section::Account),
        codes,
        first,
    };
    view::html(StatusCode::OK, &page)
}

/// `POST /admin/account/two-factor/confirm`: the first code from the app turns it on; the recovery
/// codes are shown once.
pub async fn confirm(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<ConfirmForm>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            let errors = FieldErrors::one("code", refused.reason);
            return enrol_page(&state, &editor, StatusCode::FORBIDDEN, errors).await;
        }
    };
    let confirmed = rules::confirm(
        &state.db,
        &state.clock,
        &editor.actor(),
        editor.id(),
        &form.code,
        &editor.session.id_hash,
    )
    .await;
    match confirmed {
        Ok(codes) => {
            tracing::info!(user = %editor.session.username, "two-factor login turned on");
            recovery_codes_page(&state, &editor, codes, true)
        }
        Err(error @ (TwoFactorError::WrongCode | TwoFactorError::NothingPending)) => {
            let errors = FieldErrors::one("code", error.swedish());
            enrol_page(&state, &editor, StatusCode::BAD_REQUEST, errors).await
        }
        Err(TwoFactorError::AlreadyOn) => Ok(Redirect::to("/admin/account").into_response()),
        Err(error) => Err(internal(error)),
    }
}

// ---------------------------------------------------------------------------------------------
// Once it is on: new recovery codes, turning it off.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
}

crate::admin::csrf::csrf_form!(PasswordForm);

/// Checks the editor's password on a form that changes their second factor; the error to show
/// otherwise.
async fn password_checked(
    state: &AppState,
    editor: &Editor,
    submission: Submission<PasswordForm>,
    field: &'static str,
) -> Result<Result<(), (StatusCode, FieldErrors)>, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            let errors = FieldErrors::one(field, refused.reason);
            return Ok(Err((StatusCode::FORBIDDEN, errors)));
        }
    };
    if super::account::is_current_password(state, editor, form.current).await? {
        Ok(Ok(()))
    } else {
        let errors = FieldErrors::one(field, super::account::WRONG_PASSWORD);
        Ok(Err((StatusCode::BAD_REQUEST, errors)))
    }
}

/// `POST /admin/account/two-factor/recovery-codes`: new recovery codes, after the password.
pub async fn renew_recovery_codes(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<PasswordForm>,
) -> Result<Response, AppError> {
    let checked = password_checked(&state, &editor, submission, "renew-current").await?;
    if let Err((status, errors)) = checked {
        return super::account::page(&state, &editor, status, errors, None).await;
    }
    match rules::renew_recovery_codes(&state.db, &state.clock, &editor.actor(), editor.id()).await {
        Ok(codes) => recovery_codes_page(&state, &editor, codes, false),
        Err(TwoFactorError::NotOn) => Ok(Redirect::to("/admin/account/two-factor").into_response()),
        Err(error) => Err(internal(error)),
    }
}

/// `POST /admin/account/two-factor/off`: turns it off, after the password (not for administrators
/// of a site that requires it).
pub async fn turn_off(
    State(state): State<AppState>,
    editor: Editor,
    submission: Submission<PasswordForm>,
) -> Result<Response, AppError> {
    let checked = password_checked(&state, &editor, submission, "off-current").await?;
    if let Err((status, errors)) = checked {
        return super::account::page(&state, &editor, status, errors, None).await;
    }
    let required = state.site.two_factor_for_admins;
    match rules::turn_off(
        &state.db,
        &state.clock,
        &editor.actor(),
        editor.id(),
        required,
    )
    .await
    {
        Ok(_) | Err(TwoFactorError::NotOn) => Ok(done_at("/admin/account", Done::TwoFactorOff)),
        Err(error @ TwoFactorError::Required) => {
            let errors = FieldErrors::one("off-current", error.swedish());
            super::account::page(&state, &editor, StatusCode::CONFLICT, errors, None).await
        }
        Err(error) => Err(internal(error)),
    }
}

fn internal(error: TwoFactorError) -> AppError {
    AppError::Internal(error.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_covers_its_dark_modules_inside_the_quiet_zone() {
        let text = "otpauth://totp/SKL:anna?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let qr = Qr::of(text).expect("fits");
        let code =
            qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).expect("fits");
        assert_eq!(qr.size, code.width() + 8);
        // Every dark module is drawn once: the runs' lengths add up to the number of dark modules.
        let dark = code
            .to_colors()
            .iter()
            .filter(|color| **color == qrcode::Color::Dark)
            .count();
        let drawn: usize = qr
            .path
            .split('h')
            .skip(1)
            .filter_map(|piece| piece.split('v').next()?.parse::<usize>().ok())
            .sum();
        assert_eq!(drawn, dark);
        // Nothing is drawn in the quiet zone.
        for piece in qr.path.split('M').skip(1) {
            let mut numbers = piece.split(['h', ' ']);
            let x: usize = numbers.next().and_then(|n| n.parse().ok()).expect("x");
            let y: usize = numbers.next().and_then(|n| n.parse().ok()).expect("y");
            assert!(x >= QUIET_ZONE && y >= QUIET_ZONE && y < qr.size - QUIET_ZONE);
        }
    }
}
