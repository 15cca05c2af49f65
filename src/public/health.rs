//! Health checks for load balancers and orchestrators.

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};

use crate::{app::AppState, db};

/// Liveness: the process answers.
pub async fn live() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        "ok\n",
    )
}

/// Readiness: the database answers too.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let headers = [
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
    ];
    match db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, headers, "ready\n"),
        Err(error) => {
            tracing::error!(%error, "readiness check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                headers,
                "database unavailable\n",
            )
        }
    }
}
