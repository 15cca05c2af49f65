//! Writing help in the admin area: the panel beside the edit form's text (readability, the
//! accessibility findings with their WCAG criteria, broken links), refreshed while the editor
//! types; the site's broken links (`/admin/links`); the pages due for review (`/admin/review`), and
//! marking a page as reviewed.

use askama::Template;
use axum::{
    extract::{Path, RawQuery, State},
    http::StatusCode,
    response::Response,
};
use jiff::{SignedDuration, ToSpan};
use serde::Deserialize;

use super::{
    csrf::{Button, Submission},
    pages::{form::PageForm, preview},
    session::Editor,
    view::{self, AdminLayout, Pager, Section, done_at},
};
use crate::{
    app::AppState,
    content::editing,
    db,
    error::AppError,
    ids::PageId,
    lang::Lang,
    time,
    vocab::{Done, Status},
    writing::{Assessment, Finding},
};

/// How a finding is shown.
#[derive(Debug)]
pub struct FindingRow {
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub line: usize,
    pub message: &'static str,
    pub detail: String,
    /// "WCAG 1.1.1 Icke-textbaserat innehåll (nivå A)", and its address.
    pub wcag: Option<(String, &'static str)>,
}

impl FindingRow {
    fn of(finding: &Finding) -> FindingRow {
        let severity = finding.severity();
        FindingRow {
            severity: severity.id(),
            severity_label: severity.label(Lang::Sv),
            line: finding.line,
            message: finding.rule.message(Lang::Sv),
            detail: finding.detail.clone(),
            wcag: finding.rule.wcag().map(|criterion| {
                (
                    format!(
                        "WCAG {} {} (nivå {})",
                        criterion.number,
                        criterion.name(Lang::Sv),
                        criterion.level
                    ),
                    criterion.url,
                )
            }),
        }
    }
}

/// A long sentence, quoted.
#[derive(Debug)]
pub struct LongSentence {
    pub text: String,
    pub words: usize,
}

/// The writing-help panel of the edit form.
#[derive(Debug)]
pub struct WritingPanel {
    pub empty: bool,
    /// For an English page, a word on how far LIX goes there.
    pub english: bool,
    pub lix: u32,
    pub band: &'static str,
    pub band_id: &'static str,
    pub band_like: &'static str,
    pub words: String,
    pub sentences: String,
    pub long_share: u32,
    pub minutes: usize,
    pub longest: Vec<LongSentence>,
    pub findings: Vec<FindingRow>,
    /// How many findings there are beyond those listed.
    pub more: usize,
    /// "2 fel och 1 varning", or nothing to fix.
    pub summary: String,
}

/// The most findings the panel lists; a text that has more says how many.
const FINDINGS_LISTED: usize = 100;

impl WritingPanel {
    pub fn of(assessment: &Assessment) -> WritingPanel {
        let figures = &assessment.readability;
        let band = figures.band();
        let long_share = (figures.long_words * 100)
            .checked_div(figures.words)
            .map_or(0, |share| u32::try_from(share).unwrap_or(100));
        WritingPanel {
            empty: figures.words == 0,
            english: assessment.lang == Lang::En,
            lix: figures.lix,
            band: band.label(Lang::Sv),
            band_id: band.id(),
            band_like: band.like(),
            words: count(figures.words, "ord", "ord"),
            sentences: count(figures.sentences, "mening", "meningar"),
            long_share,
            minutes: figures.minutes,
            longest: figures
                .longest
                .iter()
                .map(|sentence| LongSentence {
                    text: sentence.text.clone(),
                    words: sentence.words,
                })
                .collect(),
            findings: assessment
                .findings
                .iter()
                .take(FINDINGS_LISTED)
                .map(FindingRow::of)
                .collect(),
            more: assessment.findings.len().saturating_sub(FINDINGS_LISTED),
            summary: summary(assessment.errors(), assessment.warnings()),
        }
    }

    /// What the panel says, in a sentence, for the preview's notice.
    pub fn preview_note(&self) -> String {
        if self.empty {
            return "Texten är tom.".to_owned();
        }
        let fix = if self.findings.is_empty() {
            "inget att rätta".to_owned()
        } else {
            format!(
                "{}; listan finns under texten i redigeringsvyn",
                self.summary.trim_end_matches('.')
            )
        };
        format!("Skrivhjälp: LIX {} ({}), {}.", self.lix, self.band, fix)
    }
}

/// `n` and the word for what is counted: "1 fel", "3 varningar".
fn count(n: impl TryInto<i64>, one: &str, many: &str) -> String {
    let n: i64 = n.try_into().unwrap_or(i64::MAX);
    let word = if n == 1 { one } else { many };
    format!("{} {word}", Lang::Sv.number(n))
}

fn summary(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, 0) => "Inget att rätta.".to_owned(),
        (0, w) => count(w, "varning", "varningar"),
        (e, 0) => count(e, "fel", "fel"),
        (e, w) => format!(
            "{} och {}",
            count(e, "fel", "fel"),
            count(w, "varning", "varningar")
        ),
    }
}

/// What writing help says of `body` on the page at `path` in `lang`: readability, the rules, and
/// the links to the site that lead nowhere now.
pub async fn assess(
    state: &AppState,
    lang: Lang,
    path: &str,
    body: &str,
) -> Result<Assessment, AppError> {
    let mut conn = state.db.acquire().await?;
    Ok(Assessment::of_page(&mut conn, body, lang, path, &state.clock.now_db()).await?)
}

#[derive(Template)]
#[template(path = "admin/writing_help.html")]
struct PanelFragment {
    panel: WritingPanel,
}

