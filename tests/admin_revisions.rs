//! The editors' area, history: revisions, diffs, restoring, and two editors on one page. Real HTTP
//! over TCP, a cookie-keeping client, a real SQLite file.

mod common;

use common::{
    admin::{PASSWORD, app_with_editor, audit_actions, create_page, save},
    as_pairs, hidden, set_field,
};
use reqwest::StatusCode;
use skl_cms::{
    db,
    vocab::{RevisionKind, Role},
};

#[tokio::test]
async fn revisions_can_be_compared_and_restored_without_overwriting_anything() {
    let (app, browser) = app_with_editor().await;
    let id = create_page(
        &browser,
        &[
            ("title", "Historia"),
            ("path", "historia"),
            ("body", "Första raden.\nAndra raden om kommuner.\n"),
        ],
    )
    .await;
    save(
        &browser,
        id,
        &[("body", "Första raden.\nAndra raden om regioner.\n")],
    )
    .await;
    save(
        &browser,
        id,
        &[("title", "Historia, tredje"), ("body", "Helt ny text.\n")],
    )
    .await;

    let revisions = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert_eq!(revisions.len(), 3, "every save is a revision");
    let (newest, middle, oldest) = (&revisions[0], &revisions[1], &revisions[2]);
    assert_eq!(newest.author.as_deref(), Some("anna"));

    let history = browser.get(&format!("/admin/pages/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    let diff = browser
        .get(&format!(
            "/admin/pages/{id}/diff?from={}&to={}",
            oldest.id, middle.id
        ))
        .await;
    assert_eq!(diff.status, StatusCode::OK);
    let text = diff.text();
    assert!(
        text.contains("<mark>kommuner.</mark>"),
        "the changed word is marked: {text}"
    );
    assert!(text.contains("<mark>regioner.</mark>"));

    let csrf = hidden(&history.text(), "csrf");
    let reply = browser
        .post(
            &format!("/admin/pages/{id}/revisions/{}/restore", oldest.id),
            &[("csrf", &csrf)],
        )
        .await;
    reply.assert_redirect();
    let page = app.page(id).await;
    assert_eq!(page.content.title, "Historia");
    assert!(page.content.body_md.contains("kommuner"));
    let revisions = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert_eq!(
        revisions.len(),
        4,
        "restoring adds a revision and keeps the others"
    );
    assert_eq!(
        (revisions[0].revision_kind, revisions[0].note.as_str()),
        (RevisionKind::Restored, "1"),
        "the newest revision says it restored version 1"
    );
    assert!(
        app.get("/historia").await.text().contains("kommuner"),
        "public at once"
    );
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&"revision_restore".to_owned()));
    assert!(actions.contains(&"update".to_owned()));
}

#[tokio::test]
async fn two_editors_on_one_page_lose_nothing() {
    let (app, anna) = app_with_editor().await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let bertil = app.login("bertil", PASSWORD).await;
    let id = create_page(
        &anna,
        &[
            ("title", "Delad"),
            ("path", "delad"),
            ("body", "Ursprunglig text.\n"),
        ],
    )
    .await;

    let mut annas = anna.edit_form(id).await;
    let mut bertils = bertil.edit_form(id).await;
    set_field(&mut annas, "body", "Annas text.\n");
    set_field(&mut annas, "action", "publish");
    set_field(&mut bertils, "body", "Bertils text.\n");
    set_field(&mut bertils, "action", "publish");

    let first = anna
        .post(&format!("/admin/pages/{id}"), &as_pairs(&annas))
        .await;
    first.assert_redirect();
    let second = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&bertils))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let text = second.text();
    assert!(
        text.contains("Bertils text."),
        "Bertil's text stays in the form"
    );
    assert!(
        text.contains("<mark>Annas</mark> text."),
        "the other change is shown"
    );
    assert!(text.contains("<ins>") && text.contains("<del>"));
    let page = app.page(id).await;
    assert_eq!(
        page.content.body_md, "Annas text.\n",
        "the first save stands"
    );
    let kept = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    assert!(
        kept.iter()
            .any(|r| r.conflict && r.content.body_md == "Bertils text.\n"),
        "Bertil's text is kept"
    );

    // One numbering of versions: the notice names Bertil's kept text as the history does.
    let history = bertil
        .get(&format!("/admin/pages/{id}/history"))
        .await
        .text();
    let kept_version = kept
        .iter()
        .find(|r| r.conflict)
        .map(|r| r.version)
        .expect("the conflict's revision");
    assert!(
        text.contains(&format!("som version {kept_version} (konflikt)")),
        "{text}"
    );
    assert!(
        history.contains(&format!("{kept_version} (konflikt)")),
        "{history}"
    );

    // Sending the same form again, as a plain save, is a conflict again: nothing is replaced.
    let mut merged = common::form_fields(&text, "edit-form");
    set_field(&mut merged, "body", "Annas text.\nBertils text.\n");
    set_field(&mut merged, "action", "publish");
    let again = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&merged))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(app.page(id).await.content.body_md, "Annas text.\n");

    // Replacing Anna's change is a choice of its own, named on its button.
    assert!(
        text.contains("Spara min text och ersätt annas ändring"),
        "the choice names whose change it replaces"
    );
    set_field(&mut merged, "action", "replace");
    let third = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&merged))
        .await;
    third.assert_redirect();
    assert!(app.get("/delad").await.text().contains("Bertils text."));

    // The choice replaces only the version Bertil was shown: after another save by Anna, the
    // same form meets a conflict again.
    let mut newer = anna.edit_form(id).await;
    set_field(&mut newer, "body", "Annas tredje text.\n");
    set_field(&mut newer, "action", "publish");
    anna.post(&format!("/admin/pages/{id}"), &as_pairs(&newer))
        .await
        .assert_redirect();
    let stale = bertil
        .post(&format!("/admin/pages/{id}"), &as_pairs(&merged))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(app.page(id).await.content.body_md, "Annas tredje text.\n");
    assert!(audit_actions(&app).await.contains(&"conflict".to_owned()));
}

