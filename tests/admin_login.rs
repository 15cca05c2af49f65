//! The editors' area, logging in: sessions, throttling, CSRF, the setup link and a session that ends
//! while someone writes. Real HTTP over TCP, a cookie-keeping client, a real SQLite file.

mod common;

use common::{
    TestApp,
    admin::{PASSWORD, app_with_editor, audit_actions, create_page},
    as_pairs, hidden, set_field,
};
use reqwest::StatusCode;
use skl_cms::{db, time::Clock, vocab::Role};

#[tokio::test]
async fn the_admin_area_needs_a_login() {
    let app = TestApp::spawn().await;
    let reply = app.get("/admin/pages/new").await;
    reply.assert_redirect();
    assert_eq!(
        reply.header("location"),
        Some("/admin/login?next=%2Fadmin%2Fpages%2Fnew")
    );
    let login = app.get("/admin/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let cookie = login
        .header("set-cookie")
        .expect("login form sets its CSRF cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(login.text().contains("autocomplete=\"current-password\""));
}

#[tokio::test]
async fn login_succeeds_with_the_password_and_fails_alike_for_any_mistake() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.browser();

    let wrong_password = browser.log_in("anna", "inte rätt lösenord alls").await;
    let unknown_user = browser.log_in("bertil", PASSWORD).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status, StatusCode::UNAUTHORIZED);
    let message = |text: &str| text.contains("Fel användarnamn eller lösenord");
    assert!(message(&wrong_password.text()) && message(&unknown_user.text()));
    assert!(
        wrong_password.text().contains("value=\"anna\""),
        "the username is kept"
    );

    let ok = browser.log_in("anna", PASSWORD).await;
    ok.assert_redirect();
    assert_eq!(ok.header("location"), Some("/admin"));
    let list = browser.get("/admin").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.text().contains("<code>/om-oss</code>"),
        "the page list shows the seed pages"
    );

    let actions = audit_actions(&app).await;
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "login").count(), 1);
}

