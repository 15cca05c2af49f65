//! The statements of backups: the snapshot, and the checks of a database file.

use sqlx::{SqliteConnection, SqlitePool};

/// Writes a consistent, compacted copy of the database to `path`, which must not exist.
pub async fn vacuum_into(pool: &SqlitePool, path: &str) -> sqlx::Result<()> {
    sqlx::query("vacuum into ?")
        .bind(path)
        .execute(pool)
        .await
        .map(|_| ())
}

/// What `PRAGMA integrity_check` says: `["ok"]` for a sound file, otherwise each problem.
pub async fn integrity(conn: &mut SqliteConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("pragma integrity_check")
        .fetch_all(conn)
        .await
}

/// The newest migration applied to the database, if it has sqlx's table of them.
pub async fn schema_version(conn: &mut SqliteConnection) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success = 1")
        .fetch_one(conn)
        .await
}

/// How many pages and files of the media library the database holds.
pub async fn counts(conn: &mut SqliteConnection) -> sqlx::Result<(i64, i64)> {
    let pages = sqlx::query_scalar("select count(*) from pages")
        .fetch_one(&mut *conn)
        .await?;
    let media = sqlx::query_scalar("select count(*) from media where replaced_by is null")
        .fetch_one(&mut *conn)
        .await?;
    Ok((pages, media))
}
