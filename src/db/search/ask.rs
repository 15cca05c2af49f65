//! Asking the index: the questions a search asks, some twenty in a row (the vocabulary, counts,
//! rankings, the pages found and their trails), of either engine's index through one [`Index`].
//!
//! The questions about the vocabulary (`search_terms`) are the same SQL on both engines; the
//! questions of the index itself are each engine's own: FTS5 match expressions and bm25 on SQLite
//! (`ask/sqlite.rs`), `tsquery` and `ts_rank` on PostgreSQL (`ask/postgres.rs`). Both write the same
//! [`Expression`] in their own syntax, around words only, so a visitor's query is never syntax.
//!
//! On SQLite, a search runs whole on one reading connection on a blocking thread (see
//! [`crate::db::readers`]), so that it is handed to SQLite's thread once, not twenty times; its
//! questions never wait. On PostgreSQL, it runs on one connection of the pool, each question a round
//! trip.

pub(super) mod postgres;
mod sqlite;

use sqlx::PgConnection;

use crate::{
    db::readers::ReadError,
    lang::Lang,
    time::{DatePrecision, Moment},
    vocab::Kind,
};

/// The connection a search asks its questions on.
#[derive(Debug)]
pub enum Index<'c> {
    /// A reading connection to the SQLite file, on the blocking thread the search runs on.
    Sqlite(&'c mut rusqlite::Connection),
    Postgres(&'c mut PgConnection),
}

/// The indexed words of `lang` whose stem key is `?2`, the shortest first.
const WORDS_WITH_STEM: &str = "select term from search_terms where lang = ?1 and stem_key = ?2 \
                               order by length(term), term limit ?3";

/// Indexed words of `lang` spelt backwards from `?2` up to `?3` (those ending alike) and at least
/// `?4` letters long, at most `?5`.
const WORDS_ENDING: &str = "select term from search_terms where lang = ?1 and backwards >= ?2 \
                            and backwards < ?3 and length(term) >= ?4 limit ?5";

/// Indexed words of `lang` from `?2` up to `?3` (those starting alike), the shortest first, at most
/// `?4`.
const WORDS_STARTING: &str = "select term from search_terms where lang = ?1 and term >= ?2 \
                              and term < ?3 order by length(term), term limit ?4";

/// Whether `?2` is an indexed word of `?1`.
const IS_TERM: &str =
    "select exists (select 1 from search_terms where lang = ?1 and term = ?2) as found";

/// The columns of a [`Hit`] and its parent, of a visible page.
const HIT: &str = concat!(
    "select id, lang, path, title, description, body_md, kind, publish_at, date_precision, \
     created_at, parent_id from pages where id = ? and ",
    visible!()
);

/// What one term of a query matches: any of these phrases, each a run of lowercased words in
/// order (a word is a phrase of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyOf(pub Vec<Vec<String>>);

/// What a way of asking looks for, whichever engine's index is asked (each writes it in its own
/// syntax): pages with every wanted term and none of the excluded ones. A query builds it
/// ([`crate::search::query`]); its words are letters and digits only, never syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    /// Never empty.
    pub wanted: Vec<AnyOf>,
    pub unwanted: Vec<AnyOf>,
}

/// How many of a misspelt word's candidates are weighed: enough for any site's vocabulary near one
/// word.
const MAX_SIMILAR: i64 = 5000;

