//! Backups of the database, and restoring one.
//!
//! A backup is a consistent snapshot taken while the server runs (`VACUUM INTO`, which reads one
//! transaction's view and writes a compact copy), checked with `PRAGMA integrity_check` before it
//! gets its name: a file that is there is a good one. A server can take them on a schedule and keep
//! the newest few ([`schedule`]). Restoring checks the file too, refuses while a server uses the
//! database (servers hold a shared lock on `{database}.lock`, see [`DatabaseLock`]), and swaps the
//! backup in with one rename, keeping the old file aside.

use std::{
    fs::File,
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, Instant},
};

use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};

use crate::db;

/// The file names of scheduled backups: `skl-cms-20261202T101500Z.db`.
const PREFIX: &str = "skl-cms-";
const SUFFIX: &str = ".db";

/// Why a backup or a restore did not happen, in a sentence an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the site's database is PostgreSQL: back it up with pg_dump (see docs/deploy.md), not with skl-cms"
    )]
    NotSqlite,
    #[error("{0} already exists; choose another name, or delete it first")]
    Exists(String),
    #[error("cannot write the backup {path}: {source}")]
    Write { path: String, source: sqlx::Error },
    #[error("cannot read {path} as a database: {source}")]
    Unreadable { path: String, source: sqlx::Error },
    #[error("{path} is damaged: {problem}")]
    Damaged { path: String, problem: String },
    #[error(
        "{path} was written by a newer version of skl-cms (migration {version}); restore it with that version"
    )]
    Newer { path: String, version: i64 },
    #[error("{path} is not a database of skl-cms (it has no migrations)")]
    NotOurs { path: String },
    #[error(
        "a server is using {0}; stop it first (restoring under a running server would lose what it writes)"
    )]
    InUse(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// What a check found in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The newest migration applied.
    pub schema_version: i64,
    pub pages: i64,
    pub media: i64,
    pub bytes: u64,
}

/// A backup written and checked.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub checked: Checked,
    pub elapsed: Duration,
}

/// Writes a checked snapshot of `pool`'s database to `target`, which must not exist. The snapshot
/// is written beside it under a temporary name and renamed only once it passed the check, so a
/// failure or a crash never leaves a file called `target`.
pub async fn write(pool: &crate::db::Pool, target: &Path) -> Result<Written, Error> {
    let pool = pool.sqlite().ok_or(Error::NotSqlite)?;
    let started = Instant::now();
    if target.exists() {
        return Err(Error::Exists(target.display().to_string()));
    }
    if let Some(folder) = target
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).map_err(io("cannot create the folder", folder))?;
    }
    let partial = with_suffix(target, ".partial");
    let _ = std::fs::remove_file(&partial);
    let written = async {
        db::backup::vacuum_into(pool, &partial.to_string_lossy())
            .await
            .map_err(|source| Error::Write {
                path: target.display().to_string(),
                source,
            })?;
        let checked = check(&partial).await?;
        std::fs::rename(&partial, target).map_err(io("cannot name the backup", target))?;
        Ok(checked)
    }
    .await;
    match written {
        Ok(checked) => Ok(Written {
            path: target.to_owned(),
            checked,
            elapsed: started.elapsed(),
        }),
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Checks that `file` is a sound database of this or an older version of skl-cms, reading it only.
pub async fn check(file: &Path) -> Result<Checked, Error> {
    let shown = || file.display().to_string();
    let bytes = std::fs::metadata(file)
        .map_err(io("cannot read", file))?
        .len();
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|source| Error::Unreadable {
            path: shown(),
            source,
        })?
        .filename(file)
        .read_only(true)
        .create_if_missing(false);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| Error::Unreadable {
            path: shown(),
            source,
        })?;
    let result = async {
        let problems =
            db::backup::integrity(&mut conn)
                .await
                .map_err(|source| Error::Unreadable {
                    path: shown(),
                    source,
                })?;
        if problems.iter().any(|line| line != "ok") {
            return Err(Error::Damaged {
                path: shown(),
                problem: problems.join("; "),
            });
        }
        let version = db::backup::schema_version(&mut conn)
            .await
            .map_err(|_| Error::NotOurs { path: shown() })?
            .ok_or_else(|| Error::NotOurs { path: shown() })?;
        let known = db::MIGRATOR
            .iter()
            .map(|migration| migration.version)
            .max()
            .unwrap_or(0);
        if version > known {
            return Err(Error::Newer {
                path: shown(),
                version,
            });
        }
        let (pages, media) =
            db::backup::counts(&mut conn)
                .await
                .map_err(|source| Error::Unreadable {
                    path: shown(),
                    source,
                })?;
        Ok(Checked {
            schema_version: version,
            pages,
            media,
            bytes,
        })
    }
    .await;
    let _ = conn.close().await;
    result
}

/// A hold on a database by a server: shared, so that several servers may use one database, and
/// exclusive for a restore, which so never swaps a file under a running server. It is an advisory
/// lock on `{database}.lock`, released when the process ends however it ends.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

