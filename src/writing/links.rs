//! Links from a page body to addresses on the site, and where each leads: a page (found by its
//! language and path, or by a redirect from an old path), a file of the media library, an address
//! the site always answers (the news list, search, the feeds), or nowhere at all.
//!
//! Every save records a page's links (`db::links`), in the same transaction, so that the site-wide
//! list of broken links (`/admin/links`) and the pages that link to a page about to be trashed are
//! a query away. Whether a page or file link works is decided by the database at the moment asked:
//! a scheduled page starts working at its second without anyone saving anything.

use pulldown_cmark::{Event, Parser, Tag};

use super::rules::{Finding, Rule};
use crate::{
    content::{PagePath, markdown},
    db,
    lang::Lang,
    media,
    time::Moment,
};

/// The version of the extraction below: a database whose links were recorded by another is
/// recorded again at start.
pub const VERSION: &str = "1";

pub use crate::db::links::{Link, Target};

impl Link {
    /// The finding for this link, once it is known to lead nowhere.
    pub fn broken(&self) -> Finding {
        Finding {
            rule: Rule::BrokenLink,
            line: self.line,
            detail: self.href.clone(),
        }
    }
}

/// Records the links of every page again, and which of them are broken at `now`. Returns how many
/// pages were read.
pub async fn rebuild(pool: &crate::db::Pool, now: &Moment) -> sqlx::Result<usize> {
    let mut tx = db::begin_write(pool).await?;
    let pages = db::pages::all(&mut tx).await?;
    for page in &pages {
        let links = internal_links(&page.content.body_md, page.lang, &page.content.path);
        db::links::set(&mut tx, page.id, &links).await?;
    }
    db::links::refresh(&mut tx, db::links::Scope::All, now).await?;
    db::links::set_current(&mut tx, VERSION).await?;
    tx.commit().await?;
    Ok(pages.len())
}

/// Which of `links` lead nowhere at `now`, as findings.
pub async fn broken(
    conn: impl Into<db::Exec<'_>>,
    links: &[Link],
    now: &Moment,
) -> sqlx::Result<Vec<Finding>> {
    let mut conn = conn.into();
    let mut findings = Vec::new();
    for link in links {
        if !db::links::works(&mut conn, &link.target, now).await? {
            findings.push(link.broken());
        }
    }
    Ok(findings)
}

/// The most links of one page that are recorded and checked: a text of a megabyte could hold a
/// hundred thousand, and each costs a lookup at every save.
pub const MAX_LINKS: usize = 500;

/// The links (and images) of `body`, on the page at `path` in `lang`, that lead to pages, files or
/// nowhere on the site, the first [`MAX_LINKS`] of them. Links to other sites, to the same page
/// (`#avsnitt`) and to addresses the site always answers are left out.
pub fn internal_links(body: &str, lang: Lang, path: &str) -> Vec<Link> {
    if markdown::too_deep(body) {
        return Vec::new();
    }
    let page_url = lang.page_url(path);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    Parser::new_ext(body, markdown::options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let target = target_of(&dest_url, &page_url)?;
                Some(Link {
                    line: line_starts.partition_point(|&start| start <= range.start),
                    href: dest_url.to_string(),
                    target,
                })
            }
            _ => None,
        })
        .take(MAX_LINKS)
        .collect()
}

/// Where `href`, written on the page at `page_url`, leads on the site; `None` for another site,
/// the same page, or an address the site always answers.
pub fn target_of(href: &str, page_url: &str) -> Option<Target> {
    let href = href.trim();
    let without_fragment = href.split('#').next().unwrap_or("");
    let address = without_fragment.split('?').next().unwrap_or("");
    if address.is_empty() {
        return None;
    }
    let absolute = if address.starts_with("//") {
        return None;
    } else if address.starts_with('/') {
        address.to_owned()
    } else if has_scheme(address) {
        // Another site, or mailto:, tel:.
        return None;
    } else {
        resolve_relative(page_url, address)
    };
    match percent_decode(&absolute) {
        Some(decoded) => classify(&decoded),
        None => Some(Target::Nowhere),
    }
}

