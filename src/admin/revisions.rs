//! A page's history: every revision, a readable diff between any two, and restoring one.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    csrf::{Button, Submission},
    diff::{self, Hunk},
    session::Editor,
    view::{self, AdminLayout, Section},
};
use crate::{
    app::AppState,
    content::editing::{self, Outcome},
    db::{self, revisions::Revision},
    error::AppError,
    ids::PageId,
    lang::{Label, Lang},
    time,
};

#[derive(Debug)]
struct Row {
    id: i64,
    version: i64,
    when: String,
    author: String,
    note: String,
    conflict: bool,
    status: &'static str,
    title: String,
    is_from: bool,
    is_to: bool,
}

#[derive(Template)]
#[template(path = "admin/history.html")]
struct HistoryPage {
    layout: AdminLayout,
    page_id: PageId,
    title: String,
    rows: Vec<Row>,
    csrf: String,
}

/// `GET /admin/pages/{id}/history`
pub async fn history(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
) -> Result<Response, AppError> {
    let page = crate::admin::pages::stored_page(&state, id).await?;
    let revisions = db::revisions::of_page(&state.db, id).await?;
    // Compare the newest ordinary revision with the one before it, to start with.
    let mut ordinary = revisions.iter().filter(|revision| !revision.conflict);
    let to = ordinary.next().map(|revision| revision.id);
    let from = ordinary.next().map(|revision| revision.id).or(to);
    let rows = revisions
        .iter()
        .map(|revision| Row {
            id: revision.id,
            version: revision.version,
            when: when(revision),
            author: author(revision),
            note: revision.revision_kind.describe(&revision.note, Lang::Sv),
            conflict: revision.conflict,
            status: status(revision),
            title: revision.content.title.clone(),
            is_from: Some(revision.id) == from,
            is_to: Some(revision.id) == to,
        })
        .collect();
    let page = HistoryPage {
        layout: AdminLayout::new(
            &state,
            &format!("Historik: {}", page.content.title),
            Some(&editor),
            Section::Pages,
        ),
        page_id: id,
        title: page.content.title,
        rows,
        csrf: editor.csrf().to_owned(),
    };
    view::html(StatusCode::OK, &page)
}

fn when(revision: &Revision) -> String {
    time::from_db(&revision.created_at)
        .map(time::admin_datetime)
        .unwrap_or_default()
}

/// Who made a revision; imports have no author.
fn author(revision: &Revision) -> String {
    revision
        .author
        .clone()
        .unwrap_or_else(|| "import".to_owned())
}

fn status(revision: &Revision) -> &'static str {
    revision.content.status.swedish()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// A field that differs between two revisions.
#[derive(Debug)]
struct FieldChange {
    label: &'static str,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "admin/diff.html")]
struct DiffPage {
    layout: AdminLayout,
    page_id: PageId,
    title: String,
    from: RevisionView,
    to: RevisionView,
    fields: Vec<FieldChange>,
    hunks: Vec<Hunk>,
    csrf: String,
}

#[derive(Debug)]
struct RevisionView {
    id: i64,
    version: i64,
    when: String,
    author: String,
    conflict: bool,
}

impl RevisionView {
    fn of(revision: &Revision) -> Self {
        RevisionView {
            id: revision.id,
            version: revision.version,
            when: when(revision),
            author: author(revision),
            conflict: revision.conflict,
        }
    }
}

/// `GET /admin/pages/{id}/diff?from=…&to=…`
pub async fn compare(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let page = crate::admin::pages::stored_page(&state, id).await?;
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(AppError::BadRequest(
            "Välj två versioner att jämföra i historiken.",
        ));
    };
    let from = db::revisions::find(&state.db, id, from)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = db::revisions::find(&state.db, id, to)
        .await?
        .ok_or(AppError::NotFound)?;
    let publish = |revision: &Revision| {
        revision
            .content
            .publish_at
            .as_deref()
            .and_then(time::from_db)
            .map(time::admin_datetime)
            .unwrap_or_else(|| "–".to_owned())
    };
    let order = |revision: &Revision| {
        revision
            .content
            .menu_order
            .map_or_else(|| "–".to_owned(), |n| n.to_string())
    };
    let yes_no = |flag: bool| if flag { "ja" } else { "nej" }.to_owned();
    let candidates = [
        (
            "Rubrik",
            from.content.title.clone(),
            to.content.title.clone(),
        ),
        (
            "Adress",
            format!("/{}", from.content.path),
            format!("/{}", to.content.path),
        ),
        (
            "Beskrivning",
            from.content.description.clone(),
            to.content.description.clone(),
        ),
        ("Status", status(&from).to_owned(), status(&to).to_owned()),
        ("Publiceringstid", publish(&from), publish(&to)),
        ("Plats i menyn", order(&from), order(&to)),
        (
            "Arkiverad",
            yes_no(from.content.archived),
            yes_no(to.content.archived),
        ),
    ];
    let fields = candidates
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(label, before, after)| FieldChange {
            label,
            before,
            after,
        })
        .collect();
    let page = DiffPage {
        layout: AdminLayout::new(
            &state,
            &format!("Jämför versioner: {}", page.content.title),
            Some(&editor),
            Section::Pages,
        ),
        page_id: id,
        title: page.content.title,
        hunks: diff::diff(&from.content.body_md, &to.content.body_md),
        from: RevisionView::of(&from),
        to: RevisionView::of(&to),
        fields,
        csrf: editor.csrf().to_owned(),
    };
    view::html(StatusCode::OK, &page)
}

/// `POST /admin/pages/{id}/revisions/{revision}/restore`: the revision becomes the next version.
pub async fn restore(
    State(state): State<AppState>,
    editor: Editor,
    Path((id, revision)): Path<(PageId, i64)>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    let page = crate::admin::pages::stored_page(&state, id).await?;
    let revision = db::revisions::find(&state.db, id, revision)
        .await?
        .ok_or(AppError::NotFound)?;
    let edited =
        editing::restore_revision(&state.db, &state.clock, &editor.author(), &page, &revision)
            .await?;
    match state.apply(edited).await {
        Outcome::Saved { id, done } => {
            Ok(Redirect::to(&format!("/admin/pages/{id}?klart={done}")).into_response())
        }
        Outcome::PathTaken(_) => Err(AppError::Conflict(
            "Versionens adress används nu av en annan sida. Byt adress på den sidan först.",
        )),
        Outcome::Conflict { .. } => Err(AppError::Conflict(
            "Sidan ändrades samtidigt av någon annan. Öppna historiken igen och försök på nytt.",
        )),
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan ligger i papperskorgen. Återställ den därifrån först.",
        )),
    }
}
