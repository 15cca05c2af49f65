//! The render cache end to end: an edit removes the cached responses that show what it changed (and
//! keeps the others), an address without a page is answered from the cache until a page is there,
//! and a change made by another process empties the cache. Real HTTP over TCP, a real SQLite file.

mod common;

use skl_cms::db::engine::query;
use std::time::{Duration, Instant};

use common::{
    TestApp,
    admin::{app_with_editor, save},
    page,
};
use reqwest::StatusCode;
use skl_cms::{content::editing::Translation, lang::Lang, vocab::Kind};

/// Asks for `path` and checks that the answer is now kept.
async fn cached(app: &TestApp, path: &str) -> String {
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    assert!(app.state.cache.contains(path), "{path} is kept");
    reply.text()
}

#[tokio::test]
async fn an_edit_reaches_the_pages_that_show_it_and_no_others() {
    let (app, browser) = app_with_editor().await;
    let section = app.add_page(&page("avdelning", "Avdelningen")).await;
    let mut child = page("avdelning/team", "Teamet");
    child.parent_id = Some(section);
    let child = app.add_page(&child).await;
    app.add_page(&page("annan", "En annan sida")).await;

    assert!(cached(&app, "/avdelning").await.contains("Teamet"));
    assert!(
        cached(&app, "/avdelning/team")
            .await
            .contains("Avdelningen")
    );
    cached(&app, "/annan").await;

    // The child's title is in its parent's list of sections.
    save(&browser, child, &[("title", "Laget")])
        .await
        .assert_redirect();
    assert!(app.get("/avdelning").await.text().contains("Laget"));
    assert!(
        app.state.cache.contains("/annan"),
        "an unrelated page stays"
    );

    // The parent's title is in the child's breadcrumb trail.
    cached(&app, "/avdelning/team").await;
    save(&browser, section, &[("title", "Enheten")])
        .await
        .assert_redirect();
    assert!(app.get("/avdelning/team").await.text().contains("Enheten"));
    assert!(app.state.cache.contains("/annan"), "still");

    // Something in the main menu is on every page: everything goes.
    let om_oss = skl_cms::db::pages::id_by_path(app.db(), Lang::Sv, "om-oss")
        .await
        .expect("read")
        .expect("the seed has /om-oss");
    cached(&app, "/annan").await;
    save(&browser, om_oss, &[("title", "Om organisationen")])
        .await
        .assert_redirect();
    assert!(!app.state.cache.contains("/annan"));
    assert!(app.get("/annan").await.text().contains("Om organisationen"));
}

#[tokio::test]
async fn translations_and_news_reach_the_pages_that_link_them() {
    let app = TestApp::spawn().await;
    let swedish = app.add_page(&page("projekt-x", "Projekt X")).await;
    assert!(!cached(&app, "/projekt-x").await.contains("/en/project-x"));
    let mut english = page("project-x", "Project X");
    english.lang = Lang::En;
    english.translation = Translation::Of(swedish);
    app.add_page(&english).await;
    assert!(
        app.get("/projekt-x").await.text().contains("/en/project-x"),
        "the language switch leads to the new translation"
    );

    cached(&app, "/").await;
    cached(&app, "/nyheter").await;
    cached(&app, "/feed.xml").await;
    cached(&app, "/projekt-x").await;
    let mut news = page("nyheter/flamingor", "Flamingor flyttar in");
    news.content.kind = Kind::News;
    app.add_page(&news).await;
    for path in ["/", "/nyheter", "/feed.xml"] {
        assert!(
            app.get(path).await.text().contains("Flamingor flyttar in"),
            "{path} lists the new item"
        );
    }
    assert!(
        app.state.cache.contains("/projekt-x"),
        "a page that lists no news stays"
    );
}

#[tokio::test]
async fn an_address_without_a_page_is_kept_until_a_page_is_there() {
    let (app, browser) = app_with_editor().await;
    for _ in 0..2 {
        let reply = app.get("/ny-sida").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert!(reply.text().contains("<form"), "the page has a search box");
    }
    assert!(app.state.cache.contains("/ny-sida"), "the answer is kept");
    let english = app.get("/en/missing").await;
    assert_eq!(english.status, StatusCode::NOT_FOUND);
    assert!(english.text().contains("lang=\"en\""), "in English");
    assert_eq!(app.get("/ny-sida?x=1").await.status, StatusCode::NOT_FOUND);
    assert!(
        !app.state.cache.contains("/ny-sida?x=1"),
        "query strings are not kept"
    );

    let id = app.add_page(&page("ny-sida", "Ny sida")).await;
    assert_eq!(app.get("/ny-sida").await.status, StatusCode::OK);

    // Moved: the old address leads to the new one, which answers.
    save(&browser, id, &[("path", "flyttad-sida")])
        .await
        .assert_redirect();
    assert_eq!(
        app.get("/ny-sida").await.status,
        StatusCode::MOVED_PERMANENTLY
    );
    assert_eq!(app.get("/flyttad-sida").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_change_by_another_process_empties_the_cache() {
    let app = TestApp::spawn().await;
    app.add_page(&page("annan", "En annan sida")).await;
    cached(&app, "/annan").await;
    // Another connection, as `skl-cms import` or a script would have.
    let other = common::location(app.dir.path())
        .await
        .open()
        .await
        .expect("second pool");
    on_pool!(&other, |pool| query(
        "update pages set title = 'Ändrad utifrån' where path = 'annan'"
    )
    .execute(pool)
    .await
    .map(|_| ())
    .expect("update"));
    let started = Instant::now();
    while !app.get("/annan").await.text().contains("Ändrad utifrån") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server noticed within its poll"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_cdn_may_keep_pages_as_long_as_configured_and_browsers_revalidate() {
    let plain = TestApp::spawn().await;
    let page = plain.get("/om-oss").await;
    assert_eq!(page.header("cache-control"), Some("public, no-cache"));

    let app = TestApp::spawn_configured(|state| state.with_cdn_max_age(300)).await;
    for path in [
        "/om-oss",
        "/om-oss",
        "/nyheter",
        "/feed.xml",
        "/sitemap.xml",
    ] {
        let reply = app.get(path).await;
        assert_eq!(
            reply.header("cache-control"),
            Some("public, max-age=0, s-maxage=300, stale-while-revalidate=300"),
            "{path}"
        );
    }
    let etag = app
        .get("/om-oss")
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let again = app.get_with("/om-oss", &[("if-none-match", &etag)]).await;
    assert_eq!(
        again.status,
        StatusCode::NOT_MODIFIED,
        "browsers revalidate cheaply"
    );
    let missing = app.get("/finns-inte").await;
    assert_eq!(
        missing.header("cache-control"),
        Some("no-store"),
        "a missing page is not kept downstream"
    );
}
