//! Read-only connections for work that asks the database many small questions in a row: a search
//! asks about twenty (the vocabulary, counts, rankings, the pages found and their trails).
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

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

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
    #[error("reading connections are SQLite's; this site's database is PostgreSQL")]
    NotSqlite,
    #[error("the read stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

/// A small pool of read-only connections to the database file, opened as needed and kept.
#[derive(Debug)]
pub struct Readers {
    /// The database file; none on PostgreSQL, which has no reading connections of this kind.
    path: Option<PathBuf>,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Readers {
    /// Readers of the database at `path` (the file sqlx's pool has open and migrated).
    pub fn new(path: &Path) -> Readers {
        Readers {
            path: Some(path.to_owned()),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(MAX_READERS),
        }
    }

    /// Readers of the database that `pool` is connected to, if it is a SQLite file.
    pub fn of(pool: &super::Pool) -> Readers {
        match pool.sqlite() {
            Some(pool) => Readers::new(pool.connect_options().get_filename()),
            None => Readers {
                path: None,
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(MAX_READERS),
            },
        }
    }

    /// Runs `work` on a reading connection, on a blocking thread, and returns what it returns.
    pub async fn read<T, F>(self: &Arc<Self>, work: F) -> Result<T, ReadError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let connection = match readers.take() {
                Some(connection) => connection,
                None => readers.open()?,
            };
            let result = work(&connection);
            // Work runs single statements, each finished when it returns, so the connection is back
            // outside any transaction. One that is not (left in a `begin`) would hold its snapshot
            // and keep the WAL from being checkpointed: it is closed instead of kept.
            if connection.is_autocommit() {
                readers.give_back(connection);
            }
            Ok(result?)
        })
        .await?
    }

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
        let path = self.path.as_ref().ok_or(ReadError::NotSqlite)?;
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