impl DatabaseLock {
    fn file(database: &Path) -> Result<File, Error> {
        if let Some(folder) = database
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(io("cannot create the folder", folder))?;
        }
        let path = with_suffix(database, ".lock");
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("cannot open the lock file", &path))
    }

    /// The hold of a server; any number may hold it at once.
    pub fn shared(database: &Path) -> Result<DatabaseLock, Error> {
        let file = DatabaseLock::file(database)?;
        file.lock_shared()
            .map_err(io("cannot lock", &with_suffix(database, ".lock")))?;
        Ok(DatabaseLock { _file: file })
    }

    /// The hold of a restore: refused while any server holds the database.
    pub fn exclusive(database: &Path) -> Result<DatabaseLock, Error> {
        let file = DatabaseLock::file(database)?;
        match file.try_lock() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(Error::InUse(database.display().to_string()))
            }
            Err(std::fs::TryLockError::Error(source)) => Err(Error::Io {
                action: "cannot lock",
                path: database.display().to_string(),
                source,
            }),
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub checked: Checked,
    /// Where the database that was replaced now is, if there was one.
    pub kept: Option<PathBuf>,
}

/// Puts the backup `from` in the place of `database`, after checking it, unless a server holds the
/// database. The replaced database (with its write-ahead log) is kept beside it as
/// `{database}.before-restore-{time}`; the swap itself is one rename.
pub async fn restore(
    database: &Path,
    from: &Path,
    now: &crate::time::Moment,
) -> Result<Restored, Error> {
    let checked = check(from).await?;
    let _lock = DatabaseLock::exclusive(database)?;
    let incoming = with_suffix(database, ".restoring");
    std::fs::copy(from, &incoming).map_err(io("cannot copy the backup to", &incoming))?;
    File::open(&incoming)
        .and_then(|file| file.sync_all())
        .map_err(io("cannot write", &incoming))?;
    let kept = if database.exists() {
        let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
        let aside = with_suffix(database, &format!(".before-restore-{stamp}"));
        std::fs::rename(database, &aside).map_err(io("cannot move aside", database))?;
        // The old database's log and index belong with it, or its last writes would be lost.
        for part in ["-wal", "-shm"] {
            let from = with_suffix(database, part);
            if from.exists() {
                std::fs::rename(&from, with_suffix(&aside, part))
                    .map_err(io("cannot move aside", &from))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, database).map_err(io("cannot put in place", database))?;
    Ok(Restored { checked, kept })
}

/// When and how many backups a server takes by itself.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// The name of a scheduled backup taken at `now` (a database timestamp).
pub fn scheduled_name(now: &crate::time::Moment) -> String {
    let stamp: String = now
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect();
    format!("{PREFIX}{stamp}Z{SUFFIX}")
}

/// The scheduled backups in `dir`, oldest first (their names sort by time).
pub fn scheduled_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX) && name.ends_with(SUFFIX))
        })
        .collect();
    found.sort();
    found
}

/// Takes a backup into `schedule.dir` now, and removes all but the newest `schedule.keep`.
pub async fn take_scheduled(
    pool: &crate::db::Pool,
    schedule: &Schedule,
    now: &crate::time::Moment,
) -> Result<Written, Error> {
    let written = write(pool, &schedule.dir.join(scheduled_name(now))).await?;
    let all = scheduled_in(&schedule.dir);
    let surplus = all.len().saturating_sub(schedule.keep.max(1));
    for old in &all[..surplus] {
        if let Err(error) = std::fs::remove_file(old) {
            tracing::warn!(file = %old.display(), %error, "cannot remove an old backup");
        }
    }
    Ok(written)
}

/// How long until the next scheduled backup is due, given the newest one's age.
fn due_in(schedule: &Schedule, newest_age: Option<Duration>) -> Duration {
    newest_age.map_or(Duration::ZERO, |age| schedule.every.saturating_sub(age))
}

/// Takes backups on `schedule` for as long as it runs: the first when the newest in the folder is
/// `every` old (at once if there is none), then every `every`. Each result is logged; a failure is
/// an error in the log and tried again at the next time.
pub async fn schedule(
    pool: crate::db::Pool,
    schedule: Schedule,
    clock: crate::time::Clock,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    let newest = scheduled_in(&schedule.dir)
        .last()
        .and_then(|newest| std::fs::metadata(newest).ok())
        .and_then(|meta| meta.modified().ok());
    if let Some(taken) = newest.and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok()) {
        metrics.backup_taken(i64::try_from(taken.as_secs()).unwrap_or(0));
    }
    let newest_age = newest.and_then(|modified| modified.elapsed().ok());
    tokio::time::sleep(due_in(&schedule, newest_age)).await;
    let mut ticks = tokio::time::interval(schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match take_scheduled(&pool, &schedule, &clock.now_db()).await {
            Ok(written) => {
                metrics.backup_taken(clock.now().as_second());
                tracing::info!(
                    file = %written.path.display(),
                    bytes = written.checked.bytes,
                    pages = written.checked.pages,
                    elapsed = ?written.elapsed,
                    "backup written and checked"
                );
            }
            Err(error) => tracing::error!(%error, "the scheduled backup failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_names_sort_by_time() {
        let moment = |text| crate::time::Moment::parse(text).expect("a moment");
        let early = scheduled_name(&moment("2026-12-02T09:05:00Z"));
        let late = scheduled_name(&moment("2026-12-02T10:15:00Z"));
        assert_eq!(early, "skl-cms-20261202T090500Z.db");
        assert!(early < late);
    }

    #[test]
    fn the_first_backup_waits_for_the_newest_one_to_age() {
        let schedule = Schedule {
            dir: PathBuf::from("/nowhere"),
            every: Duration::from_secs(3600),
            keep: 7,
        };
        assert_eq!(due_in(&schedule, None), Duration::ZERO);
        assert_eq!(
            due_in(&schedule, Some(Duration::from_secs(600))),
            Duration::from_secs(3000)
        );
        assert_eq!(
            due_in(&schedule, Some(Duration::from_secs(7200))),
            Duration::ZERO
        );
    }
}
