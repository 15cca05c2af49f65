//! The change pipeline: whichever door a change comes in by (an editor's save, the media library,
//! an import), every table derived from pages is in step when it commits, and the caches forget
//! exactly what it changed.

mod common;

use common::{TestApp, page};
use skl_cms::db::engine::query_scalar;
use skl_cms::{
    change::Author,
    content::transfer,
    db,
    ids::{MediaId, PageId},
    media::library::{self, Stored, Upload},
    vocab::Role,
};

/// What the derived tables say of page `id`: the files it shows, how many links it has (to pages
/// and to files), how many revisions, and whether a search for `word` finds it.
async fn derived(app: &TestApp, id: PageId, word: &str) -> (Vec<MediaId>, i64, i64, bool) {
    let uses: Vec<MediaId> = on_pool!(app.db(), |pool| query_scalar(
        "select media_id from media_uses where page_id = ?"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("uses"));
    let links: i64 = on_pool!(app.db(), |pool| query_scalar(
        "select count(*) from page_links where page_id = ?"
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("links"));
    let revisions: i64 = on_pool!(app.db(), |pool| query_scalar(
        "select count(*) from revisions where page_id = ?"
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("revisions"));
    let found = app
        .get(&format!("/sok?q={word}"))
        .await
        .text()
        .contains(word);
    (uses, links, revisions, found)
}

async fn upload(app: &TestApp, author: &Author, alt: &str) -> MediaId {
    let prepared = library::prepare(Upload {
        name: "karta.png".into(),
        bytes: common::images::png(640, 320),
    })
    .await
    .expect("an image");
    let texts = db::media::Texts {
        alt_sv: alt.into(),
        ..Default::default()
    };
    let stored = library::store(app.db(), &app.state.clock, author, &[prepared], &texts)
        .await
        .expect("stored");
    match app.state.apply(stored).await.as_slice() {
        [Stored::New(id)] => *id,
        other => panic!("not a new file: {other:?}"),
    }
}

#[tokio::test]
async fn every_door_keeps_the_derived_tables_and_a_file_change_reaches_only_its_pages() {
    let app = TestApp::spawn().await;
    let author = Author {
        id: app
            .add_user("redaktor", Role::Editor, "ett långt lösenord för test")
            .await,
        ip: "127.0.0.1".into(),
    };
    let image = upload(&app, &author, "En karta").await;

    // An editor's page that shows the file and links to another page.
    let mut shown = page("kartor", "Kartor");
    shown.content.body_md = format!("Zebrafinkar. ![](/media/{image}/karta.png) [Om oss](/om-oss)");
    let shown_id = app.add_page(&shown).await;
    assert_eq!(
        derived(&app, shown_id, "zebrafinkar").await,
        (vec![image], 2, 1, true)
    );
    let other_id = app.add_page(&page("annat", "Annat")).await;

    // Both cached; a new alternative text renders the page that shows the file again, and only
    // that page's response is forgotten.
    assert!(app.get("/kartor").await.text().contains("alt=\"En karta\""));
    app.get("/annat").await;
    assert!(app.state.cache.contains("/kartor") && app.state.cache.contains("/annat"));
    let texts = db::media::Texts {
        alt_sv: "En ny karta".into(),
        ..Default::default()
    };
    let saved = library::set_texts(app.db(), &app.state.clock, &author, image, &texts)
        .await
        .expect("saved");
    assert_eq!(
        saved.changes.ids().collect::<Vec<_>>(),
        vec![shown_id],
        "the one page that shows the file"
    );
    assert!(app.state.apply(saved).await);
    assert!(
        !app.state.cache.contains("/kartor"),
        "the page that shows it"
    );
    assert!(app.state.cache.contains("/annat"), "a page that does not");
    assert!(
        app.get("/kartor")
            .await
            .text()
            .contains("alt=\"En ny karta\"")
    );
    assert_eq!(derived(&app, other_id, "annat").await.2, 1);

    // An import writes through the same pipeline: the file, the link, a revision, the index.
    let folder = tempfile::tempdir().expect("a folder");
    std::fs::create_dir_all(folder.path().join("sv")).expect("sv/");
    std::fs::write(
        folder.path().join("sv/importerad.md"),
        format!(
            "+++\ntitle = \"Importerad\"\npath = \"importerad\"\n+++\n\nPelikaner. \
             ![](/media/{image}/karta.png) [Kartor](/kartor)\n"
        ),
    )
    .expect("a file");
    let files = transfer::read_dir(folder.path()).expect("read");
    transfer::import(app.db(), &files, Vec::new(), false)
        .await
        .expect("imported");
    app.state.content_changed().await.expect("cache emptied");
    let imported = db::pages::id_by_path(app.db(), skl_cms::lang::Lang::Sv, "importerad")
        .await
        .expect("read")
        .expect("the page");
    assert_eq!(
        derived(&app, imported, "pelikaner").await,
        (vec![image], 2, 1, true)
    );
}
