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

/// The channel PostgreSQL's trigger notifies on every change to pages or redirects (see
/// `migrations/postgres/0011_schema.sql`).
const CHANNEL: &str = "skl_cms_content";

/// How long a failed attempt to listen waits before the next.
const RELISTEN: std::time::Duration = std::time::Duration::from_secs(1);

/// Notices that content may have changed, sent by the database the moment a change commits,
/// whoever made it: PostgreSQL's `LISTEN`/`NOTIFY`, so that every instance on one database hears of
/// an edit on another at once. SQLite has no such notices; there, [`Notices::next`] never returns
/// and the content version is polled.
#[derive(Debug)]
pub struct Notices {
    postgres: Option<(sqlx::PgPool, Option<sqlx::postgres::PgListener>)>,
    /// The `application_name` of this instance's connections: its own changes' notices carry it.
    own: String,
}

impl Notices {
    /// Notices of changes to the database `pool` is connected to.
    pub fn of(pool: &super::Pool) -> Notices {
        match pool {
            super::Pool::Sqlite(_) => Notices {
                postgres: None,
                own: String::new(),
            },
            super::Pool::Postgres(pool) => Notices {
                own: pool
                    .connect_options()
                    .get_application_name()
                    .unwrap_or_default()
                    .to_owned(),
                postgres: Some((pool.clone(), None)),
            },
        }
    }

    /// Waits for the next notice of a change made elsewhere (by another instance or process): this
    /// instance's own changes are shown as they are committed ([`crate::app::AppState::apply`]),
    /// and a notice of one, acted on before that, would empty the whole cache. It also returns when
    /// notices may have been missed (the connection that listens was lost, and is listening again),
    /// so that the caller looks at the content version whenever it might have changed unheard.
    pub async fn next(&mut self) {
        loop {
            match self.notice().await {
                Some(from) if from == self.own => {}
                _ => return,
            }
        }
    }

    /// The next notice, with the name of the connection that sent it; none when notices may have
    /// been missed.
    async fn notice(&mut self) -> Option<String> {
        let Some((pool, listening)) = &mut self.postgres else {
            return std::future::pending().await;
        };
        let listener = match listening {
            Some(listener) => listener,
            None => match Self::listen(pool).await {
                Ok(listener) => {
                    // Changes made before it listened went unheard.
                    *listening = Some(listener);
                    return None;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for changes; trying again");
                    tokio::time::sleep(RELISTEN).await;
                    return None;
                }
            },
        };
        match listener.try_recv().await {
            Ok(Some(notice)) => Some(notice.payload().to_owned()),
            // The connection was lost; sqlx listens again at the next call.
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "lost the notices of changes; listening again");
                *listening = None;
                tokio::time::sleep(RELISTEN).await;
                None
            }
        }
    }

    async fn listen(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::postgres::PgListener> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }
}
