//! The SQL of search (see [`crate::search`] for the rules and `migrations/0004_search.sql`): the
//! index, its vocabulary, asking them, and the daily counts of searches that found little.

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use crate::lang::Lang;

/// Bumped when what the index holds changes, so that a database indexed by an older version is
/// indexed again at the next start.
pub const INDEX_VERSION: &str = "3";

/// The setting that records which [`INDEX_VERSION`] the index holds.
const INDEX_VERSION_SETTING: &str = "search_index_version";

/// A query's word is widened to at most this many indexed words each way (the caller may keep fewer).
pub const MAX_WIDENED: i64 = 256;

/// Removes page `id` from the index.
pub async fn remove(tx: &mut SqliteConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("delete from search_words where rowid = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from search_pages where page_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// A published page as the index takes it: its text, and what searches filter and rank on.
#[derive(Debug, Clone, Copy)]
pub struct Indexed<'a> {
    pub id: i64,
    pub lang: Lang,
    pub publish_at: Option<&'a str>,
    /// Whether its publish time was still to come when it was indexed.
    pub scheduled: bool,
    /// The title's words, lowercased, one space between.
    pub title_words: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
}

/// Adds a page to the index (it must not be there already: [`remove`] it first).
pub async fn add(tx: &mut SqliteConnection, page: Indexed<'_>) -> sqlx::Result<()> {
    let shelf = if page.scheduled {
        Shelf::Scheduled
    } else {
        Shelf::Visible
    };
    sqlx::query(
        "insert into search_words (rowid, lang, title, description, body) values (?, ?, ?, ?, ?)",
    )
    .bind(page.id)
    .bind(shelf.token(page.lang))
    .bind(page.title)
    .bind(page.description)
    .bind(page.body)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into search_pages (page_id, lang, publish_at, title_words) values (?, ?, ?, ?)",
    )
    .bind(page.id)
    .bind(page.lang)
    .bind(page.publish_at)
    .bind(page.title_words)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// A word of the vocabulary: the word, its stem key, its folded spelling.
pub type Term = (String, String, String);

/// Adds the words of `lang` that the vocabulary lacks, and their letter runs, hundreds to a
/// statement: what a save or an import does.
pub async fn add_terms(tx: &mut SqliteConnection, lang: Lang, terms: &[Term]) -> sqlx::Result<()> {
    for chunk in terms.chunks(500) {
        let added: Vec<(i64, String)> = insert_terms(lang, chunk)
            .push(" returning id, folded")
            .build_query_as()
            .fetch_all(&mut *tx)
            .await?;
        for parts in added.chunks(500) {
            let mut insert =
                sqlx::QueryBuilder::new("insert into search_term_parts (rowid, folded) ");
            insert.push_values(parts, |mut row, (id, folded)| {
                row.push_bind(id).push_bind(folded);
            });
            insert.build().execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// The statement that adds `terms` of `lang` to the vocabulary, skipping those it has.
fn insert_terms(lang: Lang, terms: &[Term]) -> sqlx::QueryBuilder<sqlx::Sqlite> {
    let mut insert =
        sqlx::QueryBuilder::new("insert into search_terms (lang, term, stem_key, folded) ");
    insert.push_values(terms, |mut row, (term, stem_key, folded)| {
        row.push_bind(lang)
            .push_bind(term.clone())
            .push_bind(stem_key.clone())
            .push_bind(folded.clone());
    });
    insert.push(" on conflict (lang, term) do nothing");
    insert
}

/// Adds words to the vocabulary, hundreds to a statement, without their letter runs: what a
/// rebuild does before [`rebuild_parts`].
pub async fn add_all_terms(
    tx: &mut SqliteConnection,
    lang: Lang,
    terms: &[Term],
) -> sqlx::Result<()> {
    for chunk in terms.chunks(500) {
        insert_terms(lang, chunk).build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Builds the index of the words' letter runs again from the vocabulary.
pub async fn rebuild_parts(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::query("insert into search_term_parts (search_term_parts) values ('rebuild')")
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// Empties the index, its pages and its vocabulary, and readies the connection for a rebuild:
/// FTS5 keeps what it indexes in memory until a buffer fills, then writes it as a segment to merge
/// later, so a large buffer (and page cache) means far fewer segments and merges.
pub async fn start_rebuild(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    for statement in [
        "delete from search_words",
        "delete from search_pages",
        "delete from search_terms",
        "pragma cache_size = -131072",
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    set_hash_size(tx, REBUILD_HASH_SIZE).await
}

/// Records that the index is whole and current, and puts the connection's settings back before it
/// returns to the pool.
pub async fn finish_rebuild(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    rebuild_parts(tx).await?;
    super::settings::set(&mut *tx, INDEX_VERSION_SETTING, INDEX_VERSION).await?;
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

async fn set_hash_size(tx: &mut SqliteConnection, bytes: i64) -> sqlx::Result<()> {
    sqlx::query("insert into search_words (search_words, rank) values ('hashsize', ?)")
        .bind(bytes)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// Whether the index was built by this version's rules.
pub async fn is_current(db: impl SqliteExecutor<'_>) -> sqlx::Result<bool> {
    Ok(super::settings::get(db, INDEX_VERSION_SETTING)
        .await?
        .as_deref()
        == Some(INDEX_VERSION))
}

/// The indexed words of `lang` whose stem key is `stem_key`.
pub async fn words_with_stem(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    stem_key: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select term from search_terms where lang = ? and stem_key = ? order by length(term), term limit ?",
    )
    .bind(lang)
    .bind(stem_key)
    .bind(MAX_WIDENED)
    .fetch_all(db)
    .await
}

/// Indexed words of `lang` whose folded spelling contains `folded` (three letters or more), at most
/// [`MAX_WIDENED`], in no particular order.
pub async fn words_containing(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    folded: &str,
) -> sqlx::Result<Vec<String>> {
    // The trigram index finds the candidates; the words are plain letters and digits, so quoting
    // them makes a valid FTS5 string.
    // A subquery, so that SQLite asks the trigram index once rather than once per word.
    sqlx::query_scalar(
        "select term from search_terms where id in \
         (select rowid from search_term_parts where search_term_parts match ?) \
         and lang = ? limit ?",
    )
    .bind(format!("\"{}\"", folded.replace('"', "\"\"")))
    .bind(lang)
    .bind(MAX_WIDENED)
    .fetch_all(db)
    .await
}

/// Where a page sits in the index: with the pages visible when it was indexed, or with those whose
/// publish time was still to come. The index's `lang` column holds the shelf, so that a search of the
/// visible pages is one lookup in the index, and only the few scheduled pages are checked against the
/// clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shelf {
    Visible,
    Scheduled,
}

impl Shelf {
    /// The token of the `lang` column: `sv`, or `svlater` for a Swedish page scheduled when indexed.
    fn token(self, lang: Lang) -> String {
        match self {
            Shelf::Visible => lang.code().to_owned(),
            Shelf::Scheduled => format!("{}later", lang.code()),
        }
    }

    /// `expression`, limited to the pages of `lang` on this shelf.
    fn limit(self, expression: &str, lang: Lang) -> String {
        format!("({expression}) AND lang : \"{}\"", self.token(lang))
    }
}

/// The bm25 weights of the index's columns: the language none, the title ten, the description three,
/// the body one.
macro_rules! bm25 {
    () => {
        "bm25(search_words, 0.0, 10.0, 3.0, 1.0)"
    };
}

/// The visible pages of `lang` that match `expression` (an FTS5 match expression), best first by
/// bm25, at most `limit`.
pub async fn ranked(
    db: &sqlx::SqlitePool,
    lang: Lang,
    now: &str,
    expression: &str,
    limit: i64,
) -> sqlx::Result<Vec<i64>> {
    let mut found: Vec<(f64, i64)> = sqlx::query_as(concat!(
        "select ",
        bm25!(),
        ", rowid from search_words where search_words match ? order by 1, 2 limit ?"
    ))
    .bind(Shelf::Visible.limit(expression, lang))
    .bind(limit)
    .fetch_all(db)
    .await?;
    found.extend(
        sqlx::query_as::<_, (f64, i64)>(concat!(
            "select ",
            bm25!(),
            ", w.rowid from search_words w join search_pages s on s.page_id = w.rowid \
             where search_words match ? and s.publish_at <= ? order by 1, 2 limit ?"
        ))
        .bind(Shelf::Scheduled.limit(expression, lang))
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await?,
    );
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

/// How many visible pages of `lang` match `expression`.
pub async fn count(
    db: &sqlx::SqlitePool,
    lang: Lang,
    now: &str,
    expression: &str,
) -> sqlx::Result<i64> {
    let visible: i64 =
        sqlx::query_scalar("select count(*) from search_words where search_words match ?")
            .bind(Shelf::Visible.limit(expression, lang))
            .fetch_one(db)
            .await?;
    let scheduled: i64 = sqlx::query_scalar(
        "select count(*) from search_words w join search_pages s on s.page_id = w.rowid \
         where search_words match ? and s.publish_at <= ?",
    )
    .bind(Shelf::Scheduled.limit(expression, lang))
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(visible + scheduled)
}

/// Whether page `id` is among the visible pages of `lang` that match `expression`.
pub async fn matches(
    db: &sqlx::SqlitePool,
    lang: Lang,
    now: &str,
    expression: &str,
    id: i64,
) -> sqlx::Result<bool> {
    // Visible now, on either shelf; then whether the expression finds it there.
    let visible: bool = sqlx::query_scalar(
        "select exists (select 1 from search_pages where page_id = ? and lang = ? \
         and (publish_at is null or publish_at <= ?))",
    )
    .bind(id)
    .bind(lang)
    .bind(now)
    .fetch_one(db)
    .await?;
    if !visible {
        return Ok(false);
    }
    sqlx::query_scalar(
        "select exists (select 1 from search_words where search_words match ? and rowid = ?)",
    )
    .bind(format!(
        "({expression}) AND lang : (\"{0}\" OR \"{0}later\")",
        lang.code()
    ))
    .bind(id)
    .fetch_one(db)
    .await
}

/// The visible page of `lang` whose title's words are exactly `title_words`.
pub async fn titled(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    now: &str,
    title_words: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select page_id from search_pages where lang = ? and title_words = ? \
         and (publish_at is null or publish_at <= ?) order by page_id limit 1",
    )
    .bind(lang)
    .bind(title_words)
    .bind(now)
    .fetch_optional(db)
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
