//! Search end to end: relevance in Swedish and English, hostile queries, and the index following
//! every change to pages. Real HTTP over TCP, a real SQLite file.

mod common;

use common::{
    TestApp,
    admin::{app_with_editor, create_page, save},
    hidden, news, page,
};
use reqwest::StatusCode;
use skl_cms::db::engine::query_scalar;
use skl_cms::{lang::Lang, time::Clock};

/// The addresses of the results of `query`, best first.
async fn results(app: &TestApp, search: &str, query: &str) -> Vec<String> {
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let reply = app.get(&format!("{search}?q={encoded}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
    result_links(&reply.text())
}

fn result_links(html: &str) -> Vec<String> {
    let Some(list) = html.split("<ol class=\"search-results\">").nth(1) else {
        return Vec::new();
    };
    let list = list.split("</ol>").next().unwrap_or_default();
    list.split("<h2><a href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// A few pages with words the seed content does not have, so that the expected results are known.
async fn corpus(app: &TestApp) {
    let pages = [
        (
            "vattenverk",
            "Vattenverk i Moldavien",
            "Vattenverken i tre kommuner byggdes om under projektet.",
        ),
        (
            "fjarrvarme",
            "Fjärrvärme",
            "Fjärrvärmenätet byggs ut i staden.",
        ),
        (
            "skolmat",
            "Skolmaten",
            "Skolmaten lagas i köket varje dag. Måltiderna är gratis.",
        ),
        (
            "avfall",
            "Avfallshantering",
            "Sopsorteringen fungerar. Ett vattenverk nämns här i förbigående.",
        ),
    ];
    for (path, title, body) in pages {
        let mut draft = page(path, title);
        draft.content.body_md = body.to_owned();
        app.add_page(&draft).await;
    }
    let mut english = page("water-goals", "Water goals");
    english.lang = Lang::En;
    english.content.body_md = "The goals for clean drinking water were met.".to_owned();
    app.add_page(&english).await;
}

#[tokio::test]
async fn the_expected_page_comes_first() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    let table = [
        // exact, the title above the body
        ("/sok", "vattenverk", "/vattenverk"),
        // inflections, both ways
        ("/sok", "vattenverkens", "/vattenverk"),
        ("/sok", "måltider", "/skolmat"),
        // accents typed as plain letters
        ("/sok", "fjarrvarme", "/fjarrvarme"),
        ("/sok", "skolmaten lagas i koket", "/skolmat"),
        // compounds: a part of a word
        ("/sok", "värme", "/fjarrvarme"),
        ("/sok", "nätet", "/fjarrvarme"),
        // phrases
        ("/sok", "\"lagas i köket\"", "/skolmat"),
        // the seed content
        ("/sok", "millenniemål", "/millenniekommun/millenniemalen"),
        ("/sok", "millenniemal", "/millenniekommun/millenniemalen"),
        ("/sok", "Millenniekommun", "/millenniekommun"),
        // English
        ("/en/search", "goal", "/en/water-goals"),
        ("/en/search", "drinking", "/en/water-goals"),
    ];
    for (search, query, first) in table {
        let found = results(&app, search, query).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some(first),
            "{query}: {found:?}"
        );
    }
}

#[tokio::test]
async fn matches_rank_exact_then_stemmed_then_parts_and_exclusions_exclude() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    let found = results(&app, "/sok", "vattenverk").await;
    assert_eq!(found, ["/vattenverk", "/avfall"], "title before body");
    let found = results(&app, "/sok", "vattenverk -sopsorteringen").await;
    assert_eq!(found, ["/vattenverk"]);
    // A page whose title matches is still left out by a word excluded from its title or body.
    let found = results(&app, "/sok", "vattenverk -moldavien").await;
    assert_eq!(found, ["/avfall"]);
    let found = results(&app, "/sok", "vattenverk -tre").await;
    assert_eq!(found, ["/avfall"]);
    assert!(results(&app, "/sok", "\"köket lagas\"").await.is_empty());
    let found = results(&app, "/sok", "kommun").await;
    assert!(
        found.contains(&"/millenniekommun".to_owned()) && found.contains(&"/vattenverk".to_owned()),
        "compound and inflection: {found:?}"
    );
    // A short query finds words that start with it.
    assert!(
        results(&app, "/sok", "fj")
            .await
            .contains(&"/fjarrvarme".to_owned())
    );
}

#[tokio::test]
async fn words_spelt_right_that_are_never_together_get_no_spelling_advice() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    // Both words are on pages, never on the same one.
    let html = app
        .get("/sok?q=skolmaten+fj%C3%A4rrv%C3%A4rmen%C3%A4tet")
        .await
        .text();
    assert!(html.contains("Inga sidor hittades"), "{html}");
    assert!(!html.contains("Menade du"), "{html}");
}

