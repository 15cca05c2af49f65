//! The editors' area end to end: real HTTP over TCP, a cookie-keeping client, a real SQLite file.

mod common;

use common::{Browser, TestApp, as_pairs, hidden, set_field};
use reqwest::StatusCode;
use skl_cms::{
    db,
    time::Clock,
    vocab::{RevisionKind, Role},
};

const PASSWORD: &str = "ett långt lösenord för test";

async fn app_with_editor() -> (TestApp, Browser) {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    (app, browser)
}

/// Creates a page through the form and returns its id.
async fn create_page(browser: &Browser, fields: &[(&str, &str)]) -> i64 {
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let mut all = vec![
        ("csrf", csrf.as_str()),
        ("lang", "sv"),
        ("kind", "page"),
        ("action", "publish"),
    ];
    for (name, value) in fields {
        all.retain(|(field, _)| field != name);
        all.push((name, value));
    }
    let reply = browser.post("/admin/pages/new", &all).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.header("location").expect("redirect");
    location
        .trim_start_matches("/admin/pages/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("page id in the redirect")
}

/// Saves a page's edit form with `changes` applied.
async fn save(browser: &Browser, page_id: i64, changes: &[(&str, &str)]) -> common::Reply {
    let mut fields = browser.edit_form(page_id).await;
    for (name, value) in changes {
        set_field(&mut fields, name, value);
    }
    if !changes.iter().any(|(name, _)| *name == "action") {
        set_field(&mut fields, "action", "publish");
    }
    browser
        .post(&format!("/admin/pages/{page_id}"), &as_pairs(&fields))
        .await
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    db::audit::list(app.db(), None, None, 1000, 0)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action.id().to_owned())
        .collect()
}

