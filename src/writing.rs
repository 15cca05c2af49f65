//! Writing help for editors: how readable a text is ([`readability`]), where its Markdown keeps
//! readers out ([`rules`], one table of rules with their WCAG criteria), and which of its links to
//! the site lead nowhere ([`links`]). The edit form, its previews, the site-wide reports and
//! `skl-cms check` all ask here, so they always agree.

pub mod links;
pub mod readability;
pub mod rules;
pub mod site;

pub use readability::{Band, Readability};
pub use rules::{Finding, Rule, Severity};

use crate::{content::markdown, db, lang::Lang, media::Library, time::Moment};

/// What writing help says of one page body: its figures and its findings.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub lang: Lang,
    pub readability: Readability,
    /// In the order of the text.
    pub findings: Vec<Finding>,
}

impl Assessment {
    /// The body's figures and the findings of the rules that need only the text and the library.
    /// Broken links are added by [`links`], which needs the site.
    pub fn of(body: &str, lang: Lang, library: &Library) -> Assessment {
        Assessment {
            lang,
            readability: Readability::of_markdown(body),
            findings: rules::check(body, lang, library),
        }
    }

    /// What writing help says of `body` on the page at `path` in `lang` at `now`: its figures, the
    /// rules with the library's files it shows, and the links to the site that lead nowhere now.
    pub async fn of_page(
        conn: impl Into<db::Exec<'_>>,
        body: &str,
        lang: Lang,
        path: &str,
        now: &Moment,
    ) -> sqlx::Result<Assessment> {
        let mut conn = conn.into();
        let library = db::media::library(&mut conn, &markdown::media_ids(body)).await?;
        let mut assessment = Assessment::of(body, lang, &library);
        let found = links::internal_links(body, lang, path);
        assessment.add(links::broken(conn, &found, now).await?);
        Ok(assessment)
    }

    /// Adds findings (broken links), keeping the order of the text.
    pub fn add(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
        self.findings.sort_by_key(|finding| finding.line);
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity() == severity)
            .count()
    }
}
