//! Migrations on a database that already holds data, as an upgrade meets it: a real SQLite file
//! brought to an older schema by the older migrations, filled the way that version wrote, then opened
//! by this version.

use std::path::Path;

use skl_cms::{db, ids::PageId, vocab::RevisionKind};
use sqlx::sqlite::SqliteConnectOptions;

/// A database at the schema of the migrations in `migrations/` up to and including `last`.
async fn database_at(dir: &Path, last: &str) -> sqlx::SqlitePool {
    let older = dir.join("older-migrations");
    std::fs::create_dir_all(&older).expect("folder");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<_> = std::fs::read_dir(&source)
        .expect("migrations")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    names.sort();
    for name in names {
        std::fs::copy(source.join(&name), older.join(&name)).expect("copy");
        if name.to_string_lossy().starts_with(last) {
            break;
        }
    }
    let options = SqliteConnectOptions::new()
        .filename(dir.join("site.db"))
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .expect("database");
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .expect("older migrations")
        .run(&pool)
        .await
        .expect("older schema");
    pool
}

/// Closes the older database and opens it as this version does, which migrates it.
async fn upgrade(older: sqlx::SqlitePool, dir: &Path) -> db::Pool {
    older.close().await;
    db::open(&dir.join("site.db"))
        .await
        .expect("this version opens and migrates it")
}

#[tokio::test]
async fn revision_notes_written_as_sentences_become_kinds_with_their_detail() {
    let dir = tempfile::tempdir().expect("folder");
    let pool = database_at(dir.path(), "0002").await;
    sqlx::query(
        "insert into pages (id, lang, path, title, created_at, updated_at) \
         values (1, 'sv', 'om-oss', 'Om oss', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .expect("page");
    // The notes as the previous version wrote them, one of each.
    let notes = [
        ("created", 0),
        ("", 0),
        ("imported from sv/om-oss.md", 0),
        ("moved from /gammal/om-oss with its parent", 0),
        ("restored from version 2", 0),
        ("conflict: not saved, based on version 4", 1),
    ];
    for (version, (note, conflict)) in (1..).zip(notes) {
        sqlx::query(
            "insert into revisions (page_id, version, path, title, description, body_md, kind, \
             status, date_precision, archived, note, created_at, conflict) \
             values (1, ?, 'om-oss', 'Om oss', '', '', 'page', 'published', 'day', 0, ?, \
             '2026-01-01T00:00:00Z', ?)",
        )
        .bind(version)
        .bind(note)
        .bind(conflict)
        .execute(&pool)
        .await
        .expect("revision");
    }
    let pool = upgrade(pool, dir.path()).await;
    let mut revisions = db::revisions::of_page(&pool, PageId(1))
        .await
        .expect("revisions");
    revisions.reverse();
    let kinds: Vec<(RevisionKind, &str)> = revisions
        .iter()
        .map(|revision| (revision.revision_kind, revision.note.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (RevisionKind::Created, ""),
            (RevisionKind::Saved, ""),
            (RevisionKind::Imported, "sv/om-oss.md"),
            (RevisionKind::Moved, "/gammal/om-oss"),
            (RevisionKind::Restored, "2"),
            (RevisionKind::Conflict, "4"),
        ]
    );
}

#[tokio::test]
async fn the_bodies_move_to_the_end_of_the_row_and_nothing_else_changes() {
    let dir = tempfile::tempdir().expect("folder");
    let pool = database_at(dir.path(), "0004").await;
    sqlx::query(
        "insert into pages (id, lang, path, title, body_md, body_html, status, created_at, updated_at) \
         values (1, 'sv', 'om-oss', 'Om oss', 'Text *här*.', '<p>Text <em>här</em>.</p>', 'published', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .expect("page");
    sqlx::query(
        "insert into revisions (page_id, version, path, title, description, body_md, kind, status, \
         date_precision, archived, created_at) \
         values (1, 1, 'om-oss', 'Om oss', '', 'Text *här*.', 'page', 'published', 'day', 0, \
         '2026-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .expect("revision");
    let pool = upgrade(pool, dir.path()).await;
    let columns: Vec<String> = sqlx::query_scalar("select name from pragma_table_info('pages')")
        .fetch_all(pool.sqlite().expect("SQLite"))
        .await
        .expect("columns");
    assert_eq!(
        &columns[columns.len() - 2..],
        ["body_md", "body_html"],
        "{columns:?}"
    );
    let page = db::pages::find(&pool, PageId(1))
        .await
        .expect("query")
        .expect("page");
    assert_eq!(page.content.body_md, "Text *här*.");
    assert_eq!(page.body_html, "<p>Text <em>här</em>.</p>");
    assert_eq!(
        db::revisions::of_page(&pool, PageId(1))
            .await
            .expect("revisions")
            .len(),
        1,
        "the page's revisions survive: the table was not dropped"
    );
}

#[tokio::test]
async fn the_search_index_is_split_by_language_and_filled_again_at_the_next_start() {
    let dir = tempfile::tempdir().expect("folder");
    let pool = database_at(dir.path(), "0010").await;
    // A published page and the shared index as version 4 of the index wrote it.
    sqlx::query(
        "insert into pages (id, lang, path, title, body_md, status, created_at, updated_at) \
         values (1, 'sv', 'flamingor', 'Flamingor', 'Om rosa fåglar.', 'published', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .expect("page");
    for statement in [
        "insert into search_words (rowid, lang, title, description, body) \
         values (1, 'sv', 'Flamingor', '', 'Om rosa fåglar.')",
        "insert into search_titles (rowid, lang, title, description) values (1, 'sv', 'Flamingor', '')",
        "insert into search_pages (page_id, lang, publish_at, title_words) \
         values (1, 'sv', null, 'flamingor')",
        "insert into search_terms (lang, term, stem_key, backwards) \
         values ('sv', 'flamingor', 'flamingor', 'rogni')",
        "insert into settings (key, value) values ('search_index_version', '4')",
    ] {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect(statement);
    }
    let pool = upgrade(pool, dir.path()).await;
    let state = skl_cms::AppState::new(pool, "http://127.0.0.1")
        .await
        .expect("the index is built again at start");
    let found = state
        .readers
        .search(|mut index| {
            Box::pin(async move {
                let now = &skl_cms::time::Moment::parse("2030-01-01T00:00:00Z").expect("a moment");
                let birds = skl_cms::search::Query::parse("fåglar")
                    .exact()
                    .expect("a word");
                Ok((
                    index.count(skl_cms::lang::Lang::Sv, now, &birds).await?,
                    index.count(skl_cms::lang::Lang::En, now, &birds).await?,
                ))
            })
        })
        .await
        .expect("search");
    assert_eq!(found, (1, 0), "found in Swedish only");
    let shared: i64 =
        sqlx::query_scalar("select count(*) from sqlite_master where name = 'search_words'")
            .fetch_one(state.db.sqlite().expect("SQLite"))
            .await
            .expect("schema");
    assert_eq!(shared, 0, "the shared index is gone");
}
