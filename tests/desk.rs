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

#[tokio::test]
async fn after_a_save_the_notice_links_to_the_page_as_visitors_see_it() {
    let (_app, browser) = app_with_editor().await;
    let id = create_page(
        &browser,
        &[
            ("title", "Länkad"),
            ("path", "lankad"),
            ("action", "publish"),
        ],
    )
    .await;
    let shown = html_unescape(
        &browser
            .get(&format!("/admin/pages/{id}?klart=publicerad"))
            .await
            .text(),
    );
    assert!(
        shown.contains("Sidan är publicerad.")
            && shown.contains("<a href=\"/lankad\">Se sidan som besökarna ser den</a>"),
        "{shown}"
    );
    // A draft has no page for visitors, so no link.
    let draft = create_page(
        &browser,
        &[
            ("title", "Utkastet"),
            ("path", "utkastet"),
            ("action", "draft"),
        ],
    )
    .await;
    let shown = browser
        .get(&format!("/admin/pages/{draft}?klart=utkast"))
        .await
        .text();
    assert!(!shown.contains("Se sidan som besökarna ser den"), "{shown}");
}

#[tokio::test]
async fn a_live_page_with_broken_links_is_never_told_to_save_as_a_draft() {
    let (_app, browser) = app_with_editor().await;
    let live = create_page(
        &browser,
        &[
            ("title", "Levande"),
            ("path", "levande"),
            ("action", "publish"),
        ],
    )
    .await;
    let new = create_page(
        &browser,
        &[("title", "Ny"), ("path", "ny"), ("action", "draft")],
    )
    .await;
    for (id, told_draft) in [(live, false), (new, true)] {
        let reply = common::admin::save(
            &browser,
            id,
            &[("body", "[Rapporten](/finns-inte)"), ("action", "publish")],
        )
        .await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        let text = html_unescape(&reply.text());
        assert_eq!(text.contains("spara som utkast"), told_draft, "{text}");
        if !told_draft {
            assert!(
                text.contains("Till dess visar webbplatsen sidan som förut."),
                "{text}"
            );
        }
    }
}

#[tokio::test]
async fn the_main_button_reads_schemalagg_for_a_time_still_to_come() {
    let (_app, browser) = app_with_editor().await;
    let later = create_page(
        &browser,
        &[
            ("title", "Senare"),
            ("path", "senare"),
            ("publish_date", "2099-01-01"),
            ("publish_time", "09:00"),
            ("action", "publish"),
        ],
    )
    .await;
    let now = create_page(
        &browser,
        &[("title", "Nu"), ("path", "nu"), ("action", "publish")],
    )
    .await;
    let button = |html: &str| {
        let at = html.find("value=\"publish\"").expect("the main button");
        let text = &html[at..];
        let start = text.find('>').expect("its text") + 1;
        let end = text.find("</button>").expect("its end");
        text[start..end].to_owned()
    };
    let later_form = browser.get(&format!("/admin/pages/{later}")).await.text();
    assert_eq!(button(&later_form), "Schemalägg");
    let now_form = browser.get(&format!("/admin/pages/{now}")).await.text();
    assert_eq!(button(&now_form), "Spara och publicera");
    let new_form = browser.get("/admin/pages/new").await.text();
    assert_eq!(button(&new_form), "Publicera");
}

