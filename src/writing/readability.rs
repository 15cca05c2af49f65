//! How readable a page body is: LIX (läsbarhetsindex, Björnsson's readability index), the words and
//! sentences it counts, the longest sentences, and the time it takes to read.
//!
//! LIX is the words per sentence plus the percentage of long words (more than six letters). It was
//! made for Swedish, and is used for English too, where its bands mean roughly the same.
//!
//! What a reader reads is counted: the text of paragraphs, headings, list items, table cells and
//! quotes, and the words of links. Code blocks, addresses and the alternative texts of images are
//! not. A sentence ends at `.`, `!`, `?` or `:` followed by a space, and at the end of a block
//! (a heading or a list item is a sentence even without a full stop), but not after an
//! abbreviation such as "t.ex." or "ca.".

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::{content::markdown, lang::Lang};

/// Words a minute an adult reads on screen, for the reading time.
const WORDS_PER_MINUTE: usize = 200;

/// How many of the longest sentences are shown.
const LONGEST_SHOWN: usize = 3;

/// The longest a quoted sentence is shown, in characters; longer ones end in "…".
const QUOTE_CHARS: usize = 300;

/// Abbreviations that end with a full stop inside a sentence. Those with a stop inside ("t.ex.",
/// "bl.a.", "e.g.") are told by that stop and need no entry.
const ABBREVIATIONS: &[&str] = &[
    "ca", "resp", "jfr", "nr", "kl", "mr", "mrs", "ms", "dr", "prof", "vs", "ex", "fig", "tel",
];

/// The figures of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Readability {
    pub words: usize,
    pub sentences: usize,
    /// Words of more than six letters.
    pub long_words: usize,
    /// The index, rounded to a whole number; 0 for a text without words.
    pub lix: u32,
    /// The longest sentences, longest first, at most three.
    pub longest: Vec<Sentence>,
    /// Whole minutes to read, at least 1 for any text.
    pub minutes: usize,
}

/// A sentence as the reader sees it, with its length in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub text: String,
    pub words: usize,
}

/// The bands of LIX, as Swedish readability guidance names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Below 30: children's books, easy-to-read texts.
    VeryEasy,
    /// 30–39: fiction, popular magazines.
    Easy,
    /// 40–49: ordinary newspaper text.
    Medium,
    /// 50–59: official texts.
    Hard,
    /// 60 and above: academic and bureaucratic prose.
    VeryHard,
}

impl Band {
    pub fn of(lix: u32) -> Band {
        match lix {
            0..30 => Band::VeryEasy,
            30..40 => Band::Easy,
            40..50 => Band::Medium,
            50..60 => Band::Hard,
            _ => Band::VeryHard,
        }
    }

    /// The band in words, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Band::VeryEasy, Lang::Sv) => "mycket lättläst",
            (Band::Easy, Lang::Sv) => "lättläst",
            (Band::Medium, Lang::Sv) => "medelsvår",
            (Band::Hard, Lang::Sv) => "svår",
            (Band::VeryHard, Lang::Sv) => "mycket svår",
            (Band::VeryEasy, Lang::En) => "very easy",
            (Band::Easy, Lang::En) => "easy",
            (Band::Medium, Lang::En) => "medium",
            (Band::Hard, Lang::En) => "difficult",
            (Band::VeryHard, Lang::En) => "very difficult",
        }
    }

    /// What texts of this band are like, in Swedish, for the editor.
    pub fn like(self) -> &'static str {
        match self {
            Band::VeryEasy => "som barnböcker och lättlästa texter",
            Band::Easy => "som skönlitteratur och populärtidningar",
            Band::Medium => "som vanlig tidningstext",
            Band::Hard => "som många myndighetstexter",
            Band::VeryHard => "som facktexter och byråkratisk svenska",
        }
    }

    /// CSS-safe name of the band.
    pub fn id(self) -> &'static str {
        match self {
            Band::VeryEasy => "very-easy",
            Band::Easy => "easy",
            Band::Medium => "medium",
            Band::Hard => "hard",
            Band::VeryHard => "very-hard",
        }
    }
}

impl Readability {
    pub fn band(&self) -> Band {
        Band::of(self.lix)
    }

    /// The figures of a page body written in Markdown.
    pub fn of_markdown(body: &str) -> Readability {
        Readability::of_blocks(blocks(body).iter().map(String::as_str))
    }

    /// The figures of plain text, whose paragraphs are separated by blank lines.
    pub fn of_text(text: &str) -> Readability {
        Readability::of_blocks(text.split("\n\n"))
    }

