//! Full-text search over the visible pages, in Swedish and English, with SQLite's FTS5 (see
//! `migrations/0004_search.sql`). A query is asked in three ways, and a page found by an earlier one
//! ranks above a page found only by a later one:
//!
//! 1. **the words as written**: exact matches;
//! 2. **the words that share a stem** with the query's (Snowball, accents folded): "kommunerna" finds
//!    "kommun", "goals" finds "goal", and "millenniemal" finds "millenniemål";
//! 3. **the words that end with** the query's: compounds, "kommun" finds "Millenniekommun" (a
//!    Swedish compound ends with what it is).
//!
//! A wanted word of two letters is widened to the words it starts instead. Each language has its own
//! index, which holds the words as written; a vocabulary of every indexed word with its stem, and
//! spelt backwards for its ending, turns the second and third ways into plain lists of words to look
//! up, so one index and one ranking serve all three. Within each way, pages whose title or
//! description matches come first; bm25 (the title above the description above the body) ranks them,
//! and ranks the others among the most recent matches, so that a word on every page costs no more
//! than one on a few hundred (`db::search::RANK_WINDOW`). Stemming and folding happen here, in Rust;
//! FTS5 only ever sees quoted words (see [`query`]). The index is written in the same transaction as
//! every change to a page ([`sync`]) and holds published pages with their publish time, so that a
//! scheduled page becomes findable at its second. The SQL is in `db::search`; a search asks it
//! whole on one reading connection (`db::readers`), and a result's snippet makes plain only the
//! Markdown around its first match ([`Matcher::snippet_of_markdown`]).

pub mod query;
pub mod text;

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

pub use self::query::{MAX_QUERY_CHARS, Query};
use self::text::{Stems, words};

use crate::{
    content::markdown,
    db::{
        self,
        pages::Page,
        search::{Indexed, Miss},
    },
    ids::PageId,
    lang::Lang,
    time::Moment,
    vocab::Status,
};

/// What a page puts in the index: its title, description and body as text, and the words they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub description: String,
    pub body: String,
}

impl Document {
    pub fn of(page: &Page) -> Document {
        Document {
            title: page.content.title.clone(),
            description: page.content.description.clone(),
            body: markdown::plain_text(&page.content.body_md),
        }
    }

    /// Every word of the document, once, lowercased.
    pub fn words(&self) -> HashSet<String> {
        [&self.title, &self.description, &self.body]
            .into_iter()
            .flat_map(|field| words(field))
            .collect()
    }
}

/// The words as the vocabulary keeps them: each with its stem key and spelt backwards.
fn terms(lang: Lang, words: impl IntoIterator<Item = String>) -> Vec<db::search::Term> {
    let stems = Stems::of(lang);
    words
        .into_iter()
        .map(|term| db::search::Term {
            stem_key: stems.key(&term),
            backwards: term.chars().rev().collect(),
            term,
        })
        .collect()
}

/// Whether visitors may find `page` by searching: published and not in the trash. A page scheduled
/// for later is in the index too, and found from its publish time on.
fn searchable(page: &Page) -> bool {
    page.content.status == Status::Published && page.deleted_at.is_none()
}

/// Adds `page` and its words to the index.
async fn index(
    tx: impl Into<db::Exec<'_>>,
    page: &Page,
    document: &Document,
    now: &Moment,
) -> sqlx::Result<()> {
    let title_words = title_words(&page.content.title);
    let (description, body) = (
        spaced_words(&document.description),
        spaced_words(&document.body),
    );
    db::search::add(
        tx,
        Indexed {
            id: page.id,
            lang: page.lang,
            publish_at: page.content.publish_at.as_deref(),
            scheduled: page
                .content
                .publish_at
                .as_deref()
                .is_some_and(|at| at > now),
            title_words: &title_words,
            title: &title_words,
            description: &description,
            body: &body,
        },
    )
    .await
}