#[tokio::test]
async fn moving_a_page_of_the_main_menu_under_another_asks_first() {
    let (app, browser) = app_with_editor().await;
    let parent = create_page(
        &browser,
        &[
            ("title", "Förälder"),
            ("path", "foralder"),
            ("action", "publish"),
        ],
    )
    .await;
    let id = create_page(
        &browser,
        &[
            ("title", "I menyn"),
            ("path", "i-menyn"),
            ("menu_order", "5"),
            ("action", "publish"),
        ],
    )
    .await;
    let form = html_unescape(&browser.get(&format!("/admin/pages/{id}")).await.text());
    assert!(
        form.contains("Sidan ligger i huvudmenyn."),
        "said beforehand"
    );

    let parent_id = parent.to_string();
    let refused = common::admin::save(
        &browser,
        id,
        &[("parent", parent_id.as_str()), ("action", "publish")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let text = html_unescape(&refused.text());
    assert!(
        text.contains("Under en annan sida visas den inte där"),
        "{text}"
    );
    assert!(text.contains("name=\"leave_menu\""), "{text}");
    assert_eq!(app.page(id).await.parent_id, None, "nothing moved");

    let moved = common::admin::save(
        &browser,
        id,
        &[
            ("parent", parent_id.as_str()),
            ("leave_menu", "on"),
            ("action", "publish"),
        ],
    )
    .await;
    moved.assert_redirect();
    assert_eq!(app.page(id).await.parent_id, Some(parent));

    // A page outside the menu moves without the question.
    let free = create_page(
        &browser,
        &[("title", "Fri"), ("path", "fri"), ("action", "publish")],
    )
    .await;
    common::admin::save(
        &browser,
        free,
        &[("parent", parent_id.as_str()), ("action", "publish")],
    )
    .await
    .assert_redirect();
}

#[tokio::test]
async fn news_is_written_from_ny_nyhet_placed_under_the_news_and_listed_when_upcoming() {
    let (_app, browser) = app_with_editor().await;
    let list = html_unescape(&browser.get("/admin").await.text());
    assert!(
        list.contains("href=\"/admin/pages/new?typ=nyhet\""),
        "Ny nyhet beside Ny sida"
    );
    assert!(
        !list.contains("Kommande publiceringar"),
        "nothing upcoming yet"
    );

    let form = html_unescape(&browser.get("/admin/pages/new?typ=nyhet").await.text());
    assert!(form.contains("<h1>Ny nyhet</h1>"), "{form}");
    assert!(
        form.contains("id=\"kind-news\" name=\"kind\" value=\"news\" checked"),
        "the kind is chosen"
    );

    let sv = create_page(
        &browser,
        &[
            ("title", "Ett nytt avtal"),
            ("kind", "news"),
            ("publish_date", "2099-03-01"),
            ("publish_time", "09:00"),
            ("action", "publish"),
        ],
    )
    .await;
    let en = create_page(
        &browser,
        &[
            ("title", "A new agreement"),
            ("kind", "news"),
            ("lang", "en"),
            ("action", "draft"),
        ],
    )
    .await;
    let path_of = |html: String| {
        let at = html.find("id=\"path\"").expect("the path field");
        let value = &html[at..];
        let start = value.find("value=\"").expect("its value") + 7;
        let end = value[start..].find('"').expect("its end") + start;
        value[start..end].to_owned()
    };
    assert_eq!(
        path_of(browser.get(&format!("/admin/pages/{sv}")).await.text()),
        "nyheter/ett-nytt-avtal"
    );
    assert_eq!(
        path_of(browser.get(&format!("/admin/pages/{en}")).await.text()),
        "news/a-new-agreement"
    );

    let list = html_unescape(&browser.get("/admin").await.text());
    let upcoming = &list[list.find("Kommande publiceringar").expect("listed")..];
    assert!(
        upcoming.contains(&format!("<a href=\"/admin/pages/{sv}\">Ett nytt avtal</a>"))
            && upcoming.contains("2099-03-01 09:00"),
        "{upcoming}"
    );
}

#[tokio::test]
async fn a_file_uploaded_from_the_editor_comes_back_as_readable_markdown_and_shows_its_caption() {
    let (app, browser) = app_with_editor().await;
    let image = common::images::png(800, 400);
    let put = |fields: &'static [(&'static str, &'static str)],
               name: &'static str,
               bytes: Vec<u8>| {
        let browser = &browser;
        async move {
            common::admin::upload_to(browser, "/admin/media/insert", fields, &[(name, bytes)]).await
        }
    };

    // An image needs its alternative text: a sentence, nothing stored.
    let refused = put(&[("alt_sv", "")], "karta.png", image.clone()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("alternativtext"),
        "{}",
        refused.text()
    );
    assert!(
        !browser
            .get("/admin/media")
            .await
            .text()
            .contains("karta.png")
    );

    let stored = put(
        &[
            ("alt_sv", "Karta över [Kenya]"),
            ("caption", "Foto: SKL International"),
        ],
        "karta.png",
        image,
    )
    .await;
    assert_eq!(stored.status, StatusCode::OK);
    let snippet = stored.text();
    let prefix = "![Karta över \\[Kenya\\]](/media/";
    assert!(
        snippet.starts_with(prefix) && snippet.ends_with("/karta.png \"Foto: SKL International\")"),
        "{snippet}"
    );
    let document = put(&[], "Årsrapport 2012.pdf", common::images::pdf(100)).await;
    assert_eq!(document.status, StatusCode::OK);
    assert!(
        document.text().starts_with("[arsrapport-2012](/media/"),
        "{}",
        document.text()
    );

    // In a page, the image with a caption is a figure.
    create_page(
        &browser,
        &[
            ("title", "Med bildtext"),
            ("path", "med-bildtext"),
            ("body", &format!("Inledning.\n\n{snippet}\n\nSlut.")),
            ("action", "publish"),
        ],
    )
    .await;
    let html = app.get("/med-bildtext").await.text();
    let figure = &html[html.find("<figure>").expect("a figure")..];
    let figure = &figure[..figure.find("</figure>").expect("its end")];
    assert!(
        figure.contains("<img") && figure.contains("alt=\"Karta över [Kenya]\""),
        "{figure}"
    );
    assert!(
        figure.contains("<figcaption>Foto: SKL International</figcaption>"),
        "{figure}"
    );
    assert!(!html.contains("<p><figure>"), "never inside a paragraph");

    // Only for an editor with the form's token.
    let send = |browser: &common::Browser, token: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.to_owned())
            .text("alt_sv", "x")
            .part(
                "file",
                reqwest::multipart::Part::bytes(common::images::png(10, 10)).file_name("x.png"),
            );
        browser
            .client
            .post(format!("{}/admin/media/insert", browser.base))
            .header("origin", &browser.base)
            .multipart(form)
            .send()
    };
    let stranger = send(&app.browser(), "x").await.expect("answered");
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let forged = send(&browser, "fel").await.expect("answered");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged
            .text()
            .await
            .expect("a sentence")
            .contains("Formuläret")
    );
}
