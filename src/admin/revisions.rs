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
    content::{
        Status,
        editing::{self, Outcome},
    },
    db::{self, revisions::Revision},
    error::AppError,
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
    page_id: i64,
    title: String,
    rows: Vec<Row>,
    csrf: String,
}

/// `GET /admin/pages/{id}/history`
pub async fn history(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
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
            note: note(&revision.note),
            conflict: revision.conflict,
            status: status(revision),
            title: revision.title.clone(),
            is_from: Some(revision.id) == from,
            is_to: Some(revision.id) == to,
        })
        .collect();
    let page = HistoryPage {
        layout: AdminLayout::new(
            &state,
            &format!("Historik: {}", page.title),
            Some(&editor),
            Section::Pages,
        ),
        page_id: id,
        title: page.title,
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
    match revision.status {
        Status::Draft => "Utkast",
        Status::Published => "Publicerad",
    }
}

/// Revision notes are written in English for the log; the history shows them in Swedish.
fn note(note: &str) -> String {
    if note == "created" {
        "skapad".to_owned()
    } else if let Some(from) = note.strip_prefix("restored from version ") {
        format!("återställd från version {from}")
    } else if let Some(rest) = note.strip_prefix("imported from ") {
        format!("importerad från {rest}")
    } else if let Some(rest) = note.strip_prefix("moved from ") {
        format!("flyttad från {}", rest.trim_end_matches(" with its parent"))
    } else if note.starts_with("conflict:") {
        "ej sparad: krockade med en annan ändring".to_owned()
    } else {
        note.to_owned()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
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
    page_id: i64,
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
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
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
            .publish_at
            .as_deref()
            .and_then(time::from_db)
            .map(time::admin_datetime)
            .unwrap_or_else(|| "–".to_owned())
    };
    let order = |revision: &Revision| {
        revision
            .menu_order
            .map_or_else(|| "–".to_owned(), |n| n.to_string())
    };
    let yes_no = |flag: bool| if flag { "ja" } else { "nej" }.to_owned();
    let candidates = [
        ("Rubrik", from.title.clone(), to.title.clone()),
        ("Adress", format!("/{}", from.path), format!("/{}", to.path)),
        (
            "Beskrivning",
            from.description.clone(),
            to.description.clone(),
        ),
        ("Status", status(&from).to_owned(), status(&to).to_owned()),
        ("Publiceringstid", publish(&from), publish(&to)),
        ("Plats i menyn", order(&from), order(&to)),
        ("Arkiverad", yes_no(from.archived), yes_no(to.archived)),
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
            &format!("Jämför versioner: {}", page.title),
            Some(&editor),
            Section::Pages,
        ),
        page_id: id,
        title: page.title,
        hunks: diff::diff(&from.body_md, &to.body_md),
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
    Path((id, revision)): Path<(i64, i64)>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let revision = db::revisions::find(&state.db, id, revision)
        .await?
        .ok_or(AppError::NotFound)?;
    match editing::restore_revision(&state, &editor.author(), &page, &revision).await? {
        Outcome::Saved { id, done } => {
            Ok(Redirect::to(&format!("/admin/pages/{id}?klart={done}")).into_response())
        }
        Outcome::PathTaken(_) => Err(AppError::Forbidden(
            "Versionens adress används nu av en annan sida. Byt adress på den sidan först.",
        )),
        Outcome::Conflict { .. } => Err(AppError::Forbidden(
            "Sidan ändrades samtidigt av någon annan. Öppna historiken igen och försök på nytt.",
        )),
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan ligger i papperskorgen. Återställ den därifrån först.",
        )),
    }
}
