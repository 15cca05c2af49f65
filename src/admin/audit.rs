//! The audit log, for administrators, filterable by user and action.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    session::Editor,
    view::{self, AdminLayout, Choice, Section},
};
use crate::{
    app::AppState, db, error::AppError, ids::UserId, lang::Label, time, vocab::AuditAction,
};

/// Entries shown per page.
const PAGE_SIZE: i64 = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    user: Option<String>,
    action: Option<String>,
    sida: Option<i64>,
}

#[derive(Debug)]
struct Row {
    when: String,
    user: String,
    action: &'static str,
    object: String,
    detail: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: AdminLayout,
    rows: Vec<Row>,
    users: Vec<Choice>,
    actions: Vec<Choice>,
    page: i64,
    next: Option<String>,
    previous: Option<String>,
}

/// `GET /admin/audit`
pub async fn list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<AuditQuery>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let user_id = query
        .user
        .as_deref()
        .and_then(|user| user.parse::<UserId>().ok());
    let action = query.action.as_deref().and_then(AuditAction::from_id);
    let page = query.sida.unwrap_or(1).clamp(1, 100_000);
    let mut entries = db::audit::list(
        &state.db,
        user_id,
        action,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let more = entries.len() as i64 > PAGE_SIZE;
    entries.truncate(usize::try_from(PAGE_SIZE).unwrap_or(100));
    let rows = entries
        .into_iter()
        .map(|entry| Row {
            when: time::from_db(&entry.at)
                .map(time::admin_datetime)
                .unwrap_or(entry.at),
            user: entry.username.unwrap_or_else(|| "–".to_owned()),
            action: entry.action.swedish(),
            object: match entry.object_id {
                Some(id) => format!("{} {id}", entry.object_type.swedish()),
                None => entry.object_type.swedish().to_owned(),
            },
            detail: entry.detail,
            ip: entry.ip.unwrap_or_default(),
        })
        .collect();
    let users = db::users::all(&state.db)
        .await?
        .into_iter()
        .map(|user| Choice {
            selected: Some(user.id) == user_id,
            value: user.id.to_string(),
            label: user.username,
        })
        .collect();
    let actions = AuditAction::ALL
        .iter()
        .map(|&choice| Choice {
            selected: Some(choice) == action,
            value: choice.id().to_owned(),
            label: choice.swedish().to_owned(),
        })
        .collect();
    let link = |to: i64| {
        let mut query = format!("/admin/audit?sida={to}");
        if let Some(user) = user_id {
            query.push_str(&format!("&user={user}"));
        }
        if let Some(action) = action {
            // Identifiers are plain ASCII words, safe in an address as they are.
            query.push_str(&format!("&action={action}"));
        }
        query
    };
    let page_view = AuditPage {
        layout: AdminLayout::new(&state, "Logg", Some(&editor), Section::Audit),
        rows,
        users,
        actions,
        page,
        next: more.then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
    };
    view::html(StatusCode::OK, &page_view)
}
