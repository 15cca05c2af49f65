//! Revisions: a whole copy of a page at each save, and the texts of saves that lost a race.

use sqlx::{FromRow, SqliteExecutor};

use super::pages::PageContent;

/// Records the page's current state as a revision, with who saved it and why.
pub async fn record(
    db: impl SqliteExecutor<'_>,
    page_id: i64,
    author_id: Option<i64>,
    note: &str,
    now: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        r"insert into revisions (
            page_id, version, path, title, description, body_md, kind, status, publish_at, date_precision,
            parent_id, menu_order, translation_key, archived, author_id, note, created_at)
          select id, version, path, title, description, body_md, kind, status, publish_at, date_precision,
            parent_id, menu_order, translation_key, archived, ?, ?, ?
          from pages where id = ?",
    )
    .bind(author_id)
    .bind(note)
    .bind(now)
    .bind(page_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Keeps the text of a save that was refused because the page had changed since `based_on`, so that it
/// survives even if the editor closes the tab. Returns the revision's id.
pub async fn record_conflict(
    db: impl SqliteExecutor<'_>,
    page_id: i64,
    based_on: i64,
    content: &PageContent,
    parent_id: Option<i64>,
    author_id: i64,
    now: &str,
) -> sqlx::Result<i64> {
    let done = sqlx::query(
        r"insert into revisions (
            page_id, version, path, title, description, body_md, kind, status, publish_at, date_precision,
            parent_id, menu_order, translation_key, archived, author_id, note, created_at, conflict)
          values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
    )
    .bind(page_id)
    .bind(based_on)
    .bind(&content.path)
    .bind(&content.title)
    .bind(&content.description)
    .bind(&content.body_md)
    .bind(content.kind)
    .bind(content.status)
    .bind(&content.publish_at)
    .bind(content.date_precision)
    .bind(parent_id)
    .bind(content.menu_order)
    .bind(&content.translation_key)
    .bind(content.archived)
    .bind(author_id)
    .bind(format!("conflict: not saved, based on version {based_on}"))
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.last_insert_rowid())
}

/// A revision as stored, with its author's name.
#[derive(Debug, Clone, FromRow)]
pub struct Revision {
    pub id: i64,
    pub page_id: i64,
    pub version: i64,
    pub path: String,
    pub title: String,
    pub description: String,
    pub body_md: String,
    pub kind: crate::content::Kind,
    pub status: crate::content::Status,
    pub publish_at: Option<String>,
    pub date_precision: crate::time::DatePrecision,
    pub parent_id: Option<i64>,
    pub menu_order: Option<i64>,
    pub translation_key: Option<String>,
    pub archived: bool,
    pub author: Option<String>,
    pub note: String,
    pub created_at: String,
    pub conflict: bool,
}

/// Every column of a [`Revision`], over `revisions r left join users u`.
macro_rules! revision_columns {
    () => {
        "r.id, r.page_id, r.version, r.path, r.title, r.description, r.body_md, r.kind, r.status, \
         r.publish_at, r.date_precision, r.parent_id, r.menu_order, r.translation_key, r.archived, \
         u.display_name as author, r.note, r.created_at, r.conflict"
    };
}

/// A page's revisions, newest first.
pub async fn of_page(db: impl SqliteExecutor<'_>, page_id: i64) -> sqlx::Result<Vec<Revision>> {
    sqlx::query_as(concat!(
        "select ",
        revision_columns!(),
        " from revisions r left join users u on u.id = r.author_id where r.page_id = ? order by r.id desc"
    ))
    .bind(page_id)
    .fetch_all(db)
    .await
}

/// One revision of a page.
pub async fn find(
    db: impl SqliteExecutor<'_>,
    page_id: i64,
    id: i64,
) -> sqlx::Result<Option<Revision>> {
    sqlx::query_as(concat!(
        "select ",
        revision_columns!(),
        " from revisions r left join users u on u.id = r.author_id where r.page_id = ? and r.id = ?"
    ))
    .bind(page_id)
    .bind(id)
    .fetch_optional(db)
    .await
}
