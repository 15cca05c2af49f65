//! The rules of writing help, in one table: each rule's id, severity, message in Swedish and
//! English, and the WCAG success criterion it serves; and the checks of a page body's Markdown that
//! find where a text breaks them, line by line.
//!
//! Findings are advice: saving always works. An error is something that keeps some readers from the
//! content (an image without alternative text, a table without headers); a warning makes it harder.
//! `skl-cms check` exits with 1 when it finds an error.

use std::{collections::HashMap, ops::Range};

use pulldown_cmark::{Event, LinkType, Parser, Tag, TagEnd};

use crate::{content::markdown, lang::Lang, media, media::Library};

/// A paragraph longer than this many words gets a warning.
pub const LONG_PARAGRAPH_WORDS: usize = 100;

/// This many words in capitals in a row get a warning; fewer are abbreviations ("SKL", "EU").
pub const CAPITAL_WORDS: usize = 4;

/// Link texts that say nothing out of context, in either language, compared without case and
/// without punctuation around them.
const VAGUE_LINK_TEXTS: &[&str] = &[
    "klicka här",
    "klicka",
    "här",
    "läs mer",
    "läs mer här",
    "mer",
    "mer info",
    "mer information",
    "länk",
    "den här länken",
    "denna länk",
    "click here",
    "click",
    "here",
    "read more",
    "more",
    "more info",
    "link",
    "this link",
];

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Keeps some readers from the content.
    Error,
    /// Makes the content harder to use.
    Warning,
}

impl Severity {
    pub fn id(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Error, Lang::Sv) => "Fel",
            (Severity::Warning, Lang::Sv) => "Varning",
            (Severity::Error, Lang::En) => "Error",
            (Severity::Warning, Lang::En) => "Warning",
        }
    }
}

/// A success criterion of WCAG 2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criterion {
    /// "1.1.1"
    pub number: &'static str,
    /// Its name in the W3C's authorised Swedish translation.
    pub name_sv: &'static str,
    pub name_en: &'static str,
    /// Its level: "A", "AA" or "AAA".
    pub level: &'static str,
    /// The page of W3C's "Understanding WCAG 2.1" on it.
    pub url: &'static str,
}

impl Criterion {
    pub fn name(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Sv => self.name_sv,
            Lang::En => self.name_en,
        }
    }
}

const NON_TEXT_CONTENT: Criterion = Criterion {
    number: "1.1.1",
    name_sv: "Icke-textbaserat innehåll",
    name_en: "Non-text Content",
    level: "A",
    url: "https://www.w3.org/WAI/WCAG21/Understanding/non-text-content.html",
};

const INFO_AND_RELATIONSHIPS: Criterion = Criterion {
    number: "1.3.1",
    name_sv: "Information och relationer",
    name_en: "Info and Relationships",
    level: "A",
    url: "https://www.w3.org/WAI/WCAG21/Understanding/info-and-relationships.html",
};

const LINK_PURPOSE: Criterion = Criterion {
    number: "2.4.4",
    name_sv: "Länkars syfte (i sammanhanget)",
    name_en: "Link Purpose (In Context)",
    level: "A",
    url: "https://www.w3.org/WAI/WCAG21/Understanding/link-purpose-in-context.html",
};

const HEADINGS_AND_LABELS: Criterion = Criterion {
    number: "2.4.6",
    name_sv: "Rubriker och ledtexter",
    name_en: "Headings and Labels",
    level: "AA",
    url: "https://www.w3.org/WAI/WCAG21/Understanding/headings-and-labels.html",
};

const READING_LEVEL: Criterion = Criterion {
    number: "3.1.5",
    name_sv: "Läsnivå",
    name_en: "Reading Level",
    level: "AAA",
    url: "https://www.w3.org/WAI/WCAG21/Understanding/reading-level.html",
};

