//! The site in a real headless Chromium: every public page and every admin screen passes axe-core's
//! WCAG 2.0/2.1 A and AA rules and the Nu HTML Checker, reflows at 320 px and at 200 % zoom, survives
//! the text-spacing overrides of WCAG 1.4.12 and honours reduced motion; a content page stays within
//! its weight budget; and an editor can do their whole job with the keyboard alone.
//!
//! Screenshots at 1280 and 375 px wide of the home page, a content page, the 404 page and the edit page
//! are written to `target/screenshots/` on every run.
//!
//! These tests need Chromium, chromedriver, Java and `npm ci` in `tests/a11y` (see `tests/chrome`).
//! Without them they skip, saying so, unless `CI` is set.

mod chrome;
mod common;

use std::collections::{BTreeSet, VecDeque};

use chrome::{Chrome, Focused, Report, Tools, screenshot_dir};
use common::TestApp;
use serde_json::json;
use skl_cms::vocab::Role;

/// One browser at a time: the machine has two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PASSWORD: &str = "ett långt lösenord för webbläsaren";

/// The compressed weight a content page may have with everything it loads.
const WEIGHT_BUDGET: u64 = 50 * 1024;

/// What to expect of a page besides the rules every page meets.
#[derive(Clone, Copy, Default)]
struct Expect {
    /// The page is a form that came back with problems: focus must be on its error summary.
    summary_focus: bool,
}

/// Checks the page the browser shows: focus (the skip link first, or the error summary), axe, reflow
/// at 320 px and at 200 % zoom, text spacing, and its HTML (kept for the Nu checker). Leaves the page
/// as it found it apart from axe's script.
async fn check_page(chrome: &Chrome, report: &mut Report, axe: &str, label: &str, expect: Expect) {
    report.pages += 1;
    report.keep_html(label, chrome.html().await);

    if expect.summary_focus {
        let focused = chrome.focused().await;
        if focused.id != "error-summary" {
            report.fail(
                label,
                format!("focus is on {focused:?}, not on the error summary"),
            );
        }
    } else {
        chrome.tab().await;
        let focused = chrome.focused().await;
        let skip = focused.href == "#content" && focused.ring && focused.visible;
        if !skip {
            report.fail(
                label,
                format!("the first Tab reaches {focused:?}, not a visible skip link"),
            );
        }
    }

    for violation in chrome.axe(axe).await {
        report.fail(label, format!("axe {violation}"));
    }

    // WCAG 1.4.10: 320 CSS px wide, and a 1280 px window at 200 % zoom (640 CSS px, 2 device px each).
    for (width, scale, what) in [(320, 1.0, "320 px wide"), (640, 2.0, "200 % zoom")] {
        chrome.viewport(width, 800, scale).await;
        let overflow = chrome.sideways_overflow().await;
        if overflow > 0 {
            report.fail(
                label,
                format!("scrolls sideways by {overflow} px at {what}"),
            );
        }
    }
    chrome.reset_viewport().await;

    // WCAG 1.4.12: with the spacing a reader may impose, no text is clipped.
    let clipped = chrome
        .js(
            r"const all = [...document.querySelectorAll('body *')];
              for (const el of all) {
                el.style.setProperty('line-height', '1.5', 'important');
                el.style.setProperty('letter-spacing', '0.12em', 'important');
                el.style.setProperty('word-spacing', '0.16em', 'important');
                if (el.tagName === 'P') el.style.setProperty('margin-bottom', '2em', 'important');
              }
              const clipped = all.filter((el) => {
                if (el.closest('.visually-hidden, .skip-link, .table-wrap')) return false;
                const style = getComputedStyle(el);
                const hides = (v) => v === 'hidden' || v === 'clip';
                if (!hides(style.overflowX) && !hides(style.overflowY)) return false;
                return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
              }).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
              const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
              for (const el of all) {
                for (const p of ['line-height', 'letter-spacing', 'word-spacing', 'margin-bottom']) el.style.removeProperty(p);
              }
              return { clipped, overflow };",
            vec![],
        )
        .await;
    if let Some(clipped) = clipped["clipped"]
        .as_array()
        .filter(|list| !list.is_empty())
    {
        report.fail(label, format!("text spacing clips {clipped:?}"));
    }
    if clipped["overflow"].as_i64().unwrap_or(0) > 0 {
        report.fail(label, "text spacing makes the page scroll sideways");
    }
}