/// Brings the pages `changed` up to date in the index, each with the page as it now is (`None` once
/// deleted): each is removed, and put back if visitors may find it. Call inside the transaction that
/// changed them, so that a page is findable exactly when its change is stored.
pub async fn sync(
    tx: impl Into<db::Exec<'_>>,
    changed: &[(PageId, Option<&Page>)],
    now: &Moment,
) -> sqlx::Result<()> {
    let mut tx = tx.into();
    // The words of every page, gathered, so that an import of many pages adds its vocabulary in a
    // few statements rather than one per word.
    let mut vocabulary: HashMap<Lang, HashSet<String>> = HashMap::new();
    for &(id, page) in changed {
        db::search::remove(&mut tx, id).await?;
        if let Some(page) = page
            && searchable(page)
        {
            let document = Document::of(page);
            index(&mut tx, page, &document, now).await?;
            vocabulary
                .entry(page.lang)
                .or_default()
                .extend(document.words());
        }
    }
    for (lang, words) in vocabulary {
        db::search::add_terms(&mut tx, lang, &terms(lang, words)).await?;
    }
    Ok(())
}

/// Empties the index and indexes every page visitors may find again, in one transaction. Returns how
/// many pages are in the index.
pub async fn rebuild(pool: &crate::db::Pool, now: &Moment) -> sqlx::Result<usize> {
    let mut tx = db::begin_write(pool).await?;
    db::search::start_rebuild(&mut tx).await?;
    let mut indexed = 0;
    let mut vocabulary: HashMap<Lang, HashSet<String>> = HashMap::new();
    for page in db::pages::all(&mut tx).await? {
        if searchable(&page) {
            let document = Document::of(&page);
            index(&mut tx, &page, &document, now).await?;
            vocabulary
                .entry(page.lang)
                .or_default()
                .extend(document.words());
            indexed += 1;
        }
    }
    for (lang, words) in vocabulary {
        db::search::add_terms(&mut tx, lang, &terms(lang, words)).await?;
    }
    db::search::finish_rebuild(&mut tx).await?;
    tx.commit().await?;
    if let Err(error) = db::refresh_statistics(pool).await {
        tracing::warn!(%error, "indexed, but the planner's statistics could not be renewed");
    }
    Ok(indexed)
}

/// A title's words, lowercased, one space between: "FN:s millenniemål" → "fn s millenniemål".
pub fn title_words(title: &str) -> String {
    spaced_words(title)
}

/// The words of `text` (see [`text::words`]), one space between: what the index is given, so that
/// every engine's index splits a text into the same words as the queries are.
fn spaced_words(text: &str) -> String {
    text::words(text).collect::<Vec<_>>().join(" ")
}

/// A piece of a snippet: text, marked where it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub marked: bool,
}

/// What a snippet marks: every word the query was widened to (the words as written, the words
/// sharing their stems, the words ending with them, the words a two-letter word starts).
#[derive(Debug, Default)]
pub struct Matcher {
    words: HashSet<String>,
}

impl Matcher {
    pub fn new(words: impl IntoIterator<Item = String>) -> Matcher {
        Matcher {
            words: words.into_iter().collect(),
        }
    }

    fn matches(&self, word: &str) -> bool {
        if word.chars().all(|c| !c.is_uppercase()) {
            return self.words.contains(word);
        }
        self.words.contains(&word.to_lowercase())
    }

    /// Where the first word of `text` from byte `from` on that matches starts, in bytes.
    fn next_match(&self, text: &str, from: usize) -> Option<usize> {
        let rest = &text[from..];
        WordSpans::new(rest)
            .find(|&(start, end)| self.matches(&rest[start..end]))
            .map(|(start, _)| from + start)
    }

    /// About `max_words` words of the text of `markdown` around the first match, as
    /// [`snippet`](Self::snippet) makes them. Only a stretch of Markdown around the match is made plain, from
    /// the start of its line: a page's whole text need not be, for thirty words. A match that
    /// made-plain text does not show (in a link's address, say) is passed over for the next one,
    /// a few times at most; then the snippet is the start of the text.
    pub fn snippet_of_markdown(&self, markdown: &str, max_words: usize) -> Vec<Piece> {
        let mut from = 0;
        for _ in 0..MAX_SOURCES {
            let Some(at) = self.next_match(markdown, from) else {
                break;
            };
            let (start, end) = source_around(markdown, at);
            let pieces = self.snippet_of_source(markdown, start, end, max_words);
            if pieces.iter().any(|piece| piece.marked) {
                return pieces;
            }
            from = end;
        }
        let (start, end) = source_around(markdown, 0);
        self.snippet_of_source(markdown, start, end, max_words)
    }

