//! A visitor's query, parsed: words, "quoted phrases" and `-excluded` words, and the expressions
//! built from them: the words as written, and the words widened (see [`crate::search`]).
//!
//! An [`Expression`] holds words only, each a run of the letters and digits that [`words`] keeps;
//! the index's own syntax is written around them in [`crate::db::search::ask`], so nothing the visitor typed
//! reaches an index as syntax: `OR`, `NEAR(`, `!` or `col:term` are searched for as the words they
//! contain.

use std::collections::HashMap;

pub use crate::db::search::ask::{AnyOf, Expression};

use super::text::words;

/// Queries are cut to this many characters; longer ones are almost always pasted by mistake.
pub const MAX_QUERY_CHARS: usize = 200;

/// A wanted word of exactly this many letters also matches the indexed words it starts, the shortest
/// first ("fn" finds "fns"); a single letter matches itself only.
pub const PREFIX_CHARS: usize = 2;

/// The shortest word that is widened to the words sharing its stem or ending with it. Shorter words
/// match as written, or by the words they start.
pub const MIN_WIDENED_CHARS: usize = 3;

/// One term of a query: a word, or a phrase of several in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lowercased, in order.
    pub words: Vec<String>,
    /// Typed with a leading `-`: pages with it are left out.
    pub excluded: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What was typed, cut to [`MAX_QUERY_CHARS`], with control characters removed: shown back in the
    /// search box.
    pub text: String,
    /// What was typed was longer than [`MAX_QUERY_CHARS`].
    pub cut: bool,
    pub terms: Vec<Term>,
}

