//! Asking the index: the statements of a search, run one after another on a reading connection
//! (see [`crate::db::readers`]) so that a search is handed to SQLite's thread once, not twenty times.

use rusqlite::{Connection, OptionalExtension, params};

use super::{COUNT_UP_TO, MAX_WIDENED, RANK_WINDOW, fts5::Shelf};
use crate::{
    lang::Lang,
    time::{DatePrecision, Moment},
    vocab::Kind,
};

/// The first column of every row of `sql` with `values`.
fn column<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?
        .query_map(values, |row| row.get(0))?
        .collect()
}

/// The indexed words of `lang` whose stem key is `stem_key`.
pub fn words_with_stem(
    conn: &Connection,
    lang: Lang,
    stem_key: &str,
) -> rusqlite::Result<Vec<String>> {
    column(
        conn,
        "select term from search_terms where lang = ? and stem_key = ? order by length(term), term limit ?",
        params![lang, stem_key, MAX_WIDENED],
    )
}

/// Indexed words of `lang` that end with `ending` and are at least `shortest` letters long, at
/// most `limit`, in the order of their endings.
pub fn words_ending(
    conn: &Connection,
    lang: Lang,
    ending: &str,
    shortest: usize,
    limit: i64,
) -> rusqlite::Result<Vec<String>> {
    let backwards: String = ending.chars().rev().collect();
    let Some(after) = next_string(&backwards) else {
        return Ok(Vec::new());
    };
    column(
        conn,
        "select term from search_terms where lang = ? and backwards >= ? and backwards < ? \
         and length(term) >= ? limit ?",
        params![
            lang,
            backwards,
            after,
            i64::try_from(shortest).unwrap_or(i64::MAX),
            limit
        ],
    )
}

/// Indexed words of `lang` that start with `start`, the shortest first, at most `limit`.
pub fn words_starting(
    conn: &Connection,
    lang: Lang,
    start: &str,
    limit: i64,
) -> rusqlite::Result<Vec<String>> {
    let Some(after) = next_string(start) else {
        return Ok(Vec::new());
    };
    column(
        conn,
        "select term from search_terms where lang = ? and term >= ? and term < ? \
         order by length(term), term limit ?",
        params![lang, start, after, limit],
    )
}

/// The first string after every string that starts with `text`, in SQLite's text order (that of
/// the characters' code points): `text` with its last character one higher. None for an empty text.
fn next_string(text: &str) -> Option<String> {
    let last = text.chars().next_back()?;
    let next = char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX);
    Some(format!("{}{next}", &text[..text.len() - last.len_utf8()]))
}

/// The statement that ranks the visible pages matching `?1` (on the visible shelf) or `?3` (on the
/// scheduled shelf, visible from `?4` on) in `$table`, best first by `$bm25`, at most `?5`;
/// `$filter` may leave some out. Pages scheduled when indexed are few; they are always ranked all.
///
/// With `window`, only the `?2 + 1` most recently created matches are ranked: the subquery finds
/// the oldest of the window, and since FTS5 walks its lists by rowid, finding it and ranking from
/// it reads the window only, not every match. With `all` (for a query known to match no more pages
/// than the window holds), every match is ranked and the subquery, which would walk every match
/// once more only to find there are fewer, is not asked; `?2` is then unused.
macro_rules! ranked {
    ($table:literal, $bm25:expr, window, $filter:expr) => {
        ranked!(
            @ $table,
            $bm25,
            concat!(
                " and rowid >= coalesce((select rowid from ",
                $table,
                " where ",
                $table,
                " match ?1 order by rowid desc limit 1 offset ?2), -9223372036854775808)"
            ),
            $filter
        )
    };
    ($table:literal, $bm25:expr, all, $filter:expr) => {
        ranked!(@ $table, $bm25, " and ?2 is not null", $filter)
    };
    (@ $table:literal, $bm25:expr, $window:expr, $filter:expr) => {
        concat!(
            "select id from (select ",
            $bm25,
            " as score, rowid as id from ",
            $table,
            " where ",
            $table,
            " match ?1",
            $window,
            " union all select ",
            $bm25,
            ", f.rowid from ",
            $table,
            " f join search_pages s on s.page_id = f.rowid where ",
            $table,
            " match ?3 and s.publish_at <= ?4) ",
            $filter,
            " order by score, id limit ?5"
        )
    };
}

