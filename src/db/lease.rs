//! Work that one instance at a time must do, among several on one database: the lease to do it.
//!
//! On PostgreSQL a lease is a session-level advisory lock (`pg_try_advisory_lock`), held on a
//! connection of its own taken out of the pool. It is released by PostgreSQL the moment that
//! connection ends, which a killed process's does at once (its socket is closed by the operating
//! system); another instance, asking again on its next round, takes it over. A machine that vanishes
//! without closing its sockets is noticed by TCP keepalives within [`KEEPALIVE_LIMIT`].
//!
//! On SQLite one server uses the file, so the lease is always held.

use sqlx::Connection;

/// How long a PostgreSQL server takes at most to notice that the connection of a lease holder
/// whose machine vanished is gone, and to release the lease: TCP keepalives every 5 s, given up
/// after 3 unanswered (`tcp_keepalives_*`, set on the lease's connection).
pub const KEEPALIVE_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// What a lease is for: each has a lock of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Telling a shared cache in front that a scheduled page went live.
    SchedulePurge,
}

impl Work {
    /// The advisory lock's key: a fixed number per work, in a range of skl-cms's own.
    fn key(self) -> i64 {
        // "SKL" in ASCII, then the work's number.
        const BASE: i64 = 0x534b_4c00_0000_0000;
        match self {
            Work::SchedulePurge => BASE + 1,
        }
    }
}

/// The lease for one [`Work`], held by this instance or not.
#[derive(Debug)]
pub struct Lease {
    work: Work,
    postgres: Option<(sqlx::PgPool, Option<sqlx::PgConnection>)>,
}

impl Lease {
    /// The lease for `work` on the database of `pool`, not yet asked for.
    pub fn new(pool: &super::Pool, work: Work) -> Lease {
        Lease {
            work,
            postgres: match pool {
                super::Pool::Sqlite(_) => None,
                super::Pool::Postgres(pool) => Some((pool.clone(), None)),
            },
        }
    }

    /// Whether this instance holds the lease now: it takes the lease if no one holds it, and checks
    /// that a lease it holds is still its own (the connection may have been lost, and with it the
    /// lock). Ask before each round of the work.
    pub async fn hold(&mut self) -> bool {
        let Some((pool, held)) = &mut self.postgres else {
            return true;
        };
        if let Some(connection) = held {
            if connection.ping().await.is_ok() {
                return true;
            }
            tracing::warn!(work = ?self.work, "lost the connection that held a lease; asking again");
            *held = None;
        }
        match Self::take(pool, self.work).await {
            Ok(Some(connection)) => {
                tracing::info!(work = ?self.work, "this instance does the work now");
                *held = Some(connection);
                true
            }
            Ok(None) => false,
            Err(error) => {
                // The database being away is told elsewhere; this would repeat it every round.
                tracing::debug!(work = ?self.work, %error, "cannot ask for a lease");
                false
            }
        }
    }

    /// A connection of its own that holds the lock of `work`, if no one else holds it.
    async fn take(pool: &sqlx::PgPool, work: Work) -> sqlx::Result<Option<sqlx::PgConnection>> {
        let mut connection = pool.acquire().await?;
        let taken: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
            .bind(work.key())
            .fetch_one(&mut *connection)
            .await?;
        if !taken {
            // Back to the pool: asking again costs no new connection.
            return Ok(None);
        }
        // Out of the pool: the lock lives as long as this connection, which is never lent out.
        // Should a setting fail, the connection is dropped, and the lock with it.
        let mut connection = connection.detach();
        for setting in [
            "set tcp_keepalives_idle = 5",
            "set tcp_keepalives_interval = 5",
            "set tcp_keepalives_count = 3",
        ] {
            sqlx::query(setting).execute(&mut connection).await?;
        }
        Ok(Some(connection))
    }
}
