//! What visitors see: every seed page, navigation, languages, visibility rules and the 404 page.

mod common;

use common::{TestApp, content_dir, html_escape, news, page};
use reqwest::StatusCode;
use skl_cms::{content::transfer, db, lang::Lang, time, vocab::Status};

#[tokio::test]
async fn every_seed_page_answers_in_both_languages_with_its_title() {
    let app = TestApp::spawn().await;
    let files = transfer::read_dir(&content_dir()).expect("seed content reads");
    assert!(files.iter().any(|file| file.lang == Lang::Sv));
    assert!(files.iter().any(|file| file.lang == Lang::En));
    for file in &files {
        let url = file.lang.page_url(&file.document.front.path);
        let reply = app.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}");
        let html = reply.text();
        let title = html_escape(&file.document.front.title);
        assert!(
            html.contains(&format!("<h1>{title}</h1>")),
            "{url} lacks its title"
        );
        assert!(
            html.contains(&format!("<html lang=\"{}\">", file.lang)),
            "{url} has the wrong lang"
        );
    }
}

#[tokio::test]
async fn the_main_menu_follows_menu_order_and_marks_the_current_page() {
    let app = TestApp::spawn().await;
    let html = app.get("/sa-arbetar-vi").await.text();
    let menu = html
        .split("aria-label=\"Huvudmeny\"")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next());
    let menu = menu.expect("the page has a main menu");
    let positions: Vec<usize> = [
        "/om-oss\"",
        "/sa-arbetar-vi\"",
        "/millenniekommun\"",
        "/nyheter\"",
    ]
    .iter()
    .map(|href| {
        menu.find(href)
            .unwrap_or_else(|| panic!("menu lacks {href}"))
    })
    .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "menu out of order: {menu}"
    );
    assert!(
        menu.contains("<a href=\"/sa-arbetar-vi\" aria-current=\"page\">"),
        "{menu}"
    );
    assert!(
        !menu.contains("tillganglighetsredogorelse"),
        "pages without menu_order stay out of the menu"
    );
}

#[tokio::test]
async fn a_menu_change_reorders_the_menu() {
    let app = TestApp::spawn().await;
    let mut new_page = page("kontakt", "Kontakt");
    new_page.content.menu_order = Some(0);
    app.add_page(&new_page).await;
    let html = app.get("/").await.text();
    let kontakt = html
        .find("href=\"/kontakt\"")
        .expect("new page is in the menu");
    let om_oss = html.find("href=\"/om-oss\"").expect("menu");
    assert!(kontakt < om_oss);
}

#[tokio::test]
async fn breadcrumbs_lead_from_home_through_the_parents() {
    let app = TestApp::spawn().await;
    let html = app.get("/millenniekommun/millenniemalen").await.text();
    let trail = html
        .split("aria-label=\"Du är här\"")
        .nth(1)
        .expect("breadcrumbs");
    let trail = trail.split("</nav>").next().expect("closed");
    let home = trail.find("href=\"/\"").expect("home first");
    let parent = trail
        .find("href=\"/millenniekommun\"")
        .expect("parent next");
    let current = trail
        .find("aria-current=\"page\">FN:s millenniemål")
        .expect("current page last");
    assert!(home < parent && parent < current);

    let parent_html = app.get("/millenniekommun").await.text();
    assert!(
        parent_html.contains("href=\"/millenniekommun/millenniemalen\""),
        "parent lists its child"
    );
}

#[tokio::test]
async fn the_language_switch_and_hreflang_link_translations() {
    let app = TestApp::spawn().await;
    let base = app.url("");
    let sv = app.get("/om-oss").await.text();
    assert!(sv.contains(
        "<a class=\"lang-switch\" href=\"/en/about\" hreflang=\"en\" lang=\"en\">English</a>"
    ));
    assert!(sv.contains(&format!(
        "<link rel=\"alternate\" hreflang=\"sv\" href=\"{base}/om-oss\">"
    )));
    assert!(sv.contains(&format!(
        "<link rel=\"alternate\" hreflang=\"en\" href=\"{base}/en/about\">"
    )));
    assert!(sv.contains(&format!("<link rel=\"canonical\" href=\"{base}/om-oss\">")));

    let en = app.get("/en/about").await.text();
    assert!(en.contains(
        "<a class=\"lang-switch\" href=\"/om-oss\" hreflang=\"sv\" lang=\"sv\">Svenska</a>"
    ));
    assert!(en.contains(&format!(
        "<link rel=\"alternate\" hreflang=\"sv\" href=\"{base}/om-oss\">"
    )));
}

