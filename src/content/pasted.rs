//! Text pasted from Word, Google Docs or a web page, as Markdown.
//!
//! Headings, paragraphs, bulleted and numbered lists, bold and italic, links, quotes and tables
//! come across; what Markdown cannot say (scripts, styles, forms, embedded objects, images that
//! live only on the writer's computer) is left out. What comes out is never raw HTML: it is
//! Markdown, which the page renders and sanitises like any other text.
//!
//! The browser tidies what only a live document can tell before it sends the clipboard here
//! (Word's lists, which it writes as paragraphs with a marker, and Google Docs' bold written as a
//! style); this module does the conversion itself, with [`htmd`].

use std::sync::LazyLock;

use htmd::{
    Element, HtmlToMarkdown,
    element_handler::Handlers,
    options::{BulletListMarker, HeadingStyle, Options},
};

/// The most HTML one paste may send: a long report from Word with its styles is well below it.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// Elements whose content is not text to keep.
const LEFT_OUT: [&str; 20] = [
    "script", "style", "head", "title", "meta", "link", "noscript", "iframe", "object", "embed",
    "svg", "math", "template", "form", "button", "input", "select", "textarea", "canvas", "video",
];

static CONVERTER: LazyLock<HtmlToMarkdown> = LazyLock::new(|| {
    HtmlToMarkdown::builder()
        .skip_tags(LEFT_OUT.to_vec())
        .options(Options {
            heading_style: HeadingStyle::Atx,
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Options::default()
        })
        .add_handler(vec!["img"], |handlers: &dyn Handlers, element: Element| {
            // An image the site can show is kept; one on the writer's disk (`file:`), inside the
            // clipboard (`data:`) or behind a script is not.
            attribute(&element, "src")
                .is_some_and(shown_address)
                .then(|| handlers.fallback(element))
                .flatten()
        })
        .add_handler(vec!["a"], |handlers: &dyn Handlers, element: Element| {
            // A link to somewhere a visitor can go is kept; any other keeps only its text.
            if attribute(&element, "href").is_some_and(followed_address) {
                handlers.fallback(element)
            } else {
                Some(handlers.walk_children(element.node))
            }
        })
        .build()
});

/// `html`, as a clipboard holds it, written as Markdown.
pub fn markdown(html: &str) -> String {
    let converted = CONVERTER.convert(html).unwrap_or_default();
    tidy(&converted)
}

/// The value of the attribute `name` of `element`.
fn attribute<'a>(element: &'a Element, name: &str) -> Option<&'a str> {
    element
        .attrs
        .iter()
        .find(|attribute| &*attribute.name.local == name)
        .map(|attribute| &*attribute.value)
}

/// An address a visitor's browser can show an image from.
fn shown_address(address: &str) -> bool {
    let address = address.trim();
    let lower = address.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || address.starts_with('/')
}

/// An address a visitor can follow: the web, e-mail, a telephone number, this site or a place on
/// the page.
fn followed_address(address: &str) -> bool {
    let lower = address.trim().to_ascii_lowercase();
    shown_address(address)
        || lower.starts_with("mailto:")
        || lower.starts_with("tel:")
        || lower.starts_with('#')
}

/// Markdown as an editor would have typed it: no spaces at line ends, at most one empty line in a
/// row, nothing empty around it.
fn tidy(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut empty_lines = 0;
    for line in markdown.trim().lines() {
        // Two spaces at a line's end are a hard break in Markdown; keep those, drop the rest.
        let trimmed = line.trim_end();
        let line = if line.ends_with("  ") && !trimmed.is_empty() {
            line
        } else {
            trimmed
        };
        if line.is_empty() {
            empty_lines += 1;
            if empty_lines > 1 {
                continue;
            }
        } else {
            empty_lines = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_and_emphasis_come_across() {
        let markdown = markdown(
            "<h2>Om projektet</h2><p>Ett <b>viktigt</b> ord och <i>ett till</i>.</p>\
             <ul><li>medborgardialog</li><li>budgetarbete</li></ul><ol><li>ett</li><li>två</li></ol>\
             <blockquote><p>Ett citat</p></blockquote>",
        );
        assert_eq!(
            markdown,
            "## Om projektet\n\nEtt **viktigt** ord och *ett till*.\n\n- medborgardialog\n- budgetarbete\n\n1. ett\n2. två\n\n> Ett citat"
        );
    }

    #[test]
    fn a_table_with_a_head_becomes_a_markdown_table() {
        let markdown = markdown(
            "<table><thead><tr><th>Land</th><th>Kommuner</th></tr></thead>\
             <tbody><tr><td>Sverige</td><td>290</td></tr></tbody></table>",
        );
        let rows: Vec<&str> = markdown.lines().collect();
        assert_eq!(rows.len(), 3, "{markdown}");
        assert!(rows[0].starts_with("| Land") && rows[0].contains("| Kommuner"));
        assert!(rows[1].starts_with("| ---"));
        assert!(rows[2].contains("Sverige") && rows[2].contains("290"));
    }

    #[test]
    fn scripts_styles_and_unsafe_addresses_are_left_out() {
        let markdown = markdown(
            "<style>p { color: red }</style><script>alert(1)</script>\
             <p><a href=\"javascript:alert(1)\">farlig</a> och <a href=\"https://skl.se/\">säker</a></p>\
             <p><img src=\"file:///C:/Users/anna/bild.png\" alt=\"lokal\">\
             <img src=\"https://example.se/bild.png\" alt=\"Karta\"></p>",
        );
        assert!(!markdown.contains("alert"), "{markdown}");
        assert!(!markdown.contains("color"), "{markdown}");
        assert!(!markdown.contains("file:"), "{markdown}");
        assert!(
            markdown.contains("farlig och [säker](https://skl.se/)"),
            "{markdown}"
        );
        assert!(
            markdown.contains("![Karta](https://example.se/bild.png)"),
            "{markdown}"
        );
    }

    #[test]
    fn markdown_characters_in_text_stay_text() {
        let markdown = markdown("<p>1. inte en lista, och *inte kursiv*</p>");
        let html = crate::content::markdown::render(&markdown);
        assert!(!html.contains("<ol"), "{html}");
        assert!(!html.contains("<em>"), "{html}");
        assert!(html.contains("*inte kursiv*"), "{html}");
    }

    #[test]
    fn empty_lines_are_at_most_one_in_a_row() {
        assert_eq!(
            markdown("<p>Ett</p><p></p><p>&nbsp;</p><br><br><p>Två</p>"),
            "Ett\n\nTvå"
        );
        assert_eq!(tidy("a  \nb \n\n\n\nc\n\n"), "a  \nb\n\nc");
    }
}
