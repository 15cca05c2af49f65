//! The file format of a page: TOML front matter between `+++` lines, then Markdown.
//!
//! ```text
//! +++
//! title = "Om SKL International"
//! path = "om-oss"
//! menu_order = 1
//! +++
//!
//! SKL International är ett konsultbolag …
//! ```
//!
//! [`write()`] produces exactly what [`parse`] reads, so import followed by export gives the same bytes.

use serde::{Deserialize, Serialize};

use crate::vocab::Kind;

/// The settings of a page, as an author writes them. Fields are written in this order on export, and
/// fields left at their default are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The page's heading and the title of its browser tab. Required.
    pub title: String,
    /// Address below the language root, without slashes at either end: `om-oss`,
    /// `millenniekommun/millenniemalen`. The home page has `path = ""`. Required.
    pub path: String,
    /// One or two sentences for search engines and link previews.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `page` (the default) or `news`.
    #[serde(default, skip_serializing_if = "Kind::is_page")]
    pub kind: Kind,
    /// When the page is dated and becomes visible: `2012-12-14`, `2012-12` (shown as a month only), or a
    /// full timestamp. A future date schedules the page. News items need one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Position in the main menu, smallest first; leave it out to keep the page out of the menu. Only
    /// pages without a parent appear in the main menu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_order: Option<i64>,
    /// Path of the parent page in the same language, for breadcrumbs and section listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Shared by a page and its translation, so that the language switch can link them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_key: Option<String>,
    /// The page's subject has ended; it stays public with a notice saying so.
    #[serde(default, skip_serializing_if = "is_false")]
    pub archived: bool,
    /// Not yet for visitors.
    #[serde(default, skip_serializing_if = "is_false")]
    pub draft: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A page file: its front matter and its Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub front: FrontMatter,
    /// The Markdown, without the blank line after the front matter and without trailing whitespace.
    pub body: String,
    /// Where each setting and the body stand in the file, for messages.
    pub lines: Lines,
}

/// The lines (from 1) of a page file's settings and of its body, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    settings: Vec<(String, usize)>,
    body: usize,
}

impl Lines {
    /// The line of setting `key`, or of the front matter's start when it has none.
    pub fn of(&self, key: &str) -> usize {
        self.settings
            .iter()
            .find(|(name, _)| name == key)
            .map_or(1, |(_, line)| *line)
    }

    /// The first line of the body.
    pub fn body(&self) -> usize {
        self.body
    }
}

const FENCE: &str = "+++";

/// Reads a page file, with an explanation of how to fix it when it cannot be read.
pub fn parse(text: &str) -> Result<Document, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix(FENCE)
        .and_then(|rest| {
            rest.strip_prefix('\n')
                .or_else(|| rest.strip_prefix("\r\n"))
        })
        .ok_or(
            "the file must start with a `+++` line; did you forget the front matter, or use `---`?",
        )?;
    let (toml_text, body) = split_at_closing_fence(rest)
        .ok_or("the front matter has no closing `+++` line; did you forget to add it?")?;
    let front: FrontMatter = toml::from_str(toml_text)
        .map_err(|err| format!("the front matter is not valid: {}", err.message()))?;
    if front.title.trim().is_empty() {
        return Err("the front matter needs a `title`".to_owned());
    }
    let settings = toml_text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (key, _) = line.split_once('=')?;
            Some((key.trim().to_owned(), index + 2))
        })
        .collect();
    let front_lines = 2 + toml_text.lines().count();
    let skipped = body.len() - body.trim_start_matches(['\r', '\n']).len();
    let blank_lines = body[..skipped].matches('\n').count();
    let lines = Lines {
        settings,
        body: front_lines + blank_lines + 1,
    };
    let body = body.trim_start_matches(['\r', '\n']).trim_end().to_owned();
    Ok(Document { front, body, lines })
}

/// Finds the line that is exactly `+++` and returns what comes before and after it.
fn split_at_closing_fence(text: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == FENCE {
            return Some((&text[..offset], &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// Writes a page file in the form [`parse`] reads.
pub fn write(document: &Document) -> Result<String, toml::ser::Error> {
    let toml_text = toml::to_string(&document.front)?;
    let mut out = String::with_capacity(toml_text.len() + document.body.len() + 16);
    out.push_str(FENCE);
    out.push('\n');
    out.push_str(&toml_text);
    if !toml_text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(FENCE);
    out.push('\n');
    if !document.body.is_empty() {
        out.push('\n');
        out.push_str(&document.body);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "+++\ntitle = \"Om oss\"\npath = \"om-oss\"\nmenu_order = 1\n+++\n\nHej.\n";

    #[test]
    fn reads_front_matter_and_body() {
        let doc = parse(SAMPLE).expect("valid");
        assert_eq!(doc.front.title, "Om oss");
        assert_eq!(doc.front.path, "om-oss");
        assert_eq!(doc.front.menu_order, Some(1));
        assert_eq!(doc.front.kind, Kind::Page);
        assert_eq!(doc.body, "Hej.");
    }

    #[test]
    fn writes_what_it_reads() {
        let doc = parse(SAMPLE).expect("valid");
        assert_eq!(write(&doc).expect("serialisable"), SAMPLE);
    }

    #[test]
    fn explains_a_missing_fence() {
        let err = parse("---\ntitle = \"x\"\n---\n").expect_err("invalid");
        assert!(err.contains("`+++`"), "{err}");
        let err = parse("+++\ntitle = \"x\"\npath = \"\"\n").expect_err("invalid");
        assert!(err.contains("closing"), "{err}");
    }

    #[test]
    fn refuses_unknown_settings_and_missing_titles() {
        let err =
            parse("+++\ntitle = \"x\"\npath = \"\"\ncolour = \"red\"\n+++\n").expect_err("invalid");
        assert!(err.contains("colour"), "{err}");
        assert!(parse("+++\ntitle = \" \"\npath = \"\"\n+++\n").is_err());
        assert!(parse("+++\npath = \"\"\n+++\n").is_err());
    }
}