#[tokio::test]
async fn a_page_without_translation_switches_to_the_other_home_page() {
    let app = TestApp::spawn().await;
    app.add_page(&page("bara-svenska", "Bara på svenska")).await;
    let html = app.get("/bara-svenska").await.text();
    assert!(html.contains("class=\"lang-switch\" href=\"/en/\""));
    assert!(
        !html.contains("hreflang=\"en\" href=\"http"),
        "no alternate without a translation"
    );
}

#[tokio::test]
async fn archived_pages_say_the_project_has_ended() {
    let app = TestApp::spawn().await;
    let sv = app.get("/millenniekommun").await.text();
    assert!(sv.contains("notice--archived") && sv.contains("avslutades 2012"));
    let en = app.get("/en/millennium-municipality").await.text();
    assert!(en.contains("notice--archived") && en.contains("ended in 2012"));
    let current = app.get("/om-oss").await.text();
    assert!(!current.contains("notice--archived"));
}

#[tokio::test]
async fn news_items_show_their_date_in_the_visitors_language() {
    let app = TestApp::spawn().await;
    let sv = app
        .get("/nyheter/avtalet-mellan-skl-och-sida-upphor")
        .await
        .text();
    assert!(
        sv.contains("<time datetime=\"2012-12\">december 2012</time>"),
        "{sv}"
    );
    let en = app
        .get("/en/news/agreement-between-skl-and-sida-ended")
        .await
        .text();
    assert!(en.contains("<time datetime=\"2012-12\">December 2012</time>"));
}