    /// The snippet of `markdown[start..end]` made plain, begun with an ellipsis if the stretch
    /// does not begin the text.
    fn snippet_of_source(
        &self,
        markdown: &str,
        start: usize,
        end: usize,
        max_words: usize,
    ) -> Vec<Piece> {
        let text = crate::content::markdown::plain_text(&markdown[start..end]);
        let mut pieces = self.snippet(&text, max_words);
        if start > 0
            && let Some(first) = pieces.first_mut()
            && !first.text.starts_with('…')
        {
            if first.marked {
                pieces.insert(
                    0,
                    Piece {
                        text: "…".to_owned(),
                        marked: false,
                    },
                );
            } else {
                first.text.insert(0, '…');
            }
        }
        pieces
    }

    /// About `max_words` words of `text` around the first match, the matched words marked; the
    /// start of the text when nothing in it matches (the match was in the title, say).
    pub fn snippet(&self, text: &str, max_words: usize) -> Vec<Piece> {
        let spans = word_spans(text);
        if spans.is_empty() {
            return Vec::new();
        }
        let first = spans
            .iter()
            .position(|&(start, end)| self.matches(&text[start..end]))
            .unwrap_or(0);
        let from = first.saturating_sub(max_words / 4);
        let to = (from + max_words).min(spans.len());
        let mut pieces = Vec::new();
        let mut plain = String::new();
        if from > 0 {
            plain.push('…');
        }
        let mut cursor = spans[from].0;
        for &(start, end) in &spans[from..to] {
            let word = &text[start..end];
            if self.matches(word) {
                plain.push_str(&text[cursor..start]);
                if !plain.is_empty() {
                    pieces.push(Piece {
                        text: std::mem::take(&mut plain),
                        marked: false,
                    });
                }
                pieces.push(Piece {
                    text: word.to_owned(),
                    marked: true,
                });
                cursor = end;
            }
        }
        if to < spans.len() {
            plain.push_str(&text[cursor..spans[to - 1].1]);
            plain.push('…');
        } else {
            plain.push_str(&text[cursor..]);
        }
        if !plain.is_empty() {
            pieces.push(Piece {
                text: plain,
                marked: false,
            });
        }
        pieces
    }
}

/// Where each word of `text` starts and ends, in bytes; the same words that [`words`] finds.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    WordSpans::new(text).collect()
}

/// The words of a text as byte ranges, found as they are asked for.
struct WordSpans<'a> {
    chars: std::str::CharIndices<'a>,
    len: usize,
}

impl<'a> WordSpans<'a> {
    fn new(text: &'a str) -> WordSpans<'a> {
        WordSpans {
            chars: text.char_indices(),
            len: text.len(),
        }
    }
}

impl Iterator for WordSpans<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let start = self.chars.find(|(_, c)| c.is_alphanumeric())?.0;
        let end = self
            .chars
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(self.len, |(index, _)| index);
        Some((start, end))
    }
}

/// A snippet is made from this much of a page's Markdown at most before the first match (less when
/// its line starts later), in bytes: enough for the words a snippet shows before it.
const SOURCE_BEFORE: usize = 400;

/// … and this much from the first match on: many times the words a snippet shows after it, so that
/// Markdown's syntax and what it hides (link addresses) cannot leave it short.
const SOURCE_AFTER: usize = 2000;

/// Stretches of Markdown tried for a snippet before it settles for the start of the text.
const MAX_SOURCES: usize = 4;

/// The stretch of `markdown` a snippet around byte `at` is made from, as byte offsets: from the
/// start of its line, or from a space a little before `at` on a long line, to a little after.
fn source_around(markdown: &str, at: usize) -> (usize, usize) {
    let line = markdown[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let start = if at - line > SOURCE_BEFORE {
        let from = markdown.floor_char_boundary(at - SOURCE_BEFORE);
        markdown[from..at]
            .find(char::is_whitespace)
            .map_or(at, |space| from + space)
    } else {
        line
    };
    (
        start,
        markdown.floor_char_boundary(at.saturating_add(SOURCE_AFTER)),
    )
}

/// How many edits a "did you mean" may be from the word typed: one for short words, two for others.
fn edits_allowed(word: &str) -> usize {
    if word.chars().count() <= 4 { 1 } else { 2 }
}

/// The candidates nearest to `word` by edit distance, other than itself, if any is near enough for
/// "did you mean" (one edit for words of up to four letters, two for longer): what [`closest`] then
/// chooses from.
pub fn nearest<'a>(word: &str, candidates: &'a [String]) -> Vec<&'a str> {
    let distances: Vec<(usize, &str)> = candidates
        .iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| (strsim::levenshtein(word, candidate), candidate.as_str()))
        .filter(|(distance, _)| *distance <= edits_allowed(word))
        .collect();
    let Some(least) = distances.iter().map(|(distance, _)| *distance).min() else {
        return Vec::new();
    };
    distances
        .into_iter()
        .filter(|(distance, _)| *distance == least)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// The indexed word closest to `word` by edit distance, for "did you mean": one or two edits away