/// [`ranked!`] in a language's index of titles, by bm25 with the title weighing ten and the
/// description three; with `unwanted`, leaving out the pages whose words match `?6`.
macro_rules! by_title {
    ($words:literal, $titles:literal, $vocabulary:literal, $how:ident) => {
        ranked!(
            $titles,
            concat!("bm25(", $titles, ", 0.0, 10.0, 3.0)"),
            $how,
            ""
        )
    };
    ($words:literal, $titles:literal, $vocabulary:literal, $how:ident, unwanted) => {
        ranked!(
            $titles,
            concat!("bm25(", $titles, ", 0.0, 10.0, 3.0)"),
            $how,
            concat!(
                "where id not in (select rowid from ",
                $words,
                " where ",
                $words,
                " match ?6)"
            )
        )
    };
}

/// [`ranked!`] in a language's index of words, by bm25 with the title weighing ten, the
/// description three and the body one.
macro_rules! anywhere {
    ($words:literal, $titles:literal, $vocabulary:literal, $how:ident) => {
        ranked!(
            $words,
            concat!("bm25(", $words, ", 0.0, 10.0, 3.0, 1.0)"),
            $how,
            ""
        )
    };
}

/// What one way of asking asks the index, as FTS5 match expressions.
#[derive(Debug, Clone, Copy)]
pub struct Asking<'a> {
    /// What is wanted and not excluded.
    pub anywhere: &'a str,
    /// What is wanted.
    pub wanted: &'a str,
    /// Any of what is excluded, if something is.
    pub unwanted: Option<&'a str>,
}

/// The visible pages of `lang` that `asking` finds, best first, at most `limit`: those whose title
/// or description has what is wanted, by bm25; then the others, by bm25 among the most recently
/// created matches (see [`RANK_WINDOW`]). `matching` is how many pages the search finds in all (or
/// more): at most the window, and every match is ranked without looking for the window's start.
pub fn ranked(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    asking: Asking<'_>,
    limit: i64,
    matching: i64,
) -> rusqlite::Result<Vec<i64>> {
    let window = limit.max(RANK_WINDOW);
    // With no more matches than the window holds, every match is ranked anyway.
    let all = matching <= window;
    let by_title = match (asking.unwanted.is_some(), all) {
        (false, false) => in_tables_of!(lang, by_title, window),
        (false, true) => in_tables_of!(lang, by_title, all),
        (true, false) => in_tables_of!(lang, by_title, window, unwanted),
        (true, true) => in_tables_of!(lang, by_title, all, unwanted),
    };
    let visible = Shelf::Visible.limit(asking.wanted);
    let scheduled = Shelf::Scheduled.limit(asking.wanted);
    let mut ids: Vec<i64> = match asking.unwanted {
        None => column(
            conn,
            by_title,
            params![visible, window - 1, scheduled, now, limit],
        )?,
        Some(unwanted) => column(
            conn,
            by_title,
            params![visible, window - 1, scheduled, now, limit, unwanted],
        )?,
    };
    if i64::try_from(ids.len()).unwrap_or(i64::MAX) < limit {
        let anywhere = if all {
            in_tables_of!(lang, anywhere, all)
        } else {
            in_tables_of!(lang, anywhere, window)
        };
        let found: Vec<i64> = column(
            conn,
            anywhere,
            params![
                Shelf::Visible.limit(asking.anywhere),
                window - 1,
                Shelf::Scheduled.limit(asking.anywhere),
                now,
                limit
            ],
        )?;
        for id in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(ids)
}

/// How many visible pages of `lang` match `expression`, counted up to one more than
/// [`COUNT_UP_TO`]: more than that is "more than [`COUNT_UP_TO`]".
pub fn count(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    expression: &str,
) -> rusqlite::Result<i64> {
    macro_rules! count {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "select count(*) from (select rowid from ",
                $words,
                " where ",
                $words,
                " match ?1 union all select w.rowid from ",
                $words,
                " w join search_pages s on s.page_id = w.rowid where ",
                $words,
                " match ?2 and s.publish_at <= ?3 limit ?4)"
            )
        };
    }
    conn.prepare_cached(in_tables_of!(lang, count))?.query_row(
        params![
            Shelf::Visible.limit(expression),
            Shelf::Scheduled.limit(expression),
            now,
            COUNT_UP_TO + 1
        ],
        |row| row.get(0),
    )
}

