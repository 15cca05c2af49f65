//! The SQL of search (see [`crate::search`] for the rules and `migrations/0004_search.sql`): the
//! index, its vocabulary, asking them, and the daily counts of searches that found little.

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use crate::lang::Lang;

/// Bumped when what the index holds changes, so that a database indexed by an older version is
/// indexed again at the next start.
pub const INDEX_VERSION: &str = "4";

/// The setting that records which [`INDEX_VERSION`] the index holds.
const INDEX_VERSION_SETTING: &str = "search_index_version";

/// A query's word is widened to at most this many indexed words each way (the caller may keep fewer).
pub const MAX_WIDENED: i64 = 256;

/// Matches are counted up to this many: "more than 1,000 pages" says as much to a visitor as an exact
/// figure, and counting stops early instead of reading every page a common word is on.
pub const COUNT_UP_TO: i64 = 1000;

/// bm25 ranks at most this many of a query's matches (more when a later page of results needs
/// them): those whose title or description matches, and of the others the most recently created.
/// Ranking costs a few microseconds a match (about 3 µs measured at 10,000 pages), so this bounds a
/// common word's ranking to about a millisecond however large the site grows; a word on more pages
/// than this carries almost no weight in bm25 anyway.
pub const RANK_WINDOW: i64 = 200;

