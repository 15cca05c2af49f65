//! Cross-site request forgery: every state-changing form of the admin area is checked here, in one
//! place, before its handler acts on it.
//!
//! Two checks, both required: the browser's own word on where the form came from (`Sec-Fetch-Site`
//! and `Origin`, when sent), and a synchronizer token in a hidden field. Logged-in forms carry their
//! session's token; the login and setup forms, shown before any session exists, carry the token of a
//! short-lived cookie (double submit). A refused form is handed back to its handler whole, so the
//! editor gets it back with everything they typed and a sentence saying what happened.

use axum::{
    Form,
    extract::{FromRequest, Request},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use super::session::{self, LOGIN_COOKIE};
use crate::{app::AppState, auth, error::AppError};

/// A form that carries a CSRF token.
pub trait CsrfForm {
    /// Forms shown before login (login, setup) carry the login cookie's token, even when the browser
    /// still has a session; all others carry their session's.
    const BEFORE_LOGIN: bool = false;

    fn csrf_token(&self) -> &str;
}

/// Implements [`CsrfForm`] for forms that carry their token in a field called `csrf`; after
/// `before login:`, for the forms shown before a session exists.
macro_rules! csrf_form {
    (before login: $($form:ty),+ $(,)?) => {
        $(impl $crate::admin::csrf::CsrfForm for $form {
            const BEFORE_LOGIN: bool = true;

            fn csrf_token(&self) -> &str {
                &self.csrf
            }
        })+
    };
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::admin::csrf::CsrfForm for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_form;

/// A submitted form, checked but not yet accepted: [`Submission::verified`] gives the form only if the
/// checks passed.
#[derive(Debug)]
#[must_use = "a submission must be verified before it is acted on"]
pub struct Submission<T> {
    form: T,
    refusal: Option<&'static str>,
}

/// Why a form sent while the database could not be reached is not taken: nothing could be checked.
const DATABASE_AWAY: &str = "Databasen gick inte att nå, så formuläret kunde inte kontrolleras. \
     Inget sparades, men det du skrev finns kvar nedan: skicka igen om en stund.";

/// A form that failed the CSRF checks, with the reason to show above it.
#[derive(Debug)]
pub struct Refused<T> {
    pub form: T,
    pub reason: &'static str,
}

/// A form that is only a button: it carries nothing but its token.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Button {
    #[serde(default)]
    csrf: String,
}

csrf_form!(Button);

impl<T> Submission<T> {
    /// The form if it passed the checks; otherwise a 403 page saying why. For forms with nothing
    /// typed in them to give back (buttons, previews).
    pub fn verified_or_forbidden(self) -> Result<T, AppError> {
        self.verified()
            .map_err(|refused| AppError::Forbidden(refused.reason))
    }

    /// The form as it was sent, if it came while the database could not be reached (so that
    /// neither the session nor the token could be checked), for the handler to give back whole.
    pub fn sent_while_database_away(self) -> Option<T> {
        (self.refusal == Some(DATABASE_AWAY)).then_some(self.form)
    }

    /// The form if it passed the checks; otherwise the form back with why it was refused.
    pub fn verified(self) -> Result<T, Refused<T>> {
        match self.refusal {
            None => Ok(self.form),
            Some(reason) => Err(Refused {
                form: self.form,
                reason,
            }),
        }
    }
}

pub const CROSS_SITE: &str = "Formuläret kom från en annan webbplats och togs därför inte emot. Det du \
     skrev finns kvar nedan: kontrollera det och skicka igen.";

const BAD_TOKEN: &str = "Formuläret kunde inte kontrolleras, kanske för att det var öppet länge eller \
     för att du har loggat in på nytt. Inget sparades, men det du skrev finns kvar nedan: skicka igen.";

const UNREADABLE: &str = "Formuläret kunde inte läsas. Ladda om sidan och försök igen.";

impl<T> FromRequest<AppState> for Submission<T>
where
    T: CsrfForm + DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        // A database that cannot be reached does not lose what was typed: the form is read all the
        // same, refused, for the handler to give back.
        let (editor, away) = match session::current(&mut parts, state).await {
            Ok(editor) => (editor, false),
            Err(error) if error.status() == StatusCode::SERVICE_UNAVAILABLE => (None, true),
            Err(error) => return Err(error.into_response()),
        };
        let cross_site = !same_origin(&parts.headers, state);
        // Without a session (before login, or after it ended while an editor wrote) forms carry the
        // login cookie's token; with one, the session's.
        let expected = match &editor {
            Some(editor) if !T::BEFORE_LOGIN => Some(editor.csrf()),
            _ => session::cookie(&parts.headers, LOGIN_COOKIE),
        }
        .map(str::to_owned);
        // Browsers always send these forms whole; a body that does not parse came from elsewhere.
        let Form(form) = Form::<T>::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| {
                // A body past the limit (a chunked one is only found out while it is read) gets
                // the 413 page that names the limit.
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    StatusCode::PAYLOAD_TOO_LARGE.into_response()
                } else {
                    AppError::BadRequest(UNREADABLE).into_response()
                }
            })?;
        let token_ok = expected
            .as_deref()
            .is_some_and(|expected| auth::same_secret(expected, form.csrf_token()));
        let refusal = if away {
            Some(DATABASE_AWAY)
        } else if cross_site {
            Some(CROSS_SITE)
        } else if !token_ok {
            Some(BAD_TOKEN)
        } else {
            None
        };
        if let Some(reason) = refusal {
            tracing::warn!(reason, "refused a form");
        }
        Ok(Submission { form, refusal })
    }
}

/// The CSRF checks of a form that is not url-encoded (an upload), whose token `token` the handler
/// read from the form itself: why it is refused, or nothing if it passed.
pub fn refusal(
    headers: &HeaderMap,
    state: &AppState,
    editor: &session::Editor,
    token: &str,
) -> Option<&'static str> {
    let refusal = if !same_origin(headers, state) {
        Some(CROSS_SITE)
    } else if !auth::same_secret(editor.csrf(), token) {
        Some(BAD_TOKEN)
    } else {
        None
    };
    if let Some(reason) = refusal {
        tracing::warn!(reason, "refused a form");
    }
    refusal
}

/// Whether the browser says the request comes from this site. Clients that send neither header (not
/// browsers) pass this check and still need the token.
fn same_origin(headers: &HeaderMap, state: &AppState) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == state.site.base_url {
        return true;
    }
    // Also the host the browser asked for, so that a server reached by another name than its base
    // URL (a test, an intranet name) still accepts its own forms. A browser never lets a page of
    // another origin send this one's Host with a matching Origin.
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    host.is_some_and(|host| {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host)
    })
}