/// Whether `address` starts with a URL scheme (`https:`, `mailto:`).
fn has_scheme(address: &str) -> bool {
    address.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// `relative` resolved against the page at `page_url`, as a browser would: `kontakt` on
/// `/om-oss/historia` is `/om-oss/kontakt`, `../` goes up a level.
fn resolve_relative(page_url: &str, relative: &str) -> String {
    let directory = page_url.rsplit_once('/').map_or("", |(head, _)| head);
    let mut segments: Vec<&str> = directory.split('/').filter(|s| !s.is_empty()).collect();
    let trailing = relative.ends_with('/') || relative.ends_with("/.") || relative.ends_with("/..");
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    let mut resolved = format!("/{}", segments.join("/"));
    if trailing && resolved.len() > 1 {
        resolved.push('/');
    }
    resolved
}

/// `%C3%A5` and the like decoded; `None` for a broken escape or bytes that are not UTF-8, which no
/// address of the site can be.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where an absolute path of the site leads, or `None` for an address the site always answers.
fn classify(path: &str) -> Option<Target> {
    if let Some(id) = media::id_in(path) {
        return Some(Target::Media(id));
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let always = [
        "static",
        "admin",
        "sok",
        "feed.xml",
        "sitemap.xml",
        "sitemaps",
        "robots.txt",
        "opensearch.xml",
        "healthz",
        "readyz",
    ];
    if always.contains(&first) {
        return None;
    }
    let lang = Lang::of_path(path);
    let rest = match lang {
        Lang::Sv => path.trim_start_matches('/'),
        Lang::En => path
            .strip_prefix("/en")
            .unwrap_or("")
            .trim_start_matches('/'),
    };
    if lang == Lang::En {
        let first = rest.split('/').next().unwrap_or("");
        if ["search", "feed.xml", "opensearch.xml"].contains(&first) {
            return None;
        }
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let news = lang.news_path();
    if rest == news || rest.starts_with(&format!("{news}/{}/", lang.page_param())) {
        return None;
    }
    Some(match PagePath::parse(rest) {
        Ok(page) => Target::Page {
            lang,
            path: page.as_str().to_owned(),
        },
        Err(_) => Target::Nowhere,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MediaId;

    fn page(lang: Lang, path: &str) -> Option<Target> {
        Some(Target::Page {
            lang,
            path: path.to_owned(),
        })
    }

    #[test]
    fn addresses_lead_to_pages_files_or_nowhere() {
        let on = "/om-oss/historia";
        let table: &[(&str, Option<Target>)] = &[
            ("/om-oss", page(Lang::Sv, "om-oss")),
            ("/om-oss/", page(Lang::Sv, "om-oss")),
            ("/", page(Lang::Sv, "")),
            ("/en", page(Lang::En, "")),
            ("/en/", page(Lang::En, "")),
            ("/en/about#team", page(Lang::En, "about")),
            ("/millenniekommun?x=1", page(Lang::Sv, "millenniekommun")),
            ("kontakt", page(Lang::Sv, "om-oss/kontakt")),
            ("../projekt/", page(Lang::Sv, "projekt")),
            ("./", page(Lang::Sv, "om-oss")),
            ("/media/12/karta.jpg", Some(Target::Media(MediaId(12)))),
            ("/Om Oss", Some(Target::Nowhere)),
            ("/%C3%A5r", Some(Target::Nowhere)),
            ("/a%zz", Some(Target::Nowhere)),
            ("https://example.se/om-oss", None),
            ("//example.se/x", None),
            ("mailto:info@example.se", None),
            ("tel:+46", None),
            ("#avsnitt", None),
            ("?q=1", None),
            ("", None),
        ];
        for (href, expected) in table {
            assert_eq!(&target_of(href, on), expected, "{href}");
        }
    }

    #[test]
    fn addresses_the_site_always_answers_are_not_checked() {
        for href in [
            "/nyheter",
            "/nyheter/",
            "/nyheter/sida/2",
            "/en/news",
            "/en/news/page/3",
            "/sok?q=kommun",
            "/en/search",
            "/feed.xml",
            "/en/feed.xml",
            "/sitemap.xml",
            "/static/site.css",
            "/admin",
        ] {
            assert_eq!(target_of(href, "/"), None, "{href}");
        }
    }

    #[test]
    fn a_page_s_links_are_recorded_up_to_a_bound() {
        let body = "[sida](/a) ".repeat(MAX_LINKS + 100);
        assert_eq!(internal_links(&body, Lang::Sv, "").len(), MAX_LINKS);
    }

    #[test]
    fn links_and_images_of_a_body_with_their_lines() {
        let body = "Se [om oss](/om-oss).\n\n![Karta](/media/3/karta.jpg)\n\n\
                    [Annan webbplats](https://example.se) och [nyheter](/nyheter).\n\n[Kontakt](kontakt)";
        let links = internal_links(body, Lang::En, "about/history");
        let found: Vec<(usize, &str, &Target)> = links
            .iter()
            .map(|link| (link.line, link.href.as_str(), &link.target))
            .collect();
        assert_eq!(
            found,
            [
                (1, "/om-oss", &page(Lang::Sv, "om-oss").expect("page")),
                (3, "/media/3/karta.jpg", &Target::Media(MediaId(3))),
                (
                    7,
                    "kontakt",
                    &page(Lang::En, "about/kontakt").expect("page")
                ),
            ]
        );
    }
}
