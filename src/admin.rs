//! The editors' area under `/admin`: login (with a code from an app where two-factor login is on),
//! pages with preview, writing help, history and trash, the media library, the site's broken links
//! and pages due for review, what visitors could not find by searching, accounts and the audit log. Swedish
//! throughout, like the organisation's editors.
//!
//! Every screen is server-rendered and works without JavaScript; `static/admin.js` only adds comfort
//! (focus on an error summary, the menu folded on phones), and `static/editor.js` the edit screen's
//! toolbar, link picker, paste from Word and preview tab ([`desk`] answers its questions). Every state-changing form passes the
//! CSRF check in [`csrf`], every handler that needs a login takes an [`session::Editor`], and no
//! response here is cached by anyone.

pub mod account;
pub mod audit;
pub mod csrf;
pub mod desk;
pub mod diff;
pub mod login;
pub mod media;
pub mod pages;
pub mod revisions;
pub mod searches;
pub mod session;
pub mod two_factor;
pub mod users;
pub mod view;
pub mod writing;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    handler::Handler,
    http::{HeaderValue, header},
    routing::{get, post},
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;

/// The admin area's routes, to be nested under `/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::list::show))
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/code",
            get(two_factor::code_form).post(two_factor::code_submit),
        )
        .route("/logout", post(login::logout))
        .route(
            "/account",
            get(account::show).post(account::change_password),
        )
        .route("/account/two-factor", get(two_factor::show))
        .route("/account/two-factor/start", post(two_factor::start))
        .route("/account/two-factor/confirm", post(two_factor::confirm))
        .route(
            "/account/two-factor/recovery-codes",
            post(two_factor::renew_recovery_codes),
        )
        .route("/account/two-factor/off", post(two_factor::turn_off))
        .route(
            "/setup/{token}",
            get(login::setup_form).post(login::setup_submit),
        )
        .route("/pages/new", get(pages::new).post(pages::create))
        .route("/pages/preview", post(pages::preview::preview_form))
        .route("/pages/body-preview", post(pages::preview::body_preview))
        .route("/pages/find", get(desk::find))
        .route(
            "/pages/paste",
            post(desk::paste.layer(DefaultBodyLimit::max(desk::PASTE_BODY_LIMIT))),
        )
        .route("/pages/{id}", get(pages::edit).post(pages::update))
        .route("/pages/{id}/preview", get(pages::preview::preview_saved))
        .route("/pages/{id}/unpublish", post(pages::actions::unpublish))
        .route(
            "/pages/{id}/trash",
            get(pages::actions::confirm_trash).post(pages::actions::trash),
        )
        .route("/pages/{id}/reviewed", post(writing::mark_reviewed))
        .route("/pages/writing-help", post(writing::panel))
        .route("/links", get(writing::broken_links))
        .route("/review", get(writing::due))
        .route("/pages/{id}/restore", post(pages::actions::restore))
        .route(
            "/pages/{id}/delete",
            get(pages::actions::confirm_delete).post(pages::actions::delete),
        )
        .route("/pages/{id}/history", get(revisions::history))
        .route("/pages/{id}/diff", get(revisions::compare))
        .route(
            "/pages/{id}/revisions/{revision}/restore",
            post(revisions::restore),
        )
        .route("/trash", get(pages::actions::trash_list))
        .route(
            "/media",
            get(media::library_screen).post(media::upload.layer(DefaultBodyLimit::disable())),
        )
        .route(
            "/media/insert",
            post(media::insert::insert.layer(DefaultBodyLimit::disable())),
        )
        .route("/media/{id}", get(media::show).post(media::save_texts))
        .route(
            "/media/{id}/replace",
            post(media::replace.layer(DefaultBodyLimit::disable())),
        )
        .route("/media/{id}/delete", post(media::delete))
        .route("/audit", get(audit::list))
        .route("/search", get(searches::report))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::show))
        .route("/users/{id}/role", post(users::set_role))
        .route("/users/{id}/password", post(users::set_password))
        .route("/users/{id}/disable", post(users::disable))
        .route("/users/{id}/enable", post(users::enable))
        .route(
            "/users/{id}/two-factor/reset",
            post(users::reset_two_factor),
        )
        .layer(axum::middleware::from_fn(secure_cookies))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ))
}

/// Marks every cookie `Secure` on a response to a request that a trusted proxy says came over
/// https (cookies of a site whose base URL is https already are).
async fn secure_cookies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let https = request
        .extensions()
        .get::<crate::proxy::ForwardedHttps>()
        .is_some();
    let mut response = next.run(request).await;
    if https {
        let cookies: Vec<HeaderValue> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        response.headers_mut().remove(header::SET_COOKIE);
        for cookie in cookies {
            let secured = match cookie.to_str() {
                Ok(text) if !text.contains("; Secure") => {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
                }
                _ => cookie,
            };
            response.headers_mut().append(header::SET_COOKIE, secured);
        }
    }
    response
}
