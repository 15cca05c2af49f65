//! The editors' list of pages at size: fifty rows a page, the last changed first, filtered by text,
//! language, kind and standing through a GET form. Real HTTP over TCP, a real SQLite file.

mod common;

use common::{
    admin::{app_with_editor, save},
    page,
};
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
        let at = skl_cms::time::Moment::parse(&at).expect("a moment");
        skl_cms::db::pages::insert(&mut tx, lang, &draft.content, "<p>x</p>", &at)
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

    // Unfiltered, the list is a tree per language: fifty pages of each top level, the rest of a
    // level on a screen of its own, paged.
    let tree = browser.get("/admin").await.text();
    assert!(tree.len() < 300 * 1024, "{} bytes", tree.len());
    assert!(tree.contains("id=\"tree-sv\"") && tree.contains("id=\"tree-en\""));
    assert!(
        tree.contains("sidor på översta nivån"),
        "the count of each top level"
    );
    assert_eq!(rows(&tree).len(), 100, "fifty of each language");
    assert!(
        tree.contains("href=\"/admin?under=sv\""),
        "the rest of the Swedish level"
    );
    let level = browser.get("/admin?under=sv&sida=2").await;
    assert_eq!(level.status, StatusCode::OK);
    let level = level.text();
    assert_eq!(rows(&level).len(), 50);
    assert!(level.contains("Sida 2 av"), "the level is paged");
    assert_eq!(
        browser.get("/admin?under=nagonstans").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        browser.get("/admin?under=999999").await.status,
        StatusCode::NOT_FOUND
    );
    // The flat list, the last changed first, is one link away.
    let recent = browser.get("/admin?visa=senaste").await.text();
    assert!(recent.contains("Arkivsida 1199"), "the last changed first");
}

#[tokio::test]
async fn the_tree_leads_from_a_page_to_the_pages_below_it() {
    let (app, browser) = app_with_editor().await;
    let parent = skl_cms::db::pages::id_by_path(app.db(), Lang::Sv, "millenniekommun")
        .await
        .expect("read")
        .expect("the seed's project page");
    let child =
        skl_cms::db::pages::id_by_path(app.db(), Lang::Sv, "millenniekommun/millenniemalen")
            .await
            .expect("read")
            .expect("the seed's page below it");
    let tree = browser.get("/admin").await.text();
    assert!(
        tree.contains(&format!("href=\"/admin?under={parent}\">1<")),
        "one page below"
    );
    assert!(
        !rows(&tree).contains(&child.to_string()),
        "a page below another is not on the top level"
    );
    let below = browser.get(&format!("/admin?under={parent}")).await.text();
    assert_eq!(rows(&below), vec![child.to_string()]);
    assert!(
        below.contains("href=\"/admin?under=sv\">Svenska</a>"),
        "the trail"
    );
    assert!(below.contains("1 sida direkt under"), "{below}");
}

#[tokio::test]
async fn the_edit_form_stays_small_and_takes_a_parent_or_translation_by_address() {
    let (app, browser) = app_with_editor().await;
    let mut tx = skl_cms::db::begin_write(app.db())
        .await
        .expect("transaction");
    for n in 0..1200 {
        let draft = page(&format!("arkiv/sida-{n}"), &format!("Arkivsida {n}"));
        let lang = if n % 2 == 0 { Lang::En } else { Lang::Sv };
        skl_cms::db::pages::insert(
            &mut tx,
            lang,
            &draft.content,
            "<p>x</p>",
            &skl_cms::time::Moment::parse("2026-01-01T00:00:00Z").expect("a moment"),
        )
        .await
        .expect("page");
    }
    tx.commit().await.expect("commit");
    let id = |lang: Lang, path: &'static str| {
        let db = app.db().clone();
        async move {
            skl_cms::db::pages::id_by_path(&db, lang, path)
                .await
                .expect("read")
                .expect("there")
        }
    };
    let page_id = id(Lang::Sv, "arkiv/sida-1").await;
    let form = browser.get(&format!("/admin/pages/{page_id}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.len() < 300 * 1024, "{} bytes", html.len());
    assert!(
        html.matches("<option").count() <= 2 * (skl_cms::admin::pages::form::MAX_CHOICES + 1) + 20,
        "the selects are bounded"
    );
    assert!(html.contains("id=\"parent_path\"") && html.contains("id=\"translation_path\""));

    let reply = save(
        &browser,
        page_id,
        &[
            ("parent_path", "/arkiv/sida-3"),
            ("translation_path", "/en/arkiv/sida-10"),
        ],
    )
    .await;
    reply.assert_redirect();
    let saved = skl_cms::db::pages::find(app.db(), page_id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(saved.parent_id, Some(id(Lang::Sv, "arkiv/sida-3").await));
    let english = skl_cms::db::pages::find(app.db(), id(Lang::En, "arkiv/sida-10").await)
        .await
        .expect("read")
        .expect("there");
    assert!(
        english.content.translation_key.is_some()
            && english.content.translation_key == saved.content.translation_key,
        "linked as translations"
    );

    let wrong = save(&browser, page_id, &[("parent_path", "/finns-inte")]).await;
    assert!(wrong.status.is_client_error(), "{}", wrong.status);
    let text = wrong.text();
    assert!(
        text.contains("Ingen sida på samma språk har den adressen"),
        "{text}"
    );
    assert!(
        text.contains("value=\"/finns-inte\""),
        "what was typed is kept"
    );
}