/// (one for short words), the most common of the closest. `candidates` are indexed words with the
/// number of pages that have them.
pub fn closest(word: &str, candidates: &[(String, i64)]) -> Option<String> {
    candidates
        .iter()
        .filter(|(candidate, _)| candidate != word)
        .map(|(candidate, pages)| (strsim::levenshtein(word, candidate), -pages, candidate))
        .filter(|(distance, _, _)| *distance <= edits_allowed(word))
        .min()
        .map(|(_, _, candidate)| candidate.clone())
}

/// `query` with `word` replaced by `instead`, for the suggestion's link.
pub fn replace_word(query: &str, word: &str, instead: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut cursor = 0;
    for (start, end) in word_spans(query) {
        out.push_str(&query[cursor..start]);
        if query[start..end].to_lowercase() == word {
            out.push_str(instead);
        } else {
            out.push_str(&query[start..end]);
        }
        cursor = end;
    }
    out.push_str(&query[cursor..]);
    out
}

/// Queries kept for the report are cut to this many characters.
const MISS_QUERY_CHARS: usize = 100;

/// The most different queries kept in memory between two writes to the database.
const MISSES_BUFFERED: usize = 1000;

/// Searches that found nothing or little, counted in memory and written to the database by the
/// server's background task now and then, so that no search waits for, or competes for, a write.
#[derive(Debug, Default)]
pub struct Misses(Mutex<HashMap<Miss, i64>>);

impl Misses {
    /// Counts a search for `query` in `lang` that found `hits` pages, on the day of `now` (a database
    /// timestamp). Only the day, the language and the query (lowercased, spaces tidied) are kept.
    pub fn note(&self, lang: Lang, query: &str, hits: i64, now: &Moment) {
        let query: String = words_and_quotes(query)
            .chars()
            .take(MISS_QUERY_CHARS)
            .collect();
        if query.is_empty() {
            return;
        }
        let miss = Miss {
            day: crate::time::day_of(now).to_owned(),
            lang,
            query,
            hits,
        };
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.len() < MISSES_BUFFERED || counts.contains_key(&miss) {
            *counts.entry(miss).or_default() += 1;
        }
    }

    /// Everything counted since the last time, to write.
    pub fn take(&self) -> Vec<(Miss, i64)> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.drain().collect()
    }
}

