//! Every admin screen in the browser.

use super::*;

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn every_admin_screen_meets_wcag_21_aa_and_validates() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let setup = app.setup_path().await;
    let chrome = Chrome::start(&tools, &app.url("")).await;
    let axe = std::fs::read_to_string(&tools.axe).expect("axe-core");
    let mut report = Report::default();
    let check = Expect::default();
    let summary = Expect {
        summary_focus: true,
    };

    chrome.goto(&setup).await;
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
    // The preview tab shows the Markdown rendered as saving would.
    chrome
        .js("document.getElementById('tab-preview').click();", vec![])
        .await;
    let started = std::time::Instant::now();
    loop {
        let shown = chrome
            .js("const h = document.querySelector('#preview-panel h2'); return h ? h.textContent : '';", vec![])
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
    let id = edit
        .trim_start_matches("/admin/pages/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .map(skl_cms::ids::PageId)
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
        &skl_cms::change::Author {
            id: skl_cms::ids::UserId(1),
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
    on_pool!(app.db(), |pool| skl_cms::db::engine::query(
        "update pages set updated_at = '2020-01-01T00:00:00Z' where path = 'om-oss'"
    )
    .execute(pool)
    .await
    .map(|_| ())
    .expect("an old page"));
    for (path, label) in [
        ("/admin/links", "broken links"),
        ("/admin/review", "review"),
    ] {
        chrome.goto(path).await;
        check_page(&chrome, &mut report, &axe, label, check).await;
    }
    // On a phone the audit log's table is a card per row, each cell naming its column.
    chrome.goto("/admin/audit").await;
    chrome.viewport(375, 800, 1.0).await;
    let card = chrome
        .js(
            r"const cell = document.querySelector('.table-wrap table.cards tbody td');
              return cell ? [cell.dataset.label, getComputedStyle(cell, '::before').content, getComputedStyle(cell).display] : null;",
            vec![],
        )
        .await;
    assert_eq!(
        card,
        json!(["Tid", "\"Tid: \"", "block"]),
        "the audit log as cards"
    );
    chrome.reset_viewport().await;
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
    skl_cms::db::sessions::delete_for_user(app.db(), skl_cms::ids::UserId(1))
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
