//! The SQL of search (see [`crate::search`] for the rules, and `migrations/0004_search.sql`,
//! `0006_search_endings.sql` and `0011_search_by_language.sql`): the indexes, their vocabulary,
//! asking them ([`ask`]), and the daily counts of searches that found little.

use sqlx::FromRow;

use super::engine::{Exec, query, query_as};
use crate::{ids::PageId, lang::Lang};

/// Bumped when what the index holds changes, so that a database indexed by an older version is
/// indexed again at the next start.
pub const INDEX_VERSION: &str = "5";

/// The setting that records which [`INDEX_VERSION`] the index holds.
const INDEX_VERSION_SETTING: &str = "search_index_version";

/// A query's word is widened to at most this many indexed words each way (the caller may keep fewer).
pub const MAX_WIDENED: i64 = 256;

/// Matches are counted up to this many: "more than 1,000 pages" says as much to a visitor as an exact
/// figure, and counting stops early instead of reading every page a common word is on.
pub const COUNT_UP_TO: i64 = 1000;

/// bm25 ranks at most this many of a query's matches (more when a later page of results needs
/// them): those whose title or description matches, and of the others the most recently created.
/// Ranking costs a few microseconds a match, so this bounds a common word's ranking however large
/// the site grows; a word on more pages than this carries almost no weight in bm25 anyway.
pub const RANK_WINDOW: i64 = 200;

/// The statement that the macro `$statement` makes of the names of `lang`'s tables: its index of
/// words, its index of titles and the vocabulary of its index of words (see
/// `migrations/0011_search_by_language.sql`), followed by `$more`. Every statement that reads or
/// writes the indexes is such a macro, so that each is a constant string per language.
macro_rules! in_tables_of {
    ($lang:expr, $statement:ident $(, $more:tt)*) => {
        match $lang {
            Lang::Sv => $statement!(
                "search_words_sv", "search_titles_sv", "search_vocabulary_sv" $(, $more)*
            ),
            Lang::En => $statement!(
                "search_words_en", "search_titles_en", "search_vocabulary_en" $(, $more)*
            ),
        }
    };
}

pub mod ask;
mod fts5;
mod postgres;

/// Removes page `id` from the index.
pub async fn remove(db: impl Into<Exec<'_>>, id: PageId) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from search_pages where page_id = ?")
            .bind(id)
            .execute(&mut *c)
            .await?;
        by_engine!(c, |c| fts5::remove(c, id).await, |c| postgres::remove(
            c, id
        )
        .await)
    })
}

/// A published page as the index takes it: its text, and what searches filter and rank on.
#[derive(Debug, Clone, Copy)]
pub struct Indexed<'a> {
    pub id: PageId,
    pub lang: Lang,
    pub publish_at: Option<&'a str>,
    /// Whether its publish time was still to come when it was indexed.
    pub scheduled: bool,
    /// The title's words, lowercased, one space between.
    pub title_words: &'a str,
    /// The title's, the description's and the body's words, lowercased, one space between (split
    /// by the rules of `crate::search::text`, which the queries' words follow).
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
}

/// Adds a page to the index (it must not be there already: [`remove`] it first).
pub async fn add(db: impl Into<Exec<'_>>, page: Indexed<'_>) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into search_pages (page_id, lang, publish_at, title_words) values (?, ?, ?, ?)",
        )
        .bind(page.id)
        .bind(page.lang)
        .bind(page.publish_at)
        .bind(page.title_words)
        .execute(&mut *c)
        .await?;
        by_engine!(c, |c| fts5::add(c, page).await, |c| postgres::add(c, page)
            .await)
    })
}

/// A word of the vocabulary as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub term: String,
    /// The key the words sharing a stem share.
    pub stem_key: String,
    /// The word spelt backwards, so that the words ending alike sit together in an index.
    pub backwards: String,
}

/// Adds the words of `lang` that the vocabulary lacks, hundreds to a statement: what a save, an
/// import and a rebuild do.
pub async fn add_terms(db: impl Into<Exec<'_>>, lang: Lang, terms: &[Term]) -> sqlx::Result<()> {
    on!(db, |c| {
        for chunk in terms.chunks(500) {
            let mut insert = sqlx::QueryBuilder::new(
                "insert into search_terms (lang, term, stem_key, backwards) ",
            );
            insert.push_values(chunk, |mut row, term| {
                row.push_bind(lang)
                    .push_bind(term.term.clone())
                    .push_bind(term.stem_key.clone())
                    .push_bind(term.backwards.clone());
            });
            insert.push(" on conflict (lang, term) do nothing");
            insert.build().execute(&mut *c).await?;
        }
        Ok(())
    })
}

/// Empties the index, its pages and its vocabulary, for a rebuild in the same transaction.
pub async fn start_rebuild(db: impl Into<Exec<'_>>) -> sqlx::Result<()> {
    on!(db, |c| {
        for statement in ["delete from search_pages", "delete from search_terms"] {
            query(statement).execute(&mut *c).await?;
        }
        by_engine!(c, |c| fts5::start_rebuild(c).await, |c| {
            postgres::start_rebuild(c).await
        })
    })
}

/// Records that the index is whole and current.
pub async fn finish_rebuild(db: impl Into<Exec<'_>>) -> sqlx::Result<()> {
    by_engine!(db, |c| fts5::finish_rebuild(c).await, |c| {
        postgres::finish_rebuild(c).await
    })
}

/// Records that the index holds what this version's rules put there: for an empty database, whose
/// empty index every later save keeps by these rules.
pub async fn mark_current(db: impl Into<super::Exec<'_>>) -> sqlx::Result<()> {
    super::settings::set(db, INDEX_VERSION_SETTING, INDEX_VERSION).await
}

/// Whether the index was built by this version's rules.
pub async fn is_current(db: impl Into<super::Exec<'_>>) -> sqlx::Result<bool> {
    Ok(super::settings::get(db, INDEX_VERSION_SETTING)
        .await?
        .as_deref()
        == Some(INDEX_VERSION))
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
    pool: &super::Pool,
    misses: &[(Miss, i64)],
    forget_before: &str,
) -> sqlx::Result<()> {
    let mut tx = super::begin_write(pool).await?;
    for (miss, count) in misses {
        on!(&mut tx, |c| {
            query(
                r"insert into search_misses (day, lang, query, hits, count)
                  select ?1, ?2, ?3, ?4, ?5
                  where exists (select 1 from search_misses where day = ?1 and lang = ?2 and query = ?3)
                     or (select count(*) from search_misses where day = ?1) < ?6
                  on conflict (day, lang, query) do update
                  set count = search_misses.count + excluded.count, hits = excluded.hits",
            )
            .bind(&miss.day)
            .bind(miss.lang)
            .bind(&miss.query)
            .bind(miss.hits)
            .bind(count)
            .bind(MISSES_PER_DAY)
            .execute(c)
            .await
            .map(|_| ())
        })?;
    }
    on!(&mut tx, |c| {
        query("delete from search_misses where day < ?")
            .bind(forget_before)
            .execute(c)
            .await
            .map(|_| ())
    })?;
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
    db: impl Into<Exec<'_>>,
    since: &str,
    limit: i64,
) -> sqlx::Result<Vec<Missed>> {
    on!(db, |c| {
        query_as(
            "select lang, query, cast(sum(count) as bigint) as searches, min(hits) as hits \
             from search_misses where day >= ? group by lang, query order by searches desc, query \
             limit ?",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await
    })
}
