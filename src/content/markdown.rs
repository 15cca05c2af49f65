//! Markdown to safe HTML.
//!
//! pulldown-cmark turns Markdown into HTML and passes any raw HTML in the source straight through, so
//! its output is never trusted: it always goes through an ammonia allow-list before it is stored. The
//! result is rendered once, when a page is saved, and kept beside the Markdown in the database.

use std::{collections::HashSet, sync::LazyLock};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::{
    ids::MediaId,
    lang::Lang,
    media::{self, Embedded, Library},
    vocab::MediaType,
};

/// Element ids used by the page layout itself; headings never take them, so a heading called "Content"
/// cannot break the skip link.
const LAYOUT_IDS: &[&str] = &["content", "main-menu"];

/// The allow-list. Anything not named here (scripts, styles, event handlers, iframes, SVG, forms,
/// comments, `javascript:` and `data:` URLs) is removed.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        // Links in page bodies may lead anywhere; the linked page gets neither `window.opener` nor
        // a referrer.
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .add_tag_attributes("h5", &["id"])
        .add_tag_attributes("h6", &["id"])
        .add_tag_attributes("h1", &["id"])
        // Footnotes: the reference links to the definition by id.
        .add_tag_attributes("div", &["id"])
        // Images of the library: responsive, with their size known before they load.
        .add_tags(["picture", "source", "figure", "figcaption"])
        .add_tag_attributes("img", &["srcset", "sizes", "loading", "decoding"])
        .add_tag_attributes("source", &["srcset", "sizes", "type", "width", "height"])
        .attribute_filter(|element, attribute, value| match attribute {
            // `srcset` is not checked by the URL rules: only the library's own addresses pass.
            "srcset" if !only_library_urls(value) => None,
            "type" if element == "source" && !value.starts_with("image/") => None,
            _ => Some(value.into()),
        })
        .add_allowed_classes("span", &["file-info"])
        .add_allowed_classes("div", &["footnote-definition"])
        .add_allowed_classes("sup", &["footnote-reference", "footnote-definition-label"]);
    builder
});

/// How deeply elements may nest in a page body. Real pages stay under ten (a list in a quote in a
/// list); thousands of levels, which a megabyte of `> > > …` or `<div><div>…` asks for, would make
/// rendering and sanitising take minutes.
pub const MAX_NESTING: usize = 32;

/// The Markdown features the site renders.
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// Whether `markdown` would nest elements more than [`MAX_NESTING`] deep, counting both Markdown
/// structure (quotes, lists, emphasis, links) and raw HTML tags. Stops reading as soon as it knows.
pub fn too_deep(markdown: &str) -> bool {
    let mut depth: usize = 0;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Html(html) | Event::InlineHtml(html) => {
                for (index, _) in html.match_indices('<') {
                    let rest = &html[index + 1..];
                    if rest.starts_with('/') {
                        depth = depth.saturating_sub(1);
                    } else if rest.starts_with(|c: char| c.is_ascii_alphabetic()) && !is_void(rest)
                    {
                        depth += 1;
                        if depth > MAX_NESTING {
                            return true;
                        }
                    }
                }
            }
            _ => {}
        }
        if depth > MAX_NESTING {
            return true;
        }
    }
    false
}

/// Whether the tag that `rest` starts with never has content (and so never nests).
fn is_void(rest: &str) -> bool {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    let name: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let self_closing = rest.split('>').next().is_some_and(|tag| tag.ends_with('/'));
    self_closing || VOID.contains(&name.as_str())
}

/// Whether every candidate of a `srcset` is an address of the media library.
fn only_library_urls(srcset: &str) -> bool {
    srcset
        .split(',')
        .filter_map(|candidate| candidate.split_whitespace().next())
        .all(|url| media::id_in(url).is_some())
}

/// The `sizes` of an image in a page body: the width of the text column, or the screen's on a
/// narrow one (see `--measure` in `static/site.css`).
const SIZES: &str = "(min-width: 44rem) 42rem, 100vw";

