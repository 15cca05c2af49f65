//! The search indexes (see [`crate::search`] and `migrations/0004_search.sql`): keeping them in step
//! with pages, asking them, and the daily counts of searches that found little.

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use super::pages::{self, Page};
use crate::{
    lang::Lang,
    search::{self, Document},
    vocab::Status,
};

/// Bumped when what the indexes hold changes, so that a database indexed by an older version is
/// indexed again at the next start.
pub const INDEX_VERSION: &str = "1";

/// The setting that records which [`INDEX_VERSION`] the indexes hold.
const INDEX_VERSION_SETTING: &str = "search_index_version";

/// The statements of one index. Table names cannot be bound as parameters, so each index has its own.
struct Index {
    remove: &'static str,
    add: &'static str,
    clear: &'static str,
}

/// Declares the statements of the index `table`.
macro_rules! index {
    ($table:literal) => {
        Index {
            remove: concat!("delete from ", $table, " where rowid = ?"),
            add: concat!(
                "insert into ",
                $table,
                " (rowid, title, description, body) values (?, ?, ?, ?)"
            ),
            clear: concat!("delete from ", $table),
        }
    };
}

/// The three indexes, in the order a result from them ranks: words, stems, letter runs.
const INDEXES: [Index; 3] = [
    index!("search_words"),
    index!("search_stems"),
    index!("search_parts"),
];

/// Brings the pages `ids` up to date in the indexes: each is removed, and put back if it is
/// published and not in the trash. Call inside the transaction that changed them.
pub async fn sync(
    tx: &mut SqliteConnection,
    ids: impl IntoIterator<Item = i64>,
) -> sqlx::Result<()> {
    for id in ids {
        remove(&mut *tx, id).await?;
        if let Some(page) = pages::find(&mut *tx, id).await?
            && page.content.status == Status::Published
            && page.deleted_at.is_none()
        {
            add(&mut *tx, &page).await?;
        }
    }
    Ok(())
}