#[tokio::test]
async fn a_search_that_finds_nothing_helps() {
    let app = TestApp::spawn().await;
    corpus(&app).await;
    let reply = app.get("/sok?q=vattenverc").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(
        html.contains("Inga sidor hittades för ”vattenverc”"),
        "{html}"
    );
    assert!(
        html.contains("Menade du <a href=\"/sok?q=vattenverk\">vattenverk</a>"),
        "{html}"
    );
    assert!(html.contains("Kontrollera stavningen"));
    assert!(
        html.contains("href=\"/om-oss\""),
        "links to the main sections"
    );

    let water = app.get("/sok?q=water").await.text();
    assert!(
        water.contains("href=\"/en/search?q=water\""),
        "the same search in English: {water}"
    );
    assert!(water.contains("Samma sökning på engelska: 1"));
    assert!(water.contains("<meta name=\"robots\" content=\"noindex\">"));
}

#[tokio::test]
async fn results_are_paginated_with_snippets_and_news_dates() {
    let app = TestApp::spawn().await;
    for n in 1..=12 {
        let mut item = news(
            &format!("nyheter/tagg-{n}"),
            &format!("Nyhet {n} om taggar"),
            &format!("2020-01-{n:02}T09:00:00Z"),
        );
        item.content.body_md =
            format!("Text nummer {n} om <b>taggar</b> & <script>alert(1)</script>.");
        app.add_page(&item).await;
    }
    let first = app.get("/sok?q=taggar").await;
    let html = first.text();
    assert_eq!(result_links(&html).len(), 10);
    assert!(html.contains("12 träffar för ”taggar”"), "{html}");
    assert!(
        html.contains("href=\"/sok?q=taggar&#38;sida=2\" rel=\"next\""),
        "{html}"
    );
    assert!(html.contains("<mark>taggar</mark>"));
    assert!(html.contains("Startsida › Nyheter"), "the breadcrumb path");
    assert!(html.contains("<time datetime=\"2020-01-"), "news dates");
    assert!(
        !html.contains("<script>alert"),
        "page text is escaped in snippets"
    );
    let second = app.get("/sok?q=taggar&sida=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(result_links(&second.text()).len(), 2);
    assert!(second.header("cache-control") == Some("no-store"));
}

#[tokio::test]
async fn no_query_gets_a_server_error_or_reaches_fts_as_syntax() {
    let app = TestApp::spawn().await;
    let long = "kommun ".repeat(60);
    let hostile = [
        "%22",
        "*",
        "NEAR(",
        "NEAR(kommun%20sida)",
        "OR",
        "AND",
        "NOT",
        "kommun%20OR%20sida",
        "%5E",
        ":",
        "()",
        "col:term",
        "title:kommun",
        "%22%22%22",
        "-",
        "--kommun",
        "-kommun",
        "%22unclosed",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "a",
        "%C3%A5",
        "%00",
        "kommun%00sida",
        "%ff",
        "%e2%28%a1",
        "%20%20%20",
        "",
        "*kommun*",
        "k*",
        "%7B%7D%5B%5D",
        "%27%3B%20drop%20table%20pages%3B--",
        long.as_str(),
    ];
    for query in hostile {
        for search in ["/sok", "/en/search"] {
            let reply = app.get(&format!("{search}?q={query}")).await;
            assert!(
                reply.status.as_u16() < 500,
                "{search}?q={query}: {}",
                reply.status
            );
            let html = reply.text();
            assert!(
                html.trim_end().ends_with("</html>"),
                "{query}: a whole page"
            );
            assert!(!html.contains("<script>alert"), "{query}: escaped");
        }
    }
    for bad in [
        "/sok?q=x&sida=abc",
        "/sok?q=x&sida=0",
        "/en/search?q=x&page=-1",
        "/sok?q=%ff",
    ] {
        let reply = app.get(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert!(
        app.get(&format!("/sok?q={long}"))
            .await
            .text()
            .contains("kortades till 200 tecken")
    );
    assert!(
        app.get("/sok?q=-kommun")
            .await
            .text()
            .contains("inte bara ord att utesluta")
    );
    assert!(
        app.get("/sok")
            .await
            .text()
            .contains("Skriv ett eller flera ord")
    );
}

#[tokio::test]
async fn every_page_has_a_search_box_and_opensearch() {
    let app = TestApp::spawn().await;
    for (path, action) in [
        ("/", "/sok"),
        ("/en/", "/en/search"),
        ("/finns-inte", "/sok"),
        ("/en/nothing", "/en/search"),
    ] {
        let html = app.get(path).await.text();
        assert!(
            html.contains(&format!(
                "role=\"search\" method=\"get\" action=\"{action}\""
            )),
            "{path}"
        );
        assert!(html.contains("<label class=\"visually-hidden\" for=\"site-search\">"));
        assert!(html.contains("rel=\"search\" type=\"application/opensearchdescription+xml\""));
    }
    let missing = app.get("/finns-inte").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .text()
            .contains("<input id=\"search-query\" type=\"search\" name=\"q\""),
        "the 404 page offers a search of its own"
    );
    for (path, template) in [
        ("/opensearch.xml", "/sok?q={searchTerms}"),
        ("/en/opensearch.xml", "/en/search?q={searchTerms}"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::OK);
        let xml = reply.text();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let url = doc
            .descendants()
            .find(|node| node.has_tag_name("Url"))
            .and_then(|node| node.attribute("template"))
            .expect("a URL template");
        assert_eq!(url, app.url(template));
    }
}

#[tokio::test]
async fn the_index_follows_every_change_to_a_page() {
    let (app, browser) = app_with_editor().await;
    let id = create_page(
        &browser,
        &[
            ("title", "Kalkon"),
            ("path", "kalkon"),
            ("body", "Om pelargoner."),
            ("action", "draft"),
        ],
    )
    .await;
    assert!(
        results(&app, "/sok", "pelargoner").await.is_empty(),
        "a draft is not found"
    );
    save(&browser, id, &[("action", "publish")])
        .await
        .assert_redirect();
    assert_eq!(
        results(&app, "/sok", "pelargoner").await,
        ["/kalkon"],
        "published"
    );
    save(&browser, id, &[("body", "Om struts.")])
        .await
        .assert_redirect();
    assert_eq!(results(&app, "/sok", "struts").await, ["/kalkon"], "edited");
    assert!(
        results(&app, "/sok", "pelargoner").await.is_empty(),
        "the old text is gone"
    );
    let edit = browser.get(&format!("/admin/pages/{id}")).await;
    let csrf = hidden(&edit.text(), "csrf");
    browser
        .post(&format!("/admin/pages/{id}/unpublish"), &[("csrf", &csrf)])
        .await
        .assert_redirect();
    assert!(
        results(&app, "/sok", "struts").await.is_empty(),
        "unpublished"
    );
    save(&browser, id, &[("action", "publish")])
        .await
        .assert_redirect();
    browser
        .post(&format!("/admin/pages/{id}/trash"), &[("csrf", &csrf)])
        .await
        .assert_redirect();
    assert!(results(&app, "/sok", "struts").await.is_empty(), "trashed");
    browser
        .post(&format!("/admin/pages/{id}/restore"), &[("csrf", &csrf)])
        .await
        .assert_redirect();
    assert_eq!(
        results(&app, "/sok", "struts").await,
        ["/kalkon"],
        "restored"
    );
}

#[tokio::test]
async fn a_scheduled_page_is_found_from_its_second_on() {
    let start = jiff::Timestamp::from_second(1_900_000_000).expect("valid");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let mut scheduled = page("senare", "Senare");
    scheduled.content.body_md = "Pelikaner flyger.".to_owned();
    scheduled.content.publish_at = Some(skl_cms::time::to_db(
        start + jiff::SignedDuration::from_secs(60),
    ));
    app.add_page(&scheduled).await;
    assert!(results(&app, "/sok", "pelikaner").await.is_empty());
    clock.set(start + jiff::SignedDuration::from_secs(59));
    assert!(
        results(&app, "/sok", "pelikaner").await.is_empty(),
        "a second early"
    );
    clock.set(start + jiff::SignedDuration::from_secs(60));
    assert_eq!(results(&app, "/sok", "pelikaner").await, ["/senare"]);
}

#[tokio::test]
async fn an_import_is_findable_at_once_and_reindex_rebuilds() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("folder");
    std::fs::create_dir_all(dir.path().join("sv")).expect("sv");
    std::fs::write(
        dir.path().join("sv/importerad.md"),
        "+++\ntitle = \"Importerad\"\npath = \"importerad\"\n+++\n\nOm flamingor.\n",
    )
    .expect("file");
    let files = skl_cms::content::transfer::read_dir(dir.path()).expect("read");
    skl_cms::content::transfer::import(app.db(), &files, Vec::new(), false)
        .await
        .expect("import");
    assert_eq!(results(&app, "/sok", "flamingor").await, ["/importerad"]);

    // An index emptied behind the server's back is whole again after a rebuild. (Each search is
    // spelt differently, so that none is answered from the cache of results.)
    by_pool!(
        app.db(),
        |pool| sqlx::query("delete from search_words_sv")
            .execute(pool)
            .await
            .map(|_| ()),
        |pool| sqlx::query("delete from search_documents where lang = 'sv'")
            .execute(pool)
            .await
            .map(|_| ()),
    )
    .expect("empty one index");
    assert!(results(&app, "/sok", "FLAMINGOR").await.is_empty());
    let indexed = skl_cms::search::rebuild(app.db(), &skl_cms::time::now_db())
        .await
        .expect("rebuild");
    assert!(indexed >= 15, "{indexed}");
    assert_eq!(results(&app, "/sok", "Flamingor").await, ["/importerad"]);
}

#[tokio::test]
async fn editors_see_what_visitors_could_not_find_and_nothing_more() {
    let (app, browser) = app_with_editor().await;
    for query in ["zebrafinkar", "zebrafinkar", "Zebrafinkar", "kommun"] {
        results(&app, "/sok", query).await;
    }
    results(&app, "/en/search", "unicorns").await;
    let report = browser.get("/admin/search").await;
    assert_eq!(report.status, StatusCode::OK);
    let html = report.text();
    let row = html
        .split("<tr>")
        .find(|row| row.contains(">zebrafinkar</a>"))
        .unwrap_or_else(|| panic!("zebrafinkar listed: {html}"));
    assert!(
        row.contains("<td>svenska</td><td>3</td><td>0</td>"),
        "{row}"
    );
    assert!(html.contains(">unicorns</a></td><td>engelska</td>"));
    assert!(
        !html.contains(">kommun</a>"),
        "a query that found plenty is not listed"
    );

    let columns: Vec<String> = by_pool!(
        app.db(),
        |pool| sqlx::query_scalar("select name from pragma_table_info('search_misses')")
            .fetch_all(pool)
            .await,
        |pool| sqlx::query_scalar(
            "select column_name::text from information_schema.columns \
             where table_name = 'search_misses' order by ordinal_position"
        )
        .fetch_all(pool)
        .await,
    )
    .expect("columns");
    assert_eq!(
        columns,
        ["day", "lang", "query", "hits", "count"],
        "nothing about the visitor"
    );
    let days: Vec<String> = on_pool!(app.db(), |pool| query_scalar(
        "select distinct day from search_misses"
    )
    .fetch_all(pool)
    .await
    .expect("days"));
    assert!(
        days.iter().all(|day| day.len() == 10),
        "the day, no finer: {days:?}"
    );

    // Old days are forgotten when new counts are written.
    let old = skl_cms::db::search::Miss {
        day: "2000-01-01".to_owned(),
        lang: Lang::Sv,
        query: "gammal".to_owned(),
        hits: 0,
    };
    skl_cms::db::search::record_misses(app.db(), &[(old, 1)], "2000-01-01")
        .await
        .expect("write");
    skl_cms::db::search::record_misses(app.db(), &[], "2000-01-02")
        .await
        .expect("purge");
    let left: i64 = on_pool!(app.db(), |pool| query_scalar(
        "select count(*) from search_misses where day = '2000-01-01'"
    )
    .fetch_one(pool)
    .await
    .expect("count"));
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_word_on_every_page_is_counted_up_to_a_bound_and_title_matches_come_first() {
    let app = TestApp::spawn().await;
    // 1,100 pages with the same word in their bodies, written straight to the database in one
    // transaction (the save path would take a minute here) and then indexed by a rebuild. The
    // oldest has the word in its title too.
    let now = skl_cms::time::now_db();
    let mut tx = skl_cms::db::begin_write(app.db())
        .await
        .expect("transaction");
    for n in 0..1100 {
        let title = if n == 0 {
            "Gemensam plan".to_owned()
        } else {
            format!("Sida {n}")
        };
        let mut draft = page(&format!("sida-{n}"), &title);
        draft.content.status = skl_cms::vocab::Status::Published;
        draft.content.body_md = format!("En gemensam text, nummer {n}.");
        let html = skl_cms::content::markdown::render(&draft.content.body_md);
        skl_cms::db::pages::insert(&mut tx, Lang::Sv, &draft.content, &html, &now)
            .await
            .expect("page");
    }
    tx.commit().await.expect("commit");
    skl_cms::search::rebuild(app.db(), &now)
        .await
        .expect("index");

    let reply = app.get("/sok?q=gemensam").await;
    let html = reply.text();
    assert!(
        html.contains("Fler än 1\u{a0}000 träffar för ”gemensam”"),
        "{html}"
    );
    assert_eq!(
        result_links(&html).first().map(String::as_str),
        Some("/sida-0"),
        "the oldest page, the only one with the word in its title, comes first"
    );
    assert!(html.contains("Sida 1 av 100"), "{html}");
    let last = app.get("/sok?q=gemensam&sida=100").await;
    assert_eq!(last.status, StatusCode::OK);
    assert_eq!(result_links(&last.text()).len(), 10);
    assert_eq!(
        app.get("/sok?q=gemensam&sida=101").await.status,
        StatusCode::NOT_FOUND
    );
}
