//! Writing help over real HTTP: the edit form's readability figures and accessibility findings,
//! the panel the script refreshes, publishing a text with broken links, the site's list of broken
//! links as pages are created, renamed, trashed and restored, the trash's warning, reviews, and
//! `skl-cms check`.

mod common;

use common::{
    TestApp,
    admin::{PASSWORD, app_with_editor, create_page, save},
    binary::{Workspace, arg, stderr, stdout},
    content_dir, hidden, html_unescape,
};
use reqwest::StatusCode;
use skl_cms::db::engine::query_scalar;
use skl_cms::{db, time::Clock, vocab::Role};

const BODY_WITH_PROBLEMS: &str = "# Rubrik på fel nivå\n\n\
Kommunen arbetar med målen. Det går bra.\n\n\
![](https://example.se/bild.jpg)\n\n\
[Klicka här](/om-oss) för att läsa mer.\n\n\
#### Fyra\n\n\
Se [rapporten](/rapporter/finns-inte).";

#[tokio::test]
async fn the_edit_form_shows_readability_and_findings_with_their_lines() {
    let (_app, browser) = app_with_editor().await;
    let id = create_page(
        &browser,
        &[
            ("title", "Skrivhjälp"),
            ("body", BODY_WITH_PROBLEMS),
            ("action", "draft"),
        ],
    )
    .await;
    let form = browser.get(&format!("/admin/pages/{id}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = html_unescape(&form.text());
    assert!(html.contains("Skrivhjälp"), "the panel");
    assert!(html.contains("<abbr title=\"läsbarhetsindex\">LIX</abbr>"));
    // Findings, each with its line and, where it has one, its WCAG criterion.
    for (line, text) in [
        (1, "Sidans rubrik är redan rubrik på nivå 1"),
        (5, "Bilden saknar alternativtext"),
        (7, "Länktexten säger inte vart länken leder"),
        (9, "Rubriken hoppar över en nivå"),
        (
            11,
            "Länken leder till en adress på webbplatsen där det inte finns någon sida",
        ),
    ] {
        let item = html
            .split("<li class=\"finding")
            .find(|item| item.contains(text))
            .unwrap_or_else(|| panic!("a finding saying {text:?}: {html}"));
        assert!(
            item.contains(&format!("data-line=\"{line}\">rad {line}</a>")),
            "{text} on line {line}: {item}"
        );
    }
    assert!(
        html.contains("href=\"https://www.w3.org/WAI/WCAG21/Understanding/non-text-content.html\"")
    );
    assert!(html.contains("2 fel och 3 varningar"), "{html}");
    // The preview says it too, in a sentence.
    let preview = html_unescape(
        &browser
            .get(&format!("/admin/pages/{id}/preview"))
            .await
            .text(),
    );
    assert!(
        preview.contains("Skrivhjälp: LIX 18 (mycket lättläst), 2 fel och 3 varningar;"),
        "{preview}"
    );
}

#[tokio::test]
async fn the_panel_follows_the_text_as_typed_and_needs_a_session() {
    let (app, browser) = app_with_editor().await;
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let ask = |body: &'static str| {
        let (browser, csrf) = (&browser, csrf.clone());
        async move {
            browser
                .post(
                    "/admin/pages/writing-help",
                    &[("csrf", &csrf), ("lang", "sv"), ("body", body)],
                )
                .await
        }
    };
    let easy = ask("Kommunen arbetar med målen. Det går bra.").await;
    assert_eq!(easy.status, StatusCode::OK);
    let text = html_unescape(&easy.text());
    // 7 words, 2 sentences, 2 long words: 3.5 + 28.6 = 32.
    assert!(text.contains("<strong>32</strong>"), "{text}");
    assert!(text.contains("lättläst"));
    assert!(text.contains("Inget att rätta."));
    let hard = ask("[här](/finns-inte)").await;
    let text = html_unescape(&hard.text());
    assert!(text.contains("1 fel och 1 varning"), "{text}");
    assert!(!text.contains("<html"), "a fragment, not a page");

    // A text with very many findings lists a hundred and says how many more there are.
    let many = browser
        .post(
            "/admin/pages/writing-help",
            &[
                ("csrf", csrf.as_str()),
                ("lang", "sv"),
                ("body", &"[här](/)\n\n".repeat(150)),
            ],
        )
        .await;
    let text = html_unescape(&many.text());
    assert_eq!(text.matches("<li class=\"finding").count(), 100);
    assert!(text.contains("… och 50 till."), "{text}");
    assert!(text.contains("150 varningar"));

    let stranger = app.browser();
    let refused = stranger
        .post(
            "/admin/pages/writing-help",
            &[("csrf", &csrf), ("body", "Text.")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn publishing_a_text_with_broken_links_asks_first_and_keeps_the_text() {
    let (app, browser) = app_with_editor().await;
    let form = browser.get("/admin/pages/new").await;
    let csrf = hidden(&form.text(), "csrf");
    let send = |action: &'static str| {
        let (browser, csrf) = (&browser, csrf.clone());
        async move {
            browser
                .post(
                    "/admin/pages/new",
                    &[
                        ("csrf", csrf.as_str()),
                        ("lang", "sv"),
                        ("kind", "page"),
                        ("title", "Länkar"),
                        ("path", "lankar"),
                        ("body", "Se [rapporten](/rapporter/saknas)."),
                        ("action", action),
                    ],
                )
                .await
        }
    };
    let asked = send("publish").await;
    assert_eq!(asked.status, StatusCode::CONFLICT, "{}", asked.text());
    let page = html_unescape(&asked.text());
    assert!(page.contains("/rapporter/saknas (rad 1)"), "{page}");
    assert!(page.contains("value=\"publish-anyway\""));
    assert!(
        page.contains("Se [rapporten](/rapporter/saknas)."),
        "the text is kept"
    );
    assert_eq!(
        app.get("/lankar").await.status,
        StatusCode::NOT_FOUND,
        "nothing saved yet"
    );
    // A draft is saved at once; publishing anyway publishes.
    let anyway = send("publish-anyway").await;
    anyway.assert_redirect();
    assert_eq!(app.get("/lankar").await.status, StatusCode::OK);
}

/// The rows of `/admin/links`: each broken link's address as written.
async fn broken_list(browser: &common::Browser) -> Vec<String> {
    let list = browser.get("/admin/links").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    html.split("<tr>")
        .skip(2)
        .filter_map(|row| {
            let cells: Vec<&str> = row.split("<code>").skip(2).collect();
            cells
                .first()
                .and_then(|cell| cell.split("</code>").next())
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn the_site_s_broken_links_follow_create_rename_trash_and_restore() {
    let (app, browser) = app_with_editor().await;
    assert_eq!(
        broken_list(&browser).await,
        Vec::<String>::new(),
        "the seed links work"
    );
    let source = create_page(
        &browser,
        &[
            ("title", "Källa"),
            ("path", "kalla"),
            (
                "body",
                "Läs [om målen](/malen-nya) och se [kartan](/media/999/karta.jpg).",
            ),
            ("action", "draft"),
        ],
    )
    .await;
    let mut broken = broken_list(&browser).await;
    broken.sort();
    assert_eq!(broken, ["/malen-nya", "/media/999/karta.jpg"]);

    // Created: the link works.
    let target = create_page(
        &browser,
        &[
            ("title", "Målen"),
            ("path", "malen-nya"),
            ("body", "Om målen."),
        ],
    )
    .await;
    assert_eq!(broken_list(&browser).await, ["/media/999/karta.jpg"]);

    // Renamed: the old address leads on, so the link still works.
    save(&browser, target, &[("path", "malen")])
        .await
        .assert_redirect();
    assert_eq!(
        app.get("/malen-nya").await.status,
        StatusCode::MOVED_PERMANENTLY
    );
    assert_eq!(broken_list(&browser).await, ["/media/999/karta.jpg"]);

    // Trashing asks first, naming the page whose link would break.
    let edit = browser.get(&format!("/admin/pages/{target}")).await;
    assert!(
        edit.text()
            .contains(&format!("href=\"/admin/pages/{target}/trash\"")),
        "the trash button leads to the question"
    );
    let question = browser.get(&format!("/admin/pages/{target}/trash")).await;
    assert_eq!(question.status, StatusCode::OK);
    let text = html_unescape(&question.text());
    assert!(text.contains("En sida länkar hit"), "{text}");
    assert!(text.contains(&format!("href=\"/admin/pages/{source}\">Källa</a>")));
    let csrf = hidden(&question.text(), "csrf");
    browser
        .post(&format!("/admin/pages/{target}/trash"), &[("csrf", &csrf)])
        .await
        .assert_redirect();
    let mut broken = broken_list(&browser).await;
    broken.sort();
    assert_eq!(broken, ["/malen-nya", "/media/999/karta.jpg"]);
    let since: Option<String> = on_pool!(app.db(), |pool| query_scalar(
        "select broken_since from page_links where href = '/malen-nya'"
    )
    .fetch_one(pool)
    .await
    .expect("row"));
    assert!(since.is_some(), "since when it is broken");

    // Restored: it works again.
    let trash = browser.get("/admin/trash").await;
    let csrf = hidden(&trash.text(), "csrf");
    browser
        .post(
            &format!("/admin/pages/{target}/restore"),
            &[("csrf", &csrf)],
        )
        .await
        .assert_redirect();
    assert_eq!(broken_list(&browser).await, ["/media/999/karta.jpg"]);

    // The source's own edit: the fixed link leaves the list.
    save(
        &browser,
        source,
        &[("body", "Läs [om målen](/malen)."), ("action", "draft")],
    )
    .await
    .assert_redirect();
    assert_eq!(broken_list(&browser).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_scheduled_page_makes_links_work_at_its_second() {
    let start = jiff::Timestamp::from_second(1_900_000_000).expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let browser = app.login("anna", PASSWORD).await;
    create_page(
        &browser,
        &[
            ("title", "Källa"),
            ("body", "Se [nyheten](/kommande)."),
            ("action", "draft"),
        ],
    )
    .await;
    let later = start + jiff::SignedDuration::from_hours(2);
    let (date, time) = skl_cms::time::form_fields(later);
    create_page(
        &browser,
        &[
            ("title", "Kommande"),
            ("path", "kommande"),
            ("publish_date", &date),
            ("publish_time", &time),
        ],
    )
    .await;
    assert_eq!(broken_list(&browser).await, ["/kommande"]);
    clock.set(later);
    let browser = app.login("anna", PASSWORD).await;
    assert_eq!(broken_list(&browser).await, Vec::<String>::new());
}

#[tokio::test]
async fn pages_not_reviewed_for_a_year_are_listed_until_marked() {
    let start = jiff::Timestamp::from_second(1_800_000_000).expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.add_user("anna", Role::Admin, PASSWORD).await;
    let seeded = db::pages::count(app.db()).await.expect("count");
    // The seed was saved "now" by the system clock; move a year and a month past it.
    clock.set(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 400));
    let browser = app.login("anna", PASSWORD).await;
    let list = browser.get("/admin/review").await;
    assert_eq!(list.status, StatusCode::OK);
    let text = html_unescape(&list.text());
    assert!(
        text.contains(&format!("{seeded} sidor att granska")),
        "{text}"
    );
    assert!(text.contains(">Om SKL International</a>"));

    let id = db::pages::find_visible(app.db(), skl_cms::lang::Lang::Sv, "om-oss", &clock.now_db())
        .await
        .expect("query")
        .expect("page")
        .id;
    let edit = browser.get(&format!("/admin/pages/{id}")).await;
    let csrf = hidden(&edit.text(), "csrf");
    let marked = browser
        .post(&format!("/admin/pages/{id}/reviewed"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        marked.header("location"),
        Some(format!("/admin/pages/{id}?klart=granskad").as_str())
    );
    let edit = html_unescape(&browser.get(&format!("/admin/pages/{id}")).await.text());
    assert!(edit.contains("(markerad av anna)"), "{edit}");
    let text = html_unescape(&browser.get("/admin/review").await.text());
    assert!(text.contains(&format!("{} sidor att granska", seeded - 1)));
    assert!(!text.contains(">Om SKL International</a>"));
    let actions = common::admin::audit_actions(&app).await;
    assert_eq!(actions.first().map(String::as_str), Some("reviewed"));
    // A forged form marks nothing.
    let forged = browser
        .post_with(
            &format!("/admin/pages/{id}/reviewed"),
            &[("csrf", "forged")],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[test]
fn check_reports_the_seed_clean_and_a_folder_with_errors() {
    let work = Workspace::new();
    let seeded = work.run(&["migrate"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let content = arg(&content_dir()).to_owned();
    let imported = work.run(&["import", &content]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let checked = work.run(&["check"]);
    assert!(
        checked.status.success(),
        "the seed has no errors: {}",
        stdout(&checked)
    );
    assert!(stdout(&checked).contains("checked 14 pages: 0 errors"));

    // A folder with an image without alt text (at an address the site does not have either) and
    // a link to a page it does not have.
    let folder = work.path("bad");
    std::fs::create_dir_all(folder.join("sv")).expect("folder");
    std::fs::write(
        folder.join("sv/ny.md"),
        "+++\ntitle = \"Ny\"\npath = \"ny\"\n+++\n\n![](/bild.png)\n\n[Om oss](/om-oss) och [saknas](/saknas).\n",
    )
    .expect("file");
    let checked = work.run(&["check", arg(&folder)]);
    assert_eq!(checked.status.code(), Some(1), "{}", stdout(&checked));
    let out = stdout(&checked);
    assert!(out.contains("sv/ny.md line 1: error image-alt:"), "{out}");
    assert!(out.contains("sv/ny.md line 1: error link-broken:"), "{out}");
    assert!(out.contains("sv/ny.md line 3: error link-broken:"), "{out}");
    assert!(
        !out.contains("(/om-oss)"),
        "the database has /om-oss: {out}"
    );
    assert!(
        stderr(&checked).contains("3 errors on 1 pages"),
        "{}",
        stderr(&checked)
    );
    let warned =
        |output: &std::process::Output| stdout(output).contains(": warning link-url-text:");
    assert!(
        warned(&work.run(&["check"])),
        "the seed links a bare address"
    );
    assert!(!warned(&work.run(&["check", "--errors-only"])));
}
