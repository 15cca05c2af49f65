//! The reading connections (`db::readers`): on a real SQLite file beside sqlx's pool.

use std::sync::Arc;

use skl_cms::db::{
    self,
    readers::{ReadError, Readers},
};

async fn database() -> (tempfile::TempDir, db::Pool) {
    let dir = tempfile::tempdir().expect("folder");
    let pool = db::open(&dir.path().join("site.db")).await.expect("open");
    (dir, pool)
}

async fn setting(readers: &Arc<Readers>, name: &'static str) -> Option<String> {
    readers
        .read(move |conn| {
            use rusqlite::OptionalExtension;
            conn.query_row("select value from settings where key = ?", [name], |row| {
                row.get(0)
            })
            .optional()
        })
        .await
        .expect("read")
}

#[tokio::test]
async fn a_reader_sees_what_the_pool_committed_at_once() {
    let (_dir, pool) = database().await;
    let readers = Arc::new(Readers::of(&pool));
    assert_eq!(setting(&readers, "readers_test").await, None);
    for value in ["first", "second"] {
        db::settings::set(&pool, "readers_test", value)
            .await
            .expect("write");
        assert_eq!(
            setting(&readers, "readers_test").await.as_deref(),
            Some(value)
        );
    }
    // Many reads at once share the few connections and all see the same.
    let reads: Vec<_> = (0..20)
        .map(|_| {
            let readers = Arc::clone(&readers);
            tokio::spawn(async move { setting(&readers, "readers_test").await })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.expect("task").as_deref(), Some("second"));
    }
}

#[tokio::test]
async fn a_reader_cannot_write() {
    let (_dir, pool) = database().await;
    let readers = Arc::new(Readers::of(&pool));
    let written = readers
        .read(|conn| {
            conn.execute(
                "insert into settings (key, value) values ('readers_test', 'x')",
                [],
            )
        })
        .await;
    assert!(matches!(written, Err(ReadError::Sqlite(_))), "{written:?}");
    assert_eq!(
        db::settings::get(&pool, "readers_test")
            .await
            .expect("read"),
        None
    );
    // The connection is still good for reading.
    assert_eq!(setting(&readers, "readers_test").await, None);
}

#[tokio::test]
async fn a_missing_database_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().expect("folder");
    let path = dir.path().join("missing.db");
    let readers = Arc::new(Readers::new(&path));
    let read = readers
        .read(|conn| conn.query_row("select 1", [], |row| row.get::<_, i64>(0)))
        .await;
    assert!(matches!(read, Err(ReadError::Open { .. })), "{read:?}");
    assert!(!path.exists(), "a reader never creates a database");
}