#[tokio::test]
async fn the_admin_area_needs_a_login() {
    let app = TestApp::spawn().await;
    let reply = app.get("/admin/pages/new").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
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
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
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
    assert_eq!(
        browser.log_in("bertil", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
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
    assert_eq!(
        replay.status,
        StatusCode::SEE_OTHER,
        "the planted session is dead"
    );
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
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the session ended on the server"
    );
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
    let page = db::pages::find(app.db(), page_id)
        .await
        .expect("query")
        .expect("page");
    assert!(
        !page.content.body_md.contains("Min viktiga text"),
        "nothing was saved"
    );

    // The form that came back carries a valid token: sending it again saves.
    let refused = browser.post(&path, &as_pairs(&wrong)).await;
    let mut again = common::form_fields(&refused.text(), "edit-form");
    set_field(&mut again, "action", "publish");
    let saved = browser.post(&path, &as_pairs(&again)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
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
async fn editors_cannot_manage_accounts_or_read_the_audit_log() {
    let app = TestApp::spawn().await;
    app.add_user("admin", Role::Admin, PASSWORD).await;
    app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let editor = app.login("redaktor", PASSWORD).await;
    assert_eq!(
        editor.get("/admin/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        editor.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let csrf = hidden(&editor.get("/admin").await.text(), "csrf");
    let reply = editor
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "mallory"),
                ("display_name", "M"),
                ("role", "admin"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        db::users::find_by_name(app.db(), "mallory")
            .await
            .expect("query")
            .is_none()
    );

    let admin = app.login("admin", PASSWORD).await;
    let csrf = hidden(&admin.get("/admin/users").await.text(), "csrf");
    let created = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "cecilia"),
                ("display_name", "Cecilia"),
                ("role", "editor"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
    let weak = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "david"),
                ("display_name", "David"),
                ("role", "editor"),
                ("password", "password1234"),
                ("password2", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.text().contains("för vanligt"));
    app.login("cecilia", PASSWORD).await;

    // Disabling ends the account's sessions.
    let cecilia = db::users::find_by_name(app.db(), "cecilia")
        .await
        .expect("query")
        .expect("user");
    let reply = admin
        .post(
            &format!("/admin/users/{}/disable", cecilia.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.browser().log_in("cecilia", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let actions = audit_actions(&app).await;
    for action in ["user_create", "user_disable"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
}

#[tokio::test]
async fn a_draft_is_invisible_until_published_and_shows_at_the_next_request() {
    let (app, browser) = app_with_editor().await;
    // Fill the render cache with the menu as it is.
    assert!(!app.get("/").await.text().contains("Vårt nya projekt"));
    let id = create_page(
        &browser,
        &[
            ("title", "Vårt nya projekt"),
            ("path", ""),
            ("body", "Text om projektet."),
            ("menu_order", "5"),
            ("action", "draft"),
        ],
    )
    .await;
    let page = db::pages::find(app.db(), id)
        .await
        .expect("query")
        .expect("page");
    assert_eq!(
        page.content.path, "vart-nya-projekt",
        "path made from the title"
    );
    assert_eq!(
        app.get("/vart-nya-projekt").await.status,
        StatusCode::NOT_FOUND
    );

    let preview = browser.get(&format!("/admin/pages/{id}/preview")).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.text().contains("Förhandsvisning"));
    assert!(preview.text().contains("Text om projektet."));
    assert_eq!(preview.header("cache-control"), Some("no-store"));
    assert_eq!(
        app.get("/vart-nya-projekt").await.status,
        StatusCode::NOT_FOUND,
        "preview publishes nothing"
    );

    let reply = save(&browser, id, &[("action", "publish")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let public = app.get("/vart-nya-projekt").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.text().contains("Text om projektet."));
    assert!(
        app.get("/").await.text().contains("Vårt nya projekt"),
        "the menu shows it at once"
    );

    let reply = save(&browser, id, &[("action", "draft")]).await;
    assert_eq!(
        reply.header("location"),
        Some(format!("/admin/pages/{id}?klart=avpublicerad").as_str())
    );
    assert_eq!(
        app.get("/vart-nya-projekt").await.status,
        StatusCode::NOT_FOUND
    );
    let actions = audit_actions(&app).await;
    for action in ["create", "publish", "unpublish"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn the_form_preview_renders_the_unsaved_text_and_stores_nothing() {
    let (app, browser) = app_with_editor().await;
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let reply = browser
        .post(
            "/admin/pages/preview",
            &[
                ("csrf", &csrf),
                ("lang", "sv"),
                ("title", "Utkast i luften"),
                ("body", "## Rubrik\n\n<script>x</script>Text"),
                ("kind", "page"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let text = reply.text();
    assert!(text.contains("Utkast i luften") && text.contains("<h2 id=\"rubrik\">Rubrik</h2>"));
    assert!(
        !text.contains("<script>x"),
        "sanitised like the public page"
    );
    assert!(text.contains("noindex"));
    assert_eq!(db::pages::count(app.db()).await.expect("count"), 14);
}

#[tokio::test]
async fn the_live_preview_renders_the_body_as_it_would_be_saved() {
    let (_app, browser) = app_with_editor().await;
    let csrf = hidden(&browser.get("/admin/pages/new").await.text(), "csrf");
    let body = "## Rubrik\n\n*Betonat* <script>alert(1)</script><a href=\"javascript:x\">länk</a>";
    let reply = browser
        .post(
            "/admin/pages/body-preview",
            &[("csrf", &csrf), ("body", body)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("<h2 id=\"rubrik\">Rubrik</h2>") && html.contains("<em>Betonat</em>"));
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(!html.contains("<html"), "only the body, not a page");
    let refused = browser
        .post(
            "/admin/pages/body-preview",
            &[("csrf", "0"), ("body", body)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = TestApp::spawn().await;
    let reply = anonymous
        .browser()
        .post("/admin/pages/body-preview", &[("body", body)])
        .await;
    assert_eq!(
        reply.status,
        StatusCode::SEE_OTHER,
        "no session, no preview"
    );
}

#[tokio::test]
async fn a_scheduled_page_appears_at_its_instant() {
    let start: jiff::Timestamp = "2026-12-01T08:00:00Z".parse().expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    // 10:00 in Stockholm on 1 December is 09:00 UTC.
    let id = create_page(
        &browser,
        &[
            ("title", "Schemalagd"),
            ("path", "schemalagd"),
            ("body", "Snart."),
            ("publish_date", "2026-12-01"),
            ("publish_time", "10:00"),
        ],
    )
    .await;
    let page = db::pages::find(app.db(), id)
        .await
        .expect("query")
        .expect("page");
    assert_eq!(
        page.content.publish_at.as_deref(),
        Some("2026-12-01T09:00:00Z")
    );
    assert!(
        browser
            .get("/admin")
            .await
            .text()
            .contains("Schemalagd 2026-12-01 10:00")
    );

    assert_eq!(app.get("/schemalagd").await.status, StatusCode::NOT_FOUND);
    assert!(!app.get("/sitemap.xml").await.text().contains("/schemalagd"));
    clock.set("2026-12-01T08:59:59Z".parse().expect("time"));
    assert_eq!(
        app.get("/schemalagd").await.status,
        StatusCode::NOT_FOUND,
        "a second early"
    );
    clock.set("2026-12-01T09:00:00Z".parse().expect("time"));
    assert_eq!(
        app.get("/schemalagd").await.status,
        StatusCode::OK,
        "on the second"
    );
    assert!(
        app.get("/sitemap.xml").await.text().contains("/schemalagd"),
        "cached sitemap emptied"
    );
    assert!(audit_actions(&app).await.contains(&"schedule".to_owned()));
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
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "idle over two hours"
    );

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
    assert_eq!(
        browser.get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "past twelve hours"
    );
}

#[tokio::test]
async fn malformed_admin_requests_get_a_page_in_swedish_not_a_500() {
    let (_app, browser) = app_with_editor().await;
    for path in [
        "/admin/pages/abc",
        "/admin/pages/99999",
        "/admin/pages/1/diff?from=x&to=y",
        "/admin/pages/1/diff",
        "/admin/audit?sida=-5&user=zz",
    ] {
        let reply = browser.get(path).await;
        assert!(
            reply.status.is_client_error() || reply.status == StatusCode::OK,
            "{path}: {}",
            reply.status
        );
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}"
        );
        assert!(reply.text().contains("lang=\"sv\""), "{path}");
    }
    let reply = browser
        .client
        .post(format!("{}/admin/pages/new", browser.base))
        .header("origin", &browser.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("title=a&title=b&%ff=1")
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST);
    assert!(
        reply
            .text()
            .await
            .expect("text")
            .contains("Formuläret kunde inte läsas")
    );

    let huge = format!("title=a&body={}", "x".repeat(2 * 1024 * 1024));
    let reply = browser
        .client
        .post(format!("{}/admin/pages/new", browser.base))
        .header("origin", &browser.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .expect("answered");
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.text().await.expect("text").contains("högst 1 MB"));
}

#[tokio::test]
async fn revisions_can_be_compared_and_restored_without_overwriting_anything() {
    let (app, browser) = app_with_editor().await;
    let id = create_page(
        &browser,
        &[
            ("title", "Historia"),
            ("path", "historia"),
            ("body", "Första raden.\nAndra raden om kommuner.\n"),
        ],
    )
    .await;
    save(
        &browser,
        id,
        &[("body", "Första raden.\nAndra raden om regioner.\n")],
    )
    .await;
    save(
        &browser,
        id,
        &[("title", "Historia, tredje"), ("body", "Helt ny text.\n")],
    )
    .await;

    let revisions = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert_eq!(revisions.len(), 3, "every save is a revision");
    let (newest, middle, oldest) = (&revisions[0], &revisions[1], &revisions[2]);
    assert_eq!(newest.author.as_deref(), Some("anna"));

    let history = browser.get(&format!("/admin/pages/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    let diff = browser
        .get(&format!(
            "/admin/pages/{id}/diff?from={}&to={}",
            oldest.id, middle.id
        ))
        .await;
    assert_eq!(diff.status, StatusCode::OK);
    let text = diff.text();
    assert!(
        text.contains("<mark>kommuner.</mark>"),
        "the changed word is marked: {text}"
    );
    assert!(text.contains("<mark>regioner.</mark>"));

    let csrf = hidden(&history.text(), "csrf");
    let reply = browser
        .post(
            &format!("/admin/pages/{id}/revisions/{}/restore", oldest.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = db::pages::find(app.db(), id)
        .await
        .expect("query")
        .expect("page");
    assert_eq!(page.content.title, "Historia");
    assert!(page.content.body_md.contains("kommuner"));
    let revisions = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert_eq!(
        revisions.len(),
        4,
        "restoring adds a revision and keeps the others"
    );
    assert_eq!(
        (revisions[0].revision_kind, revisions[0].note.as_str()),
        (RevisionKind::Restored, "1"),
        "the newest revision says it restored version 1"
    );
    assert!(
        app.get("/historia").await.text().contains("kommuner"),
        "public at once"
    );
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&"revision_restore".to_owned()));
    assert!(actions.contains(&"update".to_owned()));
}

#[tokio::test]
async fn two_editors_on_one_page_lose_nothing() {
    let (app, anna) = app_with_editor().await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let bertil = app.login("bertil", PASSWORD).await;
    let id = create_page(
        &anna,
        &[
            ("title", "Delad"),
            ("path", "delad"),
            ("body", "Ursprunglig text.\n"),
        ],
    )
    .await;

    let mut annas = anna.edit_form(id).await;
    let mut bertils = bertil.edit_form(id).await;
    set_field(&mut annas, "body", "Annas text.\n");
    set_field(&mut annas, "action", "publish");
    set_field(&mut bertils, "body", "Bertils text.\n");
    set_field(&mut bertils, "action", "publish");

    let first = anna
        .post(&format!("/admin/pages/{id}"), &as_pairs(&annas))
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&bertils))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let text = second.text();
    assert!(
        text.contains("Bertils text."),
        "Bertil's text stays in the form"
    );
    assert!(
        text.contains("<mark>Annas</mark> text."),
        "the other change is shown"
    );
    assert!(text.contains("<ins>") && text.contains("<del>"));
    let page = db::pages::find(app.db(), id)
        .await
        .expect("query")
        .expect("page");
    assert_eq!(
        page.content.body_md, "Annas text.\n",
        "the first save stands"
    );
    let kept = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert!(
        kept.iter()
            .any(|r| r.conflict && r.content.body_md == "Bertils text.\n"),
        "Bertil's text is kept"
    );

    // The 409 form is based on the current version: Bertil merges and saves.
    let mut merged = common::form_fields(&text, "edit-form");
    set_field(&mut merged, "body", "Annas text.\nBertils text.\n");
    set_field(&mut merged, "action", "publish");
    let third = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&merged))
        .await;
    assert_eq!(third.status, StatusCode::SEE_OTHER, "{}", third.text());
    assert!(app.get("/delad").await.text().contains("Bertils text."));
    assert!(audit_actions(&app).await.contains(&"conflict".to_owned()));
}

#[tokio::test]
async fn paths_are_checked_with_a_sentence_that_says_how_to_fix_them() {
    let (_app, browser) = app_with_editor().await;
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    for (path, expected) in [
        ("Om Oss", "små bokstäver"),
        ("om-oss", "används redan"),
        ("admin/x", "används av webbplatsen"),
    ] {
        let reply = browser
            .post(
                "/admin/pages/new",
                &[
                    ("csrf", &csrf),
                    ("lang", "sv"),
                    ("title", "Test"),
                    ("path", path),
                    ("kind", "page"),
                    ("action", "publish"),
                    ("body", "Behåll mig"),
                ],
            )
            .await;
        assert!(reply.status.is_client_error(), "{path}: {}", reply.status);
        let text = reply.text();
        assert!(text.contains(expected), "{path}: {text}");
        assert!(
            text.contains("href=\"#path\""),
            "the summary links to the field"
        );
        assert!(text.contains("Behåll mig"));
    }
}

#[tokio::test]
async fn a_body_nested_thousands_deep_is_a_form_error_not_a_stalled_server() {
    let (_app, browser) = app_with_editor().await;
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let deep = format!("{}djupt", "> ".repeat(200_000));
    let started = std::time::Instant::now();
    let reply = browser
        .post(
            "/admin/pages/new",
            &[
                ("csrf", &csrf),
                ("lang", "sv"),
                ("title", "Djup"),
                ("path", "djup"),
                ("kind", "page"),
                ("action", "publish"),
                ("body", &deep),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .text()
            .contains("nivåer av listor, citat eller HTML-element")
    );
    let preview = browser
        .post(
            "/admin/pages/preview",
            &[
                ("csrf", &csrf),
                ("lang", "sv"),
                ("title", "Djup"),
                ("body", &deep),
            ],
        )
        .await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "the preview shows it as plain text"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn renaming_a_parent_redirects_its_children_and_chains_collapse() {
    let (app, browser) = app_with_editor().await;
    let parent = create_page(&browser, &[("title", "Avdelning"), ("path", "a")]).await;
    let child = create_page(
        &browser,
        &[
            ("title", "Underavdelning"),
            ("path", "a/barn"),
            ("parent", &parent.to_string()),
        ],
    )
    .await;

    let reply = save(&browser, parent, &[("path", "b")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let child_page = db::pages::find(app.db(), child)
        .await
        .expect("query")
        .expect("child");
    assert_eq!(
        child_page.content.path, "b/barn",
        "the child moved with its parent"
    );
    for (old, new) in [("/a", "/b"), ("/a/barn", "/b/barn")] {
        let reply = app.get(old).await;
        assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(reply.header("location"), Some(new));
    }

    save(&browser, parent, &[("path", "c")]).await;
    for (old, new) in [
        ("/a", "/c"),
        ("/b", "/c"),
        ("/a/barn", "/c/barn"),
        ("/b/barn", "/c/barn"),
    ] {
        let reply = app.get(old).await;
        assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(reply.header("location"), Some(new), "{old} in one hop");
    }
    assert_eq!(app.get("/c/barn").await.status, StatusCode::OK);

    // Moving back takes the old path over: no loop, no redirect away from a live page.
    save(&browser, parent, &[("path", "a")]).await;
    assert_eq!(app.get("/a").await.status, StatusCode::OK);
    assert_eq!(app.get("/c").await.header("location"), Some("/a"));

    // A new page on an old path replaces the redirect.
    let taker = create_page(&browser, &[("title", "Ny på gammal adress"), ("path", "b")]).await;
    assert!(taker > 0);
    assert_eq!(app.get("/b").await.status, StatusCode::OK);
}

#[tokio::test]
async fn trash_restore_and_delete_for_good() {
    let app = TestApp::spawn().await;
    app.add_user("admin", Role::Admin, PASSWORD).await;
    app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let admin = app.login("admin", PASSWORD).await;
    let editor = app.login("redaktor", PASSWORD).await;
    let id = create_page(&editor, &[("title", "Tillfällig"), ("path", "tillfallig")]).await;
    let csrf = hidden(&editor.get("/admin").await.text(), "csrf");

    let reply = editor
        .post(&format!("/admin/pages/{id}/trash"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/tillfallig").await.status, StatusCode::NOT_FOUND);
    assert!(
        editor
            .get("/admin/trash")
            .await
            .text()
            .contains("Tillfällig")
    );

    editor
        .post(&format!("/admin/pages/{id}/restore"), &[("csrf", &csrf)])
        .await;
    assert_eq!(app.get("/tillfallig").await.status, StatusCode::OK);
    editor
        .post(&format!("/admin/pages/{id}/trash"), &[("csrf", &csrf)])
        .await;

    let refused = editor
        .post(&format!("/admin/pages/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "only admins delete for good"
    );
    let confirm = admin.get(&format!("/admin/pages/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    let admin_csrf = hidden(&confirm.text(), "csrf");
    let deleted = admin
        .post(
            &format!("/admin/pages/{id}/delete"),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        db::pages::find(app.db(), id)
            .await
            .expect("query")
            .is_none()
    );
    let actions = audit_actions(&app).await;
    for action in ["trash", "restore", "delete"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
    let log = admin.get("/admin/audit?action=delete").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.text().contains("Tillfällig"));
    assert!(
        !log.text().contains("<code>trash</code>"),
        "filtered by action"
    );
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let dir = tempfile::tempdir().expect("dir");
    let pool = db::open(&dir.path().join("site.db")).await.expect("db");
    let state = skl_cms::AppState::new(pool, "http://127.0.0.1")
        .await
        .expect("state");
    let link = skl_cms::admin::login::offer_setup_link(&state)
        .await
        .expect("setup")
        .expect("a link when there are no accounts");
    drop(state);
    let app = TestApp::spawn_in(dir).await;
    let path = &link[link.find("/admin/setup/").expect("path")..];
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
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
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
async fn editors_change_their_own_password_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    app.add_user("anna", Role::Editor, PASSWORD).await;
    let laptop = app.login("anna", PASSWORD).await;
    let phone = app.login("anna", PASSWORD).await;
    let page = laptop.get("/admin/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.text(), "csrf");
    let new = "ett nytt och längre lösenord";

    let wrong = laptop
        .post(
            "/admin/account",
            &[
                ("csrf", &csrf),
                ("current", "inte mitt lösenord alls"),
                ("password", new),
                ("password2", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.text().contains("nuvarande lösenordet stämmer inte"));

    let ok = laptop
        .post(
            "/admin/account",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("password", new),
                ("password2", new),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get("/admin").await.status,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        phone.get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "the others end"
    );
    assert_eq!(
        app.browser().log_in("anna", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().log_in("anna", new).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        audit_actions(&app)
            .await
            .contains(&"user_password".to_owned())
    );
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
async fn admins_change_roles_and_set_passwords_but_keep_one_admin() {
    let app = TestApp::spawn().await;
    let admin_id = app.add_user("admin", Role::Admin, PASSWORD).await;
    let editor_id = app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let admin = app.login("admin", PASSWORD).await;
    let editor = app.login("redaktor", PASSWORD).await;
    let page = admin.get(&format!("/admin/users/{editor_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden(&page.text(), "csrf");

    // The only admin cannot stop being one.
    let refused = admin
        .post(
            &format!("/admin/users/{admin_id}/role"),
            &[("csrf", &csrf), ("role", "editor")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text().contains("enda aktiva administratören"));

    let promoted = admin
        .post(
            &format!("/admin/users/{editor_id}/role"),
            &[("csrf", &csrf), ("role", "admin")],
        )
        .await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        editor.get("/admin/users").await.status,
        StatusCode::OK,
        "the new role applies at once"
    );

    let new = "ett nytt lösenord från administratören";
    let short = admin
        .post(
            &format!("/admin/users/{editor_id}/password"),
            &[("csrf", &csrf), ("password", "kort"), ("password2", "kort")],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let set = admin
        .post(
            &format!("/admin/users/{editor_id}/password"),
            &[("csrf", &csrf), ("password", new), ("password2", new)],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        editor.get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "their sessions ended"
    );
    assert_eq!(
        app.browser().log_in("redaktor", new).await.status,
        StatusCode::SEE_OTHER
    );

    let actions = audit_actions(&app).await;
    for action in ["user_role", "user_password"] {
        assert!(actions.contains(&action.to_owned()), "{action} audited");
    }
    let editor_again = app.login("admin", PASSWORD).await;
    assert_eq!(
        editor_again
            .get(&format!("/admin/users/{editor_id}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn no_generated_admin_request_gets_a_server_error() {
    let (app, browser) = app_with_editor().await;
    let csrf = hidden(&browser.get("/admin").await.text(), "csrf");
    let page = db::pages::id_by_path(app.db(), skl_cms::lang::Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("page")
        .to_string();
    let ids = [
        page.as_str(),
        "0",
        "-1",
        "99999",
        "abc",
        "1e3",
        "%00",
        "9223372036854775808",
    ];
    let values = [
        "",
        "x",
        "<script>alert(1)</script>",
        "'; drop table pages; --",
        "../../etc/passwd",
        "\u{0}",
        "å/ä/ö",
        "2026-13-45",
        "25:99",
        "-5",
        "99999999999999999999",
        "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s",
    ];
    let fields = [
        "title",
        "path",
        "parent",
        "translation",
        "lang",
        "kind",
        "menu_order",
        "publish_date",
        "publish_time",
        "version",
        "action",
        "body",
        "role",
        "password",
        "password2",
        "from",
        "to",
    ];
    let (mut requests, mut accepted) = (0, 0);
    for id in ids {
        let targets = [
            format!("/admin/pages/{id}"),
            format!("/admin/pages/{id}/unpublish"),
            format!("/admin/pages/{id}/trash"),
            format!("/admin/pages/{id}/restore"),
            format!("/admin/pages/{id}/revisions/{id}/restore"),
            format!("/admin/users/{id}/role"),
            format!("/admin/users/{id}/password"),
            "/admin/pages/new".to_owned(),
            "/admin/pages/preview".to_owned(),
            "/admin/users".to_owned(),
        ];
        for (n, target) in targets.iter().enumerate() {
            // Every field gets a value from the list, rotated so that each request differs.
            let form: Vec<(&str, &str)> = std::iter::once(("csrf", csrf.as_str()))
                .chain(
                    fields
                        .iter()
                        .enumerate()
                        .map(|(i, field)| (*field, values[(i + n + requests) % values.len()])),
                )
                .collect();
            let reply = browser.post(target, &form).await;
            accepted += usize::from(reply.status == StatusCode::SEE_OTHER);
            assert!(
                !reply.status.is_server_error(),
                "POST {target} {form:?}: {}",
                reply.status
            );
            let get = browser
                .get(&format!("{target}?from={id}&to={id}&sida={id}&user={id}"))
                .await;
            assert!(
                !get.status.is_server_error(),
                "GET {target}: {}",
                get.status
            );
            requests += 1;
        }
    }
    // Some generated requests were valid enough to change things, so the handlers' work was reached,
    // not only their checks.
    assert!(
        accepted > 0,
        "all {requests} requests were refused before doing anything"
    );
    // The site is still whole: the seed page answers.
    assert_eq!(app.get("/om-oss").await.status, StatusCode::OK);
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
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
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

#[tokio::test]
async fn simultaneous_saves_of_one_page_give_one_save_and_one_conflict_never_an_error() {
    let (app, anna) = app_with_editor().await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let bertil = app.login("bertil", PASSWORD).await;
    let id = create_page(&anna, &[("title", "Samtidigt"), ("path", "samtidigt")]).await;
    let path = format!("/admin/pages/{id}");
    for round in 0..15 {
        let mut annas = anna.edit_form(id).await;
        let mut bertils = bertil.edit_form(id).await;
        set_field(&mut annas, "body", &format!("Anna, runda {round}."));
        set_field(&mut annas, "action", "publish");
        set_field(&mut bertils, "body", &format!("Bertil, runda {round}."));
        set_field(&mut bertils, "action", "publish");
        let (annas, bertils) = (as_pairs(&annas), as_pairs(&bertils));
        let (a, b) = tokio::join!(anna.post(&path, &annas), bertil.post(&path, &bertils));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 409], "round {round}");
    }
}
