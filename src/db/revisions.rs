//! Revisions: a whole copy of a page at each save.

use sqlx::SqliteExecutor;

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
