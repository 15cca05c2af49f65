//! The database: a SQLite file in WAL mode, its embedded migrations, and every SQL statement of the
//! application, grouped by table family. Functions take an executor, so handlers, the CLI and tests share
//! them and callers choose the transaction. Searches, which ask many small questions in a row, read
//! through [`readers`] instead: plain SQLite connections on a blocking thread ([`search::ask`]).

// First, so that every module below can use their macros (`on!`, `visible!`).
#[macro_use]
pub mod engine;
pub use engine::{Exec, Pool};
pub use location::Location;
#[macro_use]
pub mod publishing;

pub mod audit;
pub mod backup;
pub mod changes;
pub mod copy;
pub mod lease;
pub mod links;
pub mod location;
pub mod media;
pub mod pages;
pub mod readers;
pub mod redirects;
pub mod reviews;
pub mod revisions;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod two_factor;
pub mod users;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    SqlitePool,
    migrate::{MigrateError, Migrator},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Why the database could not be opened, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the folder {folder} for the database: {source}")]
    CreateFolder {
        folder: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Connect { path: String, source: sqlx::Error },
    #[error(
        "the database {path} was written by a newer version of skl-cms (it has migration {version}, which \
         this binary does not know); run the newer version, or restore a backup made by this one"
    )]
    NewerSchema { path: String, version: i64 },
    #[error(
        "the PostgreSQL server of {path} lacks the extensions {names}: install its contrib package \
         (on Debian, postgresql-contrib comes with postgresql) and start again"
    )]
    MissingExtensions { path: String, names: String },
    #[error(
        "the PostgreSQL database {path} cannot tell letters such as å, ä and ö apart from other \
         characters (its encoding is not UTF8, or its character type is C), so its search could not \
         find Swedish words: create it with ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' (or 'sv_SE.UTF-8') \
         TEMPLATE template0"
    )]
    NoLetters { path: String },
    #[error("cannot migrate the database {path}: {source}")]
    Migrate { path: String, source: MigrateError },
}

impl OpenError {
    /// The error of a failed connection to the database shown as `shown`.
    fn connect(shown: &str) -> impl FnOnce(sqlx::Error) -> OpenError + '_ {
        move |source| OpenError::Connect {
            path: shown.to_owned(),
            source,
        }
    }
}

/// Opens (creating it and its folder if missing) and migrates the database at `path`.
pub async fn open(path: &Path) -> Result<Pool, OpenError> {
    let shown = path.display().to_string();
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).map_err(|source| OpenError::CreateFolder {
            folder: folder.display().to_string(),
            source,
        })?;
    }
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(OpenError::connect(&shown))?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL loses no committed data on a process crash and stays consistent on power loss.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        // Reads are served from the render cache, so a few connections are plenty; each costs memory.
        .max_connections(4)
        .min_connections(1)
        .connect_with(options)
        .await
        .map_err(OpenError::connect(&shown))?;
    migrate(&pool, &shown).await?;
    Ok(Pool::Sqlite(pool))
}

/// Applies the embedded migrations that the database lacks, and refuses a database from a newer version.
async fn migrate(pool: &SqlitePool, shown: &str) -> Result<(), OpenError> {
    match MIGRATOR.run(pool).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(version)) => Err(OpenError::NewerSchema {
            path: shown.to_owned(),
            version,
        }),
        Err(source) => Err(OpenError::Migrate {
            path: shown.to_owned(),
            source,
        }),
    }
}

/// Begins a transaction that writes, holding the site's write lock until it ends, so that writers
/// take turns on either engine: each reads what the one before committed (the content version, a
/// page's version) and none of them fails for having overlapped another.
///
/// On SQLite that is `BEGIN IMMEDIATE`, which waits for the lock up to the busy timeout (a deferred
/// transaction that reads first fails outright, `SQLITE_BUSY`, when another wrote in between). On
/// PostgreSQL it is a transaction-scoped advisory lock, which every instance on the database shares.
pub async fn begin_write(pool: &Pool) -> sqlx::Result<Tx> {
    match pool {
        Pool::Sqlite(pool) => begin_immediate(pool).await.map(Tx::Sqlite),
        Pool::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("select pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(Tx::Postgres(tx))
        }
    }
}

