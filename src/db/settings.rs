//! Facts about the installation, as key-value pairs.

use sqlx::SqliteExecutor;

/// Key set when the seed content has been imported; once set, starts never import it again.
pub const SEEDED_AT: &str = "seeded_at";

pub async fn get(db: impl SqliteExecutor<'_>, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select value from settings where key = ?")
        .bind(key)
        .fetch_optional(db)
        .await
}

pub async fn set(db: impl SqliteExecutor<'_>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(db)
        .await
        .map(|_| ())
}
