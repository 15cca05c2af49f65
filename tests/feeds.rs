//! Machine-readable views: Atom feeds, the sitemap and robots.txt, checked with an XML parser.

mod common;

use common::{TestApp, content_dir, news};
use reqwest::StatusCode;
use skl_cms::db::engine::query;
use skl_cms::{content::transfer, db, lang::Lang, time, vocab::Kind};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const XHTML: &str = "http://www.w3.org/1999/xhtml";

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, ns: &str, name: &str) -> Option<&'a str> {
    node.children()
        .find(|child| child.has_tag_name((ns, name)))
        .and_then(|child| child.text())
}

/// Checks what RFC 4287 requires of a feed and each entry, and returns the entries' titles.
fn atom_titles(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("the feed is well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "root is an Atom feed");
    for required in ["id", "title", "updated"] {
        assert!(
            child_text(feed, ATOM, required).is_some(),
            "feed lacks {required}"
        );
    }
    let updated = child_text(feed, ATOM, "updated").unwrap_or_default();
    assert!(
        updated.parse::<jiff::Timestamp>().is_ok(),
        "feed updated is RFC 3339: {updated}"
    );
    assert!(
        feed.children()
            .any(|child| child.has_tag_name((ATOM, "author"))),
        "feed has an author"
    );
    assert!(
        feed.children()
            .any(|child| child.has_tag_name((ATOM, "link"))
                && child.attribute("rel") == Some("self"))
    );
    feed.children()
        .filter(|child| child.has_tag_name((ATOM, "entry")))
        .map(|entry| {
            for required in ["id", "title", "updated"] {
                assert!(
                    child_text(entry, ATOM, required).is_some(),
                    "entry lacks {required}"
                );
            }
            let id = child_text(entry, ATOM, "id").unwrap_or_default();
            assert!(id.starts_with("http://"), "entry ids are absolute: {id}");
            child_text(entry, ATOM, "title")
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn both_feeds_are_atom_and_list_the_news() {
    let app = TestApp::spawn().await;
    let sv = app.get("/feed.xml").await;
    assert_eq!(sv.status, StatusCode::OK);
    assert!(
        sv.header("content-type")
            .is_some_and(|value| value.starts_with("application/atom+xml"))
    );
    let files = transfer::read_dir(&content_dir()).expect("seed content");
    let en = app.get("/en/feed.xml").await.text();
    for (lang, feed) in [(Lang::Sv, sv.text()), (Lang::En, en)] {
        let mut expected: Vec<&str> = files
            .iter()
            .filter(|file| file.lang == lang && file.document.front.kind == Kind::News)
            .map(|file| file.document.front.title.as_str())
            .collect();
        assert!(!expected.is_empty(), "the seed has news in {lang}");
        let mut titles = atom_titles(&feed);
        expected.sort_unstable();
        titles.sort_unstable();
        assert_eq!(titles, expected, "the {lang} feed lists the {lang} news");
    }
}

#[tokio::test]
async fn feeds_escape_markup_and_follow_new_items() {
    let app = TestApp::spawn().await;
    let mut item = news(
        "nyheter/tecken",
        "Tecken & <taggar> \"citat\"",
        "2020-05-01T08:00:00Z",
    );
    item.content.body_md = "Brödtext med <a href=\"/om-oss\">länk</a> &amp; mer.".to_owned();
    app.add_page(&item).await;
    let xml = app.get("/feed.xml").await.text();
    let titles = atom_titles(&xml);
    assert_eq!(
        titles.first().map(String::as_str),
        Some("Tecken & <taggar> \"citat\""),
        "newest first"
    );
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let content = doc
        .descendants()
        .find(|node| node.has_tag_name((ATOM, "content")))
        .and_then(|node| node.text())
        .expect("content");
    assert!(
        content.contains("<a href=\"/om-oss\"") && content.contains("länk</a> &amp; mer."),
        "HTML content survives escaping: {content}"
    );
}

#[tokio::test]
async fn the_sitemap_lists_every_published_page_with_its_alternates() {
    let app = TestApp::spawn().await;
    let reply = app.get("/sitemap.xml").await;
    assert_eq!(reply.status, StatusCode::OK);
    let xml = reply.text();
    let doc = roxmltree::Document::parse(&xml).expect("the sitemap is well-formed XML");
    assert!(doc.root_element().has_tag_name((SITEMAP, "urlset")));
    let urls: Vec<(String, Vec<(String, String)>)> = doc
        .root_element()
        .children()
        .filter(|node| node.has_tag_name((SITEMAP, "url")))
        .map(|url| {
            let loc = child_text(url, SITEMAP, "loc").expect("loc").to_owned();
            let alternates = url
                .children()
                .filter(|node| node.has_tag_name((XHTML, "link")))
                .map(|link| {
                    assert_eq!(link.attribute("rel"), Some("alternate"));
                    (
                        link.attribute("hreflang").unwrap_or("").to_owned(),
                        link.attribute("href").unwrap_or("").to_owned(),
                    )
                })
                .collect();
            (loc, alternates)
        })
        .collect();

    let published = db::pages::sitemap(app.db(), &time::now_db(), 1000, 0)
        .await
        .expect("pages");
    assert!(
        published.len() >= 14,
        "the seed has at least 7 pages in each language"
    );
    for entry in &published {
        let loc = app.url(&entry.lang.page_url(&entry.path));
        let (_, alternates) = urls
            .iter()
            .find(|(url, _)| *url == loc)
            .unwrap_or_else(|| panic!("{loc} missing"));
        // Every seed page is translated, so each lists both versions, itself included.
        let langs: Vec<&str> = alternates.iter().map(|(lang, _)| lang.as_str()).collect();
        assert_eq!(langs, ["sv", "en"], "{loc}");
        assert!(
            alternates.iter().any(|(_, href)| *href == loc),
            "{loc} lists itself"
        );
    }
    let about = urls
        .iter()
        .find(|(url, _)| *url == app.url("/om-oss"))
        .expect("about");
    assert!(about.1.contains(&("en".to_owned(), app.url("/en/about"))));
}

/// The `<loc>` of every child of the root named `child` (`url` or `sitemap`).
fn locs(xml: &str, root: &str, child: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    assert!(doc.root_element().has_tag_name((SITEMAP, root)), "a {root}");
    doc.root_element()
        .children()
        .filter(|node| node.has_tag_name((SITEMAP, child)))
        .map(|node| child_text(node, SITEMAP, "loc").expect("loc").to_owned())
        .collect()
}

#[tokio::test]
async fn a_site_of_more_than_50_000_addresses_has_a_sitemap_index() {
    let app = TestApp::spawn().await;
    let urls = |xml: &str| locs(xml, "urlset", "url");
    let seeded = urls(&app.get("/sitemap.xml").await.text()).len();
    // Enough pages, written straight to the database as an import by another process would, that
    // the site has one address more than a sitemap file may list.
    let more = 50_000 - seeded + 1;
    on_pool!(app.db(), |pool| query(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < ?) \
         insert into pages (lang, path, title, status, created_at, updated_at) \
         select 'sv', 'massa/sida-' || i, 'Sida ' || i, 'published', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' from n",
    )
    .bind(more as i64)
    .execute(pool)
    .await
    .map(|_| ())
    .expect("pages"));
    // As `skl-cms import` does after writing many pages.
    db::refresh_statistics(app.db()).await.expect("statistics");
    app.state.content_changed().await.expect("cache emptied");

    let index = app.get("/sitemap.xml").await;
    assert_eq!(index.status, StatusCode::OK);
    let files = locs(&index.text(), "sitemapindex", "sitemap");
    assert_eq!(
        files,
        [app.url("/sitemaps/1.xml"), app.url("/sitemaps/2.xml")]
    );
    let first = urls(&app.get("/sitemaps/1.xml").await.text());
    let second = urls(&app.get("/sitemaps/2.xml").await.text());
    assert_eq!(first.len(), 50_000, "a full file");
    assert_eq!(second.len(), 1, "and the one more");
    assert!(first.contains(&app.url("/nyheter")) && first.contains(&app.url("/om-oss")));
    let mut all: Vec<&String> = first.iter().chain(&second).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 50_001, "every address once");
    assert!(all.contains(&&app.url("/massa/sida-1")));
    for missing in [
        "/sitemaps/3.xml",
        "/sitemaps/0.xml",
        "/sitemaps/x.xml",
        "/sitemaps/1",
    ] {
        assert_eq!(
            app.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn a_small_site_has_one_sitemap_and_no_sitemap_files() {
    let app = TestApp::spawn().await;
    let urls = locs(&app.get("/sitemap.xml").await.text(), "urlset", "url");
    assert!(urls.contains(&app.url("/")));
    assert_eq!(
        app.get("/sitemaps/1.xml").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn robots_txt_names_the_sitemap() {
    let app = TestApp::spawn().await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(
        robots
            .text()
            .contains(&format!("Sitemap: {}", app.url("/sitemap.xml")))
    );
}
