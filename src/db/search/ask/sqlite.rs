//! The index on SQLite, asked: FTS5 match expressions, bm25, and the vocabulary of each language's
//! index of words (see `migrations/0011_search_by_language.sql`), on a reading connection.

use rusqlite::{Connection, OptionalExtension, params};

use super::{AnyOf, Expression, Hit, Ranking};
use crate::{
    db::search::{COUNT_UP_TO, fts5::Shelf},
    lang::Lang,
    time::Moment,
};

/// The first column of every row of `sql` with `values`.
pub(super) fn column<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(sql)?
        .query_map(values, |row| row.get(0))?
        .collect()
}

/// `text` as an FTS5 string: in double quotes, with any double quote doubled (an [`Expression`]'s
/// words have none, but a string is a string).
fn string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `any` as FTS5 writes it: `"a b"` for a phrase, `("a" OR "b")` for a choice.
fn any_of(any: &AnyOf) -> String {
    let phrases: Vec<String> = any.0.iter().map(|words| string(&words.join(" "))).collect();
    match phrases.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", phrases.join(" OR ")),
    }
}

/// What is wanted: `(a AND b)`.
fn wanted(expression: &Expression) -> String {
    let wanted: Vec<String> = expression.wanted.iter().map(any_of).collect();
    format!("({})", wanted.join(" AND "))
}

/// Any of what is excluded, if something is: `c OR d`.
fn unwanted(expression: &Expression) -> Option<String> {
    let unwanted: Vec<String> = expression.unwanted.iter().map(any_of).collect();
    (!unwanted.is_empty()).then(|| unwanted.join(" OR "))
}

/// `((a AND b) NOT c) NOT d`: the pages with what is wanted anywhere and nothing excluded.
fn anywhere(expression: &Expression) -> String {
    let mut written = wanted(expression);
    for term in &expression.unwanted {
        written = format!("({written} NOT {})", any_of(term));
    }
    written
}

/// Indexed words of `lang` with the first letter of `word` and about its length, at most `limit`.
pub(super) fn similar_words(
    conn: &Connection,
    lang: Lang,
    word: &str,
    limit: i64,
) -> rusqlite::Result<Vec<String>> {
    let Some(first) = word.chars().next() else {
        return Ok(Vec::new());
    };
    let first = first.to_string();
    let Some(after) = super::next_string(&first) else {
        return Ok(Vec::new());
    };
    let length = i64::try_from(word.chars().count()).unwrap_or(i64::MAX);
    column(
        conn,
        "select term from search_terms where lang = ? and term >= ? and term < ? \
         and length(term) between ? and ? limit ?",
        params![lang, first, after, length - 2, length + 2, limit],
    )
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

/// See [`super::Index::ranked`].
pub(super) fn ranked(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    expression: &Expression,
    ranking: Ranking,
) -> rusqlite::Result<Vec<i64>> {
    let Ranking { window, limit, .. } = ranking;
    let all = ranking.all();
    let unwanted = unwanted(expression);
    let by_title = match (unwanted.is_some(), all) {
        (false, false) => in_tables_of!(lang, by_title, window),
        (false, true) => in_tables_of!(lang, by_title, all),
        (true, false) => in_tables_of!(lang, by_title, window, unwanted),
        (true, true) => in_tables_of!(lang, by_title, all, unwanted),
    };
    let wanted = wanted(expression);
    let visible = Shelf::Visible.limit(&wanted);
    let scheduled = Shelf::Scheduled.limit(&wanted);
    let mut ids: Vec<i64> = match unwanted {
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
        let statement = if all {
            in_tables_of!(lang, anywhere, all)
        } else {
            in_tables_of!(lang, anywhere, window)
        };
        let anywhere = anywhere(expression);
        let found: Vec<i64> = column(
            conn,
            statement,
            params![
                Shelf::Visible.limit(&anywhere),
                window - 1,
                Shelf::Scheduled.limit(&anywhere),
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
    Ok(ids)
}

/// See [`super::Index::count`].
pub(super) fn count(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    expression: &Expression,
) -> rusqlite::Result<i64> {
    let expression = anywhere(expression);
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
            Shelf::Visible.limit(&expression),
            Shelf::Scheduled.limit(&expression),
            now,
            COUNT_UP_TO + 1
        ],
        |row| row.get(0),
    )
}

/// See [`super::Index::titled`].
pub(super) fn titled(
    conn: &Connection,
    lang: Lang,
    now: &Moment,
    title_words: &str,
    expression: &Expression,
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
        .query_row(
            params![lang, title_words, now, anywhere(expression)],
            |row| row.get(0),
        )
        .optional()
}

/// How many indexed pages of `lang` have `word`, from the vocabulary FTS5 keeps.
pub(super) fn pages_with(conn: &Connection, lang: Lang, word: &str) -> rusqlite::Result<i64> {
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

/// See [`super::Index::hits`].
pub(super) fn hits(conn: &Connection, ids: &[i64], now: &Moment) -> rusqlite::Result<Vec<Hit>> {
    let mut page = conn.prepare_cached(super::HIT)?;
    let mut ancestors = conn.prepare_cached(crate::db::pages::ANCESTORS)?;
    let mut hits = Vec::with_capacity(ids.len());
    for id in ids {
        let found = page
            .query_row(params![id, now], |row| {
                Ok(Hit {
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
                    parent_id: row.get(10)?,
                    trail: Vec::new(),
                })
            })
            .optional()?;
        let Some(mut hit) = found else {
            continue;
        };
        if hit.parent_id.is_some() {
            hit.trail = ancestors
                .query_map(params![id, now], |row| row.get(2))?
                .collect::<rusqlite::Result<_>>()?;
        }
        hits.push(hit);
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::search::Query;

    #[test]
    fn expressions_are_written_as_fts5_match_expressions() {
        let query = Query::parse(r#"  kommun "FN:s mål" -projekt -"gamla sidor" "#);
        let exact = query.exact().expect("something is wanted");
        assert_eq!(
            anywhere(&exact),
            r#"((("kommun" AND "fn s mål") NOT "projekt") NOT "gamla sidor")"#
        );
        assert_eq!(wanted(&exact), r#"("kommun" AND "fn s mål")"#);
        assert_eq!(
            unwanted(&exact).as_deref(),
            Some(r#""projekt" OR "gamla sidor""#)
        );
        let only = Query::parse("kommun").exact().expect("wanted");
        assert_eq!(unwanted(&only), None);
        let widened = HashMap::from([(
            "kommun".to_owned(),
            vec!["kommun".to_owned(), "kommuner".to_owned()],
        )]);
        assert_eq!(
            query.widened(&widened).map(|e| anywhere(&e)).as_deref(),
            Some(
                r#"(((("kommun" OR "kommuner") AND "fn s mål") NOT "projekt") NOT "gamla sidor")"#
            )
        );
    }

    #[test]
    fn fts5_syntax_typed_is_only_ever_searched_for() {
        for typed in [
            r#"""#,
            "*",
            "NEAR(",
            "OR",
            "AND",
            "NOT",
            "^",
            ":",
            "()",
            "col:term",
            "\"\"\"",
            "-",
            "--",
            "a\"b",
            "x OR y NOT z",
        ] {
            for expression in Query::parse(typed).exact().iter().map(anywhere) {
                // Every term is a quoted run of letters and digits, joined by our own operators.
                let outside_quotes: String = expression
                    .split('"')
                    .step_by(2)
                    .collect::<Vec<_>>()
                    .concat();
                assert!(
                    outside_quotes.chars().all(|c| "() ANDOT".contains(c)),
                    "{typed:?} gave {expression}"
                );
            }
        }
    }
}