/// Same-origin page links on the current page, without fragments, that lead to HTML pages.
async fn page_links(chrome: &Chrome) -> Vec<String> {
    let links = chrome
        .js(
            r"return [...document.querySelectorAll('a[href]')]
                .map((a) => new URL(a.href, location.href))
                .filter((url) => url.origin === location.origin)
                .map((url) => url.pathname + url.search);",
            vec![],
        )
        .await;
    serde_json::from_value::<Vec<String>>(links)
        .expect("links")
        .into_iter()
        .filter(|path| {
            !path.starts_with("/static/")
                && !path.starts_with("/admin")
                && !path.ends_with(".xml")
                && !path.ends_with(".txt")
        })
        .collect()
}

/// Saves screenshots of the current page at 1280 and 375 px wide.
async fn screenshots(chrome: &Chrome, name: &str) {
    for width in [1280, 375] {
        chrome.viewport(width, 900, 1.0).await;
        chrome
            .screenshot(&screenshot_dir().join(format!("{name}-{width}.png")))
            .await;
    }
    chrome.reset_viewport().await;
}

/// With `prefers-reduced-motion: reduce`, nothing on the page moves.
async fn assert_reduced_motion(chrome: &Chrome, label: &str) {
    chrome
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-reduced-motion", "value": "reduce" }] }),
        )
        .await;
    let moving = chrome
        .js(
            r"const moving = [];
              if (getComputedStyle(document.documentElement).scrollBehavior === 'smooth') moving.push('smooth scrolling');
              for (const el of document.querySelectorAll('*')) {
                const s = getComputedStyle(el);
                const long = (list) => list.split(',').some((d) => parseFloat(d) > 0.01);
                if (long(s.transitionDuration) || (s.animationName !== 'none' && long(s.animationDuration))) {
                  moving.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
                }
              }
              return moving;",
            vec![],
        )
        .await;
    assert_eq!(
        moving,
        json!([]),
        "{label}: things move despite prefers-reduced-motion"
    );
    chrome
        .cdp("Emulation.setEmulatedMedia", json!({ "features": [] }))
        .await;
}

