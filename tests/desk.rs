//! The editor's desk over real HTTP: the link picker's search of pages and text pasted from Word
//! or a web page turned into Markdown, each only for a logged-in editor with the form's token.
//! The same in a real browser is in `tests/browser/desk.rs`.

mod common;

use common::{
    admin::{app_with_editor, create_page},
    hidden, html_unescape,
};
use reqwest::StatusCode;
use skl_cms::content::pasted::MAX_HTML_BYTES;

#[tokio::test]
async fn the_link_picker_finds_pages_by_title_or_address_in_both_languages() {
    let (app, browser) = app_with_editor().await;
    create_page(
        &browser,
        &[
            ("title", "Budgetarbete i kommunen"),
            ("path", "budgetarbete"),
            ("action", "draft"),
        ],
    )
    .await;

    let found = browser.get("/admin/pages/find?q=budget").await;
    assert_eq!(found.status, StatusCode::OK);
    let html = html_unescape(&found.text());
    assert!(!html.contains("<html"), "a fragment, not a page: {html}");
    assert!(
        html.contains("data-href=\"/budgetarbete\"") && html.contains("Budgetarbete i kommunen"),
        "{html}"
    );
    assert!(html.contains("Utkast"), "a draft says so: {html}");

    // The seed's English pages are found too, with their /en/ addresses, and marked English.
    let english = html_unescape(&browser.get("/admin/pages/find?q=about").await.text());
    assert!(english.contains("data-href=\"/en/"), "{english}");
    assert!(english.contains("engelska"), "{english}");

    // Case does not matter; characters of LIKE patterns are taken as they are.
    let upper = html_unescape(&browser.get("/admin/pages/find?q=BUDGET").await.text());
    assert!(upper.contains("/budgetarbete"), "{upper}");
    let none = html_unescape(&browser.get("/admin/pages/find?q=%25_%25").await.text());
    assert!(none.contains("Ingen sida har"), "{none}");
    assert!(!none.contains("<li"), "{none}");

    // At most eight, however many match.
    let many = browser.get("/admin/pages/find?q=e").await.text();
    assert!(many.matches("<li>").count() <= 8, "{many}");
    assert!(many.matches("<li>").count() >= 2, "{many}");

    // Not without a session: 401, so that the script does not show the login page in the list.
    let stranger = app.browser().get("/admin/pages/find?q=budget").await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);
    assert!(!stranger.text().contains("budgetarbete"));
}

/// A clipboard as Word fills it: lists as paragraphs with markers, styles, a table without a head
/// row. The browser's script tidies the lists and the table before it sends them (that is tested
/// in the browser); the server must still give clean Markdown for the rest.
const WORD_LIKE: &str = r#"<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal { margin: 0 }</style></head>
<body lang=SV><!--StartFragment--><h1>Millenniekommun</h1>
<p class=MsoNormal>Projektet stöder <b>kommuner</b> i arbetet med <a href="https://skr.se/">FN:s mål</a>.<o:p></o:p></p>
<h2>Så arbetar vi</h2>
<ul><li>medborgardialog</li><li>budgetarbete</li></ul>
<table class=MsoTableGrid><thead><tr><th>Område</th><th>Antal</th></tr></thead><tbody><tr><td>Kommuner</td><td>12</td></tr></tbody></table>
<script>alert('x')</script><!--EndFragment--></body></html>"#;

#[tokio::test]
async fn pasted_html_comes_back_as_markdown_and_never_as_html() {
    let (app, browser) = app_with_editor().await;
    let csrf = hidden(&browser.get("/admin/pages/new").await.text(), "csrf");

    let pasted = browser
        .post(
            "/admin/pages/paste",
            &[("csrf", &csrf), ("html", WORD_LIKE)],
        )
        .await;
    assert_eq!(pasted.status, StatusCode::OK);
    assert!(
        pasted
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("text/plain")),
        "plain text for the script to insert"
    );
    let markdown = pasted.text();
    for expected in [
        "# Millenniekommun\n\nProjektet stöder **kommuner** i arbetet med [FN:s mål](https://skr.se/).",
        "## Så arbetar vi",
        "- medborgardialog\n- budgetarbete",
        "| Område",
        "| Kommuner",
    ] {
        assert!(markdown.contains(expected), "{expected:?} in {markdown}");
    }
    for absent in ["<", "alert", "MsoNormal", "o:p"] {
        assert!(!markdown.contains(absent), "{absent:?} in {markdown}");
    }

    // Without the form's token: refused.
    let forged = browser
        .post(
            "/admin/pages/paste",
            &[("csrf", "fel"), ("html", "<b>x</b>")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Without a session: 401.
    let stranger = app
        .browser()
        .post(
            "/admin/pages/paste",
            &[("csrf", &csrf), ("html", "<b>x</b>")],
        )
        .await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED);

    // More than the limit: 413, and the script pastes the plain text instead.
    let huge = format!("<p>{}</p>", "a".repeat(MAX_HTML_BYTES));
    let refused = browser
        .post("/admin/pages/paste", &[("csrf", &csrf), ("html", &huge)])
        .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
}
