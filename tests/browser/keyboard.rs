//! An editor's whole job with the keyboard alone.

use super::*;

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
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

    // Give it a place in the menu, in the panel beside the text, then publish it.
    chrome
        .tab_to("the menu position", 20, is("menu_order"))
        .await;
    chrome.keys("7").await;
    for _ in 0..30 {
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
    // Saving over the other window's change is a choice of its own, after the main button.
    chrome
        .tab_to("the choice to replace", 20, button("replace"))
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
    // Enter in a field saves with the form's main button.
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
    chrome.tab_to("the path", 40, is("path")).await;
    chrome.keys("Fel Adress").await;
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

fn is(id: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.id == id
}

fn button(value: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.tag == "button" && focused.value == value
}

fn link_to(href: &str) -> impl Fn(&Focused) -> bool + '_ {
    move |focused| focused.tag == "a" && focused.href == href
}
