//! A visitor's query, parsed: words, "quoted phrases" and `-excluded` words, and the FTS5 match
//! expressions built from them for each of the three indexes.
//!
//! Nothing the visitor typed reaches FTS5 as syntax: every term is made of the letters and digits
//! that [`words`] keeps, and is written as an FTS5 string. `OR`, `NEAR(` or `col:term` are searched
//! for as the words they contain.

use super::text::{Stems, fold, words};

/// Queries are cut to this many characters; longer ones are almost always pasted by mistake.
pub const MAX_QUERY_CHARS: usize = 200;

/// The shortest word the compound index (trigrams) can look for.
const MIN_TRIGRAM_CHARS: usize = 3;

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
    pub terms: Vec<Term>,
}

impl Query {
    pub fn parse(typed: &str) -> Query {
        let text: String = typed
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_QUERY_CHARS)
            .collect();
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
        Query { text, terms }
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
                && word.chars().count() < MIN_TRIGRAM_CHARS
                && !term.excluded
            {
                return Some(format!("{}*", fts_string(word)));
            }
            Some(fts_string(&term.words.join(" ")))
        })
    }

    /// The match expression for the index of stems, with accents folded.
    pub fn stems(&self, stems: &Stems) -> Option<String> {
        self.expression(|term| {
            let keys: Vec<String> = term.words.iter().map(|word| stems.key(word)).collect();
            Some(fts_string(&keys.join(" ")))
        })
    }

    /// The match expression for the compound index: each term as a run of letters anywhere in a word,
    /// accents folded. None when a term is too short for trigrams.
    pub fn parts(&self) -> Option<String> {
        let mut too_short = false;
        let expression = self.expression(|term| {
            let folded: Vec<String> = term.words.iter().map(|word| fold(word)).collect();
            let joined = folded.join(" ");
            if joined.chars().count() < MIN_TRIGRAM_CHARS {
                too_short = true;
            }
            Some(fts_string(&joined))
        });
        if too_short { None } else { expression }
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
    use crate::lang::Lang;

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
        let stems = Stems::of(Lang::Sv);
        assert_eq!(
            query.stems(&stems).as_deref(),
            Some(r#"((("kommun" AND "fn s mal") NOT "projek") NOT "gaml sid")"#)
        );
    }

    #[test]
    fn fts_syntax_is_only_ever_searched_for() {
        for typed in [
            r#"""#, "*", "NEAR(", "OR", "AND", "NOT", "^", ":", "()", "col:term", "\"\"\"", "-",
            "--",
        ] {
            let query = Query::parse(typed);
            for expression in [query.exact(), query.parts()].into_iter().flatten() {
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
        assert_eq!(Query::parse("fn").parts(), None, "too short for trigrams");
        assert!(!Query::parse("").is_searchable());
        assert!(!Query::parse("-kommun").is_searchable());
        assert_eq!(Query::parse("-kommun").exact(), None);
        let long = Query::parse(&"ord ".repeat(100));
        assert_eq!(long.text.chars().count(), MAX_QUERY_CHARS);
        assert!(!Query::parse("a\u{0}b").text.contains('\u{0}'));
    }
}