impl Query {
    pub fn parse(typed: &str) -> Query {
        let mut kept = typed.chars().filter(|c| !c.is_control());
        let text: String = kept.by_ref().take(MAX_QUERY_CHARS).collect();
        let cut = kept.next().is_some();
        let mut terms = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let excluded = rest.starts_with('-');
            if excluded {
                rest = &rest[1..];
            }
            let raw = if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"').unwrap_or(quoted.len());
                let phrase = &quoted[..end];
                rest = quoted.get(end + 1..).unwrap_or("");
                phrase
            } else {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                let token = &rest[..end];
                rest = &rest[end..];
                token
            };
            let words: Vec<String> = words(raw).collect();
            if !words.is_empty() {
                terms.push(Term { words, excluded });
            }
        }
        Query { text, cut, terms }
    }

    /// Whether there is anything to look for: at least one term not excluded.
    pub fn is_searchable(&self) -> bool {
        self.terms.iter().any(|term| !term.excluded)
    }

    /// Every word to look for (not the excluded ones), for highlighting and suggestions.
    pub fn wanted_words(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .filter(|term| !term.excluded)
            .flat_map(|term| term.words.iter().map(String::as_str))
    }

    /// The expression of the words as written.
    pub fn exact(&self) -> Option<Expression> {
        self.expression(|term| Some(AnyOf(vec![term.words.clone()])))
    }

    /// The words that stand alone in the query (not in a phrase), wanted or excluded, of at least
    /// three letters: those that are widened to the words sharing their stem or ending with them.
    pub fn widenable(&self) -> impl Iterator<Item = &str> {
        self.lone_words()
            .filter(|(word, _)| word.chars().count() >= MIN_WIDENED_CHARS)
            .map(|(word, _)| word)
    }

    /// The wanted words of two letters that stand alone: those that are widened to the words they
    /// start.
    pub fn prefixes(&self) -> impl Iterator<Item = &str> {
        self.lone_words()
            .filter(|(word, excluded)| !excluded && word.chars().count() == PREFIX_CHARS)
            .map(|(word, _)| word)
    }

    /// Each word that stands alone in the query, and whether it is excluded.
    fn lone_words(&self) -> impl Iterator<Item = (&str, bool)> {
        self.terms
            .iter()
            .filter_map(|term| match term.words.as_slice() {
                [word] => Some((word.as_str(), term.excluded)),
                _ => None,
            })
    }

    /// The expression where each word that stands alone may be any of the words `widened` gives
    /// for it; phrases and words widened to nothing stay as written. None when a wanted word of
    /// [`MIN_WIDENED_CHARS`] or more was widened to nothing, so that this way of asking can find
    /// nothing.
    pub fn widened(&self, widened: &HashMap<String, Vec<String>>) -> Option<Expression> {
        self.expression(|term| {
            let [word] = term.words.as_slice() else {
                return Some(AnyOf(vec![term.words.clone()]));
            };
            match widened.get(word).filter(|words| !words.is_empty()) {
                Some(words) => Some(AnyOf(words.iter().map(|word| vec![word.clone()]).collect())),
                None if term.excluded || word.chars().count() < MIN_WIDENED_CHARS => {
                    Some(AnyOf(vec![vec![word.clone()]]))
                }
                None => None,
            }
        })
    }

    /// The wanted terms and the excluded ones, each written by `write`. None when nothing is
    /// wanted, or `write` gives nothing for a term.
    fn expression(&self, mut write: impl FnMut(&Term) -> Option<AnyOf>) -> Option<Expression> {
        let mut wanted = Vec::new();
        let mut unwanted = Vec::new();
        for term in &self.terms {
            let written = write(term)?;
            if term.excluded {
                unwanted.push(written);
            } else {
                wanted.push(written);
            }
        }
        if wanted.is_empty() {
            return None;
        }
        Some(Expression { wanted, unwanted })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `words` as an [`AnyOf`] of one-word phrases.
    fn any(words: &[&str]) -> AnyOf {
        AnyOf(words.iter().map(|word| vec![(*word).to_owned()]).collect())
    }

    fn phrase(words: &[&str]) -> AnyOf {
        AnyOf(vec![words.iter().map(|word| (*word).to_owned()).collect()])
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let query = Query::parse(r#"  kommun "FN:s mål" -projekt -"gamla sidor" "#);
        let terms: Vec<(Vec<&str>, bool)> = query
            .terms
            .iter()
            .map(|term| {
                (
                    term.words.iter().map(String::as_str).collect(),
                    term.excluded,
                )
            })
            .collect();
        assert_eq!(
            terms,
            [
                (vec!["kommun"], false),
                (vec!["fn", "s", "mål"], false),
                (vec!["projekt"], true),
                (vec!["gamla", "sidor"], true),
            ]
        );
        assert_eq!(
            query.exact(),
            Some(Expression {
                wanted: vec![any(&["kommun"]), phrase(&["fn", "s", "mål"])],
                unwanted: vec![any(&["projekt"]), phrase(&["gamla", "sidor"])],
            })
        );
        let widened = HashMap::from([
            (
                "kommun".to_owned(),
                vec!["kommun".to_owned(), "kommuner".to_owned()],
            ),
            ("projekt".to_owned(), vec!["projektet".to_owned()]),
        ]);
        assert_eq!(
            query.widened(&widened),
            Some(Expression {
                wanted: vec![any(&["kommun", "kommuner"]), phrase(&["fn", "s", "mål"])],
                unwanted: vec![any(&["projektet"]), phrase(&["gamla", "sidor"])],
            })
        );
        assert_eq!(query.widenable().collect::<Vec<_>>(), ["kommun", "projekt"]);
        assert_eq!(
            Query::parse("kommun").widened(&HashMap::new()),
            None,
            "a wanted word widened to nothing finds nothing"
        );
    }

    #[test]
    fn syntax_is_only_ever_searched_for() {
        assert_eq!(
            Query::parse(r#"OR NEAR(x) "a" * ^ col:term ! & |"#).exact(),
            Some(Expression {
                wanted: vec![
                    any(&["or"]),
                    phrase(&["near", "x"]),
                    any(&["a"]),
                    phrase(&["col", "term"]),
                ],
                unwanted: Vec::new(),
            }),
            "a word run together with others is searched for as a phrase; signs are dropped"
        );
        for typed in [r#"""#, "*", "^", ":", "()", "\"\"\"", "-", "--", "!", "&|"] {
            assert_eq!(Query::parse(typed).exact(), None, "{typed:?}");
        }
    }

    #[test]
    fn short_long_empty_and_only_excluded_queries() {
        assert_eq!(
            Query::parse("fn").widenable().count(),
            0,
            "too short to widen by stem"
        );
        assert_eq!(
            Query::parse("fn -ab").prefixes().collect::<Vec<_>>(),
            ["fn"]
        );
        let widened = HashMap::from([("fn".to_owned(), vec!["fn".to_owned(), "fns".to_owned()])]);
        assert_eq!(
            Query::parse("fn -ab").widened(&widened),
            Some(Expression {
                wanted: vec![any(&["fn", "fns"])],
                unwanted: vec![any(&["ab"])],
            })
        );
        assert!(!Query::parse("").is_searchable());
        assert!(!Query::parse("-kommun").is_searchable());
        assert_eq!(Query::parse("-kommun").exact(), None);
        let long = Query::parse(&"ord ".repeat(100));
        assert_eq!(long.text.chars().count(), MAX_QUERY_CHARS);
        assert!(long.cut && !Query::parse("kommun").cut);
        assert!(!Query::parse("a\u{0}b").text.contains('\u{0}'));
    }
}
