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

/// The channel PostgreSQL's trigger notifies on every change to pages or redirects made outside
/// the change pipeline (see `migrations/postgres/0012_changes_told.sql`), and the pipeline on a
/// change too large to tell in detail: "something changed".
const CHANNEL: &str = "skl_cms_content";
/// The channel the change pipeline tells what it changed on (see [`announce`]).
const DETAILED: &str = "skl_cms_changes";

/// Marks the transaction of `db` as one that tells the other instances what it changed itself, at
/// its end ([`announce`]): the trigger's "something changed" is not sent for it. Only PostgreSQL
/// sends notices; on SQLite this does nothing.
pub async fn will_announce(db: impl Into<Exec<'_>>) -> sqlx::Result<()> {
    by_engine!(db, |_c| Ok(()), |c| {
        sqlx::query("select set_config('skl_cms.announced', 'on', true)")
            .execute(c)
            .await
            .map(|_| ())
    },)
}

/// Tells the other instances on the database what the transaction of `db` changed: `text` (see
/// `change::announce`), or with none that something changed. PostgreSQL delivers it when the
/// transaction commits, with the change, and not at all if it rolls back.
pub async fn announce(db: impl Into<Exec<'_>>, text: Option<&str>) -> sqlx::Result<()> {
    by_engine!(db, |_c| Ok(()), |c| {
        let sent = match text {
            Some(text) => {
                sqlx::query(
                    "select pg_notify('skl_cms_changes', \
                         current_setting('application_name') || chr(10) || $1)",
                )
                .bind(text)
                .execute(c)
                .await
            }
            None => {
                sqlx::query(
                    "select pg_notify('skl_cms_content', current_setting('application_name'))",
                )
                .execute(c)
                .await
            }
        };
        sent.map(|_| ())
    },)
}

/// A notice of a change made elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// What the change was, as `change::announce` tells it.
    Told(String),
    /// Something changed, or notices may have been missed: the content version tells more.
    Something,
}

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
    pub async fn next(&mut self) -> Notice {
        loop {
            match self.notice().await {
                Some((channel, payload)) => {
                    let (from, told) = payload.split_once('\n').unwrap_or((&payload, ""));
                    if from == self.own {
                        continue;
                    }
                    return if channel == DETAILED {
                        Notice::Told(told.to_owned())
                    } else {
                        Notice::Something
                    };
                }
                None => return Notice::Something,
            }
        }
    }

    /// The next notice, its channel and its payload (which begins with the name of the connection
    /// that sent it); none when notices may have been missed.
    async fn notice(&mut self) -> Option<(String, String)> {
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
            Ok(Some(notice)) => Some((notice.channel().to_owned(), notice.payload().to_owned())),
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
        listener.listen_all([CHANNEL, DETAILED]).await?;
        Ok(listener)
    }
}