/// Renders Markdown (CommonMark with tables, footnotes and strikethrough) to sanitised HTML. Headings get
/// ids derived from their text, so that every section can be linked to. A text that nests too deeply
/// (see [`too_deep`]; editors are told before they can save one) is shown as plain text instead.
pub fn render(markdown: &str) -> String {
    render_page(markdown, Lang::Sv, &Library::default())
}

/// The files of the library that `markdown` shows or links to, by the ids its addresses name
/// (`![Karta](/media/12/karta.jpg)`, `[Rapport](/media/13/rapport.pdf)`), each once.
pub fn media_ids(markdown: &str) -> Vec<MediaId> {
    if too_deep(markdown) {
        return Vec::new();
    }
    let mut ids: Vec<MediaId> = Parser::new_ext(markdown, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) => {
                media::id_in(&dest_url)
            }
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// [`render`] for a page in `lang` that may show files of `library`: an image of the library becomes
/// a responsive `<picture>` with its size, its variants and (when the Markdown gives none) the
/// library's alternative text; a link to a document says its type and size ("PDF, 1,2 MB").
pub fn render_page(markdown: &str, lang: Lang, library: &Library) -> String {
    if too_deep(markdown) {
        let escaped = markdown
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        return format!("<pre>{escaped}</pre>");
    }
    let events = with_heading_ids(Parser::new_ext(markdown, options()).collect());
    let events = with_media(events, lang, library);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// The text of a page body as a reader sees it, without Markdown or HTML: for the search index and
/// its snippets. Blocks are separated by a space, so words of two paragraphs never run together.
pub fn plain_text(markdown: &str) -> String {
    if too_deep(markdown) {
        return strip_tags(markdown);
    }
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::Html(html) | Event::InlineHtml(html) => text.push_str(&strip_tags(&html)),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text
}

/// `html` without its tags, each replaced by a space.
pub(crate) fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Replaces the images and links of the library's files (see [`render_page`]).
fn with_media<'a>(events: Vec<Event<'a>>, lang: Lang, library: &Library) -> Vec<Event<'a>> {
    if library.0.is_empty() {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    let mut images = 0;
    let mut described_link: Option<String> = None;
    let mut events = events.into_iter().peekable();
    while let Some(event) = events.next() {
        let embedded = match &event {
            Event::Start(Tag::Image { dest_url, .. } | Tag::Link { dest_url, .. }) => {
                media::id_in(dest_url).and_then(|id| library.get(id))
            }
            _ => None,
        };
        match (event, embedded) {
            (Event::Start(Tag::Image { title, .. }), Some(embedded))
                if embedded.media_type.is_image() =>
            {
                let mut alt = String::new();
                let mut depth = 0_usize;
                for inner in events.by_ref() {
                    match inner {
                        Event::End(TagEnd::Image) if depth == 0 => break,
                        Event::Start(_) => depth += 1,
                        Event::End(_) => depth = depth.saturating_sub(1),
                        Event::Text(text) | Event::Code(text) => alt.push_str(&text),
                        _ => {}
                    }
                }
                let alt = if alt.trim().is_empty() {
                    embedded.alt(lang).to_owned()
                } else {
                    alt
                };
                // An image with a title alone in its paragraph is a figure, the title its caption.
                let alone = matches!(out.last(), Some(Event::Start(Tag::Paragraph)))
                    && matches!(events.peek(), Some(Event::End(TagEnd::Paragraph)));
                if alone && !title.trim().is_empty() {
                    out.pop();
                    events.next();
                    out.push(Event::Html(
                        format!(
                            "<figure>{}<figcaption>{}</figcaption></figure>\n",
                            picture(embedded, &alt, "", images == 0),
                            escape_attribute(title.trim())
                        )
                        .into(),
                    ));
                } else {
                    out.push(Event::InlineHtml(
                        picture(embedded, &alt, &title, images == 0).into(),
                    ));
                }
                images += 1;
            }
            (
                Event::Start(Tag::Link {
                    link_type,
                    title,
                    id,
                    ..
                }),
                Some(embedded),
            ) => {
                if !embedded.media_type.is_image() {
                    described_link = Some(embedded.described(lang));
                }
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: embedded.url().into(),
                    title,
                    id,
                }));
            }
            (Event::End(TagEnd::Link), _) => {
                out.push(Event::End(TagEnd::Link));
                if let Some(described) = described_link.take() {
                    out.push(Event::InlineHtml(
                        format!(
                            r#" <span class="file-info">({})</span>"#,
                            escape_attribute(&described)
                        )
                        .into(),
                    ));
                }
            }
            (other, _) => out.push(other),
        }
    }
    out
}