#[tokio::test]
async fn simultaneous_saves_of_one_page_give_one_save_and_one_conflict_never_an_error() {
    let (app, anna) = app_with_editor().await;
    app.add_user("bertil", Role::Editor, PASSWORD).await;
    let bertil = app.login("bertil", PASSWORD).await;
    let id = create_page(&anna, &[("title", "Samtidigt"), ("path", "samtidigt")]).await;
    let path = format!("/admin/pages/{id}");
    for round in 0..15 {
        let mut annas = anna.edit_form(id).await;
        let mut bertils = bertil.edit_form(id).await;
        set_field(&mut annas, "body", &format!("Anna, runda {round}."));
        set_field(&mut annas, "action", "publish");
        set_field(&mut bertils, "body", &format!("Bertil, runda {round}."));
        set_field(&mut bertils, "action", "publish");
        let (annas, bertils) = (as_pairs(&annas), as_pairs(&bertils));
        let (a, b) = tokio::join!(anna.post(&path, &annas), bertil.post(&path, &bertils));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 409], "round {round}");
    }
}

#[tokio::test]
async fn restoring_a_version_whose_address_another_page_took_is_a_conflict() {
    let (app, browser) = app_with_editor().await;
    let id = create_page(&browser, &[("title", "Flyttad"), ("path", "forst")]).await;
    save(&browser, id, &[("path", "sedan")])
        .await
        .assert_redirect();
    create_page(
        &browser,
        &[("title", "Ny på gamla adressen"), ("path", "forst")],
    )
    .await;
    let revisions = db::revisions::of_page(app.db(), id)
        .await
        .expect("revisions");
    let first = revisions.last().expect("the first version");
    assert_eq!(first.revision_kind, RevisionKind::Created);

    let history = browser.get(&format!("/admin/pages/{id}/history")).await;
    let csrf = hidden(&history.text(), "csrf");
    let reply = browser
        .post(
            &format!("/admin/pages/{id}/revisions/{}/restore", first.id),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text());
    assert!(
        reply.text().contains("används nu av en annan sida"),
        "it says why and what to do: {}",
        reply.text()
    );
    let page = app.page(id).await;
    assert_eq!(page.content.path, "sedan", "nothing was restored");
    assert_eq!(
        db::revisions::of_page(app.db(), id)
            .await
            .expect("revisions")
            .len(),
        revisions.len(),
        "and no revision was added"
    );
}

#[tokio::test]
async fn the_history_names_why_each_version_exists() {
    let (_app, browser) = app_with_editor().await;
    let parent = create_page(&browser, &[("title", "Förälder"), ("path", "foralder")]).await;
    let parent_id = parent.to_string();
    let child = create_page(
        &browser,
        &[
            ("title", "Barn"),
            ("path", "foralder/barn"),
            ("parent", &parent_id),
        ],
    )
    .await;
    save(&browser, parent, &[("path", "ny-foralder")])
        .await
        .assert_redirect();
    let history = browser.get(&format!("/admin/pages/{child}/history")).await;
    let text = history.text();
    for label in ["skapad", "flyttad från /foralder/barn"] {
        assert!(text.contains(label), "{label} in {text}");
    }
}