/// The visible page of `lang` whose title's words are exactly `title_words`, if `expression` finds
/// it (an exclusion may leave it out).
pub fn titled(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    title_words: &str,
    expression: &str,
) -> rusqlite::Result<Option<i64>> {
    macro_rules! titled {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "select page_id from search_pages s where lang = ? and title_words = ? \
                 and (publish_at is null or publish_at <= ?) and exists (select 1 from ",
                $words,
                " where ",
                $words,
                " match ? and rowid = s.page_id) order by page_id limit 1"
            )
        };
    }
    conn.prepare_cached(in_tables_of!(lang, titled))?
        .query_row(params![lang, title_words, now, expression], |row| {
            row.get(0)
        })
        .optional()
}

/// Whether `word` is an indexed word of `lang`.
pub fn is_term(conn: &Connection, lang: Lang, word: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("select exists (select 1 from search_terms where lang = ? and term = ?)")?
        .query_row(params![lang, word], |row| row.get(0))
}

/// Indexed words of `lang` that could be `word` misspelt: the same first letter and about the same
/// length, at most a few thousand. The closest is chosen by the caller.
pub fn similar_words(conn: &Connection, lang: Lang, word: &str) -> rusqlite::Result<Vec<String>> {
    let Some(first) = word.chars().next() else {
        return Ok(Vec::new());
    };
    let first = first.to_string();
    let Some(after) = next_string(&first) else {
        return Ok(Vec::new());
    };
    let length = i64::try_from(word.chars().count()).unwrap_or(i64::MAX);
    column(
        conn,
        "select term from search_terms where lang = ? and term >= ? and term < ? \
         and length(term) between ? and ? limit 5000",
        params![lang, first, after, length - 2, length + 2],
    )
}

/// How many indexed pages of `lang` have `word`.
pub fn pages_with(conn: &Connection, lang: Lang, word: &str) -> rusqlite::Result<i64> {
    macro_rules! pages_with {
        ($words:literal, $titles:literal, $vocabulary:literal) => {
            concat!(
                "select coalesce(sum(doc), 0) from ",
                $vocabulary,
                " where term = ?"
            )
        };
    }
    conn.prepare_cached(in_tables_of!(lang, pages_with))?
        .query_row(params![word], |row| row.get(0))
}

/// A page a search found, with what its result shows.
#[derive(Debug, Clone)]
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
    /// The titles of its visible ancestors, outermost first.
    pub trail: Vec<String>,
}

/// The pages `ids` that are visible at `now`, in the order of `ids`, with their trails.
pub fn hits(conn: &Connection, ids: &[i64], now: &Moment) -> rusqlite::Result<Vec<Hit>> {
    let mut page = conn.prepare_cached(concat!(
        "select id, lang, path, title, description, body_md, kind, publish_at, date_precision, \
         created_at, parent_id from pages where id = ? and ",
        visible!()
    ))?;
    let mut ancestors = conn.prepare_cached(crate::db::pages::ANCESTORS)?;
    let mut hits = Vec::with_capacity(ids.len());
    for id in ids {
        let found = page
            .query_row(params![id, now], |row| {
                Ok((
                    Hit {
                        id: row.get(0)?,
                        lang: row.get(1)?,
                        path: row.get(2)?,
                        title: row.get(3)?,
                        description: row.get(4)?,
                        body_md: row.get(5)?,
                        kind: row.get(6)?,
                        publish_at: row.get(7)?,
                        date_precision: row.get(8)?,
                        created_at: row.get(9)?,
                        trail: Vec::new(),
                    },
                    row.get::<_, Option<i64>>(10)?,
                ))
            })
            .optional()?;
        let Some((mut hit, parent)) = found else {
            continue;
        };
        if parent.is_some() {
            hit.trail = ancestors
                .query_map(params![id, now], |row| row.get(2))?
                .collect::<rusqlite::Result<_>>()?;
        }
        hits.push(hit);
    }
    Ok(hits)
}
