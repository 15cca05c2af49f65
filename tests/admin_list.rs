//! The editors' list of pages at size: fifty rows a page, the last changed first, filtered by text,
//! language, kind and standing through a GET form. Real HTTP over TCP, a real SQLite file.

mod common;

use common::{admin::app_with_editor, page};
use reqwest::StatusCode;
use skl_cms::{lang::Lang, vocab::Status};

/// The edit links of the list's rows, in order.
fn rows(html: &str) -> Vec<String> {
    html.split("<td><a href=\"/admin/pages/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_large_site_is_listed_fifty_at_a_time_and_filtered() {
    let (app, browser) = app_with_editor().await;
    // 1,200 pages written straight to the database in one transaction, each changed a second
    // after the one before; every third is a draft, every tenth is English.
    let mut tx = skl_cms::db::begin_write(app.db())
        .await
        .expect("transaction");
    for n in 0..1200 {
        let mut draft = page(&format!("arkiv/sida-{n}"), &format!("Arkivsida {n}"));
        draft.content.status = if n % 3 == 0 {
            Status::Draft
        } else {
            Status::Published
        };
        let lang = if n % 10 == 0 { Lang::En } else { Lang::Sv };
        let at = format!(
            "2026-01-01T{:02}:{:02}:{:02}Z",
            n / 3600,
            n / 60 % 60,
            n % 60
        );
        skl_cms::db::pages::insert(&mut *tx, lang, &draft.content, "<p>x</p>", &at)
            .await
            .expect("page");
    }
    tx.commit().await.expect("commit");

    let list = browser.get("/admin?q=arkivsida").await;
    assert_eq!(list.status, StatusCode::OK);
    let html = list.text();
    assert!(html.len() < 300 * 1024, "{} bytes", html.len());
    assert!(
        html.contains("1\u{a0}200 sidor"),
        "the count of what matched"
    );
    assert_eq!(rows(&html).len(), 50);
    assert!(html.contains("Arkivsida 1199"), "the last changed first");
    assert!(html.contains("Sida 1 av 24"));
    let next = html
        .split("rel=\"next\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|href| href.split('"').next())
        .expect("a link to the next page")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert_eq!(next, "/admin?q=arkivsida&sida=2", "the filter is kept");
    let second = browser.get(&next).await.text();
    assert!(second.contains("Arkivsida 1149") && !second.contains("Arkivsida 1199"));

    // Each filter, alone and together.
    let english = browser.get("/admin?q=arkivsida&sprak=en").await.text();
    assert!(english.contains("120 sidor"), "every tenth is English");
    let drafts = browser
        .get("/admin?q=arkivsida&sprak=sv&status=draft&typ=page")
        .await
        .text();
    // Of n = 0..1200, drafts are n % 3 == 0 (400), English n % 10 == 0; both: n % 30 == 0 (40).
    assert!(
        drafts.contains("360 sidor"),
        "{}",
        &drafts[..drafts.len().min(3000)]
    );
    let one = browser.get("/admin?q=sida-1199").await.text();
    assert_eq!(rows(&one).len(), 1);
    let nothing = browser.get("/admin?q=%25_%5C").await.text();
    assert!(
        nothing.contains("Inga sidor passar filtret."),
        "% and _ are searched for as themselves"
    );

    // Bad input: a sentence, never a 500.
    let bad = browser.get("/admin?status=hemlig").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("Filtret har ett värde som inte finns"));
    assert_eq!(
        browser.get("/admin?sida=noll").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        browser.get("/admin?sida=999").await.status,
        StatusCode::NOT_FOUND
    );
    app.get("/admin")
        .await
        .assert_to_login("the list is for editors");
}