/// The rules, each a thing a text can do wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    ImageWithoutAlt,
    FileNameAsAlt,
    HeadingLevelOne,
    SkippedHeadingLevel,
    EmptyHeading,
    EmptyLink,
    VagueLinkText,
    UrlAsLinkText,
    SameTextOtherPlace,
    TableWithoutHeader,
    Capitals,
    LongParagraph,
    /// A link to an address on the site that does not answer (see `writing::links`).
    BrokenLink,
}

/// One row of the table of rules.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub message_sv: &'static str,
    pub message_en: &'static str,
    /// The criterion the rule serves; a broken link serves none, it is simply broken.
    pub wcag: Option<Criterion>,
}

impl Rule {
    pub const ALL: [Rule; 13] = [
        Rule::ImageWithoutAlt,
        Rule::FileNameAsAlt,
        Rule::HeadingLevelOne,
        Rule::SkippedHeadingLevel,
        Rule::EmptyHeading,
        Rule::EmptyLink,
        Rule::VagueLinkText,
        Rule::UrlAsLinkText,
        Rule::SameTextOtherPlace,
        Rule::TableWithoutHeader,
        Rule::Capitals,
        Rule::LongParagraph,
        Rule::BrokenLink,
    ];

    /// The rule's row of the table.
    pub fn info(self) -> RuleInfo {
        use Severity::{Error, Warning};
        let (id, severity, message_sv, message_en, wcag) = match self {
            Rule::ImageWithoutAlt => (
                "image-alt",
                Error,
                "Bilden saknar alternativtext, så den som inte ser den får inte veta vad den visar: skriv vad bilden visar, eller markera den som dekorativ i biblioteket.",
                "The image has no alt text, so those who cannot see it do not learn what it shows: say what it shows, or mark it decorative in the library.",
                Some(NON_TEXT_CONTENT),
            ),
            Rule::FileNameAsAlt => (
                "image-alt-file-name",
                Error,
                "Alternativtexten är ett filnamn, som inte säger vad bilden visar: beskriv bilden med ord.",
                "The alt text is a file name, which does not say what the image shows: describe it in words.",
                Some(NON_TEXT_CONTENT),
            ),
            Rule::HeadingLevelOne => (
                "heading-level-one",
                Warning,
                "Sidans rubrik är redan rubrik på nivå 1: börja textens rubriker på nivå 2 (##).",
                "The page's title is already the level 1 heading: start the body's headings at level 2 (##).",
                Some(INFO_AND_RELATIONSHIPS),
            ),
            Rule::SkippedHeadingLevel => (
                "heading-skipped-level",
                Warning,
                "Rubriken hoppar över en nivå, så den som navigerar efter rubriker tappar strukturen: ta nästa nivå i ordning.",
                "The heading skips a level, so those who move by headings lose the structure: use the next level in order.",
                Some(INFO_AND_RELATIONSHIPS),
            ),
            Rule::EmptyHeading => (
                "heading-empty",
                Error,
                "Rubriken är tom, och skärmläsare läser upp en rubrik utan innehåll: skriv rubriken eller ta bort raden.",
                "The heading is empty, and screen readers announce a heading with nothing in it: write it or remove the line.",
                Some(HEADINGS_AND_LABELS),
            ),
            Rule::EmptyLink => (
                "link-empty",
                Error,
                "Länken har ingen text, så den kan varken läsas upp eller förstås: skriv vart den leder.",
                "The link has no text, so it can be neither read out nor understood: say where it leads.",
                Some(LINK_PURPOSE),
            ),
            Rule::VagueLinkText => (
                "link-vague",
                Warning,
                "Länktexten säger inte vart länken leder när den läses för sig, som i skärmläsarens lista över länkar: skriv vad man hittar där.",
                "The link text does not say where it leads when read on its own, as in a screen reader's list of links: say what is there.",
                Some(LINK_PURPOSE),
            ),
            Rule::UrlAsLinkText => (
                "link-url-text",
                Warning,
                "Länktexten är en webbadress, som är svår att läsa och att lyssna på: skriv vad man hittar där.",
                "The link text is a web address, which is hard to read and to listen to: say what is there.",
                Some(LINK_PURPOSE),
            ),
            Rule::SameTextOtherPlace => (
                "link-same-text",
                Warning,
                "Två länkar har samma text men leder till olika ställen: ge dem texter som skiljer dem åt.",
                "Two links have the same text but lead to different places: give them texts that tell them apart.",
                Some(LINK_PURPOSE),
            ),
            Rule::TableWithoutHeader => (
                "table-header",
                Error,
                "Tabellen saknar rubrikrad, så skärmläsare kan inte säga vad cellerna står för: skriv kolumnernas rubriker på första raden.",
                "The table has no header row, so screen readers cannot say what its cells mean: put the columns' headings in the first row.",
                Some(INFO_AND_RELATIONSHIPS),
            ),
            Rule::Capitals => (
                "capitals",
                Warning,
                "Text med bara versaler är svår att läsa, och vissa skärmläsare bokstaverar den: skriv med vanliga bokstäver och använd fetstil för betoning.",
                "Text in capitals is hard to read, and some screen readers spell it out: write it normally and use bold for emphasis.",
                Some(READING_LEVEL),
            ),
            Rule::LongParagraph => (
                "paragraph-long",
                Warning,
                "Stycket är långt och tungt att läsa: dela det i kortare stycken med en tanke i varje.",
                "The paragraph is long and heavy to read: split it into shorter ones with one idea each.",
                Some(READING_LEVEL),
            ),
            Rule::BrokenLink => (
                "link-broken",
                Error,
                "Länken leder till en adress på webbplatsen där det inte finns någon sida eller fil: rätta adressen eller ta bort länken.",
                "The link leads to an address on the site where there is no page or file: correct it or remove the link.",
                None,
            ),
        };
        RuleInfo {
            id,
            severity,
            message_sv,
            message_en,
            wcag,
        }
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// What is wrong and how to fix it, in one sentence.
    pub fn message(self, lang: Lang) -> &'static str {
        let info = self.info();
        match lang {
            Lang::Sv => info.message_sv,
            Lang::En => info.message_en,
        }
    }

