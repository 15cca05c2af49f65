//! The content version: a counter of changes to pages and redirects that triggers keep (see
//! `migrations/0007_content_version.sql`), read by the server to notice changes made by others.

use crate::db::engine::{Exec, query_scalar};

/// The content version now.
pub async fn version(db: impl Into<Exec<'_>>) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar("select version from content_version where id = 1")
            .fetch_one(c)
            .await
    })
}