    fn of_blocks<'a>(blocks: impl IntoIterator<Item = &'a str>) -> Readability {
        let mut counter = Counter::default();
        for block in blocks {
            counter.block(block);
        }
        counter.finish()
    }
}

/// The text of each block a reader reads, in order.
fn blocks(body: &str) -> Vec<String> {
    if markdown::too_deep(body) {
        return vec![body.to_owned()];
    }
    let mut blocks = Vec::new();
    let mut current = String::new();
    // Inside an image (its alternative text) or a code block: not read as text.
    let mut skipping = 0_usize;
    for event in Parser::new_ext(body, markdown::options()) {
        match event {
            Event::Start(Tag::Image { .. } | Tag::CodeBlock(_)) => skipping += 1,
            Event::End(TagEnd::Image | TagEnd::CodeBlock) => skipping = skipping.saturating_sub(1),
            Event::Text(text) | Event::Code(text) if skipping == 0 => current.push_str(&text),
            Event::InlineHtml(html) | Event::Html(html) if skipping == 0 => {
                current.push_str(&markdown::strip_tags(&html));
            }
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::HtmlBlock
                | TagEnd::FootnoteDefinition,
            ) => {
                if !current.trim().is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
                current.clear();
            }
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        blocks.push(current);
    }
    blocks
}

/// Counts words and sentences block by block.
#[derive(Default)]
struct Counter {
    words: usize,
    long_words: usize,
    sentences: Vec<Sentence>,
    /// The sentence being read: its tokens and its words.
    tokens: Vec<String>,
    sentence_words: usize,
}

impl Counter {
    fn block(&mut self, block: &str) {
        for token in block.split_whitespace() {
            let core = token.trim_matches(|c: char| !c.is_alphanumeric());
            self.tokens.push(token.to_owned());
            if core.chars().any(char::is_alphanumeric) {
                self.words += 1;
                self.sentence_words += 1;
                if core.chars().filter(|c| c.is_alphabetic()).count() > 6 {
                    self.long_words += 1;
                }
            }
            if ends_sentence(token, core) {
                self.end_sentence();
            }
        }
        self.end_sentence();
    }

    fn end_sentence(&mut self) {
        if self.sentence_words > 0 {
            self.sentences.push(Sentence {
                text: quote(&self.tokens.join(" ")),
                words: self.sentence_words,
            });
        }
        self.tokens.clear();
        self.sentence_words = 0;
    }

    fn finish(self) -> Readability {
        let sentences = self.sentences.len();
        let lix = if self.words == 0 {
            0
        } else {
            let per_sentence = self.words as f64 / sentences.max(1) as f64;
            let long_share = 100.0 * self.long_words as f64 / self.words as f64;
            // Both terms are bounded by the text's length, so the sum fits easily.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let lix = (per_sentence + long_share).round() as u32;
            lix
        };
        let mut longest = self.sentences;
        // A stable sort keeps sentences of equal length in the order they are read.
        longest.sort_by_key(|sentence| std::cmp::Reverse(sentence.words));
        longest.truncate(LONGEST_SHOWN);
        Readability {
            words: self.words,
            sentences,
            long_words: self.long_words,
            lix,
            longest,
            minutes: if self.words == 0 {
                0
            } else {
                self.words.div_ceil(WORDS_PER_MINUTE)
            },
        }
    }
}

/// Whether `token` (whose letters and digits are `core`) ends a sentence.
fn ends_sentence(token: &str, core: &str) -> bool {
    // A closing quote or bracket may follow the mark: `"Klart."`, `(se nedan.)`.
    let unquoted = token.trim_end_matches(['"', '\'', ')', ']', '”', '’', '»']);
    let Some(mark) = unquoted.chars().next_back() else {
        return false;
    };
    match mark {
        '!' | '?' | ':' => true,
        '.' => {
            // "t.ex.", "bl.a.", "e.g.": a stop inside the word makes it an abbreviation.
            let abbreviated = core.contains('.')
                || ABBREVIATIONS
                    .iter()
                    .any(|abbreviation| core.eq_ignore_ascii_case(abbreviation));
            !abbreviated && !core.is_empty()
        }
        _ => false,
    }
}

