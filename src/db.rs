//! The database: a SQLite file in WAL mode, its embedded migrations, and every SQL statement of the
//! application, grouped by table family. Functions take an executor, so handlers, the CLI and tests share
//! them and callers choose the transaction. Searches, which ask many small questions in a row, read
//! through [`readers`] instead: plain SQLite connections on a blocking thread ([`search::ask`]).

// First, so that every module below can use their macros (`on!`, `visible!`).
#[macro_use]
pub mod engine;
pub use engine::{Exec, Pool};
#[macro_use]
pub mod publishing;

pub mod audit;
pub mod backup;
pub mod changes;
pub mod links;
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
    #[error("cannot migrate the database {path}: {source}")]
    Migrate { path: String, source: MigrateError },
}

/// Opens (creating it and its folder if missing) and migrates the database at `path`.
pub async fn open(path: &Path) -> Result<SqlitePool, OpenError> {
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
        .map_err(|source| OpenError::Connect {
            path: shown.clone(),
            source,
        })?
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
        .map_err(|source| OpenError::Connect {
            path: shown.clone(),
            source,
        })?;
    migrate(&pool, &shown).await?;
    Ok(pool)
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

/// Begins a transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), waiting for it up
/// to the busy timeout. Every transaction that writes must start this way: a deferred one that reads
/// first fails outright (`SQLITE_BUSY`, no waiting) when another connection wrote in between, which
/// would turn two editors saving at the same moment into a server error instead of a conflict.
///
/// A write that failed on a full disk can leave its connection believing it is still in the
/// transaction (sqlx then refuses to begin another on it: `InvalidSavePointStatement`). Such
/// connections are closed, so that the pool opens fresh ones, and the transaction is begun again.
pub async fn begin_write(
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
pub async fn ping(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("select 1").execute(pool).await.map(|_| ())
}