#[tokio::test]
async fn the_news_list_is_newest_first_and_paginated() {
    let app = TestApp::spawn().await;
    for day in 1..=11 {
        let item = news(
            &format!("nyheter/nyhet-{day}"),
            &format!("Nyhet {day}"),
            &format!("2020-01-{day:02}T09:00:00Z"),
        );
        app.add_page(&item).await;
    }
    let first = app.get("/nyheter").await.text();
    let newest = first.find("Nyhet 11").expect("newest on page 1");
    let older = first.find("Nyhet 10").expect("next newest on page 1");
    assert!(newest < older);
    assert!(
        !first.contains("Avtalet mellan SKL"),
        "the 2012 item is on page 2"
    );
    assert!(first.contains("href=\"/nyheter/sida/2\" rel=\"next\""));

    let second = app.get("/nyheter/sida/2").await;
    assert_eq!(second.status, StatusCode::OK);
    let second = second.text();
    assert!(second.contains("Nyhet 1<") && second.contains("Avtalet mellan SKL"));
    assert!(second.contains("href=\"/nyheter\" rel=\"prev\""));

    for missing in ["/nyheter/sida/3", "/nyheter/sida/x", "/nyheter/sida/0"] {
        assert_eq!(
            app.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    // The query form of earlier versions, and page 1's second address, lead to the page's own.
    for (old, new) in [
        ("/nyheter?page=2", "/nyheter/sida/2"),
        ("/nyheter/sida/1", "/nyheter"),
    ] {
        let moved = app.get(old).await;
        assert_eq!(moved.status, StatusCode::PERMANENT_REDIRECT, "{old}");
        assert_eq!(moved.header("location"), Some(new), "{old}");
    }
    let bad = app.get("/nyheter?page=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("Sidnumret måste vara ett heltal"));
}

#[tokio::test]
async fn drafts_future_and_trashed_pages_are_invisible() {
    let app = TestApp::spawn().await;
    let mut draft = page("utkast", "Utkast");
    draft.content.status = Status::Draft;
    draft.content.menu_order = Some(9);
    app.add_page(&draft).await;

    let mut future = page("framtid", "Framtid");
    future.content.publish_at = Some("2999-01-01T00:00:00Z".to_owned());
    future.content.menu_order = Some(9);
    app.add_page(&future).await;

    let trashed = app.add_page(&page("papperskorg", "Papperskorg")).await;
    assert_eq!(app.get("/papperskorg").await.status, StatusCode::OK);
    db::pages::trash(app.db(), trashed, &time::now_db())
        .await
        .expect("trash");
    app.state.content_changed().await.expect("invalidate");

    for path in ["/utkast", "/framtid", "/papperskorg"] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let home = app.get("/").await.text();
    assert!(
        !home.contains("Utkast") && !home.contains("Framtid"),
        "invisible pages stay out of the menu"
    );
    let sitemap = app.get("/sitemap.xml").await.text();
    assert!(
        !sitemap.contains("utkast")
            && !sitemap.contains("framtid")
            && !sitemap.contains("papperskorg")
    );
}

#[tokio::test]
async fn a_scheduled_page_appears_when_its_time_comes() {
    let app = TestApp::spawn().await;
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2);
    let mut scheduled = page("snart", "Snart");
    scheduled.content.publish_at = Some(time::to_db(soon));
    scheduled.content.menu_order = Some(5);
    app.add_page(&scheduled).await;
    assert_eq!(app.get("/snart").await.status, StatusCode::NOT_FOUND);
    // The home page is cached now, without the scheduled page in its menu ...
    assert!(!app.get("/").await.text().contains("href=\"/snart\""));
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    // ... and must not keep that menu past the publish time.
    assert_eq!(app.get("/snart").await.status, StatusCode::OK);
    assert!(app.get("/").await.text().contains("href=\"/snart\""));
}

#[tokio::test]
async fn the_404_page_speaks_the_language_of_the_address() {
    let app = TestApp::spawn().await;
    let sv = app.get("/finns-inte").await;
    assert_eq!(sv.status, StatusCode::NOT_FOUND);
    let sv = sv.text();
    assert!(sv.contains("<html lang=\"sv\">") && sv.contains("Sidan finns inte"));
    assert!(
        sv.contains("href=\"/\"")
            && sv.contains("href=\"/om-oss\"")
            && sv.contains("href=\"/millenniekommun\"")
    );

    let en = app.get("/en/does-not-exist").await;
    assert_eq!(en.status, StatusCode::NOT_FOUND);
    let en = en.text();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Page not found"));
    assert!(en.contains("href=\"/en/\"") && en.contains("href=\"/en/about\""));
}

#[tokio::test]
async fn trailing_slashes_redirect_to_the_canonical_address() {
    let app = TestApp::spawn().await;
    let reply = app.get("/om-oss/").await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some("/om-oss"));
    for (from, to) in [("/nyheter/", "/nyheter"), ("/en/news/", "/en/news")] {
        let reply = app.get(from).await;
        assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT, "{from}");
        assert_eq!(reply.header("location"), Some(to));
    }
    let reply = app.get("/en").await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some("/en/"));
}

#[tokio::test]
async fn pages_carry_meta_description_and_opengraph() {
    let app = TestApp::spawn().await;
    let html = app.get("/om-oss").await.text();
    assert!(html.contains("<meta name=\"description\" content=\"SKL International ägs av"));
    assert!(html.contains("<meta property=\"og:title\" content=\"Om SKL International\">"));
    assert!(html.contains("<title>Om SKL International – SKL International</title>"));
    assert!(
        html.contains("href=\"/tillganglighetsredogorelse\""),
        "the footer links the accessibility statement"
    );
    let en = app.get("/en/").await.text();
    assert!(en.contains("href=\"/en/accessibility-statement\""));
}

#[tokio::test]
async fn an_import_by_another_process_reaches_the_running_site() {
    let app = TestApp::spawn().await;
    assert!(
        app.get("/om-oss")
            .await
            .text()
            .contains("<h1>Om SKL International</h1>")
    );

    // Another connection pool stands in for `skl-cms import` run beside the server.
    let other = common::location(app.dir.path())
        .await
        .open()
        .await
        .expect("opens");
    let mut files = transfer::read_dir(&content_dir()).expect("seed content");
    let about = files
        .iter_mut()
        .find(|file| file.document.front.path == "om-oss")
        .expect("about page");
    about.document.front.title = "Om oss, importerad".to_owned();
    transfer::import(&other, &files, Vec::new(), false)
        .await
        .expect("import");
    other.close().await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app
        .get("/om-oss")
        .await
        .text()
        .contains("<h1>Om oss, importerad</h1>")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the server still shows the old page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