impl Index<'_> {
    /// The indexed words of `lang` whose stem key is `stem_key`.
    pub async fn words_with_stem(
        &mut self,
        lang: Lang,
        stem_key: &str,
    ) -> Result<Vec<String>, ReadError> {
        let limit = super::MAX_WIDENED;
        match self {
            Index::Sqlite(c) => Ok(sqlite::column(
                c,
                WORDS_WITH_STEM,
                rusqlite::params![lang, stem_key, limit],
            )?),
            Index::Postgres(c) => Ok(crate::db::engine::query_scalar(WORDS_WITH_STEM)
                .bind(lang)
                .bind(stem_key)
                .bind(limit)
                .fetch_all(&mut **c)
                .await?),
        }
    }

    /// Indexed words of `lang` that end with `ending` and are at least `shortest` letters long, at
    /// most `limit`, in the order of their endings.
    pub async fn words_ending(
        &mut self,
        lang: Lang,
        ending: &str,
        shortest: usize,
        limit: i64,
    ) -> Result<Vec<String>, ReadError> {
        let backwards: String = ending.chars().rev().collect();
        let Some(after) = next_string(&backwards) else {
            return Ok(Vec::new());
        };
        let shortest = i64::try_from(shortest).unwrap_or(i64::MAX);
        match self {
            Index::Sqlite(c) => Ok(sqlite::column(
                c,
                WORDS_ENDING,
                rusqlite::params![lang, backwards, after, shortest, limit],
            )?),
            Index::Postgres(c) => Ok(crate::db::engine::query_scalar(WORDS_ENDING)
                .bind(lang)
                .bind(backwards)
                .bind(after)
                .bind(shortest)
                .bind(limit)
                .fetch_all(&mut **c)
                .await?),
        }
    }

    /// Indexed words of `lang` that start with `start`, the shortest first, at most `limit`.
    pub async fn words_starting(
        &mut self,
        lang: Lang,
        start: &str,
        limit: i64,
    ) -> Result<Vec<String>, ReadError> {
        let Some(after) = next_string(start) else {
            return Ok(Vec::new());
        };
        match self {
            Index::Sqlite(c) => Ok(sqlite::column(
                c,
                WORDS_STARTING,
                rusqlite::params![lang, start, after, limit],
            )?),
            Index::Postgres(c) => Ok(crate::db::engine::query_scalar(WORDS_STARTING)
                .bind(lang)
                .bind(start)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut **c)
                .await?),
        }
    }

    /// Whether `word` is an indexed word of `lang`.
    pub async fn is_term(&mut self, lang: Lang, word: &str) -> Result<bool, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(c
                .prepare_cached(IS_TERM)?
                .query_row(rusqlite::params![lang, word], |row| row.get(0))?),
            Index::Postgres(c) => Ok(crate::db::engine::query_scalar(IS_TERM)
                .bind(lang)
                .bind(word)
                .fetch_one(&mut **c)
                .await?),
        }
    }

    /// Indexed words of `lang` that could be `word` misspelt, at most a few thousand; the closest is
    /// chosen by the caller. On SQLite, those with the same first letter and about the same length;
    /// on PostgreSQL, those sharing enough of their trigrams (`pg_trgm`), whatever letter they start
    /// with.
    pub async fn similar_words(
        &mut self,
        lang: Lang,
        word: &str,
    ) -> Result<Vec<String>, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(sqlite::similar_words(c, lang, word, MAX_SIMILAR)?),
            Index::Postgres(c) => Ok(postgres::similar_words(c, lang, word, MAX_SIMILAR).await?),
        }
    }

    /// How many indexed pages of `lang` have `word` (as written), counted up to
    /// [`super::COUNT_UP_TO`].
    pub async fn pages_with(&mut self, lang: Lang, word: &str) -> Result<i64, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(sqlite::pages_with(c, lang, word)?),
            Index::Postgres(c) => Ok(postgres::pages_with(c, lang, word).await?),
        }
    }

    /// How many visible pages of `lang` have what `expression` wants and nothing it excludes,
    /// counted up to one more than [`super::COUNT_UP_TO`]: more than that is "more than
    /// [`super::COUNT_UP_TO`]".
    pub async fn count(
        &mut self,
        lang: Lang,
        now: &Moment,
        expression: &Expression,
    ) -> Result<i64, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(sqlite::count(c, lang, now, expression)?),
            Index::Postgres(c) => Ok(postgres::count(c, lang, now, expression).await?),
        }
    }

    /// The visible page of `lang` whose title's words are exactly `title_words`, if `expression`
    /// finds it (an exclusion may leave it out).
    pub async fn titled(
        &mut self,
        lang: Lang,
        now: &Moment,
        title_words: &str,
        expression: &Expression,
    ) -> Result<Option<i64>, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(sqlite::titled(c, lang, now, title_words, expression)?),
            Index::Postgres(c) => {
                Ok(postgres::titled(c, lang, now, title_words, expression).await?)
            }
        }
    }

    /// The visible pages of `lang` that `expression` finds, best first, at most `limit`: those whose
    /// title or description has what is wanted, ranked (the title above the description); then the
    /// others, ranked among the most recently created matches (see [`super::RANK_WINDOW`]).
    /// `matching` is how many pages the search finds in all (or more): at most the window, and every
    /// match is ranked without looking for the window's start.
    pub async fn ranked(
        &mut self,
        lang: Lang,
        now: &Moment,
        expression: &Expression,
        limit: i64,
        matching: i64,
    ) -> Result<Vec<i64>, ReadError> {
        let ranking = Ranking {
            window: limit.max(super::RANK_WINDOW),
            limit,
            matching,
        };
        let mut ids = match self {
            Index::Sqlite(c) => sqlite::ranked(c, lang, now, expression, ranking)?,
            Index::Postgres(c) => postgres::ranked(c, lang, now, expression, ranking).await?,
        };
        ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(ids)
    }

    /// The pages `ids` that are visible at `now`, in the order of `ids`, with their trails.
    pub async fn hits(&mut self, ids: &[i64], now: &Moment) -> Result<Vec<Hit>, ReadError> {
        match self {
            Index::Sqlite(c) => Ok(sqlite::hits(c, ids, now)?),
            Index::Postgres(c) => Ok(postgres::hits(c, ids, now).await?),
        }
    }
}

/// How much of a query's matches [`Index::ranked`] ranks.
#[derive(Debug, Clone, Copy)]
struct Ranking {
    /// Of the matches found outside titles and descriptions, the most recently created this many.
    window: i64,
    /// Results wanted.
    limit: i64,
    /// How many pages the query finds in all (or more).
    matching: i64,
}

impl Ranking {
    /// Whether every match fits the window, so that all are ranked.
    fn all(self) -> bool {
        self.matching <= self.window
    }
}

/// A page a search found, with what its result shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub id: i64,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub description: String,
    pub body_md: String,
    pub kind: Kind,
    pub publish_at: Option<String>,
    pub date_precision: DatePrecision,
    pub created_at: String,
    /// The page it is under, if any.
    pub parent_id: Option<i64>,
    /// The titles of its visible ancestors, outermost first.
    #[sqlx(skip)]
    pub trail: Vec<String>,
}

/// The first string after every string that starts with `text`, in the text order of both engines'
/// vocabularies (that of the characters' code points; `search_terms` is collated "C" on
/// PostgreSQL): `text` with its last character one higher. None for an empty text.
fn next_string(text: &str) -> Option<String> {
    let last = text.chars().next_back()?;
    let next = char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX);
    Some(format!("{}{next}", &text[..text.len() - last.len_utf8()]))
}