#[tokio::test]
async fn the_sixth_failed_attempt_is_throttled_and_says_when_to_retry() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.browser();
    for attempt in 1..=5 {
        let reply = browser.log_in("anna", "fel lösenord nummer x").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let sixth = browser.log_in("anna", PASSWORD).await;
    assert_eq!(
        sixth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = sixth
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(sixth.text().contains("För många misslyckade inloggningar"));
    // Another username from the same address is not yet limited (that takes 20 failures).
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    browser.log_in("bertil", PASSWORD).await.assert_redirect();
    assert!(
        audit_actions(&app)
            .await
            .contains(&"login_throttled".to_owned())
    );
}

#[tokio::test]
async fn the_session_changes_at_login_and_dies_at_logout() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let token = |cookie: &str| cookie.split(';').next().unwrap_or_default().to_owned();
    let first = app.browser().log_in("anna", PASSWORD).await;
    let planted = token(first.header("set-cookie").expect("session cookie"));
    assert!(planted.starts_with("skl_session="));

    // A browser that arrives with a session cookie someone planted gets a new session at login, and
    // the planted one stops working (no session fixation).
    let form = app.get("/admin/login").await;
    let login_cookie = token(form.header("set-cookie").expect("login cookie"));
    let csrf = hidden(&form.text(), "csrf");
    let reply = app
        .client
        .post(app.url("/admin/login"))
        .header("cookie", format!("{login_cookie}; {planted}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect();
    let session = cookies
        .iter()
        .find(|cookie| cookie.starts_with("skl_session="))
        .expect("a new session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/admin")
    );
    let fresh = token(session);
    assert_ne!(fresh, planted, "the session id is rotated");
    let replay = app.get_with("/admin", &[("cookie", &planted)]).await;
    replay.assert_to_login("the planted session is dead");
    let current = app.get_with("/admin", &[("cookie", &fresh)]).await;
    assert_eq!(current.status, StatusCode::OK);

    // Logout ends the session on the server, not only in the browser.
    let csrf = hidden(&current.text(), "csrf");
    let out = app
        .client
        .post(app.url("/admin/logout"))
        .header("cookie", fresh.clone())
        .header("origin", format!("http://{}", app.addr))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("answered");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = app.get_with("/admin", &[("cookie", &fresh)]).await;
    after.assert_to_login("the session ended on the server");
    assert!(audit_actions(&app).await.contains(&"logout".to_owned()));
}

#[tokio::test]
async fn after_login_only_admin_addresses_are_followed() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    for (next, expected) in [
        ("/admin/trash", "/admin/trash"),
        ("//evil.example/admin", "/admin"),
        ("https://evil.example/", "/admin"),
    ] {
        let browser = app.browser();
        let form = browser.get("/admin/login").await;
        let csrf = hidden(&form.text(), "csrf");
        let reply = browser
            .post(
                "/admin/login",
                &[
                    ("csrf", &csrf),
                    ("username", "anna"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(reply.header("location"), Some(expected), "next = {next}");
    }
}

#[tokio::test]
async fn forms_without_the_right_token_or_origin_are_refused_and_keep_the_text() {
    let (app, browser) = app_with_editor().await;
    let page_id = db::pages::id_by_path(app.db(), skl_cms::lang::Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("seed page");
    let mut fields = browser.edit_form(page_id).await;
    set_field(
        &mut fields,
        "body",
        "Min viktiga text som inte får försvinna.",
    );
    set_field(&mut fields, "action", "publish");
    let path = format!("/admin/pages/{page_id}");

    let mut missing = fields.clone();
    missing.retain(|(name, _)| name != "csrf");
    let mut wrong = fields.clone();
    set_field(&mut wrong, "csrf", &"0".repeat(64));
    let cross_origin = browser
        .post_with(
            &path,
            &as_pairs(&fields),
            &[("origin", "https://evil.example")],
        )
        .await;
    let cross_site = browser
        .post_with(
            &path,
            &as_pairs(&fields),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    for (case, reply) in [
        ("missing", browser.post(&path, &as_pairs(&missing)).await),
        ("wrong", browser.post(&path, &as_pairs(&wrong)).await),
        ("cross-origin", cross_origin),
        ("cross-site", cross_site),
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{case}");
        let text = reply.text();
        assert!(
            text.contains("Min viktiga text som inte får försvinna."),
            "{case}: text kept"
        );
        assert!(
            text.contains("id=\"error-summary\""),
            "{case}: says what happened"
        );
    }
    let page = app.page(page_id).await;
    assert!(
        !page.content.body_md.contains("Min viktiga text"),
        "nothing was saved"
    );

    // The form that came back carries a valid token: sending it again saves.
    let refused = browser.post(&path, &as_pairs(&wrong)).await;
    let mut again = common::form_fields(&refused.text(), "edit-form");
    set_field(&mut again, "action", "publish");
    let saved = browser.post(&path, &as_pairs(&again)).await;
    saved.assert_redirect();
    assert!(app.get("/om-oss").await.text().contains("Min viktiga text"));

    // The login form is protected too.
    let login = app.browser();
    let reply = login
        .post(
            "/admin/login",
            &[
                ("csrf", &"1".repeat(64)),
                ("username", "anna"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.text().contains("value=\"anna\""));
}

#[tokio::test]
async fn sessions_end_after_two_idle_hours_and_after_twelve_in_all() {
    let start: jiff::Timestamp = "2026-12-01T08:00:00Z".parse().expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    let hours = |h: i64| start + jiff::SignedDuration::from_hours(h);

    clock.set(hours(1));
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::OK,
        "active after an hour"
    );
    clock.set(hours(1) + jiff::SignedDuration::from_mins(119));
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::OK,
        "idle just under two hours"
    );
    clock.set(hours(5) + jiff::SignedDuration::from_mins(1));
    browser
        .get("/admin")
        .await
        .assert_to_login("idle over two hours");

    // However active, a session ends twelve hours after login.
    let browser = app.login("anna", PASSWORD).await;
    for h in 6..=17 {
        clock.set(hours(h));
        assert_eq!(
            browser.get("/admin").await.status,
            StatusCode::OK,
            "hour {h}"
        );
    }
    clock.set(hours(17) + jiff::SignedDuration::from_mins(2));
    browser
        .get("/admin")
        .await
        .assert_to_login("past twelve hours");
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = TestApp::spawn().await;
    let path = &app.setup_path().await;
    let browser = app.browser();
    let form = browser.get(path).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden(&form.text(), "csrf");
    let short = browser
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("username", "anna"),
                ("display_name", "Anna"),
                ("password", "kort"),
                ("password2", "kort"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.text().contains("minst 12 tecken"));
    let ok = browser
        .post(
            path,
            &[
                ("csrf", &csrf),
                ("username", "anna"),
                ("display_name", "Anna"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    ok.assert_redirect();
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::OK,
        "logged in"
    );
    let user = db::users::find_by_name(app.db(), "anna")
        .await
        .expect("query")
        .expect("user");
    assert_eq!(user.role, Role::Admin);
    assert_eq!(
        app.browser().get(path).await.status,
        StatusCode::NOT_FOUND,
        "single use"
    );
}

#[tokio::test]
async fn visitors_of_the_public_site_still_get_no_cookie() {
    let (app, _browser) = app_with_editor().await;
    for path in ["/", "/om-oss", "/en/", "/nyheter", "/feed.xml"] {
        assert!(app.get(path).await.header("set-cookie").is_none(), "{path}");
    }
}

#[tokio::test]
async fn twenty_failures_from_one_address_throttle_every_username() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.browser();
    for n in 0..20 {
        let reply = browser
            .log_in(&format!("gissning{n}"), "fel lösenord igen och igen")
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let reply = browser.log_in("anna", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
}

#[tokio::test]
async fn a_save_after_the_session_ended_keeps_the_text_and_goes_on_after_logging_in_again() {
    let start: jiff::Timestamp = "2026-12-01T08:00:00Z".parse().expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    let id = create_page(
        &browser,
        &[("title", "Lång skrivning"), ("path", "lang-skrivning")],
    )
    .await;
    let mut fields = browser.edit_form(id).await;
    set_field(
        &mut fields,
        "body",
        "Tre timmars arbete som inte får försvinna.",
    );
    set_field(&mut fields, "action", "publish");

    // The editor writes for three hours; the session ends meanwhile.
    clock.set(start + jiff::SignedDuration::from_hours(3));
    let path = format!("/admin/pages/{id}");
    let back = browser.post(&path, &as_pairs(&fields)).await;
    assert_eq!(back.status, StatusCode::UNAUTHORIZED);
    let text = back.text();
    assert!(
        text.contains("Tre timmars arbete som inte får försvinna."),
        "the text is kept"
    );
    assert!(text.contains("id=\"relogin_username\"") && text.contains("id=\"error-summary\""));
    assert!(
        !text.contains("Om SKL International"),
        "nothing from the database without a session"
    );

    // A wrong password keeps the text too.
    let mut again = common::form_fields(&text, "edit-form");
    set_field(&mut again, "relogin_username", "anna");
    set_field(&mut again, "relogin_password", "fel lösenord, tyvärr");
    let wrong = browser.post(&path, &as_pairs(&again)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("Tre timmars arbete"));
    assert!(
        !wrong.text().contains("fel lösenord, tyvärr"),
        "the password is not sent back"
    );

    let mut again = common::form_fields(&wrong.text(), "edit-form");
    set_field(&mut again, "relogin_username", "anna");
    set_field(&mut again, "relogin_password", PASSWORD);
    let saved = browser.post(&path, &as_pairs(&again)).await;
    saved.assert_redirect();
    assert!(
        app.get("/lang-skrivning")
            .await
            .text()
            .contains("Tre timmars arbete")
    );
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::OK,
        "logged in again"
    );
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&"login_failed".to_owned()) && actions.contains(&"update".to_owned()));
}
