//! Backups and restores as operators run them: `skl-cms backup` beside a running server, a scheduled
//! backup with rotation, and `skl-cms restore`, refused while a server uses the database. The real
//! binary, real processes, real SQLite files.

mod common;

use std::time::{Duration, Instant};

use common::binary::{Server, Workspace, arg, stderr, stdout};
use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};

/// How many pages the database at `path` has, read without changing the file.
async fn pages(path: &std::path::Path) -> i64 {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("opens");
    let count = sqlx::query_scalar("select count(*) from pages")
        .fetch_one(&mut conn)
        .await
        .expect("counts");
    let _ = conn.close().await;
    count
}

#[tokio::test]
async fn a_backup_taken_while_the_server_runs_is_complete_and_restores() {
    let work = Workspace::new();
    let server = Server::start(&work.database());
    server.wait_until_ready().await;
    let seeded = pages(&work.database()).await;
    assert!(seeded > 10, "the seed is in");

    let backup = work.path("backups/first.db");
    let output = work.run(&["backup", arg(&backup)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("integrity ok"),
        "{}",
        stdout(&output)
    );
    assert_eq!(pages(&backup).await, seeded);
    assert!(!work.path("backups/first.db.partial").exists());

    // The same name again is refused, and the file left alone.
    let again = work.run(&["backup", arg(&backup)]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // A page is lost after the backup; restoring while the server runs is refused.
    let pool = skl_cms::db::open(&work.database()).await.expect("opens");
    sqlx::query("update pages set deleted_at = '2026-01-01T00:00:00Z'")
        .execute(pool.sqlite().expect("SQLite"))
        .await
        .expect("all pages trashed");
    pool.close().await;
    let refused = work.run(&["restore", arg(&backup)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("stop it first"),
        "{}",
        stderr(&refused)
    );

    server.terminate();
    let restored = work.run(&["restore", arg(&backup)]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(
        stdout(&restored).contains("kept as"),
        "{}",
        stdout(&restored)
    );
    let kept: Vec<_> = std::fs::read_dir(work.dir.path())
        .expect("folder")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .contains(".before-restore-")
        })
        .collect();
    assert!(!kept.is_empty(), "the replaced database is kept aside");

    let server = Server::start(&work.database());
    server.wait_until_ready().await;
    assert!(server.get("/om-oss").await.contains("Om SKL International"));
    server.terminate();
}

#[tokio::test]
async fn a_damaged_or_foreign_file_is_never_restored() {
    let work = Workspace::new();
    assert!(work.run(&["migrate"]).status.success());
    let before = std::fs::read(work.database()).expect("database");

    let foreign = work.path("foreign.db");
    let options = SqliteConnectOptions::new()
        .filename(&foreign)
        .create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .expect("creates");
    sqlx::query("create table notes (text)")
        .execute(&mut conn)
        .await
        .expect("a table");
    let _ = conn.close().await;
    // The schema's page overwritten after the file's header.
    let damaged = work.path("damaged.db");
    let mut bytes = before.clone();
    bytes[100..1000].fill(0xAB);
    std::fs::write(&damaged, bytes).expect("write");
    let text = work.path("notes.db");
    std::fs::write(&text, "not a database at all").expect("write");

    for (file, expected) in [
        (&foreign, "not a database of skl-cms"),
        (&damaged, ""),
        (&text, ""),
    ] {
        let output = work.run(&["restore", arg(file)]);
        assert_eq!(output.status.code(), Some(1), "{}", file.display());
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    assert_eq!(
        std::fs::read(work.database()).expect("database"),
        before,
        "left as it was"
    );
}

#[tokio::test]
async fn a_server_takes_backups_on_schedule_and_keeps_the_newest() {
    let work = Workspace::new();
    let folder = work.path("scheduled");
    std::fs::create_dir_all(&folder).expect("folder");
    // Older backups, as earlier runs left them.
    for stamp in ["20250101T000000", "20250102T000000", "20250103T000000"] {
        std::fs::write(folder.join(format!("skl-cms-{stamp}Z.db")), b"old").expect("write");
    }
    let old = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    for entry in std::fs::read_dir(&folder).expect("folder") {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.expect("entry").path())
            .expect("open");
        file.set_modified(old).expect("age it");
    }
    let server = Server::start_with(
        &work.database(),
        &[
            ("SKL_BACKUP_DIR", folder.to_str().expect("utf-8")),
            ("SKL_BACKUP_EVERY", "24h"),
            ("SKL_BACKUP_KEEP", "2"),
        ],
    );
    server.wait_until_ready().await;
    // The newest is two days old, so the first backup is due at once.
    let started = Instant::now();
    let fresh = loop {
        let names: Vec<String> = std::fs::read_dir(&folder)
            .expect("folder")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with("skl-cms-2025"))
            .filter(|name| name.ends_with(".db"))
            .collect();
        if let Some(name) = names.first() {
            break folder.join(name);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no scheduled backup"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Rotation happens right after the new file is named.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut left: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(
        left[0], "skl-cms-20250103T000000Z.db",
        "the oldest went first"
    );
    assert!(pages(&fresh).await > 10);
    server.terminate();
}