/// `query` lowercased with its spaces tidied, keeping quotes and minus signs so that the report shows
/// what was typed.
fn words_and_quotes(query: &str) -> String {
    query
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(pieces: &[Piece]) -> Vec<&str> {
        pieces
            .iter()
            .filter(|piece| piece.marked)
            .map(|piece| piece.text.as_str())
            .collect()
    }

    #[test]
    fn snippets_mark_every_word_the_query_became_and_lose_nothing() {
        let matcher =
            Matcher::new(["millenniekommun", "kommunerna", "målen", "hjälpte"].map(str::to_owned));
        let text = "Projektet Millenniekommun hjälpte kommunerna att nå målen. Mer text följer.";
        let pieces = matcher.snippet(text, 30);
        assert_eq!(
            marked(&pieces),
            ["Millenniekommun", "hjälpte", "kommunerna", "målen"]
        );
        let joined: String = pieces.iter().map(|piece| piece.text.as_str()).collect();
        assert_eq!(joined, text, "nothing but the marks is added or lost");
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_match() {
        let matcher = Matcher::new(["sida".to_owned()]);
        let text = format!("{} sida {}", "ord ".repeat(50), "ord ".repeat(50));
        let pieces = matcher.snippet(&text, 20);
        let joined: String = pieces.iter().map(|piece| piece.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'), "{joined}");
        assert_eq!(marked(&pieces), ["sida"]);
        assert_eq!(words(&joined).count(), 20);
    }

    #[test]
    fn a_snippet_of_markdown_is_made_plain_around_a_match_deep_in_the_page() {
        let matcher = Matcher::new(["flamingor".to_owned()]);
        let before = "Ett **stycke** med [en länk](https://example.se/flamingor) till något.\n\n"
            .repeat(100);
        let markdown = format!("{before}## Rubrik\n\nHär bor *flamingor* i ett stycke om dem.\n");
        let pieces = matcher.snippet_of_markdown(&markdown, 20);
        let joined: String = pieces.iter().map(|piece| piece.text.as_str()).collect();
        assert_eq!(marked(&pieces), ["flamingor"], "{joined}");
        assert!(joined.starts_with('…'), "the page goes on before: {joined}");
        assert!(
            !joined.contains("**") && !joined.contains("https") && !joined.contains("##"),
            "made plain: {joined}"
        );
        assert!(
            words(&joined).collect::<Vec<_>>().ends_with(
                &[
                    "rubrik",
                    "här",
                    "bor",
                    "flamingor",
                    "i",
                    "ett",
                    "stycke",
                    "om",
                    "dem"
                ]
                .map(str::to_owned)
            ),
            "the match's own words, made plain: {joined}"
        );
    }

    #[test]
    fn a_snippet_of_markdown_without_a_match_is_its_start() {
        let matcher = Matcher::new(["flamingor".to_owned()]);
        let markdown = format!("Första *ordet* här. {}", "Mer text. ".repeat(500));
        let pieces = matcher.snippet_of_markdown(&markdown, 10);
        let joined: String = pieces.iter().map(|piece| piece.text.as_str()).collect();
        assert!(marked(&pieces).is_empty());
        assert_eq!(
            words(&joined).take(3).collect::<Vec<_>>(),
            ["första", "ordet", "här"],
            "{joined}"
        );
        assert!(!joined.starts_with('…'), "{joined}");
        assert!(joined.ends_with('…'), "{joined}");
    }

    #[test]
    fn a_long_line_is_entered_between_words() {
        let matcher = Matcher::new(["målet".to_owned()]);
        let markdown = format!("{} målet nås.", "ålänning ".repeat(300));
        let pieces = matcher.snippet_of_markdown(&markdown, 10);
        let joined: String = pieces.iter().map(|piece| piece.text.as_str()).collect();
        assert_eq!(marked(&pieces), ["målet"]);
        assert!(
            joined.starts_with("…ålänning"),
            "whole words only: {joined}"
        );
    }

    #[test]
    fn misses_keep_the_day_and_the_tidied_query_only() {
        let moment = |text| crate::time::Moment::parse(text).expect("a moment");
        let misses = Misses::default();
        misses.note(
            Lang::Sv,
            "  Kommun   ARKIV ",
            0,
            &moment("2026-12-02T10:11:12Z"),
        );
        misses.note(Lang::Sv, "kommun arkiv", 0, &moment("2026-12-02T23:59:59Z"));
        misses.note(Lang::En, "   ", 0, &moment("2026-12-02T10:00:00Z"));
        let taken = misses.take();
        assert_eq!(taken.len(), 1, "{taken:?}");
        let (miss, count) = &taken[0];
        assert_eq!(
            (miss.day.as_str(), miss.query.as_str(), *count),
            ("2026-12-02", "kommun arkiv", 2)
        );
        assert!(misses.take().is_empty(), "taken once");
    }

    #[test]
    fn the_closest_common_word_is_suggested() {
        let candidates = [
            ("kommun".to_owned(), 40),
            ("kommunen".to_owned(), 12),
            ("kompis".to_owned(), 1),
        ];
        assert_eq!(closest("komun", &candidates).as_deref(), Some("kommun"));
        assert_eq!(closest("kommun", &candidates).as_deref(), Some("kommunen"));
        assert_eq!(closest("xyzzy", &candidates), None);
        let words = candidates.map(|(word, _)| word);
        assert_eq!(nearest("komun", &words), ["kommun"]);
        assert_eq!(nearest("kommunn", &words), ["kommun", "kommunen"]);
        assert!(nearest("xyzzy", &words).is_empty());
        assert_eq!(
            replace_word("Komun \"och\" -annat", "komun", "kommun"),
            "kommun \"och\" -annat"
        );
    }
}