/// `POST /admin/pages/writing-help`: the panel for the form's text as it is now, for the script
/// that refreshes it while the editor types (`static/admin.js`).
pub async fn panel(
    State(state): State<AppState>,
    editor: Option<Editor>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let form = preview::scripted_form(editor, submission)?;
    let (lang, path) = match PageForm::id_field(&form.page_id) {
        Some(id) => match db::pages::find(&state.db, id).await? {
            Some(page) => (page.lang, page.content.path),
            None => (form.lang(), form.path.trim().to_owned()),
        },
        None => (form.lang(), form.path.trim().to_owned()),
    };
    let assessment = assess(&state, lang, &path, &form.body).await?;
    let html = PanelFragment {
        panel: WritingPanel::of(&assessment),
    }
    .render()?;
    Ok(preview::fragment(html))
}

/// Rows per page of the reports.
const PAGE_SIZE: i64 = 100;

#[derive(Debug, Default, Deserialize)]
struct ReportParams {
    #[serde(default)]
    sida: Option<String>,
}

/// The page of a report at `path` that the query `raw` asks for, once its rows are counted.
struct ReportPage {
    path: &'static str,
    number: i64,
}

impl ReportPage {
    fn asked(path: &'static str, raw: Option<&str>) -> Result<ReportPage, AppError> {
        let params: ReportParams = view::list_params(raw)?;
        Ok(ReportPage {
            path,
            number: view::page_number(params.sida.as_deref())?,
        })
    }

    fn pager(&self, total: i64) -> Result<Pager, AppError> {
        Pager::new(self.number, total, PAGE_SIZE, |n| {
            view::list_address(self.path, &[("sida", &n.to_string())])
        })
    }
}

#[derive(Debug)]
struct BrokenRow {
    page_id: PageId,
    title: String,
    url: String,
    draft: bool,
    line: i64,
    href: String,
    since: String,
}

#[derive(Template)]
#[template(path = "admin/links.html")]
struct LinksPage {
    layout: AdminLayout,
    summary: String,
    rows: Vec<BrokenRow>,
    pager: Pager,
}

/// `GET /admin/links`: every link on a page outside the trash that leads nowhere, most recently
/// broken first. Every link is checked again first when content changed since the last check, so
/// a page that went live or was trashed since counts.
pub async fn broken_links(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let asked = ReportPage::asked("/admin/links", raw.as_deref())?;
    if let Some(token) = state.links_check_due() {
        let mut tx = db::begin_write(&state.db).await?;
        db::links::refresh(&mut tx, db::links::Scope::All, &state.clock.now_db()).await?;
        tx.commit().await?;
        state.links_checked(token);
    }
    let (total, pages) = db::links::count_broken(&state.db).await?;
    let pager = asked.pager(total)?;
    let rows = db::links::broken(&state.db, PAGE_SIZE, pager.offset())
        .await?
        .into_iter()
        .map(|broken| BrokenRow {
            page_id: broken.page_id,
            url: broken.lang.page_url(&broken.path),
            title: broken.title,
            draft: broken.status == Status::Draft,
            line: broken.line,
            href: broken.href,
            since: time::from_db(&broken.broken_since)
                .map(time::admin_datetime)
                .unwrap_or_default(),
        })
        .collect();
    let summary = match total {
        0 => "Inga trasiga länkar: alla länkar till webbplatsen leder någonstans.".to_owned(),
        _ => format!(
            "{} på {}.",
            count(total, "trasig länk", "trasiga länkar"),
            count(pages, "sida", "sidor"),
        ),
    };
    let page = LinksPage {
        layout: AdminLayout::new(&state, "Trasiga länkar", Some(&editor), Section::Links),
        summary,
        rows,
        pager,
    };
    view::html(StatusCode::OK, &page)
}

#[derive(Debug)]
struct DueRow {
    page_id: PageId,
    title: String,
    url: String,
    reviewed: String,
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    layout: AdminLayout,
    months: u32,
    summary: String,
    rows: Vec<DueRow>,
    pager: Pager,
}

/// `GET /admin/review`: published pages not reviewed (marked, or saved) for the configured number
/// of months, oldest first.
pub async fn due(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let asked = ReportPage::asked("/admin/review", raw.as_deref())?;
    let months = state.site.review_months;
    let now = state.clock.now();
    let before = now
        .to_zoned(time::stockholm().clone())
        .checked_sub(i64::from(months).months())
        .map_or_else(
            |_| time::to_db(now - SignedDuration::from_hours(24 * 365)),
            |zoned| time::to_db(zoned.timestamp()),
        );
    let now = time::Moment::of(now);
    let total = db::reviews::count_due_for_review(&state.db, &before, &now).await?;
    let pager = asked.pager(total)?;
    let rows = db::reviews::due_for_review(&state.db, &before, &now, PAGE_SIZE, pager.offset())
        .await?
        .into_iter()
        .map(|due| DueRow {
            page_id: due.page_id,
            url: due.lang.page_url(&due.path),
            title: due.title,
            reviewed: time::from_db(&due.reviewed_at)
                .map(time::admin_datetime)
                .unwrap_or_default(),
        })
        .collect();
    let summary = match total {
        0 => "Alla publicerade sidor är granskade inom tiden.".to_owned(),
        _ => format!("{} att granska.", count(total, "sida", "sidor")),
    };
    let page = ReviewPage {
        layout: AdminLayout::new(&state, "Sidor att granska", Some(&editor), Section::Review),
        months,
        summary,
        rows,
        pager,
    };
    view::html(StatusCode::OK, &page)
}

/// `POST /admin/pages/{id}/reviewed`: the editor has read the page and found it current.
pub async fn mark_reviewed(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    let marked = editing::mark_reviewed(&state.db, &state.clock, &editor.author(), id).await?;
    if !marked {
        return Err(AppError::NotFound);
    }
    Ok(done_at(&format!("/admin/pages/{id}"), Done::Reviewed))
}
