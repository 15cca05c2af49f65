//! Words as the search index and its queries see them: split out of text and lowercased; and, for
//! widening a query, stemmed with the language's Snowball stemmer and with å, ä, ö and other accents
//! folded to plain letters.

use rust_stemmers::{Algorithm, Stemmer};

use crate::lang::Lang;

/// The words of `text`, lowercased: runs of letters and digits. Everything else separates words, so
/// no character that means something to FTS5 (quotes, `*`, `^`, `:`, parentheses) survives.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// Folds accented letters to plain ones: å ä → a, ö → o, é → e and so on, so that a query typed on a
/// keyboard without them still finds the words.
pub fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'å' | 'ä' | 'à' | 'á' | 'â' | 'ã' | 'æ' => 'a',
            'ö' | 'ø' | 'ò' | 'ó' | 'ô' | 'õ' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ù' | 'ú' | 'û' => 'u',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// Stems words of one language.
pub struct Stems {
    stemmer: Stemmer,
    lang: Lang,
}

impl std::fmt::Debug for Stems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stems")
    }
}

impl Stems {
    pub fn of(lang: Lang) -> Stems {
        let stemmer = Stemmer::create(match lang {
            Lang::Sv => Algorithm::Swedish,
            Lang::En => Algorithm::English,
        });
        Stems { stemmer, lang }
    }

    /// The word's stem with accents folded, as the vocabulary keeps it: "kommunerna" → "kommun",
    /// "projektet" → "projek", "målen" → "mal", "goals" → "goal".
    pub fn key(&self, word: &str) -> String {
        // Snowball's Swedish stemmer leaves the definite ending -et of neuter nouns ("projektet",
        // "arbetet", "målet"); it is taken off first, from words of five letters or more.
        let word = match self.lang {
            Lang::Sv if word.chars().count() >= 5 => word.strip_suffix("et").unwrap_or(word),
            _ => word,
        };
        fold(&self.stemmer.stem(word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_leave_nothing_that_fts_would_read_as_syntax() {
        let found: Vec<String> = words(r#"NEAR(a b) "x" col:term ^start * -ut å/ä"#).collect();
        assert_eq!(
            found,
            [
                "near", "a", "b", "x", "col", "term", "start", "ut", "å", "ä"
            ]
        );
    }

    #[test]
    fn inflections_share_a_key_and_accents_fold() {
        let swedish = Stems::of(Lang::Sv);
        assert_eq!(swedish.key("kommunerna"), swedish.key("kommun"));
        assert_eq!(swedish.key("projektet"), swedish.key("projekt"));
        assert_eq!(swedish.key("arbetet"), swedish.key("arbete"));
        assert_eq!(swedish.key("målet"), swedish.key("mål"));
        assert_eq!(swedish.key("målen"), swedish.key("mål"));
        assert_eq!(swedish.key("millenniemal"), swedish.key("millenniemål"));
        let english = Stems::of(Lang::En);
        assert_eq!(english.key("goals"), english.key("goal"));
        assert_eq!(english.key("municipalities"), english.key("municipality"));
        assert_eq!(fold("millenniemålen"), "millenniemalen");
    }
}
