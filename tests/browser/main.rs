//! The site in a real headless Chromium: every public page and every admin screen passes axe-core's
//! WCAG 2.0/2.1 A and AA rules and the Nu HTML Checker, reflows at 320 px and at 200 % zoom, survives
//! the text-spacing overrides of WCAG 1.4.12 and honours reduced motion; a content page stays within
//! its weight budget; and an editor can do their whole job with the keyboard alone.
//!
//! Screenshots at 1280 and 375 px wide of the home page, a content page, the 404 page and the edit page
//! are written to `target/screenshots/` on every run.
//!
//! The tests are split by area: [`public`], [`admin`] and [`keyboard`]; the checks they share are
//! here.
//!
//! These tests need Chromium, chromedriver, Java and `npm ci` in `tests/a11y` (see `tests/chrome`).
//! Without them, and without `CI` set, they are compiled as
//! ignored (see `build.rs`), so that the summary counts them as not run.

#[path = "../chrome/mod.rs"]
mod chrome;
#[path = "../common/mod.rs"]
mod common;

mod admin;
mod desk;
mod keyboard;
mod public;

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
            let past = chrome.past_right_edge().await;
            report.fail(
                label,
                format!("scrolls sideways by {overflow} px at {what} ({past})"),
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
