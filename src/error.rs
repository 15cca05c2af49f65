//! The one error type at the HTTP edge.
//!
//! Handlers return `Result<_, AppError>`. Turning an error into a response logs its cause (inside the
//! request's span, so the log line carries the request id) and yields a bare response with the status
//! and, for errors the visitor can fix, a sentence in their language. The error-page middleware
//! ([`crate::public::error_page`]) then dresses every such response, and every other 4xx or 5xx the
//! stack produces, as a full page of the site. Causes are never shown to visitors.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing is published at this address.
    #[error("not found")]
    NotFound,
    /// Nothing is here, for a reason the visitor should know (a used setup link, say).
    #[error("not found: {0}")]
    NotFoundBecause(&'static str),
    /// The request cannot be understood; the message tells the visitor why, in their language.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The visitor must log in (again) first; the message says so, in Swedish (the admin area's).
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The visitor may not do this; the message says why, in Swedish (it is the admin area's).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Someone changed the thing in the meantime, so the request was not carried out; the message
    /// says what to do now, in Swedish.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The address is longer than the site accepts.
    #[error("URI too long")]
    UriTooLong,
    /// The database failed; the cause is logged.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A read on a reading connection failed; the cause is logged.
    #[error("database error: {0}")]
    Read(#[from] crate::db::readers::ReadError),
    /// Something else failed on the server; the cause, with its context, is logged.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
    /// A template failed to render; the cause is logged.
    #[error("template error: {0}")]
    Render(#[from] askama::Error),
}

/// Marks an error response that is its own answer, for a script of the admin area (a sentence as
/// plain text): the error-page middleware leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct ScriptAnswer;

/// The visitor-facing sentence of an error, carried to the error-page middleware.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMessage(pub &'static str);

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NotFoundBecause(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::UriTooLong => StatusCode::URI_TOO_LONG,
            AppError::Database(error) if crate::db::is_unavailable(error) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Read(error) if error.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_)
            | AppError::Read(_)
            | AppError::Render(_)
            | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = status.into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // The database is away for now: caches downstream and visitors try again shortly.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("30"),
            );
        }
        if let AppError::BadRequest(message)
        | AppError::Unauthorized(message)
        | AppError::Forbidden(message)
        | AppError::Conflict(message)
        | AppError::NotFoundBecause(message) = self
        {
            response.extensions_mut().insert(ErrorMessage(message));
        }
        response
    }
}

impl From<crate::accounts::AccountError> for AppError {
    fn from(error: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::UsernameTaken | E::LastAdmin => AppError::Conflict(error.swedish()),
            E::OwnAccount => AppError::Forbidden(error.swedish()),
            E::Database(error) => AppError::Database(error),
            E::Hashing(error) => AppError::Internal(error),
        }
    }
}
