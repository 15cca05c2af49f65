//! Every public page in the browser.

use super::*;

#[tokio::test]
#[cfg_attr(
    browser_tools_missing,
    ignore = "needs Chromium, chromedriver and Java (apt-get install chromium chromium-driver default-jre-headless) and `npm ci` in tests/a11y"
)]
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