/// The markup of an image of the library.
fn picture(embedded: &Embedded, alt: &str, title: &str, first: bool) -> String {
    let mut img = format!(
        r#"<img src="{}" alt="{}""#,
        escape_attribute(&embedded.fallback_src()),
        escape_attribute(alt)
    );
    if let (Some(width), Some(height)) = (embedded.width, embedded.height) {
        img.push_str(&format!(r#" width="{width}" height="{height}""#));
    }
    let own = embedded.srcset(embedded.media_type);
    if own.contains(',') {
        img.push_str(&format!(
            r#" srcset="{}" sizes="{SIZES}""#,
            escape_attribute(&own)
        ));
    }
    if !title.is_empty() {
        img.push_str(&format!(r#" title="{}""#, escape_attribute(title)));
    }
    if !first {
        img.push_str(r#" loading="lazy""#);
    }
    img.push_str(r#" decoding="async">"#);
    let webp = if embedded.media_type == MediaType::Webp {
        String::new()
    } else {
        embedded.srcset(MediaType::Webp)
    };
    if webp.is_empty() {
        return img;
    }
    format!(
        r#"<picture><source type="image/webp" srcset="{}" sizes="{SIZES}">{img}</picture>"#,
        escape_attribute(&webp)
    )
}

/// `text` fit to stand in a double-quoted attribute, or as text.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Gives every heading without an explicit id one made from its text, unique within the page.
fn with_heading_ids(mut events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut taken: HashSet<String> = LAYOUT_IDS.iter().map(|id| (*id).to_owned()).collect();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[index] {
            let mut text = String::new();
            for event in &events[index + 1..] {
                match event {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
            }
            let slug = unique(super::page::slugify(&text), &mut taken);
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[index] {
                *id = Some(CowStr::from(slug));
            }
        }
        index += 1;
    }
    events
}

fn unique(base: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_of_the_library_reads_back_as_written() {
        let markdown = crate::media::snippet(
            crate::ids::MediaId(12),
            "karta.jpg",
            true,
            "Karta [1]",
            "Foto \"SKL\"",
        );
        let html = render(&markdown);
        assert!(html.contains("alt=\"Karta [1]\""), "{html}");
        assert!(html.contains("Foto &quot;SKL&quot;"), "{html}");
    }

    #[test]
    fn deep_nesting_is_caught_quickly_and_rendered_as_plain_text() {
        let ordinary =
            "> Citat\n>\n> - en lista\n>   - i en lista\n\n<div><p><em>html</em></p></div>";
        assert!(!too_deep(ordinary));
        assert!(render(ordinary).contains("<blockquote>"));
        let started = std::time::Instant::now();
        for deep in [
            format!("{}x", "> ".repeat(200_000)),
            format!("{}x", "- ".repeat(200_000)),
            format!("{}x{}", "<div>".repeat(100_000), "</div>".repeat(100_000)),
            format!("{}x", "<b><i>".repeat(50_000)),
        ] {
            assert!(too_deep(&deep), "{}", &deep[..40]);
            let html = render(&deep);
            assert!(html.starts_with("<pre>") && !html.contains("<div>") && !html.contains("<b>"));
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let void = format!("{}x", "<br><img src=a.png>".repeat(1000));
        assert!(!too_deep(&void), "elements without content do not nest");
    }

    #[test]
    fn renders_the_extensions_authors_use() {
        let html = render(
            "Text ~~gammal~~.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNot[^1].\n\n[^1]: Fotnot.\n",
        );
        assert!(html.contains("<del>gammal</del>"), "{html}");
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
        assert!(html.contains("footnote-reference"), "{html}");
        assert!(html.contains("footnote-definition"), "{html}");
    }

    #[test]
    fn headings_get_unique_readable_ids() {
        let html = render("## Så arbetar vi\n\n## Så arbetar vi\n\n## Content\n");
        assert!(html.contains(r#"<h2 id="sa-arbetar-vi">"#), "{html}");
        assert!(html.contains(r#"<h2 id="sa-arbetar-vi-2">"#), "{html}");
        assert!(html.contains(r#"<h2 id="content-2">"#), "{html}");
    }

    #[test]
    fn links_keep_their_target_and_lose_the_opener() {
        let html = render("[SKL](https://skl.se) och [om oss](/om-oss)");
        assert!(html.contains(r#"href="https://skl.se""#), "{html}");
        assert!(html.contains(r#"rel="noopener noreferrer""#), "{html}");
        assert!(html.contains(r#"href="/om-oss""#), "{html}");
    }

    #[test]
    fn passages_in_another_language_keep_their_lang() {
        let html = render(r#"SKL (<span lang="sv">Sveriges Kommuner och Landsting</span>)"#);
        assert!(html.contains(r#"<span lang="sv">"#), "{html}");
    }

    /// Each hostile input, and a fragment that must not survive sanitising.
    const HOSTILE: &[(&str, &str)] = &[
        ("<script>alert(1)</script>", "<script"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "evil.example"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("<p onclick=\"alert(1)\">hej</p>", "onclick"),
        ("<a href=\"javascript:alert(1)\">klicka</a>", "javascript:"),
        ("[klicka](javascript:alert(1))", "javascript:"),
        ("[klicka](JaVaScRiPt:alert(1))", "alert(1)"),
        (
            "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
            "data:",
        ),
        ("![x](data:image/svg+xml;base64,PHN2Zz4=)", "data:"),
        ("<iframe src=\"https://evil.example\"></iframe>", "<iframe"),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ("<svg onload=alert(1)>", "onload"),
        (
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "javascript:",
        ),
        ("<!-- <script>alert(1)</script> -->", "<!--"),
        ("<style>body{display:none}</style>", "<style"),
        (
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "style=",
        ),
        ("<object data=\"x.swf\"></object>", "<object"),
        ("<embed src=\"x.swf\">", "<embed"),
        (
            "<form action=\"https://evil.example\"><input name=p></form>",
            "<form",
        ),
        (
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
            "<meta",
        ),
        ("<base href=\"https://evil.example/\">", "<base"),
        (
            "<a href=\"https://example.org\" target=\"_blank\">x</a>",
            "target=",
        ),
        ("<details open ontoggle=alert(1)>", "ontoggle"),
        ("<img src=\"java\tscript:alert(1)\">", "script:"),
    ];

    #[test]
    fn hostile_markup_never_survives() {
        for (input, forbidden) in HOSTILE {
            let html = render(input).to_ascii_lowercase();
            assert!(
                !html.contains(&forbidden.to_ascii_lowercase()),
                "{input:?} rendered as {html:?}, which still contains {forbidden:?}"
            );
        }
    }

    #[test]
    fn slugs_fold_swedish_letters() {
        let slugify = super::super::page::slugify;
        assert_eq!(slugify("Så arbetar vi"), "sa-arbetar-vi");
        assert_eq!(slugify("FN:s millenniemål"), "fn-s-millenniemal");
        assert_eq!(slugify("!!!"), "section");
    }
}
