//! The index on SQLite: an FTS5 table of words and one of titles for each language (see
//! `migrations/0011_search_by_language.sql`), with the vocabulary beside them.

use sqlx::SqliteConnection;

use super::{INDEX_VERSION, INDEX_VERSION_SETTING, Indexed};
use crate::{ids::PageId, lang::Lang};

/// Removes page `id` from the index.
pub(super) async fn remove(tx: &mut SqliteConnection, id: PageId) -> sqlx::Result<()> {
    macro_rules! delete {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            [
                concat!("delete from ", $words, " where rowid = ?"),
                concat!("delete from ", $titles, " where rowid = ?"),
            ]
        };
    }
    // A page is in the indexes of its language; it is looked for in both, since the language
    // may be what changed.
    for lang in Lang::ALL {
        for statement in in_tables_of!(lang, delete) {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// Adds a page to the index (it must not be there already: [`remove`] it first).
pub(super) async fn add(tx: &mut SqliteConnection, page: Indexed<'_>) -> sqlx::Result<()> {
    macro_rules! add_words {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "insert into ",
                $words,
                " (rowid, shelf, title, description, body) values (?, ?, ?, ?, ?)"
            )
        };
    }
    macro_rules! add_titles {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "insert into ",
                $titles,
                " (rowid, shelf, title, description) values (?, ?, ?, ?)"
            )
        };
    }
    let shelf = if page.scheduled {
        Shelf::Scheduled
    } else {
        Shelf::Visible
    };
    sqlx::query(in_tables_of!(page.lang, add_words))
        .bind(page.id)
        .bind(shelf.token())
        .bind(page.title)
        .bind(page.description)
        .bind(page.body)
        .execute(&mut *tx)
        .await?;
    sqlx::query(in_tables_of!(page.lang, add_titles))
        .bind(page.id)
        .bind(shelf.token())
        .bind(page.title)
        .bind(page.description)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// Empties the index and readies the connection for a rebuild:
/// FTS5 keeps what it indexes in memory until a buffer fills, then writes it as a segment to merge
/// later, so a large buffer (and page cache) means far fewer segments and merges.
pub(super) async fn start_rebuild(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    macro_rules! empty {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            [
                concat!("delete from ", $words),
                concat!("delete from ", $titles),
            ]
        };
    }
    for lang in Lang::ALL {
        for statement in in_tables_of!(lang, empty) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
    }
    sqlx::query("pragma cache_size = -131072")
        .execute(&mut *tx)
        .await?;
    set_hash_size(tx, REBUILD_HASH_SIZE).await
}

/// Records that the index is whole and current, and puts the connection's settings back before it
/// returns to the pool.
pub(super) async fn finish_rebuild(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    crate::db::settings::set(&mut *tx, INDEX_VERSION_SETTING, INDEX_VERSION).await?;
    set_hash_size(tx, DEFAULT_HASH_SIZE).await?;
    // SQLite's default page cache, 2 MiB.
    sqlx::query("pragma cache_size = -2000")
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// FTS5's default buffer of pending index data, in bytes, which single saves keep.
const DEFAULT_HASH_SIZE: i64 = 1024 * 1024;

/// The buffer while the whole index is built.
const REBUILD_HASH_SIZE: i64 = 64 * 1024 * 1024;

/// Sets the buffer of the indexes of words (the indexes of titles are small), a setting each index
/// keeps.
async fn set_hash_size(tx: &mut SqliteConnection, bytes: i64) -> sqlx::Result<()> {
    macro_rules! hash_size {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "insert into ",
                $words,
                " (",
                $words,
                ", rank) values ('hashsize', ?)"
            )
        };
    }
    for lang in Lang::ALL {
        sqlx::query(in_tables_of!(lang, hash_size))
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The `shelf` token of a page scheduled when indexed: a word no text is expected to hold. One that
/// did would only make leaving the scheduled pages out a little slower, never wrong, since the
/// column is named.
const LATER: &str = "scheduledlater";

/// Where a page sits in its language's index: with the pages visible when it was indexed, or with
/// those whose publish time was still to come. The index's `shelf` column marks the latter, so that
/// a search of the visible pages leaves out the few marked ones, and only those are checked against
/// the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shelf {
    Visible,
    Scheduled,
}

impl Shelf {
    /// The token in the `shelf` column: none, or [`LATER`].
    fn token(self) -> &'static str {
        match self {
            Shelf::Visible => "",
            Shelf::Scheduled => LATER,
        }
    }

    /// `expression`, limited to the pages on this shelf.
    pub(super) fn limit(self, expression: &str) -> String {
        match self {
            Shelf::Visible => format!("({expression}) NOT shelf : \"{LATER}\""),
            Shelf::Scheduled => format!("({expression}) AND shelf : \"{LATER}\""),
        }
    }
}
