//! The editing rules below the HTTP layer, on a real SQLite file: what each edit reports as changed,
//! which is what the render cache forgets.

mod common;

use common::{TestApp, page};
use skl_cms::{
    change::Author,
    content::editing::{self, Draft, Outcome, Translation},
    db,
    lang::Lang,
    vocab::{Done, Status},
};

async fn author(app: &TestApp) -> Author {
    let id = app
        .add_user(
            "redaktor",
            skl_cms::vocab::Role::Editor,
            "ett långt lösenord för test",
        )
        .await;
    Author {
        id,
        ip: "127.0.0.1".to_owned(),
    }
}

fn draft_of(page: &db::pages::Page) -> Draft {
    Draft {
        lang: page.lang,
        content: page.content.clone(),
        parent_id: page.parent_id,
        translation: Translation::Unchanged,
    }
}

#[tokio::test]
async fn a_move_reports_the_page_and_every_child_that_moved_with_it() {
    let app = TestApp::spawn().await;
    let author = author(&app).await;
    let parent_id = app.add_page(&page("forening", "Förening")).await;
    let mut child = page("forening/medlemmar", "Medlemmar");
    child.parent_id = Some(parent_id);
    let child_id = app.add_page(&child).await;

    let parent = app.page(parent_id).await;
    let mut draft = draft_of(&parent);
    draft.content.path = "sallskap".to_owned();
    let edited = editing::update(
        app.db(),
        &app.state.clock,
        &author,
        parent_id,
        parent.version,
        draft,
    )
    .await
    .expect("saved");
    let changed: Vec<(skl_cms::ids::PageId, Option<String>, Option<String>)> = edited
        .changes
        .pages
        .iter()
        .map(|change| {
            (
                change.id,
                change.before.as_ref().map(|page| page.path.clone()),
                change.after.as_ref().map(|page| page.path.clone()),
            )
        })
        .collect();
    assert!(
        changed.contains(&(
            parent_id,
            Some("forening".to_owned()),
            Some("sallskap".to_owned())
        )),
        "{changed:?}"
    );
    assert!(
        changed.contains(&(
            child_id,
            Some("forening/medlemmar".to_owned()),
            Some("sallskap/medlemmar".to_owned())
        )),
        "{changed:?}"
    );
    assert!(matches!(
        app.state.apply(edited).await,
        Outcome::Saved {
            done: Done::Saved,
            ..
        }
    ));
    assert_eq!(
        app.get("/sallskap/medlemmar").await.status,
        reqwest::StatusCode::OK
    );
}

#[tokio::test]
async fn an_edit_that_is_refused_changes_nothing() {
    let app = TestApp::spawn().await;
    let author = author(&app).await;
    let id = app.add_page(&page("en-sida", "En sida")).await;
    let stored = app.page(id).await;
    let mut draft = draft_of(&stored);
    draft.content.path = "om-oss".to_owned();
    let taken = editing::update(
        app.db(),
        &app.state.clock,
        &author,
        id,
        stored.version,
        draft,
    )
    .await
    .expect("answered");
    assert!(taken.changes.is_empty());
    assert!(matches!(taken.outcome, Outcome::PathTaken(_)));

    let stale = editing::update(
        app.db(),
        &app.state.clock,
        &author,
        id,
        stored.version - 1,
        draft_of(&stored),
    )
    .await
    .expect("answered");
    assert!(stale.changes.is_empty(), "a conflict changes no page");
    assert!(matches!(stale.outcome, Outcome::Conflict { .. }));
}

#[tokio::test]
async fn trashing_reports_the_page_as_gone_from_visitors() {
    let app = TestApp::spawn().await;
    let author = author(&app).await;
    let id = app.add_page(&page("kort-liv", "Kort liv")).await;
    let edited = editing::set_trashed(app.db(), &app.state.clock, &author, id, true)
        .await
        .expect("trashed");
    let change = edited.changes.pages.first().expect("one page changed");
    assert_eq!(change.id, id);
    assert!(!change.before.as_ref().expect("before").trashed);
    assert!(change.after.as_ref().expect("after").trashed);
    assert_eq!(
        change.after.as_ref().map(|page| (page.lang, page.status)),
        Some((Lang::Sv, Status::Published))
    );
    app.state.apply(edited).await;
    assert_eq!(
        app.get("/kort-liv").await.status,
        reqwest::StatusCode::NOT_FOUND
    );
}
