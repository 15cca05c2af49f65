//! Buttons on a page: unpublish, trash, restore, delete for good, and the trash itself.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    admin::{
        csrf::{Button, Submission},
        session::Editor,
        view::{self, AdminLayout, DoneQuery, Section},
    },
    app::AppState,
    content::editing::{self, Outcome},
    db,
    error::AppError,
    ids::PageId,
    time,
    vocab::{Done, Status},
};

/// What a button on a page does.
#[derive(Debug, Clone, Copy)]
enum PageAction {
    Unpublish,
    Trash,
    Restore,
    Delete,
}

async fn act(
    state: &AppState,
    editor: &Editor,
    id: PageId,
    submission: Submission<Button>,
    action: PageAction,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    let (db, clock, author) = (&state.db, &state.clock, editor.author());
    let edited = match action {
        PageAction::Unpublish => editing::unpublish(db, clock, &author, id).await?,
        PageAction::Trash => editing::set_trashed(db, clock, &author, id, true).await?,
        PageAction::Restore => editing::set_trashed(db, clock, &author, id, false).await?,
        PageAction::Delete => {
            editor.require_admin()?;
            editing::delete(db, clock, &author, id).await?
        }
    };
    match state.apply(edited).await {
        Outcome::Saved {
            done: Done::Trashed,
            ..
        } => Ok(Redirect::to(&format!("/admin?klart={}", Done::Trashed)).into_response()),
        Outcome::Saved {
            done: Done::Deleted,
            ..
        } => Ok(Redirect::to(&format!("/admin/trash?klart={}", Done::Deleted)).into_response()),
        Outcome::Saved { id, done } => {
            Ok(Redirect::to(&format!("/admin/pages/{id}?klart={done}")).into_response())
        }
        Outcome::Conflict { .. } | Outcome::PathTaken(_) => Err(AppError::Conflict(
            "Sidan ändrades samtidigt av någon annan. Öppna den igen och försök på nytt.",
        )),
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan finns inte, eller är redan i det läget.",
        )),
    }
}

/// `POST /admin/pages/{id}/unpublish`
pub async fn unpublish(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Unpublish).await
}

/// `POST /admin/pages/{id}/trash`
pub async fn trash(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Trash).await
}

/// `POST /admin/pages/{id}/restore`
pub async fn restore(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Restore).await
}

/// `POST /admin/pages/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Delete).await
}

#[derive(Template)]
#[template(path = "admin/trash.html")]
struct TrashPage {
    layout: AdminLayout,
    rows: Vec<TrashRow>,
    csrf: String,
    is_admin: bool,
}

#[derive(Debug)]
struct TrashRow {
    id: PageId,
    title: String,
    url: String,
    trashed: String,
}

/// `GET /admin/trash`
pub async fn trash_list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let rows = db::pages::listed(&state.db, true)
        .await?
        .into_iter()
        .map(|page| TrashRow {
            id: page.id,
            url: page.lang.page_url(&page.path),
            title: page.title,
            trashed: page
                .deleted_at
                .as_deref()
                .and_then(time::from_db)
                .map(time::admin_datetime)
                .unwrap_or_default(),
        })
        .collect();
    let page = TrashPage {
        layout: AdminLayout::new(&state, "Papperskorgen", Some(&editor), Section::Trash)
            .with_notice(query.done()),
        rows,
        csrf: editor.csrf().to_owned(),
        is_admin: editor.is_admin(),
    };
    view::html(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin/delete.html")]
struct DeletePage {
    layout: AdminLayout,
    id: PageId,
    title: String,
    revisions: usize,
    csrf: String,
}

/// `GET /admin/pages/{id}/delete`: asks an administrator to confirm.
pub async fn confirm_delete(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let page = crate::admin::pages::stored_page(&state, id).await?;
    if page.deleted_at.is_none() {
        return Err(AppError::NotFoundBecause(
            "Bara sidor i papperskorgen kan raderas för gott. Flytta sidan till papperskorgen först.",
        ));
    }
    let revisions = db::revisions::of_page(&state.db, id).await?.len();
    let page = DeletePage {
        layout: AdminLayout::new(&state, "Radera för gott", Some(&editor), Section::Trash),
        id,
        title: page.content.title,
        revisions,
        csrf: editor.csrf().to_owned(),
    };
    view::html(StatusCode::OK, &page)
}

#[derive(Debug)]
struct SourceRow {
    id: PageId,
    title: String,
    url: String,
    draft: bool,
    links: i64,
}

#[derive(Template)]
#[template(path = "admin/trash_confirm.html")]
struct TrashConfirmPage {
    layout: AdminLayout,
    id: PageId,
    title: String,
    sources: Vec<SourceRow>,
    csrf: String,
}

/// `GET /admin/pages/{id}/trash`: before a page goes to the trash, the pages whose links to it
/// would break.
pub async fn confirm_trash(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
) -> Result<Response, AppError> {
    let page = crate::admin::pages::stored_page(&state, id).await?;
    if page.deleted_at.is_some() {
        return Ok(Redirect::to("/admin/trash").into_response());
    }
    let sources = db::links::linking_to(&state.db, id)
        .await?
        .into_iter()
        .map(|source| SourceRow {
            id: source.page_id,
            url: source.lang.page_url(&source.path),
            title: source.title,
            draft: source.status == Status::Draft,
            links: source.links,
        })
        .collect();
    let page = TrashConfirmPage {
        layout: AdminLayout::new(&state, "Till papperskorgen", Some(&editor), Section::Pages),
        id,
        title: page.content.title,
        sources,
        csrf: editor.csrf().to_owned(),
    };
    view::html(StatusCode::OK, &page)
}
