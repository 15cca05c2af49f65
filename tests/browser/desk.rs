//! The editor's desk in the browser: the toolbar and its shortcuts by keyboard alone, the link
//! picker, a paste from Word, and the edit screen's layout at 1280 and at 375 px.

use super::*;
use serde_json::Value;

/// The text field's content.
async fn body_text(chrome: &Chrome) -> String {
    chrome
        .js("return document.getElementById('body').value;", vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits up to 10 s for the text field to hold `wanted`.
async fn wait_for_body(chrome: &Chrome, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = body_text(chrome).await;
        if wanted(&text) {
            return text;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{what}: the text is {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An editor with a page to write in, logged in, on its edit screen.
async fn at_the_desk(tools: &Tools, app: &TestApp) -> Chrome {
    app.add_user("redaktor", Role::Editor, PASSWORD).await;
    let chrome = Chrome::start(tools, &app.url("")).await;
    chrome.goto("/admin/login").await;
    fill(&chrome, "#username", "redaktor").await;
    fill(&chrome, "#password", PASSWORD).await;
    click(&chrome, "button[type=submit]").await;
    chrome.goto("/admin/pages/new").await;
    chrome
}

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn the_toolbar_shortcuts_and_link_picker_work_by_keyboard_alone() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let chrome = at_the_desk(&tools, &app).await;
    let control = char::from(fantoccini::key::Key::Control);
    let shift = char::from(fantoccini::key::Key::Shift);
    let home = char::from(fantoccini::key::Key::Home);
    let right = char::from(fantoccini::key::Key::Right);
    let null = char::from(fantoccini::key::Key::Null);
    let enter = char::from(fantoccini::key::Key::Enter);

    // Tab from the title reaches the tabs, then the toolbar as one stop, then the text.
    chrome.tab_to("the title", 30, |f| f.id == "title").await;
    chrome.keys("Verktygsraden").await;
    chrome.tab().await;
    assert_eq!(chrome.focused().await.id, "tab-write");
    chrome.tab().await;
    let first = chrome.focused().await;
    assert_eq!(
        (first.tag.as_str(), first.text.as_str()),
        ("button", "Fet"),
        "the toolbar's first button"
    );
    chrome.tab().await;
    assert_eq!(
        chrome.focused().await.id,
        "body",
        "one Tab stop for the toolbar"
    );

    // Ctrl+B and Ctrl+I around a selected word; Ctrl+Z takes the change back.
    chrome.keys("Ett viktigt ord").await;
    chrome
        .keys(&format!(
            "{control}{shift}{}{null}",
            char::from(fantoccini::key::Key::Left)
        ))
        .await;
    chrome.keys(&format!("{control}b{null}")).await;
    wait_for_body(&chrome, "Ctrl+B", |text| text == "Ett viktigt **ord**").await;
    chrome.keys(&format!("{control}z{null}")).await;
    wait_for_body(&chrome, "Ctrl+Z", |text| text == "Ett viktigt ord").await;
    chrome.keys(&format!("{control}i{null}")).await;
    wait_for_body(&chrome, "Ctrl+I", |text| text == "Ett viktigt *ord*").await;

    // The toolbar by keyboard: Shift+Tab back to it, arrows to "Punktlista", Enter.
    chrome.keys(&format!("{control}a{null}")).await;
    chrome.keys("medborgardialog\nbudgetarbete").await;
    chrome.keys(&format!("{control}a{null}")).await;
    chrome.shift_tab().await;
    for _ in 0..4 {
        chrome.keys(&right.to_string()).await;
    }
    let focused = chrome.focused().await;
    assert_eq!(
        focused.text, "Punktlista",
        "the arrows move along the toolbar"
    );
    assert!(
        focused.ring && focused.visible,
        "focus is visible: {focused:?}"
    );
    chrome.keys(&enter.to_string()).await;
    wait_for_body(&chrome, "the bulleted list", |text| {
        text == "- medborgardialog\n- budgetarbete"
    })
    .await;
    // Focus is back in the text. Enter at the end of an item starts the next; Enter on an empty
    // one ends the list.
    assert_eq!(chrome.focused().await.id, "body");
    chrome
        .keys(&format!(
            "{control}{}{null}",
            char::from(fantoccini::key::Key::End)
        ))
        .await;
    chrome.keys("\ninsatser\n\nSlut.").await;
    wait_for_body(&chrome, "the list continued", |text| {
        text == "- medborgardialog\n- budgetarbete\n- insatser\n\nSlut."
    })
    .await;
    // A heading from the toolbar, on the line where the cursor is.
    chrome.keys(&format!("{home}")).await;
    chrome.shift_tab().await;
    chrome
        .keys(&format!("{}", char::from(fantoccini::key::Key::Home)))
        .await;
    for _ in 0..2 {
        chrome.keys(&right.to_string()).await;
    }
    assert_eq!(chrome.focused().await.text, "Rubrik");
    chrome.keys(&enter.to_string()).await;
    wait_for_body(&chrome, "the heading", |text| {
        text.ends_with("\n\n## Slut.")
    })
    .await;

    // Ctrl+K: the link picker; search a page by title, choose it with the arrow keys and Enter.
    chrome.keys(&format!("{control}a{null}Läs om oss.")).await;
    let left = char::from(fantoccini::key::Key::Left);
    chrome.keys(&left.to_string()).await;
    chrome
        .keys(&format!("{control}{shift}{left}{left}{null}"))
        .await;
    chrome.keys(&format!("{control}k{null}")).await;
    let focused = chrome.focused().await;
    assert_eq!(
        focused.id, "link-search",
        "the picker opens on its search field"
    );
    assert!(
        chrome
            .js(
                "return document.getElementById('link-picker').open;",
                vec![]
            )
            .await
            .as_bool()
            .unwrap_or(false),
        "the dialog is open"
    );
    chrome.keys("Om SKL").await;
    let started = std::time::Instant::now();
    while chrome
        .js(
            "return document.querySelectorAll('#link-results button').length;",
            vec![],
        )
        .await
        .as_i64()
        .unwrap_or(0)
        == 0
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no pages found"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let announced = chrome
        .js(
            "return document.getElementById('link-count').textContent;",
            vec![],
        )
        .await;
    assert!(
        announced.as_str().unwrap_or_default().contains("hittades"),
        "the count is announced: {announced}"
    );
    // The open picker with its results meets WCAG 2.1 AA too.
    let axe = std::fs::read_to_string(&tools.axe).expect("axe-core");
    assert_eq!(
        chrome.axe(&axe).await,
        Vec::<String>::new(),
        "the link picker"
    );
    chrome
        .keys(&char::from(fantoccini::key::Key::Down).to_string())
        .await;
    let choice = chrome.focused().await;
    assert_eq!(choice.tag, "button");
    assert!(choice.ring && choice.visible, "{choice:?}");
    chrome.keys(&enter.to_string()).await;
    let text = wait_for_body(&chrome, "the link", |text| text.contains("](/")).await;
    assert!(
        text == "Läs [om oss](/om-oss).",
        "the selected words became the link: {text:?}"
    );
    assert_eq!(
        chrome.focused().await.id,
        "body",
        "focus returns to the text"
    );

    // Escape closes the picker without changing the text.
    chrome.keys(&format!("{control}k{null}")).await;
    chrome
        .keys(&char::from(fantoccini::key::Key::Escape).to_string())
        .await;
    assert_eq!(body_text(&chrome).await, text);
    assert_eq!(chrome.focused().await.id, "body");

    chrome.quit().await;
}

/// What Word puts on the clipboard: headings, a list written as paragraphs with markers, a bold
/// word, a link, and a table whose first row is its head.
const WORD_CLIPBOARD: &str = r#"<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word"><head><meta name=Generator content="Microsoft Word 15"><style>p.MsoListParagraph {margin-left:36.0pt}</style></head><body lang=SV>
<!--StartFragment--><h2>Så arbetar vi</h2>
<p class=MsoNormal>Projektet är <b>kostnadsfritt</b> för kommunerna. Läs mer hos <a href="https://skr.se/">SKR</a>.<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>medborgardialog<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><![endif]>budgetarbete<o:p></o:p></p>
<table class=MsoTableGrid border=1><tr><td><p class=MsoNormal>Område</p></td><td><p class=MsoNormal>Antal</p></td></tr><tr><td><p class=MsoNormal>Kommuner</p></td><td><p class=MsoNormal>12</p></td></tr></table>
<!--EndFragment--></body></html>"#;

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn a_paste_from_word_becomes_markdown() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let chrome = at_the_desk(&tools, &app).await;
    fill(&chrome, "#body", "Inledning.").await;
    // A paste event as the browser fires it, with Word's HTML and plain text on the clipboard.
    chrome
        .js(
            r"const text = document.getElementById('body');
              text.focus();
              text.setSelectionRange(text.value.length, text.value.length);
              const data = new DataTransfer();
              data.setData('text/html', arguments[0]);
              data.setData('text/plain', 'Så arbetar vi · medborgardialog · budgetarbete');
              text.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));",
            vec![json!(WORD_CLIPBOARD)],
        )
        .await;
    let text = wait_for_body(&chrome, "the paste", |text| text.contains("Så arbetar vi")).await;
    for expected in [
        "Inledning.\n\n## Så arbetar vi\n\n",
        "Projektet är **kostnadsfritt** för kommunerna. Läs mer hos [SKR](https://skr.se/).",
        "- medborgardialog\n- budgetarbete",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
    let rows: Vec<&str> = text.lines().filter(|line| line.starts_with('|')).collect();
    assert_eq!(
        rows.len(),
        3,
        "a table of a head, a rule and a row: {text:?}"
    );
    assert!(
        rows[0].contains("Område") && rows[0].contains("Antal"),
        "{rows:?}"
    );
    assert!(rows[1].contains("---"), "{rows:?}");
    assert!(
        rows[2].contains("Kommuner") && rows[2].contains("12"),
        "{rows:?}"
    );
    for absent in ["<", "·", "Mso", "mso-", "&nbsp;"] {
        assert!(!text.contains(absent), "{absent:?} in {text:?}");
    }

    // Saved, the page shows a real list, a real table and the bold word.
    fill(&chrome, "#title", "Inklistrat").await;
    click(&chrome, "button[value=publish]").await;
    let public = app.get("/inklistrat").await.text();
    for expected in [
        "<li>medborgardialog</li>",
        "<th>Område</th>",
        "<strong>kostnadsfritt</strong>",
    ] {
        assert!(public.contains(expected), "{expected} in the page");
    }
    chrome.quit().await;
}

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn the_edit_screen_has_two_columns_when_wide_and_one_when_narrow() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let chrome = at_the_desk(&tools, &app).await;
    let about = app.db().clone();
    let id = skl_cms::db::pages::id_by_path(&about, skl_cms::lang::Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("the seed's about page");
    chrome.goto(&format!("/admin/pages/{id}")).await;
    let boxes = r"const box = (css) => { const r = document.querySelector(css).getBoundingClientRect(); return { x: r.x, y: r.y, right: r.right, bottom: r.bottom }; };
        return { title: box('#title'), text: box('#body'), publish: box('button[value=publish]'),
                 main: box('.editor__main'), side: box('.editor__side'), menu: box('#admin-menu'),
                 height: window.innerHeight, width: document.documentElement.clientWidth,
                 overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth };";

    // 1280 × 800: the text on the left, the panel on the right; the first screen shows the title,
    // the start of the text and the publish button.
    chrome.viewport(1280, 800, 1.0).await;
    chrome.js("window.scrollTo(0, 0);", vec![]).await;
    let wide = chrome.js(boxes, vec![]).await;
    let at = |value: &Value, part: &str, edge: &str| value[part][edge].as_f64().unwrap_or(-1.0);
    assert!(
        at(&wide, "side", "x") >= at(&wide, "main", "right"),
        "two columns: {wide}"
    );
    let height = wide["height"].as_f64().unwrap_or(0.0);
    for part in ["title", "publish"] {
        assert!(
            at(&wide, part, "bottom") <= height,
            "{part} on the first screen: {wide}"
        );
    }
    assert!(
        at(&wide, "text", "y") + 60.0 <= height,
        "the start of the text on the first screen: {wide}"
    );
    assert_eq!(wide["overflow"], json!(0));

    // 375 px: one column, nothing sideways, the publish button in view at the top of the page and
    // after scrolling into the text; the admin menu folded behind "Meny".
    chrome.viewport(375, 800, 1.0).await;
    chrome.js("window.scrollTo(0, 0);", vec![]).await;
    let narrow = chrome.js(boxes, vec![]).await;
    assert!(
        at(&narrow, "side", "y") >= at(&narrow, "main", "bottom"),
        "one column: {narrow}"
    );
    assert_eq!(narrow["overflow"], json!(0), "{narrow}");
    let in_view = |value: &Value| {
        at(value, "publish", "y") >= 0.0
            && at(value, "publish", "bottom") <= value["height"].as_f64().unwrap_or(0.0)
    };
    assert!(in_view(&narrow), "the publish button in view: {narrow}");
    assert!(
        at(&narrow, "menu", "bottom") < 200.0,
        "the folded menu is short: {narrow}"
    );
    chrome.js("window.scrollTo(0, 700);", vec![]).await;
    let scrolled = chrome.js(boxes, vec![]).await;
    assert!(
        in_view(&scrolled),
        "still in view after scrolling: {scrolled}"
    );
    let toggle = chrome
        .js(
            r"const button = document.querySelector('.menu-toggle button');
              const before = button.getAttribute('aria-expanded');
              button.click();
              return [before, button.getAttribute('aria-expanded'), document.getElementById('admin-menu-list').offsetHeight > 0];",
            vec![],
        )
        .await;
    assert_eq!(
        toggle,
        json!(["false", "true", true]),
        "Meny opens the menu"
    );
    chrome.reset_viewport().await;
    chrome.quit().await;
}

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn moving_a_menu_page_under_another_asks_first() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let chrome = at_the_desk(&tools, &app).await;
    let pool = app.db().clone();
    let id = skl_cms::db::pages::id_by_path(&pool, skl_cms::lang::Lang::Sv, "sa-arbetar-vi")
        .await
        .expect("query")
        .expect("the seed's page of how the organisation works");
    let about = skl_cms::db::pages::id_by_path(&pool, skl_cms::lang::Lang::Sv, "om-oss")
        .await
        .expect("query")
        .expect("the seed's about page");
    chrome.goto(&format!("/admin/pages/{id}")).await;
    let hint = chrome.js("return document.body.innerText;", vec![]).await;
    assert!(
        hint.as_str()
            .unwrap_or_default()
            .contains("Sidan ligger i huvudmenyn."),
        "the form says so before the move"
    );
    chrome
        .js(
            "document.getElementById('parent').value = arguments[0];",
            vec![json!(about.to_string())],
        )
        .await;
    click(&chrome, "button[value=publish]").await;
    assert_eq!(chrome.focused().await.id, "error-summary");
    let summary = chrome
        .js(
            "return document.getElementById('error-summary').innerText;",
            vec![],
        )
        .await;
    assert!(
        summary.as_str().unwrap_or_default().contains("huvudmenyn"),
        "{summary}"
    );
    assert_eq!(app.page(id).await.parent_id, None, "nothing moved yet");
    chrome
        .js("document.getElementById('leave_menu').click();", vec![])
        .await;
    click(&chrome, "button[value=publish]").await;
    assert!(chrome.path().await.ends_with("?klart=sparad"));
    assert_eq!(app.page(id).await.parent_id, Some(about));
    chrome.quit().await;
}

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
async fn an_image_is_uploaded_and_inserted_from_inside_the_editor() {
    let Some(tools) = Tools::find() else { return };
    let _one_browser = SERIAL.lock().await;
    let app = TestApp::spawn().await;
    let chrome = at_the_desk(&tools, &app).await;
    let folder = tempfile::tempdir().expect("a folder");
    let file = folder.path().join("kommunkarta.png");
    std::fs::write(&file, common::images::png(640, 320)).expect("an image");
    fill(&chrome, "#body", "Inledning.").await;

    // "Bild eller dokument" opens the panel on its file field: the file first.
    chrome
        .js(
            "document.querySelector('[data-format=media]').click();",
            vec![],
        )
        .await;
    assert_eq!(chrome.focused().await.id, "insert-file");
    chrome
        .client
        .find(fantoccini::Locator::Css("#insert-file"))
        .await
        .expect("the file field")
        .send_keys(&file.display().to_string())
        .await
        .expect("a file chosen");

    // Without an alternative text: said in the panel, and the file stays chosen.
    chrome
        .js(
            "document.getElementById('insert-upload-button').click();",
            vec![],
        )
        .await;
    let started = std::time::Instant::now();
    let said = loop {
        let said = chrome
            .js("const e = document.getElementById('insert-error'); return e.hidden ? '' : e.textContent;", vec![])
            .await;
        if said.as_str().is_some_and(|text| !text.is_empty()) {
            break said;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no problem said"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        said.as_str().unwrap_or_default().contains("alternativtext"),
        "{said}"
    );
    assert_eq!(chrome.focused().await.id, "insert-alt");
    let kept = chrome
        .js(
            "return document.getElementById('insert-file').files.length;",
            vec![],
        )
        .await;
    assert_eq!(kept, json!(1), "the chosen file is kept");
    // The panel with its problem, and the preview tab, meet WCAG 2.1 AA too.
    let axe = std::fs::read_to_string(&tools.axe).expect("axe-core");
    assert_eq!(
        chrome.axe(&axe).await,
        Vec::<String>::new(),
        "the insert panel"
    );
    chrome
        .js("document.getElementById('tab-preview').click();", vec![])
        .await;
    assert_eq!(
        chrome.axe(&axe).await,
        Vec::<String>::new(),
        "the preview tab"
    );
    chrome
        .js("document.getElementById('tab-write').click(); document.getElementById('insert-alt').focus();", vec![])
        .await;

    chrome.keys("Karta över kommunerna").await;
    fill(&chrome, "#insert-caption", "Foto: SKL International").await;
    chrome
        .js(
            "document.getElementById('insert-upload-button').click();",
            vec![],
        )
        .await;
    let text = wait_for_body(&chrome, "the inserted image", |text| text.contains("![")).await;
    assert!(
        text.starts_with("Inledning.\n\n![Karta över kommunerna](/media/")
            && text.contains("/kommunkarta.png \"Foto: SKL International\")"),
        "{text:?}"
    );
    chrome.quit().await;
}