/// Removes page `id` from the index.
pub async fn remove(tx: &mut SqliteConnection, id: i64) -> sqlx::Result<()> {
    for statement in [
        "delete from search_words where rowid = ?",
        "delete from search_titles where rowid = ?",
        "delete from search_pages where page_id = ?",
    ] {
        sqlx::query(statement).bind(id).execute(&mut *tx).await?;
    }
    Ok(())
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
    sqlx::query("insert into search_titles (rowid, lang, title, description) values (?, ?, ?, ?)")
        .bind(page.id)
        .bind(shelf.token(page.lang))
        .bind(page.title)
        .bind(page.description)
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
pub async fn add_terms(tx: &mut SqliteConnection, lang: Lang, terms: &[Term]) -> sqlx::Result<()> {
    for chunk in terms.chunks(500) {
        let mut insert =
            sqlx::QueryBuilder::new("insert into search_terms (lang, term, stem_key, backwards) ");
        insert.push_values(chunk, |mut row, term| {
            row.push_bind(lang)
                .push_bind(term.term.clone())
                .push_bind(term.stem_key.clone())
                .push_bind(term.backwards.clone());
        });
        insert.push(" on conflict (lang, term) do nothing");
        insert.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Empties the index, its pages and its vocabulary, and readies the connection for a rebuild:
/// FTS5 keeps what it indexes in memory until a buffer fills, then writes it as a segment to merge
/// later, so a large buffer (and page cache) means far fewer segments and merges.
pub async fn start_rebuild(tx: &mut SqliteConnection) -> sqlx::Result<()> {
    for statement in [
        "delete from search_words",
        "delete from search_titles",
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

/// Records that the index holds what this version's rules put there: for an empty database, whose
/// empty index every later save keeps by these rules.
pub async fn mark_current(db: impl SqliteExecutor<'_>) -> sqlx::Result<()> {
    super::settings::set(db, INDEX_VERSION_SETTING, INDEX_VERSION).await
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

/// Indexed words of `lang` that end with `ending` and are at least `shortest` letters long, at
/// most `limit`, in the order of their endings.
pub async fn words_ending(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    ending: &str,
    shortest: usize,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let backwards: String = ending.chars().rev().collect();
    let Some(after) = next_string(&backwards) else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar(
        "select term from search_terms where lang = ? and backwards >= ? and backwards < ? \
         and length(term) >= ? limit ?",
    )
    .bind(lang)
    .bind(&backwards)
    .bind(after)
    .bind(i64::try_from(shortest).unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Indexed words of `lang` that start with `start`, the shortest first, at most `limit`.
pub async fn words_starting(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    start: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let Some(after) = next_string(start) else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar(
        "select term from search_terms where lang = ? and term >= ? and term < ? \
         order by length(term), term limit ?",
    )
    .bind(lang)
    .bind(start)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The first string after every string that starts with `text`, in SQLite's text order (that of
/// the characters' code points): `text` with its last character one higher. None for an empty text.
fn next_string(text: &str) -> Option<String> {
    let last = text.chars().next_back()?;
    let next = char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX);
    Some(format!("{}{next}", &text[..text.len() - last.len_utf8()]))
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

    /// `expression`, limited to the pages of `lang` on either shelf.
    fn either(expression: &str, lang: Lang) -> String {
        format!(
            "({expression}) AND lang : (\"{}\" OR \"{}\")",
            Shelf::Visible.token(lang),
            Shelf::Scheduled.token(lang)
        )
    }
}

/// The bm25 weights of the index's columns: the language none, the title ten, the description three,
/// the body one.
macro_rules! bm25_words {
    () => {
        "bm25(search_words, 0.0, 10.0, 3.0, 1.0)"
    };
}

/// The same weights in the index of titles.
macro_rules! bm25_titles {
    () => {
        "bm25(search_titles, 0.0, 10.0, 3.0)"
    };
}

/// The statement that ranks the visible pages matching `?1` (on the visible shelf) or `?3` (on the
/// scheduled shelf, visible from `?4` on) in `$table`, best first by bm25, at most `?5`; `$filter`
/// may leave some out. Pages scheduled when indexed are few; they are always ranked all.
///
/// With `window`, only the `?2 + 1` most recently created matches are ranked: the subquery finds
/// the oldest of the window, and since FTS5 walks its lists by rowid, finding it and ranking from
/// it reads the window only, not every match. With `all` (for a query known to match no more pages
/// than the window holds), every match is ranked and the subquery, which would walk every match
/// once more only to find there are fewer, is not asked; `?2` is then unused.
macro_rules! ranked {
    ($table:literal, $bm25:expr, window, $filter:literal) => {
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
    ($table:literal, $bm25:expr, all, $filter:literal) => {
        ranked!(@ $table, $bm25, " and ?2 is not null", $filter)
    };
    (@ $table:literal, $bm25:expr, $window:expr, $filter:literal) => {
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
pub async fn ranked(
    db: &sqlx::SqlitePool,
    lang: Lang,
    now: &str,
    asking: Asking<'_>,
    limit: i64,
    matching: i64,
) -> sqlx::Result<Vec<i64>> {
    let window = limit.max(RANK_WINDOW);
    // With no more matches than the window holds, every match is ranked anyway.
    let all = matching <= window;
    let on = |shelf: Shelf, expression: &str| shelf.limit(expression, lang);
    let by_title = match (asking.unwanted, all) {
        (None, false) => sqlx::query_scalar(ranked!("search_titles", bm25_titles!(), window, "")),
        (None, true) => sqlx::query_scalar(ranked!("search_titles", bm25_titles!(), all, "")),
        (Some(_), false) => sqlx::query_scalar(ranked!(
            "search_titles",
            bm25_titles!(),
            window,
            "where id not in (select rowid from search_words where search_words match ?6)"
        )),
        (Some(_), true) => sqlx::query_scalar(ranked!(
            "search_titles",
            bm25_titles!(),
            all,
            "where id not in (select rowid from search_words where search_words match ?6)"
        )),
    };
    let mut by_title = by_title
        .bind(on(Shelf::Visible, asking.wanted))
        .bind(window - 1)
        .bind(on(Shelf::Scheduled, asking.wanted))
        .bind(now)
        .bind(limit);
    if let Some(unwanted) = asking.unwanted {
        by_title = by_title.bind(unwanted);
    }
    let mut ids: Vec<i64> = by_title.fetch_all(db).await?;
    if i64::try_from(ids.len()).unwrap_or(i64::MAX) < limit {
        let statement = if all {
            sqlx::query_scalar(ranked!("search_words", bm25_words!(), all, ""))
        } else {
            sqlx::query_scalar(ranked!("search_words", bm25_words!(), window, ""))
        };
        let anywhere: Vec<i64> = statement
            .bind(on(Shelf::Visible, asking.anywhere))
            .bind(window - 1)
            .bind(on(Shelf::Scheduled, asking.anywhere))
            .bind(now)
            .bind(limit)
            .fetch_all(db)
            .await?;
        for id in anywhere {
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
pub async fn count(
    db: &sqlx::SqlitePool,
    lang: Lang,
    now: &str,
    expression: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from (select rowid from search_words where search_words match ?1 \
         union all select w.rowid from search_words w join search_pages s \
         on s.page_id = w.rowid where search_words match ?2 and s.publish_at <= ?3 limit ?4)",
    )
    .bind(Shelf::Visible.limit(expression, lang))
    .bind(Shelf::Scheduled.limit(expression, lang))
    .bind(now)
    .bind(COUNT_UP_TO + 1)
    .fetch_one(db)
    .await
}

/// The visible page of `lang` whose title's words are exactly `title_words`, if `expression` finds
/// it (an exclusion may leave it out).
pub async fn titled(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    now: &str,
    title_words: &str,
    expression: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "select page_id from search_pages s where lang = ? and title_words = ? \
         and (publish_at is null or publish_at <= ?) \
         and exists (select 1 from search_words where search_words match ? and rowid = s.page_id) \
         order by page_id limit 1",
    )
    .bind(lang)
    .bind(title_words)
    .bind(now)
    .bind(Shelf::either(expression, lang))
    .fetch_optional(db)
    .await
}

/// Whether `word` is an indexed word of `lang`.
pub async fn is_term(db: impl SqliteExecutor<'_>, lang: Lang, word: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from search_terms where lang = ? and term = ?)")
        .bind(lang)
        .bind(word)
        .fetch_one(db)
        .await
}

/// Indexed words of `lang` that could be `word` misspelt: the same first letter and about the same
/// length, at most a few thousand. The closest is chosen by the caller.
pub async fn similar_words(
    db: impl SqliteExecutor<'_>,
    lang: Lang,
    word: &str,
) -> sqlx::Result<Vec<String>> {
    let Some(first) = word.chars().next() else {
        return Ok(Vec::new());
    };
    let first = first.to_string();
    let Some(after) = next_string(&first) else {
        return Ok(Vec::new());
    };
    let length = i64::try_from(word.chars().count()).unwrap_or(i64::MAX);
    sqlx::query_scalar(
        "select term from search_terms where lang = ? and term >= ? and term < ? \
         and length(term) between ? and ? limit 5000",
    )
    .bind(lang)
    .bind(first)
    .bind(after)
    .bind(length - 2)
    .bind(length + 2)
    .fetch_all(db)
    .await
}

/// How many indexed pages, of either language, have `word`.
pub async fn pages_with(db: impl SqliteExecutor<'_>, word: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("select coalesce(sum(doc), 0) from search_vocabulary where term = ?")
        .bind(word)
        .fetch_one(db)
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
