//! Where a search asks its questions: a search asks about twenty in a row (the vocabulary, counts,
//! rankings, the pages found and their trails), through one [`Index`].
//!
//! On PostgreSQL, that is a connection of the pool, each question a round trip over the network.
//! On SQLite, it is one of a few read-only connections kept here, for the reason that follows.
//!
//! Through sqlx, every statement is handed to the connection's own thread and its rows handed back,
//! two thread wake-ups a statement; measured on the 2-core VM of the benchmarks, that hand-over
//! costs 40–250 µs a statement (`select 1`), more than most of the statements themselves. Here the
//! whole piece of work runs on one blocking thread with a plain SQLite connection
//! ([`rusqlite`], over the same bundled SQLite that sqlx links), so it is handed over once.
//!
//! The connections only read (`query_only`), in WAL mode beside the pool's writers: each statement
//! sees what was committed when it began, so a page is findable as soon as the transaction that
//! published it has committed. Writes stay with sqlx, in the transactions that make them.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use std::{future::Future, pin::Pin};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::search::ask::Index;

/// At most this many reads run at once, each on its own connection and blocking thread: searches
/// are short and CPU-bound, so more than the cores would only queue inside the kernel instead.
pub const MAX_READERS: usize = 4;

/// Prepared statements kept per connection: every statement of a search, in each of its shapes.
const STATEMENTS_KEPT: usize = 64;

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open a reading connection to {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    #[error("the read stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

/// Where searches ask their questions.
#[derive(Debug)]
pub struct Readers {
    engine: Engine,
    permits: Semaphore,
}

#[derive(Debug)]
enum Engine {
    Sqlite(Arc<Files>),
    Postgres(sqlx::PgPool),
}

/// What a search does with an [`Index`]: a future that may borrow it.
pub type Work<'i, T> = Pin<Box<dyn Future<Output = Result<T, ReadError>> + Send + 'i>>;

impl ReadError {
    /// Whether the database could not be reached or would not take work just now (see
    /// [`super::is_unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        match self {
            ReadError::Postgres(error) => super::is_unavailable(error),
            ReadError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => matches!(
                error.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::DiskFull
            ),
            _ => false,
        }
    }
}

/// A small pool of read-only connections to the database file, opened as needed and kept.
#[derive(Debug)]
struct Files {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the SQLite database at `path` (the file sqlx's pool has open and migrated).
    pub fn new(path: &Path) -> Readers {
        Readers {
            engine: Engine::Sqlite(Arc::new(Files {
                path: path.to_owned(),
                idle: Mutex::new(Vec::new()),
            })),
            permits: Semaphore::new(MAX_READERS),
        }
    }

    /// Readers of the database that `pool` is connected to.
    pub fn of(pool: &super::Pool) -> Readers {
        match pool {
            super::Pool::Sqlite(pool) => Readers::new(pool.connect_options().get_filename()),
            super::Pool::Postgres(pool) => Readers {
                engine: Engine::Postgres(pool.clone()),
                permits: Semaphore::new(MAX_READERS),
            },
        }
    }

    /// Runs `work` with an [`Index`] and returns what it returns. On SQLite, `work` runs on a
    /// reading connection on a blocking thread, where the index's questions never wait.
    pub async fn search<T, F>(&self, work: F) -> Result<T, ReadError>
    where
        T: Send + 'static,
        F: for<'i> FnOnce(Index<'i>) -> Work<'i, T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let files = match &self.engine {
            Engine::Postgres(pool) => {
                let mut connection = pool.acquire().await?;
                return work(Index::Postgres(&mut connection)).await;
            }
            Engine::Sqlite(files) => Arc::clone(files),
        };
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut connection = match files.take() {
                Some(connection) => connection,
                None => files.open()?,
            };
            // The questions of a SQLite index are answered as they are asked, so this returns at
            // the first poll: the runtime's handle only drives the future, never waits on it.
            let result = runtime.block_on(work(Index::Sqlite(&mut connection)));
            // Work runs single statements, each finished when it returns, so the connection is back
            // outside any transaction. One that is not (left in a `begin`) would hold its snapshot
            // and keep the WAL from being checkpointed: it is closed instead of kept.
            if connection.is_autocommit() {
                files.give_back(connection);
            }
            result
        })
        .await?
    }
}

impl Files {
    fn take(&self) -> Option<Connection> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
    }

    fn give_back(&self, connection: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(connection);
    }

    fn open(&self) -> Result<Connection, ReadError> {
        let path = &self.path;
        let open = || -> rusqlite::Result<Connection> {
            // Read-write at the file level so that it can join the WAL's shared memory whatever
            // state the file was left in; `query_only` refuses every write.
            let connection = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            connection.busy_timeout(Duration::from_secs(5))?;
            connection.pragma_update(None, "query_only", true)?;
            connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
            Ok(connection)
        };
        open().map_err(|source| ReadError::Open {
            path: path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reading_connection_cannot_write_and_stays_good_for_reading() {
        let dir = tempfile::tempdir().expect("folder");
        let path = dir.path().join("site.db");
        let pool = crate::db::open(&path).await.expect("open");
        let files = Files {
            path,
            idle: Mutex::new(Vec::new()),
        };
        let connection = files.open().expect("a reading connection");
        let written = connection.execute(
            "insert into settings (key, value) values ('readers_test', 'x')",
            [],
        );
        assert!(written.is_err(), "{written:?}");
        assert_eq!(
            crate::db::settings::get(&pool, "readers_test")
                .await
                .expect("read"),
            None
        );
        let read: i64 = connection
            .query_row("select count(*) from sqlite_master", [], |row| row.get(0))
            .expect("still reads");
        assert!(read > 0, "the schema is there to read");
    }
}