/// `text` cut to [`QUOTE_CHARS`] characters at a word, with "…" when cut.
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(QUOTE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lix_of_a_short_swedish_text() {
        // "Kommunen arbetar med målen. Det går bra."
        // Words: Kommunen, arbetar, med, målen, Det, går, bra = 7; sentences: 2;
        // long words (more than six letters): Kommunen (8), arbetar (7) = 2.
        // LIX = 7 / 2 + 100 × 2 / 7 = 3.5 + 28.57 = 32.07, so 32: "lättläst".
        let figures = Readability::of_text("Kommunen arbetar med målen. Det går bra.");
        assert_eq!(figures.words, 7);
        assert_eq!(figures.sentences, 2);
        assert_eq!(figures.long_words, 2);
        assert_eq!(figures.lix, 32);
        assert_eq!(figures.band(), Band::Easy);
        assert_eq!(figures.minutes, 1);
    }

    #[test]
    fn lix_of_a_dense_official_sentence() {
        // "Verksamhetsplaneringen förutsätter kommunövergripande samverkansformer."
        // 4 words in 1 sentence, every one long: Verksamhetsplaneringen (22), förutsätter (11),
        // kommunövergripande (18), samverkansformer (16).
        // LIX = 4 / 1 + 100 × 4 / 4 = 104: "mycket svår".
        let figures = Readability::of_text(
            "Verksamhetsplaneringen förutsätter kommunövergripande samverkansformer.",
        );
        assert_eq!(
            (figures.words, figures.sentences, figures.long_words),
            (4, 1, 4)
        );
        assert_eq!(figures.lix, 104);
        assert_eq!(figures.band(), Band::VeryHard);
    }

    #[test]
    fn lix_of_english() {
        // "The goals are clear. Municipalities cooperate internationally!"
        // Words 7 (The, goals, are, clear, Municipalities, cooperate, internationally); sentences 2;
        // long: Municipalities (14), cooperate (9), internationally (15) = 3.
        // LIX = 7 / 2 + 100 × 3 / 7 = 3.5 + 42.86 = 46.36, so 46: "medium".
        let figures =
            Readability::of_text("The goals are clear. Municipalities cooperate internationally!");
        assert_eq!(figures.lix, 46);
        assert_eq!(figures.band().label(Lang::En), "medium");
    }

    #[test]
    fn abbreviations_and_numbers_do_not_end_sentences() {
        // One sentence of 10 words: Vi, arbetar, t.ex., med, ca., 2,5, miljoner, kr, i, år.
        let figures = Readability::of_text("Vi arbetar t.ex. med ca. 2,5 miljoner kr i år.");
        assert_eq!(figures.sentences, 1);
        assert_eq!(figures.words, 10);
    }

    #[test]
    fn markdown_blocks_end_sentences_and_code_and_alt_texts_are_not_read() {
        let body = "## Om projektet\n\nProjektet började 2008. Det pågår\n\n- en punkt\n- en till\n\n\
                    ![En karta över Sverige med många kommuner](/media/1/karta.jpg)\n\n\
                    ```\nlet x = verylongidentifier;\n```\n\n[Läs rapporten](https://example.se/a/b)";
        let figures = Readability::of_markdown(body);
        // Sentences: "Om projektet" / "Projektet började 2008." / "Det pågår" / "en punkt" /
        // "en till" / "Läs rapporten" = 6; words 2 + 3 + 2 + 2 + 2 + 2 = 13.
        assert_eq!(figures.sentences, 6, "{figures:?}");
        assert_eq!(figures.words, 13);
        // Long: projektet, Projektet, rapporten (9 letters each) and började (7) = 4.
        assert_eq!(figures.long_words, 4);
    }

    #[test]
    fn the_three_longest_sentences_are_quoted_longest_first() {
        let text = "Kort. En mening med fem ord. En något längre mening med sju ord. \
                    Tre ord här. Den allra längsta meningen i den här texten har elva ord.";
        let figures = Readability::of_text(text);
        let longest: Vec<(usize, &str)> = figures
            .longest
            .iter()
            .map(|sentence| (sentence.words, sentence.text.as_str()))
            .collect();
        assert_eq!(
            longest,
            [
                (
                    11,
                    "Den allra längsta meningen i den här texten har elva ord."
                ),
                (7, "En något längre mening med sju ord."),
                (5, "En mening med fem ord."),
            ]
        );
    }

    #[test]
    fn empty_text_has_no_figures() {
        let figures = Readability::of_markdown("");
        assert_eq!((figures.words, figures.sentences, figures.lix), (0, 0, 0));
        assert_eq!(figures.minutes, 0);
        assert!(figures.longest.is_empty());
    }

    #[test]
    fn reading_time_at_two_hundred_words_a_minute() {
        let text = "ord ".repeat(401);
        assert_eq!(Readability::of_text(&text).minutes, 3);
    }

    #[test]
    fn bands_have_their_bounds() {
        assert_eq!(Band::of(29), Band::VeryEasy);
        assert_eq!(Band::of(30), Band::Easy);
        assert_eq!(Band::of(45), Band::Medium);
        assert_eq!(Band::of(50), Band::Hard);
        assert_eq!(Band::of(60), Band::VeryHard);
    }
}