#[tokio::test]
async fn every_public_page_meets_wcag_21_aa_and_validates() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let base = app.url("");
    let chrome = Chrome::start(&tools, &base).await;
    let axe = std::fs::read_to_string(&tools.axe).expect("axe-core");
    let mut report = Report::default();

    // The weight budget, measured first, while nothing is in the browser's cache.
    chrome.goto("/om-oss").await;
    let weight = chrome
        .js(
            r"const nav = performance.getEntriesByType('navigation')[0];
              const resources = performance.getEntriesByType('resource');
              const blocking = [...document.querySelectorAll('link[rel=stylesheet], script[src]')]
                .map((el) => new URL(el.href || el.src, location.href))
                .filter((url) => url.origin !== location.origin)
                .map(String);
              return {
                bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
                encoding: nav.encodedBodySize < nav.decodedBodySize,
                resources: resources.map((r) => r.name),
                blocking,
              };",
            vec![],
        )
        .await;
    let bytes = weight["bytes"].as_u64().expect("a size");
    assert!(bytes > 0, "the page was measured: {weight}");
    assert!(
        weight["encoding"] == json!(true),
        "the page is sent compressed: {weight}"
    );
    assert!(
        bytes <= WEIGHT_BUDGET,
        "/om-oss weighs {bytes} bytes with what it loads, over {WEIGHT_BUDGET}"
    );
    assert_eq!(
        weight["blocking"],
        json!([]),
        "render-blocking resources from other origins"
    );
    println!("weight of /om-oss with its CSS, icon and scripts, compressed: {bytes} bytes");

    // Every page reachable from the home pages and the sitemap, in both languages.
    let sitemap = app.get("/sitemap.xml").await.text();
    let mut queue: VecDeque<String> = ["/", "/en/"].map(str::to_owned).into();
    for loc in sitemap.split("<loc>").skip(1) {
        let url = loc.split("</loc>").next().unwrap_or_default();
        queue.push_back(url.trim_start_matches(&base).to_owned());
    }
    let mut seen = BTreeSet::new();
    let mut archived = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        chrome.goto(&path).await;
        if chrome.path().await != path {
            // A redirect to a canonical address: that address is checked on its own.
            continue;
        }
        let links = page_links(&chrome).await;
        let is_archived = chrome
            .js(
                "return !!document.querySelector('.notice--archived');",
                vec![],
            )
            .await;
        archived += usize::from(is_archived == json!(true));
        check_page(&chrome, &mut report, &axe, &path, Expect::default()).await;
        queue.extend(links.into_iter().filter(|link| !seen.contains(link)));
    }
    assert!(seen.len() >= 16, "the crawl found the site: {seen:?}");
    assert!(archived > 0, "an archived page was among them");

    // Search: results, a second page of them, nothing found, in both languages.
    for n in 1..=12 {
        let mut item = common::page(&format!("nyheter/regnskog-{n}"), &format!("Regnskog {n}"));
        item.content.body_md = format!("Om regnskogen, del {n}.");
        app.add_page(&item).await;
    }
    for (path, status) in [
        ("/finns-inte", 404),
        ("/en/does-not-exist", 404),
        ("/nyheter?page=abc", 400),
        ("/sok?q=kommun", 200),
        ("/sok?q=regnskog&sida=2", 200),
        ("/sok?q=zebrafinkar", 200),
        ("/en/search?q=municipalities", 200),
        ("/en/search?q=zebra+finches", 200),
    ] {
        assert_eq!(app.get(path).await.status.as_u16(), status, "{path}");
        chrome.goto(path).await;
        check_page(&chrome, &mut report, &axe, path, Expect::default()).await;
    }

    for (path, name) in [
        ("/", "home"),
        ("/om-oss", "content-page"),
        ("/finns-inte", "not-found"),
        ("/sok?q=kommun", "search-results"),
    ] {
        chrome.goto(path).await;
        screenshots(&chrome, name).await;
    }
    chrome.goto("/").await;
    assert_reduced_motion(&chrome, "/").await;

    report.check_html(&tools.vnu);
    chrome.quit().await;
    println!("public pages checked: {}", report.pages);
    report.assert_clean();
}

/// Clicks the element at `css` and waits for the page it leads to.
async fn click(chrome: &Chrome, css: &str) {
    chrome.mark().await;
    chrome
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"))
        .click()
        .await
        .expect("click");
    chrome.wait_for_path(css, |_| true).await;
}

/// Chooses `file` in the upload form's file field, as a person does in the file dialog.
async fn choose_file(chrome: &Chrome, file: &std::path::Path) {
    chrome
        .client
        .find(fantoccini::Locator::Css("#file"))
        .await
        .expect("a file field")
        .send_keys(&file.display().to_string())
        .await
        .expect("a file chosen");
}

