//! The editors' area, pages: drafts, previews, scheduling, paths, redirects, the trash, and requests
//! no browser would send. Real HTTP over TCP, a cookie-keeping client, a real SQLite file.

mod common;

use common::{
    TestApp,
    admin::{PASSWORD, app_with_editor, audit_actions, create_page, save},
    hidden,
};
use reqwest::StatusCode;
use skl_cms::{db, ids::PageId, time::Clock, vocab::Role};

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
    let page = app.page(id).await;
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
    reply.assert_redirect();
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
        StatusCode::UNAUTHORIZED,
        "no session, no preview (and no login page for the script to show as one)"
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
    let page = app.page(id).await;
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
    reply.assert_redirect();
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
    assert!(taker > PageId(0));
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
    reply.assert_redirect();
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
    deleted.assert_redirect();
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
async fn a_page_cannot_be_moved_below_its_own_child() {
    let (app, browser) = app_with_editor().await;
    let top = create_page(&browser, &[("title", "Överst"), ("path", "overst")]).await;
    let top_id = top.to_string();
    let middle = create_page(
        &browser,
        &[
            ("title", "Mitten"),
            ("path", "overst/mitten"),
            ("parent", &top_id),
        ],
    )
    .await;
    let middle_id = middle.to_string();
    let bottom = create_page(
        &browser,
        &[
            ("title", "Nederst"),
            ("path", "overst/mitten/nederst"),
            ("parent", &middle_id),
        ],
    )
    .await;
    let before = app.page(top).await;
    for below in [top, bottom] {
        let reply = save(&browser, top, &[("parent", &below.to_string())]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{below}");
        assert!(
            reply
                .text()
                .contains("En sida kan inte ligga under sig själv"),
            "{below}: {}",
            reply.text()
        );
    }
    assert_eq!(app.page(top).await.version, before.version, "nothing saved");
    assert_eq!(app.page(top).await.parent_id, None);
}