/// The key of the advisory lock that writers hold on PostgreSQL ("skl-cms" in ASCII).
const WRITE_LOCK: i64 = 0x0073_6b6c_2d63_6d73;

/// A transaction that writes, on either engine: statements run in it through `&mut tx`; dropped
/// without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }

    /// The transaction's connection, for one or more statements.
    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(tx) => Exec::Sqlite(tx),
            Tx::Postgres(tx) => Exec::Postgres(tx),
        }
    }
}

impl<'a> From<&'a mut Tx> for Exec<'a> {
    fn from(tx: &'a mut Tx) -> Exec<'a> {
        tx.exec()
    }
}

/// `BEGIN IMMEDIATE` on SQLite. A write that failed on a full disk can leave its connection
/// believing it is still in the transaction (sqlx then refuses to begin another on it:
/// `InvalidSavePointStatement`). Such connections are closed, so that the pool opens fresh ones,
/// and the transaction is begun again.
async fn begin_immediate(
    pool: &SqlitePool,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    // A stuck connection goes back to the pool a moment after the attempt that found it.
    for _ in 0..8 {
        match pool.begin_with("BEGIN IMMEDIATE").await {
            Err(sqlx::Error::InvalidSavePointStatement) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
                close_stuck_connections(pool);
            }
            other => return other,
        }
    }
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Closes the idle connections of `pool` that are stuck in a transaction.
fn close_stuck_connections(pool: &SqlitePool) {
    use sqlx::Connection;
    let mut idle = Vec::new();
    while let Some(conn) = pool.try_acquire() {
        idle.push(conn);
    }
    let mut closed = 0;
    for conn in &mut idle {
        if conn.is_in_transaction() {
            conn.close_on_drop();
            closed += 1;
        }
    }
    drop(idle);
    tracing::warn!(
        closed,
        "closed database connections left in a failed transaction"
    );
}

/// Whether the database answers: a cheap query for the readiness check.
pub async fn ping(pool: &Pool) -> Result<(), sqlx::Error> {
    on!(pool, |c| engine::query("select 1")
        .execute(c)
        .await
        .map(|_| ()))
}

/// Brings the query planner's statistics up to date after many rows were written at once (an
/// import, an index rebuilt): PostgreSQL plans by statistics that its autovacuum renews only a
/// minute or more later, and until then plans for the table as it was (for a table of fourteen
/// pages grown to fifty thousand, a sitemap took 30 s instead of 50 ms); SQLite's
/// `pragma optimize` does the same for the tables that need it.
pub async fn refresh_statistics(pool: &Pool) -> Result<(), sqlx::Error> {
    by_engine!(
        pool,
        |c| sqlx::query("pragma optimize").execute(c).await.map(|_| ()),
        |c| sqlx::query("analyze").execute(c).await.map(|_| ())
    )
}

/// Whether `error` says the database cannot be reached or will not take work just now (the server
/// down or restarting, the network, no connection free within the pool's wait, a full disk, a
/// read-only database), rather than that a statement was wrong: what a visitor is answered 503 for,
/// to try again shortly, with nothing half written.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            let Some(code) = error.code() else {
                return false;
            };
            if error
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                return code.parse().is_ok_and(sqlite_is_unavailable);
            }
            // PostgreSQL: connection exceptions (08), insufficient resources (53), an operator's
            // intervention such as a shutdown (57P), a read-only transaction (25006).
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "25006"
        }
        _ => false,
    }
}

/// Whether SQLite's result `code` says the database cannot be written for now: busy (5), locked
/// (6), read-only (8), an I/O error (10), full (13). sqlx reports extended codes (an I/O error while
/// writing is 778), whose low byte is the primary code.
fn sqlite_is_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 8 | 10 | 13)
}

#[cfg(test)]
mod tests {
    use super::sqlite_is_unavailable;

    #[test]
    fn sqlite_codes_are_read_by_their_primary_code() {
        // SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DBMOVED, SQLITE_FULL.
        for code in [778, 517, 1032, 13, 5, 6] {
            assert!(sqlite_is_unavailable(code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_ERROR, SQLITE_CORRUPT.
        for code in [2067, 1, 11] {
            assert!(!sqlite_is_unavailable(code), "{code}");
        }
    }
}