/// Types `text` into the field at `css`, replacing what it held.
async fn fill(chrome: &Chrome, css: &str, text: &str) {
    let field = chrome
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

#[tokio::test]
async fn every_admin_screen_meets_wcag_21_aa_and_validates() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("dir");
    let pool = skl_cms::db::open(&dir.path().join("site.db"))
        .await
        .expect("db");
    let state = skl_cms::AppState::new(pool, "http://127.0.0.1")
        .await
        .expect("state");
    let link = skl_cms::admin::login::offer_setup_link(&state)
        .await
        .expect("setup link")
        .expect("no accounts yet");
    drop(state);
    let app = TestApp::spawn_in(dir).await;
    let chrome = Chrome::start(&tools, &app.url("")).await;
    let axe = std::fs::read_to_string(&tools.axe).expect("axe-core");
    let mut report = Report::default();
    let check = Expect::default();
    let summary = Expect {
        summary_focus: true,
    };

    let setup = &link[link.find("/admin/setup/").expect("path")..];
    chrome.goto(setup).await;
    check_page(&chrome, &mut report, &axe, "setup", check).await;
    fill(&chrome, "#username", "granskare").await;
    fill(&chrome, "#display_name", "Granskare").await;
    fill(&chrome, "#password", PASSWORD).await;
    fill(&chrome, "#password2", PASSWORD).await;
    click(&chrome, "button[type=submit]").await;
    assert_eq!(chrome.path().await, "/admin?klart=inloggad");
    check_page(&chrome, &mut report, &axe, "page list", check).await;

    chrome.goto("/admin/pages/new").await;
    check_page(&chrome, &mut report, &axe, "new page", check).await;
    fill(&chrome, "#title", "Granskningssida").await;
    fill(&chrome, "#path", "Fel Adress").await;
    click(&chrome, "button[value=publish]").await;
    check_page(&chrome, &mut report, &axe, "form with errors", summary).await;
    fill(&chrome, "#path", "granskning").await;
    fill(&chrome, "#body", "## Inledning\n\nFörsta versionen.").await;
    // The live preview shows the Markdown rendered, a moment after typing stops.
    let started = std::time::Instant::now();
    loop {
        let shown = chrome
            .js("const h = document.querySelector('.live-preview .prose h2'); return h ? h.textContent : '';", vec![])
            .await;
        if shown == json!("Inledning") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no live preview"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    click(&chrome, "button[value=publish]").await;
    let edit = chrome.path().await;
    let id: i64 = edit
        .trim_start_matches("/admin/pages/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the edit page of the new page");
    screenshots(&chrome, "edit-page").await;
    check_page(&chrome, &mut report, &axe, "edit (saved)", check).await;
    assert_reduced_motion(&chrome, "edit").await;

    // Writing help follows the text as it is typed: findings on their lines, with WCAG links.
    fill(
        &chrome,
        "#body",
        "![](https://example.se/bild.jpg)\n\n[Klicka här](/finns-inte)\n\nDET HÄR ÄR VIKTIGT ATT LÄSA.\n\n[https://example.se](https://example.se)",
    )
    .await;
    let started = std::time::Instant::now();
    while chrome
        .js(
            "return document.querySelectorAll('#writing-help .finding').length;",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or(0)
        < 5
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the writing help did not follow the text"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // "rad 5" puts the cursor on line 5 of the text.
    chrome
        .client
        .find(fantoccini::Locator::Css("#writing-help a[data-line='5']"))
        .await
        .expect("a finding on line 5")
        .click()
        .await
        .expect("click");
    let caret = chrome
        .js(
            "const b = document.getElementById('body'); \
             return [document.activeElement.id, b.value.slice(0, b.selectionStart).split('\\n').length];",
            vec![],
        )
        .await;
    assert_eq!(
        caret,
        json!(["body", 5]),
        "the cursor on the finding's line"
    );
    // Publishing with a link that leads nowhere asks first; the text stays.
    click(&chrome, "button[value=publish]").await;
    check_page(
        &chrome,
        &mut report,
        &axe,
        "publish with broken links",
        summary,
    )
    .await;
    screenshots(&chrome, "writing-help").await;
    assert!(
        chrome.html().await.contains("value=\"publish-anyway\""),
        "a button to publish anyway"
    );

    fill(&chrome, "#body", "## Inledning\n\nAndra versionen.").await;
    click(&chrome, "button[value=publish]").await;
    chrome.goto(&format!("/admin/pages/{id}/preview")).await;
    check_page(&chrome, &mut report, &axe, "preview", check).await;
    chrome.goto(&format!("/admin/pages/{id}/history")).await;
    check_page(&chrome, &mut report, &axe, "history", check).await;
    click(&chrome, "#compare-form button[type=submit]").await;
    assert!(chrome.path().await.contains("/diff?"));
    check_page(&chrome, &mut report, &axe, "diff", check).await;

    // A conflict: the page is saved in between.
    chrome.goto(&format!("/admin/pages/{id}")).await;
    fill(&chrome, "#body", "Min text.").await;
    let edited = skl_cms::content::editing::unpublish(
        &app.state.db,
        &app.state.clock,
        &skl_cms::content::editing::Author {
            id: 1,
            ip: "test".to_owned(),
        },
        id,
    )
    .await
    .expect("another save");
    app.state.apply(edited).await;
    click(&chrome, "button[value=publish]").await;
    check_page(&chrome, &mut report, &axe, "conflict", summary).await;

    // A page that links to this one, with a link that leads nowhere and a review long overdue.
    let mut linking = common::page("lankande", "Länkande sida");
    linking.content.body_md =
        "Se [granskningen](/granskning) och [rapporten](/rapport-saknas).".to_owned();
    app.add_page(&linking).await;
    sqlx::query("update pages set updated_at = '2020-01-01T00:00:00Z' where path = 'om-oss'")
        .execute(&app.state.db)
        .await
        .expect("an old page");
    for (path, label) in [
        ("/admin/links", "broken links"),
        ("/admin/review", "review"),
    ] {
        chrome.goto(path).await;
        check_page(&chrome, &mut report, &axe, label, check).await;
    }
    chrome.goto(&format!("/admin/pages/{id}")).await;
    click(&chrome, &format!("a[href='/admin/pages/{id}/trash']")).await;
    check_page(&chrome, &mut report, &axe, "trash question", check).await;
    click(&chrome, "form[action$='/trash'] button").await;
    chrome.goto("/admin/trash").await;
    check_page(&chrome, &mut report, &axe, "trash", check).await;
    chrome.goto(&format!("/admin/pages/{id}/delete")).await;
    check_page(&chrome, &mut report, &axe, "delete", check).await;
    // Something for the report of searches that found nothing.
    app.get("/sok?q=zebrafinkar").await;
    for (path, label) in [
        ("/admin/users", "users"),
        ("/admin/users/1", "user"),
        ("/admin/audit", "audit"),
        ("/admin/search", "searches"),
        ("/admin/account", "account"),
    ] {
        chrome.goto(path).await;
        check_page(&chrome, &mut report, &axe, label, check).await;
    }

    // Two-factor login turned on: the start, the QR code, a wrong code, the recovery codes.
    chrome.goto("/admin/account/two-factor").await;
    check_page(&chrome, &mut report, &axe, "two-factor, start", check).await;
    click(&chrome, "form[action$='/start'] button").await;
    check_page(&chrome, &mut report, &axe, "two-factor, scan", check).await;
    let secret = common::admin::shown_secret(&chrome.html().await);
    let unix = || jiff::Timestamp::now().as_second();
    let right = common::admin::app_code(&secret, unix());
    fill(
        &chrome,
        "#code",
        if right == "123456" {
            "654321"
        } else {
            "123456"
        },
    )
    .await;
    click(&chrome, "form[action$='/confirm'] button").await;
    check_page(
        &chrome,
        &mut report,
        &axe,
        "two-factor, wrong code",
        summary,
    )
    .await;
    fill(&chrome, "#code", &common::admin::app_code(&secret, unix())).await;
    click(&chrome, "form[action$='/confirm'] button").await;
    check_page(&chrome, &mut report, &axe, "recovery codes", check).await;
    chrome.goto("/admin/account").await;
    check_page(&chrome, &mut report, &axe, "account with two-factor", check).await;

    // The media library: an upload through the form, refused without an alternative text, then
    // taken; the file's screen; the edit form's list of files; a page that shows the image.
    let picture = app.dir.path().join("kommunkarta.png");
    std::fs::write(&picture, common::images::png(1200, 600)).expect("a picture to upload");
    chrome.goto("/admin/media").await;
    check_page(&chrome, &mut report, &axe, "media library, empty", check).await;
    // A file past the limit: the browser shows the answer (not a reset connection), with the
    // limit named and the text typed still there.
    let too_large = app.dir.path().join("stor.jpg");
    let mut bytes = common::images::jpeg(10, 10);
    bytes.resize(11 * 1024 * 1024, 0);
    std::fs::write(&too_large, bytes).expect("a large file");
    fill(&chrome, "#alt_sv", "En alldeles för stor bild").await;
    choose_file(&chrome, &too_large).await;
    click(&chrome, ".upload-form button[type=submit]").await;
    let refused = chrome.html().await;
    assert!(refused.contains("10 MiB"), "the limit is named");
    assert!(
        refused.contains("value=\"En alldeles för stor bild\""),
        "the text typed is kept"
    );
    check_page(&chrome, &mut report, &axe, "upload too large", summary).await;
    fill(&chrome, "#alt_sv", "").await;
    choose_file(&chrome, &picture).await;
    click(&chrome, ".upload-form button[type=submit]").await;
    check_page(
        &chrome,
        &mut report,
        &axe,
        "upload without alt text",
        summary,
    )
    .await;
    fill(&chrome, "#alt_sv", "Karta över kommunerna i projektet").await;
    choose_file(&chrome, &picture).await;
    click(&chrome, ".upload-form button[type=submit]").await;
    let file_screen = chrome.path().await;
    assert!(file_screen.starts_with("/admin/media/"), "{file_screen}");
    check_page(&chrome, &mut report, &axe, "media file", check).await;
    chrome.goto("/admin/media").await;
    check_page(&chrome, &mut report, &axe, "media library", check).await;
    chrome.goto("/admin/pages/new").await;
    // Opened as a person would see it, without moving focus (the check starts from the page's top).
    chrome
        .js(
            "document.querySelector('.media-picker').open = true; return true;",
            vec![],
        )
        .await;
    check_page(
        &chrome,
        &mut report,
        &axe,
        "edit with the media list",
        check,
    )
    .await;
    let image_id = file_screen
        .trim_start_matches("/admin/media/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut shown = common::page("med-bild", "En sida med en bild");
    shown.content.body_md = format!(
        "Kartan visar kommunerna.\n\n![](/media/{image_id}/kommunkarta.png)\n\n\
         Och en gång till, längre ner:\n\n![Samma karta](/media/{image_id}/kommunkarta.png)\n"
    );
    app.add_page(&shown).await;
    chrome.goto("/med-bild").await;
    check_page(&chrome, &mut report, &axe, "page with images", check).await;

    // The session ends while an editor writes: the form comes back with fields to log in again.
    chrome.goto("/admin/pages/new").await;
    fill(&chrome, "#title", "Skriven när sessionen tog slut").await;
    skl_cms::db::sessions::delete_for_user(app.db(), 1)
        .await
        .expect("sessions end");
    click(&chrome, "button[value=publish]").await;
    check_page(
        &chrome,
        &mut report,
        &axe,
        "signed out while writing",
        summary,
    )
    .await;

    // Logged out: the login form, and what a failed login looks like.
    chrome.goto("/admin/login").await;
    check_page(&chrome, &mut report, &axe, "login", check).await;
    fill(&chrome, "#username", "granskare").await;
    fill(&chrome, "#password", "fel lösenord helt och hållet").await;
    click(&chrome, "button[type=submit]").await;
    check_page(&chrome, &mut report, &axe, "failed login", summary).await;
    // The right password: the code is asked for next.
    fill(&chrome, "#username", "granskare").await;
    fill(&chrome, "#password", PASSWORD).await;
    click(&chrome, "button[type=submit]").await;
    assert_eq!(chrome.path().await, "/admin/login/code");
    check_page(&chrome, &mut report, &axe, "login, code", check).await;
    fill(&chrome, "#code", "000000").await;
    click(&chrome, "button[type=submit]").await;
    check_page(&chrome, &mut report, &axe, "login, wrong code", summary).await;
    // The next step's code: the one that turned it on is taken.
    fill(
        &chrome,
        "#code",
        &common::admin::app_code(&secret, unix() + 30),
    )
    .await;
    click(&chrome, "button[type=submit]").await;
    assert_eq!(chrome.path().await, "/admin");

    report.check_html(&tools.vnu);
    chrome.quit().await;
    println!("admin screens checked: {}", report.pages);
    report.assert_clean();
}

fn is(id: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.id == id
}

fn button(value: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.tag == "button" && focused.value == value
}

fn link_to(href: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.tag == "a" && focused.href == href
}

#[tokio::test]
async fn an_editor_does_the_whole_job_with_the_keyboard_alone() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let chrome = Chrome::start(&tools, &app.url("")).await;
    let control = char::from(fantoccini::key::Key::Control);
    let end = char::from(fantoccini::key::Key::End);
    let null = char::from(fantoccini::key::Key::Null);

    // Log in.
    chrome.goto("/admin/login").await;
    chrome.tab_to("the username", 10, is("username")).await;
    chrome.keys("redaktor").await;
    chrome.tab().await;
    assert_eq!(chrome.focused().await.id, "password");
    chrome.keys(PASSWORD).await;
    chrome.enter().await;
    chrome
        .wait_for_path("the page list", |path| path == "/admin")
        .await;

    // Create a page in Markdown.
    chrome
        .tab_to("the new-page link", 20, link_to("/admin/pages/new"))
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the new-page form", |path| path == "/admin/pages/new")
        .await;
    chrome.tab_to("the title", 30, is("title")).await;
    chrome.keys("Tangentbordssidan").await;
    chrome.tab_to("the body", 10, is("body")).await;
    chrome
        .keys("## Skriven med tangentbord\n\nDen här sidan skapades utan mus.")
        .await;
    chrome
        .tab_to("the menu position", 10, is("menu_order"))
        .await;
    chrome.keys("7").await;

    // Preview it: it opens in a new tab.
    let before = chrome.client.windows().await.expect("windows");
    chrome
        .tab_to("the preview button", 20, |focused| {
            focused.tag == "button" && focused.text.starts_with("Förhandsgranska")
        })
        .await;
    chrome.enter().await;
    let started = std::time::Instant::now();
    let preview = loop {
        let windows = chrome.client.windows().await.expect("windows");
        if let Some(new) = windows.into_iter().find(|window| !before.contains(window)) {
            break new;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no preview tab"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let editing = before[0].clone();
    chrome
        .client
        .switch_to_window(preview)
        .await
        .expect("switch");
    chrome
        .wait_for_path("the preview", |path| path == "/admin/pages/preview")
        .await;
    let text = chrome.js("return document.body.innerText;", vec![]).await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("Förhandsvisning") && text.contains("Den här sidan skapades utan mus."));
    chrome
        .client
        .close_window()
        .await
        .expect("close the preview");
    chrome
        .client
        .switch_to_window(editing.clone())
        .await
        .expect("back");

    // Publish it.
    for _ in 0..10 {
        if button("publish")(&chrome.focused().await) {
            break;
        }
        chrome.shift_tab().await;
    }
    assert!(
        button("publish")(&chrome.focused().await),
        "Shift+Tab reaches Publicera"
    );
    chrome.enter().await;
    let edit = chrome
        .wait_for_path("the saved page", |path| path.ends_with("?klart=publicerad"))
        .await;
    let edit = edit.split('?').next().unwrap_or_default().to_owned();

    // Find it on the public site, through the menu.
    chrome.goto("/").await;
    chrome
        .tab_to("the menu entry", 30, link_to("/tangentbordssidan"))
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the new page", |path| path == "/tangentbordssidan")
        .await;
    let heading = chrome
        .js("return document.querySelector('h1').innerText;", vec![])
        .await;
    assert_eq!(heading, json!("Tangentbordssidan"));

    // Edit it in two windows; the second save meets the first, and neither text is lost.
    chrome.goto(&edit).await;
    let second = chrome
        .client
        .new_window(true)
        .await
        .expect("a second window")
        .handle;
    chrome
        .client
        .switch_to_window(second.clone())
        .await
        .expect("switch");
    chrome.goto(&edit).await;
    chrome.tab_to("the body", 40, is("body")).await;
    chrome
        .keys(&format!("{control}{end}{null}\n\nText från fönster B."))
        .await;

    chrome
        .client
        .switch_to_window(editing.clone())
        .await
        .expect("switch");
    chrome.tab_to("the body", 40, is("body")).await;
    chrome
        .keys(&format!("{control}{end}{null}\n\nText från fönster A."))
        .await;
    chrome.mark().await;
    chrome.keys(&format!("{control}s{null}")).await; // Ctrl+S saves
    chrome
        .wait_for_path("the first save", |path| path.ends_with("?klart=sparad"))
        .await;

    chrome
        .client
        .switch_to_window(second.clone())
        .await
        .expect("switch");
    chrome
        .tab_to("Spara och publicera", 40, button("publish"))
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the conflict", |path| path == edit)
        .await;
    let focused = chrome.focused().await;
    assert_eq!(
        focused.id, "error-summary",
        "focus lands on the error summary"
    );
    let page = chrome.js("return document.body.innerText;", vec![]).await;
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains("Någon annan har ändrat sidan"),
        "the conflict is explained"
    );
    assert!(page.contains("fönster A"), "the other text is shown");
    let body = chrome
        .js("return document.getElementById('body').value;", vec![])
        .await;
    assert!(
        body.as_str()
            .unwrap_or_default()
            .contains("Text från fönster B."),
        "this window's text is kept"
    );
    chrome.tab_to("the body", 40, is("body")).await;
    chrome
        .keys(&format!("{control}{end}{null}\n\nText från fönster A."))
        .await;
    chrome
        .tab_to("Spara och publicera", 20, button("publish"))
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the merged save", |path| path.ends_with("?klart=sparad"))
        .await;
    chrome.client.close_window().await.expect("close");
    chrome
        .client
        .switch_to_window(editing.clone())
        .await
        .expect("switch");
    let public = app.get("/tangentbordssidan").await.text();
    assert!(public.contains("Text från fönster A.") && public.contains("Text från fönster B."));

    // Restore the first version from the history.
    chrome.goto(&edit).await;
    chrome
        .tab_to("the history", 40, |focused| {
            focused.href.ends_with("/history")
        })
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the history", |path| path.ends_with("/history"))
        .await;
    chrome
        .tab_to("restoring version 1", 80, |focused| {
            focused.tag == "button" && focused.text.starts_with("Återställ version 1,")
        })
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the restored page", |path| path.ends_with("?klart=version"))
        .await;
    let public = app.get("/tangentbordssidan").await.text();
    assert!(public.contains("Den här sidan skapades utan mus.") && !public.contains("fönster A"));

    // Rename its path; the old address leads to the new one.
    chrome.tab_to("the path", 40, is("path")).await;
    chrome.replace_text("tangentbord-ny").await;
    chrome
        .tab_to("Spara och publicera", 40, button("publish"))
        .await;
    chrome.enter().await;
    chrome
        .wait_for_path("the renamed page", |path| path.ends_with("?klart=sparad"))
        .await;
    chrome.goto("/tangentbordssidan").await;
    assert_eq!(
        chrome.path().await,
        "/tangentbord-ny",
        "the old link leads to the new address"
    );

    // A form that fails puts focus on its error summary, whose links lead to the fields.
    chrome.goto("/admin/pages/new").await;
    chrome.tab_to("the title", 30, is("title")).await;
    chrome.keys("Fel sida").await;
    chrome.tab().await;
    chrome.keys("Fel Adress").await;
    chrome.tab_to("Publicera", 40, button("publish")).await;
    chrome.enter().await;
    chrome
        .wait_for_path("the refused form", |path| path == "/admin/pages/new")
        .await;
    assert_eq!(chrome.focused().await.id, "error-summary");
    chrome
        .tab_to("the summary's link", 3, link_to("#path"))
        .await;
    chrome.enter().await;
    assert_eq!(
        chrome.focused().await.id,
        "path",
        "the link moves focus to the field"
    );

    chrome.quit().await;
}