    pub fn wcag(self) -> Option<Criterion> {
        self.info().wcag
    }
}

/// One place where a text breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// The line of the Markdown it starts on, from 1.
    pub line: usize,
    /// What was found there, as the editor wrote it ("klicka här", "## → ####"), or counted, in
    /// the editors' language ("142 ord").
    pub detail: String,
}

impl Finding {
    fn new(rule: Rule, line: usize, detail: impl Into<String>) -> Finding {
        Finding {
            rule,
            line,
            detail: detail.into(),
        }
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }
}

/// Line numbers of byte offsets in a text.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect(),
        )
    }

    /// The line, from 1, that byte `offset` is on.
    fn at(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Where a link or an image began, and what it says so far.
struct Open {
    line: usize,
    dest: String,
    text: String,
    link_type: LinkType,
    /// A link holding an image is named by the image's alternative text.
    holds_image: bool,
}

/// Checks a page body in `lang`, whose library images are `library`, against every rule but
/// [`Rule::BrokenLink`] (which needs the site: see `writing::links`). Findings come in the order
/// of the text.
pub fn check(body: &str, lang: Lang, library: &Library) -> Vec<Finding> {
    if markdown::too_deep(body) {
        return Vec::new();
    }
    let lines = Lines::of(body);
    let mut findings = Vec::new();
    let mut last_heading: Option<u8> = None;
    let mut heading: Option<(usize, u8, String)> = None;
    let mut links: Vec<Open> = Vec::new();
    let mut image: Option<Open> = None;
    let mut link_places: HashMap<String, (String, usize)> = HashMap::new();
    let mut paragraph: Option<(usize, usize)> = None;
    let mut table_head: Option<(usize, String)> = None;
    let mut capitals = Capitals::default();
    let mut in_code = false;

    for (event, range) in Parser::new_ext(body, markdown::options()).into_offset_iter() {
        let line = lines.at(range.start);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let level = level as u8;
                if level == 1 {
                    findings.push(Finding::new(
                        Rule::HeadingLevelOne,
                        line,
                        source_line(body, &range),
                    ));
                } else {
                    let above = last_heading.unwrap_or(1);
                    if level > above + 1 {
                        findings.push(Finding::new(
                            Rule::SkippedHeadingLevel,
                            line,
                            format!(
                                "{} → {}",
                                "#".repeat(above.into()),
                                "#".repeat(level.into())
                            ),
                        ));
                    }
                }
                last_heading = Some(level);
                heading = Some((line, level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((line, level, text)) = heading.take()
                    && text.trim().is_empty()
                {
                    findings.push(Finding::new(
                        Rule::EmptyHeading,
                        line,
                        "#".repeat(level.into()),
                    ));
                }
                capitals.end(&mut findings);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => links.push(Open {
                line,
                dest: dest_url.to_string(),
                text: String::new(),
                link_type,
                holds_image: false,
            }),
            Event::End(TagEnd::Link) => {
                if let Some(link) = links.pop() {
                    check_link(&link, &mut link_places, &mut findings);
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(link) = links.last_mut() {
                    link.holds_image = true;
                }
                image = Some(Open {
                    line,
                    dest: dest_url.to_string(),
                    text: String::new(),
                    link_type: LinkType::Inline,
                    holds_image: false,
                });
            }
            Event::End(TagEnd::Image) => {
                if let Some(image) = image.take() {
                    check_image(&image, lang, library, &mut findings);
                    if let Some(link) = links.last_mut() {
                        link.text.push_str(&image.text);
                    }
                }
            }
            Event::Start(Tag::Paragraph) => paragraph = Some((line, 0)),
            Event::End(TagEnd::Paragraph) => {
                if let Some((line, words)) = paragraph.take()
                    && words > LONG_PARAGRAPH_WORDS
                {
                    findings.push(Finding::new(
                        Rule::LongParagraph,
                        line,
                        format!("{words} ord"),
                    ));
                }
                capitals.end(&mut findings);
            }
            Event::End(TagEnd::Item | TagEnd::TableCell | TagEnd::BlockQuote(_)) => {
                capitals.end(&mut findings);
            }
            Event::Start(Tag::TableHead) => table_head = Some((line, String::new())),
            Event::End(TagEnd::TableHead) => {
                if let Some((line, text)) = table_head.take()
                    && text.trim().is_empty()
                {
                    findings.push(Finding::new(
                        Rule::TableWithoutHeader,
                        line,
                        source_line(body, &range),
                    ));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(ref text) | Event::Code(ref text) if !in_code => {
                if let Some(image) = &mut image {
                    image.text.push_str(text);
                    continue;
                }
                if let Some((_, _, heading)) = &mut heading {
                    heading.push_str(text);
                }
                if let Some(link) = links.last_mut() {
                    link.text.push_str(text);
                }
                if let Some((_, head)) = &mut table_head {
                    head.push_str(text);
                }
                if let Some((_, words)) = &mut paragraph {
                    *words += text.split_whitespace().count();
                }
                if matches!(event, Event::Text(_)) {
                    capitals.read(text, line);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(link) = links.last_mut() {
                    link.text.push(' ');
                }
            }
            _ => {}
        }
    }
    capitals.end(&mut findings);
    findings.sort_by_key(|finding| finding.line);
    findings
}

/// The source of the line a range starts on, trimmed, for a finding's detail.
fn source_line(body: &str, range: &Range<usize>) -> String {
    let start = body[..range.start].rfind('\n').map_or(0, |at| at + 1);
    let end = body[range.start..]
        .find('\n')
        .map_or(body.len(), |at| range.start + at);
    body[start..end].trim().to_owned()
}

fn check_image(image: &Open, lang: Lang, library: &Library, findings: &mut Vec<Finding>) {
    let alt = image.text.trim();
    let from_library = media::id_in(&image.dest).and_then(|id| library.get(id));
    if alt.is_empty() {
        match from_library {
            Some(file) if file.decorative => {}
            Some(file) if !file.alt(lang).trim().is_empty() => {
                if looks_like_file_name(file.alt(lang)) {
                    findings.push(Finding::new(
                        Rule::FileNameAsAlt,
                        image.line,
                        file.alt(lang).trim(),
                    ));
                }
            }
            _ => findings.push(Finding::new(
                Rule::ImageWithoutAlt,
                image.line,
                image.dest.clone(),
            )),
        }
    } else if looks_like_file_name(alt) {
        findings.push(Finding::new(Rule::FileNameAsAlt, image.line, alt));
    }
}

fn check_link(
    link: &Open,
    places: &mut HashMap<String, (String, usize)>,
    findings: &mut Vec<Finding>,
) {
    let text = link.text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        findings.push(Finding::new(Rule::EmptyLink, link.line, link.dest.clone()));
        return;
    }
    if matches!(link.link_type, LinkType::Email) {
        return;
    }
    let key = text
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if VAGUE_LINK_TEXTS.contains(&key.as_str()) {
        findings.push(Finding::new(Rule::VagueLinkText, link.line, text.clone()));
    } else if looks_like_url(&text) && !link.holds_image {
        findings.push(Finding::new(Rule::UrlAsLinkText, link.line, text.clone()));
    }
    let dest = same_place(&link.dest);
    match places.get(&key) {
        Some((first, line)) if *first != dest => findings.push(Finding::new(
            Rule::SameTextOtherPlace,
            link.line,
            format!("{text}: {first} (rad {line}), {}", link.dest),
        )),
        Some(_) => {}
        None => {
            places.insert(key, (dest, link.line));
        }
    }
}

/// An address as far as "the same place" goes: without a trailing slash or an empty fragment.
fn same_place(dest: &str) -> String {
    let dest = dest.trim().trim_end_matches('#');
    let trimmed = dest.trim_end_matches('/');
    if trimmed.is_empty() { dest } else { trimmed }.to_owned()
}

fn looks_like_url(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.")
}

/// Whether an alternative text is a file name or a camera's name for a picture, rather than words:
/// "karta.jpg", "IMG_2034", "DSC01234", "bild1".
fn looks_like_file_name(alt: &str) -> bool {
    let alt = alt.trim();
    let lower = alt.to_lowercase();
    let extension = [
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".tif", ".tiff", ".heic",
    ]
    .iter()
    .any(|extension| lower.ends_with(extension));
    let camera = [
        "img_",
        "img-",
        "dsc",
        "dscn",
        "dcim",
        "pxl_",
        "screenshot",
        "skärmbild",
    ]
    .iter()
    .any(|prefix| lower.starts_with(prefix))
        && !alt.contains(' ');
    let no_words =
        !alt.contains(' ') && alt.contains(['_', '-']) && alt.chars().any(|c| c.is_ascii_digit());
    extension || camera || no_words
}

/// Finds the first run of words in capitals in each block.
#[derive(Default)]
struct Capitals {
    run: Vec<String>,
    line: usize,
    found: Option<(usize, String)>,
}

impl Capitals {
    fn read(&mut self, text: &str, line: usize) {
        for word in text.split_whitespace() {
            let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
            if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
                if self.run.is_empty() {
                    self.line = line;
                }
                self.run.push(word.to_owned());
            } else if !letters.is_empty() {
                // Numbers and dashes between words in capitals keep the run going.
                self.close();
            }
        }
    }

    fn close(&mut self) {
        if self.run.len() >= CAPITAL_WORDS && self.found.is_none() {
            self.found = Some((self.line, self.run.join(" ")));
        }
        self.run.clear();
    }

    /// The end of a block: reports its run, if it had one.
    fn end(&mut self, findings: &mut Vec<Finding>) {
        self.close();
        if let Some((line, words)) = self.found.take() {
            findings.push(Finding::new(Rule::Capitals, line, words));
        }
    }
}

/// Whether any of `findings` is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|finding| finding.severity() == Severity::Error)
}

#[cfg(test)]
mod tests;