async fn remove(tx: &mut SqliteConnection, id: i64) -> sqlx::Result<()> {
    for index in &INDEXES {
        sqlx::query(index.remove).bind(id).execute(&mut *tx).await?;
    }
    sqlx::query("delete from search_pages where page_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

async fn add(tx: &mut SqliteConnection, page: &Page) -> sqlx::Result<()> {
    let document = Document::of(page);
    for (index, fields) in INDEXES
        .iter()
        .zip([&document.exact, &document.stems, &document.parts])
    {
        sqlx::query(index.add)
            .bind(page.id)
            .bind(&fields[0])
            .bind(&fields[1])
            .bind(&fields[2])
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "insert into search_pages (page_id, lang, publish_at, title_words) values (?, ?, ?, ?)",
    )
    .bind(page.id)
    .bind(page.lang)
    .bind(&page.content.publish_at)
    .bind(search::title_words(&page.content.title))
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// Empties the indexes and indexes every published page again, in one transaction. Returns how many
/// pages are in the indexes.
pub async fn rebuild(pool: &sqlx::SqlitePool) -> sqlx::Result<usize> {
    let mut tx = super::begin_write(pool).await?;
    for index in &INDEXES {
        sqlx::query(index.clear).execute(&mut *tx).await?;
    }
    sqlx::query("delete from search_pages")
        .execute(&mut *tx)
        .await?;
    let mut indexed = 0;
    for page in pages::all(&mut *tx).await? {
        if page.content.status == Status::Published && page.deleted_at.is_none() {
            add(&mut tx, &page).await?;
            indexed += 1;
        }
    }
    super::settings::set(&mut *tx, INDEX_VERSION_SETTING, INDEX_VERSION).await?;
    tx.commit().await?;
    Ok(indexed)
}

/// Whether the indexes were built by this version's rules.
pub async fn is_current(db: impl SqliteExecutor<'_>) -> sqlx::Result<bool> {
    Ok(super::settings::get(db, INDEX_VERSION_SETTING)
        .await?
        .as_deref()
        == Some(INDEX_VERSION))
}

/// What to look for in each index; `None` skips an index.
#[derive(Debug, Clone, Copy)]
pub struct Expressions<'a> {
    pub words: Option<&'a str>,
    pub stems: Option<&'a str>,
    pub parts: Option<&'a str>,
    /// The query's words as [`search::title_words`] writes a title: a page with exactly this title
    /// ranks first.
    pub title: &'a str,
}

/// Every match, each page once, ranked: by the first index that found it, then by bm25 with the
/// title weighing ten times the body and the description three times. Written out per index because
/// FTS5 wants a table's own name in `match` and `bm25()`.
macro_rules! hits {
    () => {
        r"with hits (id, rank) as (
            select rowid, 0 + bm25(search_words, 10.0, 3.0, 1.0) from search_words
            where ?1 is not null and search_words match ?1
            union all
            select rowid, 1000 + bm25(search_stems, 10.0, 3.0, 1.0) from search_stems
            where ?2 is not null and search_stems match ?2
            union all
            select rowid, 2000 + bm25(search_parts, 10.0, 3.0, 1.0) from search_parts
            where ?3 is not null and search_parts match ?3
          ),
          ranked (id, rank) as (
            select hits.id, min(hits.rank) - case when s.title_words = ?6 then 10000 else 0 end
            from hits join search_pages s on s.page_id = hits.id
            where s.lang = ?4 and (s.publish_at is null or s.publish_at <= ?5)
            group by hits.id
          )"
    };
}

/// The ids of one page of results, best first.
pub async fn hits(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    now: &str,
    expressions: Expressions<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(concat!(
        hits!(),
        " select id from ranked order by rank, id limit ?7 offset ?8"
    ))
    .bind(expressions.words)
    .bind(expressions.stems)
    .bind(expressions.parts)
    .bind(lang)
    .bind(now)
    .bind(expressions.title)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// How many pages match.
pub async fn count(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    now: &str,
    expressions: Expressions<'_>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!(hits!(), " select count(*) from ranked"))
        .bind(expressions.words)
        .bind(expressions.stems)
        .bind(expressions.parts)
        .bind(lang)
        .bind(now)
        .bind(expressions.title)
        .fetch_one(db)
        .await
}

/// Indexed words that could be `word` misspelt: the same first letter and about the same length,
/// with the number of pages that have them. Either language's pages; the closest is chosen by the
/// caller.
pub async fn similar_words(
    db: impl SqliteExecutor<'_>,
    word: &str,
) -> sqlx::Result<Vec<(String, i64)>> {
    let Some(first) = word.chars().next() else {
        return Ok(Vec::new());
    };
    let length = i64::try_from(word.chars().count()).unwrap_or(i64::MAX);
    // Terms starting with `first`: from it (inclusive) up to the next character (exclusive).
    let upper = char::from_u32(u32::from(first) + 1).unwrap_or(char::MAX);
    sqlx::query_as(
        "select term, doc from search_vocabulary \
         where term >= ? and term < ? and length(term) between ? and ? \
         order by doc desc limit 2000",
    )
    .bind(first.to_string())
    .bind(upper.to_string())
    .bind(length - 2)
    .bind(length + 2)
    .fetch_all(db)
    .await
}

/// Queries kept a day at most; once a day has this many, new ones are not kept (those already kept
/// still count up).
pub const MISSES_PER_DAY: i64 = 500;

/// Misses are forgotten after this many days.
pub const KEEP_MISSES_DAYS: i64 = 90;

/// A search that found nothing or little, as counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Miss {
    pub day: String,
    pub lang: Lang,
    pub query: String,
    pub hits: i64,
}

/// Adds `count` searches to each miss's day, within the bound of [`MISSES_PER_DAY`], and forgets the
/// days before `forget_before`.
pub async fn record_misses(
    pool: &sqlx::SqlitePool,
    misses: &[(Miss, i64)],
    forget_before: &str,
) -> sqlx::Result<()> {
    let mut tx = super::begin_write(pool).await?;
    for (miss, count) in misses {
        sqlx::query(
            r"insert into search_misses (day, lang, query, hits, count)
              select ?1, ?2, ?3, ?4, ?5
              where exists (select 1 from search_misses where day = ?1 and lang = ?2 and query = ?3)
                 or (select count(*) from search_misses where day = ?1) < ?6
              on conflict (day, lang, query) do update
              set count = count + excluded.count, hits = excluded.hits",
        )
        .bind(&miss.day)
        .bind(miss.lang)
        .bind(&miss.query)
        .bind(miss.hits)
        .bind(count)
        .bind(MISSES_PER_DAY)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("delete from search_misses where day < ?")
        .bind(forget_before)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// A query visitors searched for, with how often and how much it found.
#[derive(Debug, Clone, FromRow)]
pub struct Missed {
    pub lang: Lang,
    pub query: String,
    pub searches: i64,
    pub hits: i64,
}

/// The queries most often searched since `since` (a day) that found nothing or little.
pub async fn misses_since(
    db: impl SqliteExecutor<'_>,
    since: &str,
    limit: i64,
) -> sqlx::Result<Vec<Missed>> {
    sqlx::query_as(
        "select lang, query, sum(count) as searches, min(hits) as hits from search_misses \
         where day >= ? group by lang, query order by searches desc, query limit ?",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}
