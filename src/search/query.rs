//! A visitor's query, parsed: words, "quoted phrases" and `-excluded` words, and the FTS5 match
//! expressions built from them: the words as written, and the words widened (see [`crate::search`]).
//!
//! Nothing the visitor typed reaches FTS5 as syntax: every term is made of the letters and digits
//! that [`words`] keeps, and is written as an FTS5 string. `OR`, `NEAR(` or `col:term` are searched
//! for as the words they contain.

use std::collections::HashMap;

use super::text::words;

/// Queries are cut to this many characters; longer ones are almost always pasted by mistake.
pub const MAX_QUERY_CHARS: usize = 200;

/// Words of exactly this many letters also match the words they start ("fn" finds "fns"); a single
/// letter matches itself only, since the start of every word with it would be most of the site.
const PREFIX_CHARS: usize = 2;

/// The shortest word that is widened to the words sharing its stem or containing it (trigrams need
/// three letters). Shorter words match the start of a word instead.
const MIN_WIDENED_CHARS: usize = 3;

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

    /// The match expression for the index of words as written. Words of one or two letters match as
    /// the start of a word, so that short queries find something.
    pub fn exact(&self) -> Option<String> {
        self.expression(|term| {
            if let [word] = term.words.as_slice()
                && word.chars().count() == PREFIX_CHARS
                && !term.excluded
            {
                return Some(format!("{}*", fts_string(word)));
            }
            Some(fts_string(&term.words.join(" ")))
        })
    }

    /// The words that stand alone in the query (not in a phrase), wanted or excluded, of at least
    /// three letters: those that are widened to the words sharing their stem or containing them.
    pub fn widenable(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .filter_map(|term| match term.words.as_slice() {
                [word] if word.chars().count() >= MIN_WIDENED_CHARS => Some(word.as_str()),
                _ => None,
            })
    }

    /// The wanted words of two letters, which match the start of a word.
    pub fn prefixes(&self) -> Vec<String> {
        self.terms
            .iter()
            .filter(|term| !term.excluded)
            .filter_map(|term| match term.words.as_slice() {
                [word] if word.chars().count() == PREFIX_CHARS => Some(word.clone()),
                _ => None,
            })
            .collect()
    }

    /// The match expression where each word that stands alone may be any of the words `widened`
    /// gives for it; phrases and short words stay as written. None when a wanted word was widened to
    /// nothing, so that this way of asking can find nothing.
    pub fn widened(&self, widened: &HashMap<String, Vec<String>>) -> Option<String> {
        self.expression(|term| {
            let [word] = term.words.as_slice() else {
                return Some(fts_string(&term.words.join(" ")));
            };
            if word.chars().count() < MIN_WIDENED_CHARS {
                return Some(if term.excluded || word.chars().count() != PREFIX_CHARS {
                    fts_string(word)
                } else {
                    format!("{}*", fts_string(word))
                });
            }
            match widened.get(word).filter(|words| !words.is_empty()) {
                Some(words) => Some(format!(
                    "({})",
                    words
                        .iter()
                        .map(|word| fts_string(word))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )),
                None if term.excluded => Some(fts_string(word)),
                None => None,
            }
        })
    }

    /// `(a AND b) NOT c NOT d`, with each term written by `write`. None when nothing is wanted.
    fn expression(&self, mut write: impl FnMut(&Term) -> Option<String>) -> Option<String> {
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
        let mut expression = format!("({})", wanted.join(" AND "));
        for term in unwanted {
            expression = format!("({expression} NOT {term})");
        }
        Some(expression)
    }
}

/// `text` as an FTS5 string: in double quotes, with any double quote doubled.
fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            query.exact().as_deref(),
            Some(r#"((("kommun" AND "fn s mål") NOT "projekt") NOT "gamla sidor")"#)
        );
        let widened = HashMap::from([
            (
                "kommun".to_owned(),
                vec!["kommun".to_owned(), "kommuner".to_owned()],
            ),
            ("projekt".to_owned(), vec!["projektet".to_owned()]),
        ]);
        assert_eq!(
            query.widened(&widened).as_deref(),
            Some(
                r#"(((("kommun" OR "kommuner") AND "fn s mål") NOT ("projektet")) NOT "gamla sidor")"#
            )
        );
        assert_eq!(query.widenable().collect::<Vec<_>>(), ["kommun", "projekt"]);
        assert_eq!(
            Query::parse("kommun").widened(&HashMap::new()),
            None,
            "a wanted word widened to nothing finds nothing"
        );
    }

    #[test]
    fn fts_syntax_is_only_ever_searched_for() {
        for typed in [
            r#"""#, "*", "NEAR(", "OR", "AND", "NOT", "^", ":", "()", "col:term", "\"\"\"", "-",
            "--",
        ] {
            let query = Query::parse(typed);
            for expression in [query.exact()].into_iter().flatten() {
                // Every term is a quoted run of letters and digits, joined by our own operators.
                let outside_quotes: String = expression
                    .split('"')
                    .step_by(2)
                    .collect::<Vec<_>>()
                    .concat();
                assert!(
                    outside_quotes.chars().all(|c| "() ANDNOT*".contains(c)),
                    "{typed:?} gave {expression}"
                );
            }
        }
        assert_eq!(
            Query::parse("OR NEAR(x)").exact().as_deref(),
            Some(r#"("or"* AND "near x")"#),
            "a word run together with others is searched for as a phrase"
        );
    }

    #[test]
    fn short_long_empty_and_only_excluded_queries() {
        assert_eq!(Query::parse("fn").exact().as_deref(), Some(r#"("fn"*)"#));
        assert_eq!(
            Query::parse("fn").widenable().count(),
            0,
            "too short to widen"
        );
        assert_eq!(Query::parse("fn").prefixes(), ["fn"]);
        assert!(!Query::parse("").is_searchable());
        assert!(!Query::parse("-kommun").is_searchable());
        assert_eq!(Query::parse("-kommun").exact(), None);
        let long = Query::parse(&"ord ".repeat(100));
        assert_eq!(long.text.chars().count(), MAX_QUERY_CHARS);
        assert!(long.cut && !Query::parse("kommun").cut);
        assert!(!Query::parse("a\u{0}b").text.contains('\u{0}'));
    }
}
