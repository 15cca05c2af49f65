//! Facts about the installation, as key-value pairs.

use crate::db::engine::{Exec, query, query_scalar};

/// Key set when the seed content has been imported; once set, starts never import it again.
pub const SEEDED_AT: &str = "seeded_at";

pub async fn get(db: impl Into<Exec<'_>>, key: &str) -> sqlx::Result<Option<String>> {
    on!(db, |c| {
        query_scalar("select value from settings where key = ?")
            .bind(key)
            .fetch_optional(c)
            .await
    })
}

pub async fn set(db: impl Into<Exec<'_>>, key: &str, value: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(c)
            .await
            .map(|_| ())
    })
}
