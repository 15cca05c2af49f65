//! A page's path, as a parsed value.

use std::fmt;

/// First path segments that belong to the site itself and so can never be a page's.
const RESERVED_FIRST_SEGMENTS: &[&str] = &[
    "en", "static", "media", "admin", "healthz", "readyz", "sok", "search", "sitemaps",
];

/// Whether `path` is the news list's or one of its later pages' (`nyheter/sida/2`), in either language.
fn is_news_list(path: &str) -> bool {
    crate::lang::Lang::ALL.iter().any(|lang| {
        path == lang.news_path()
            || path
                .strip_prefix(lang.news_path())
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.strip_prefix(lang.page_param()))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The path of a page below its language root: lowercase ASCII segments of letters, digits and
/// hyphens, separated by single slashes, with no slash at either end. The empty path is the home page.
///
/// Holding a `PagePath` means the path was checked, so it is safe to put in a URL or a file name: it
/// can contain no `..`, no NUL, no percent sign and nothing that needs escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PagePath(String);

/// The longest page path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 200;

impl PagePath {
    /// The home page's path.
    pub fn home() -> PagePath {
        PagePath(String::new())
    }

    /// Checks a path, explaining in English how to fix it when it is not acceptable (for authors of
    /// content files).
    pub fn parse(text: &str) -> Result<PagePath, String> {
        PagePath::check(text).map_err(|problem| problem.english(text))
    }

    /// Checks a path.
    pub fn check(text: &str) -> Result<PagePath, PathProblem> {
        if text.is_empty() {
            return Ok(PagePath::home());
        }
        if text.len() > MAX_PATH_LEN {
            return Err(PathProblem::TooLong);
        }
        if text.starts_with('/') || text.ends_with('/') {
            return Err(PathProblem::Slash);
        }
        let valid = text.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('-')
                && !segment.ends_with('-')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
        if !valid {
            return Err(PathProblem::Characters);
        }
        let first = text.split('/').next().unwrap_or(text);
        if RESERVED_FIRST_SEGMENTS.contains(&first) || is_news_list(text) {
            return Err(PathProblem::Reserved);
        }
        Ok(PagePath(text.to_owned()))
    }

    /// A path made from a title: lowercase, å ä ö and other accented letters turned into a a o and
    /// their plain letters, everything else into single hyphens. Empty if nothing usable is left.
    pub fn suggest(title: &str) -> String {
        let mut out = String::with_capacity(title.len());
        for c in title.chars().flat_map(char::to_lowercase) {
            let plain = match c {
                'a'..='z' | '0'..='9' => Some(c),
                'å' | 'ä' | 'à' | 'á' | 'â' | 'ã' | 'æ' => Some('a'),
                'ö' | 'ø' | 'ò' | 'ó' | 'ô' | 'õ' => Some('o'),
                'é' | 'è' | 'ê' | 'ë' => Some('e'),
                'ü' | 'ù' | 'ú' | 'û' => Some('u'),
                'í' | 'ì' | 'î' | 'ï' => Some('i'),
                'ç' => Some('c'),
                'ñ' => Some('n'),
                'ß' => Some('s'),
                _ => None,
            };
            match plain {
                Some(c) => out.push(c),
                None if !out.is_empty() && !out.ends_with('-') => out.push('-'),
                None => {}
            }
        }
        let mut out = out.trim_end_matches('-').to_owned();
        if out.len() > 80 {
            out.truncate(80);
            out = out.trim_end_matches('-').to_owned();
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_home(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a path is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    TooLong,
    Slash,
    Characters,
    Reserved,
}

impl PathProblem {
    pub fn english(self, text: &str) -> String {
        match self {
            PathProblem::TooLong => format!("the path is longer than {MAX_PATH_LEN} characters"),
            PathProblem::Slash => format!(
                "`{text}` starts or ends with a slash; write it without, like `om-oss` or `millenniekommun/millenniemalen`"
            ),
            PathProblem::Characters => format!(
                "`{text}` is not a valid path: use lowercase letters a–z, digits and hyphens between \
                 single slashes (write å and ä as a, ö as o)"
            ),
            PathProblem::Reserved => {
                format!("`{text}` is reserved for the site itself; choose another path")
            }
        }
    }

    /// The problem in the admin area's language, with how to fix it.
    pub fn swedish(self) -> &'static str {
        match self {
            PathProblem::TooLong => "Adressen är för lång; den får vara högst 200 tecken.",
            PathProblem::Slash => {
                "Adressen ska inte börja eller sluta med snedstreck. Skriv till exempel om-oss eller millenniekommun/millenniemalen."
            }
            PathProblem::Characters => {
                "Adressen får bara innehålla små bokstäver a–z, siffror och bindestreck, med ett snedstreck mellan delarna. Skriv å och ä som a och ö som o, till exempel sa-arbetar-vi."
            }
            PathProblem::Reserved => {
                "Adressen används av webbplatsen själv (till exempel admin, en, static, nyheter). Välj en annan."
            }
        }
    }
}

impl fmt::Display for PagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A readable ASCII id: "Så arbetar vi" becomes `sa-arbetar-vi`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'å' | 'ä' | 'à' | 'á' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if mapped != '-' || !slug.ends_with('-') {
            slug.push(mapped);
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "section".to_owned()
    } else {
        slug.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_simple_and_nested_paths() {
        for ok in [
            "",
            "om-oss",
            "millenniekommun/millenniemalen",
            "nyheter/2012-avtal",
            "a1",
        ] {
            assert_eq!(PagePath::parse(ok).expect(ok).as_str(), ok);
        }
    }

    #[test]
    fn refuses_anything_that_could_escape_or_confuse() {
        for bad in [
            "/om-oss",
            "om-oss/",
            "..",
            "a/../b",
            "a//b",
            "Om-Oss",
            "om oss",
            "a\0b",
            "%2e%2e",
            "för",
            "-a",
            "a-",
            "en",
            "en/about",
            "static/x",
            "admin",
            "nyheter",
            "news",
            "nyheter/sida",
            "nyheter/sida/2",
            "news/page/3",
            "a.html",
        ] {
            assert!(PagePath::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(PagePath::parse(&"a".repeat(MAX_PATH_LEN + 1)).is_err());
    }

    #[test]
    fn suggested_paths_are_valid_and_readable() {
        for (title, expected) in [
            ("Så arbetar vi", "sa-arbetar-vi"),
            ("Om oss", "om-oss"),
            (
                "Millenniemålen – en översikt!",
                "millenniemalen-en-oversikt",
            ),
            ("  Ärende nr 12  ", "arende-nr-12"),
            ("Café & Crème brûlée", "cafe-creme-brulee"),
            ("???", ""),
        ] {
            let suggested = PagePath::suggest(title);
            assert_eq!(suggested, expected, "{title}");
            assert!(PagePath::check(&suggested).is_ok(), "{suggested}");
        }
        assert!(PagePath::suggest(&"lång titel ".repeat(30)).len() <= 80);
    }

    #[test]
    fn news_items_may_live_below_the_news_list() {
        assert!(PagePath::parse("nyheter/avtalet").is_ok());
        assert!(PagePath::parse("nyheter/sidan").is_ok());
        assert!(PagePath::parse("news/agreement").is_ok());
    }
}
