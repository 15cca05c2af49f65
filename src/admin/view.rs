//! What every admin screen shares: the layout around it, form errors, and answering with HTML.

use askama::Template;
use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};

use super::session::Editor;
use crate::{
    accounts,
    app::AppState,
    error::AppError,
    lang::{Label, Lang, Texts},
    vocab::Done,
};

/// The admin area's sections, for the navigation's `aria-current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Pages,
    Media,
    Trash,
    Users,
    Audit,
    Searches,
    Links,
    Review,
    Account,
    /// Screens outside the navigation: login, setup.
    None,
}

/// The logged-in editor as the header shows them.
#[derive(Debug, Clone)]
pub struct Who {
    pub display_name: String,
    pub is_admin: bool,
    pub csrf: String,
}

/// The layout of an admin screen; `templates/admin/admin.html` renders it around the shared base.
#[derive(Debug, Clone)]
pub struct AdminLayout {
    pub lang: Lang,
    pub t: &'static Texts,
    pub document_title: String,
    pub css_href: String,
    pub icon_href: String,
    pub admin_css_href: String,
    pub script_href: String,
    /// The edit screen's own script (`static/editor.js`): toolbar, link picker, paste, tabs.
    pub editor_script_href: String,
    pub who: Option<Who>,
    pub section: Section,
    /// A sentence confirming what was just done, shown once.
    pub notice: Option<&'static str>,
    /// A link after the notice: the page as visitors now see it, after a save.
    pub notice_link: Option<(String, &'static str)>,
}

impl AdminLayout {
    pub fn new(state: &AppState, title: &str, editor: Option<&Editor>, section: Section) -> Self {
        AdminLayout {
            lang: Lang::Sv,
            t: Lang::Sv.texts(),
            document_title: format!("{title} – Redigera webbplatsen"),
            css_href: state.assets.url("site.css").to_owned(),
            icon_href: state.assets.url("favicon.svg").to_owned(),
            admin_css_href: state.assets.url("admin.css").to_owned(),
            script_href: state.assets.url("admin.js").to_owned(),
            editor_script_href: state.assets.url("editor.js").to_owned(),
            who: editor.map(|editor| Who {
                display_name: editor.session.display_name.clone(),
                is_admin: editor.is_admin(),
                csrf: editor.csrf().to_owned(),
            }),
            section,
            notice: None,
            notice_link: None,
        }
    }

    /// Shows the confirmation of what was just done, named by a redirect's `?klart=` parameter.
    pub fn with_notice(mut self, done: Option<Done>) -> Self {
        self.notice = done.map(Done::swedish);
        self
    }

    /// Follows the notice (if there is one) with a link to `href`, reading `text`.
    pub fn with_notice_link(mut self, href: Option<String>, text: &'static str) -> Self {
        if self.notice.is_some() {
            self.notice_link = href.map(|href| (href, text));
        }
        self
    }

    pub fn is(&self, section: Section) -> bool {
        self.section == section
    }
}

/// An option of a select: in a form, or in a list's filter.
#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The query of a screen that a redirect may have sent with `?klart=…`, naming a confirmation to show.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub klart: Option<String>,
}

impl DoneQuery {
    /// What was done, if the address names something known; nothing typed into the address reaches
    /// the page.
    pub fn done(&self) -> Option<Done> {
        self.klart.as_deref().and_then(Done::from_id)
    }
}

/// A list screen's filter from its address's query, every field optional; a query that does not
/// read is a 400 with a sentence.
pub fn list_params<T: serde::de::DeserializeOwned + Default>(
    raw: Option<&str>,
) -> Result<T, AppError> {
    raw.map(serde_urlencoded::from_str)
        .transpose()
        .map_err(|_| AppError::BadRequest("Adressen kunde inte läsas."))
        .map(Option::unwrap_or_default)
}

/// A list screen's filter from its address's query, as [`list_params`] reads it: an extractor.
#[derive(Debug)]
pub struct ListQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned + Default> axum::extract::FromRequestParts<AppState>
    for ListQuery<T>
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, AppError> {
        list_params(parts.uri.query()).map(ListQuery)
    }
}

/// The longest text a list's filter (or the link picker) searches for; more is cut.
const MAX_FILTER_CHARS: usize = 100;

/// A list's filter text as typed, fit to search for: without control characters, at most
/// 100 characters long, trimmed.
pub fn filter_text(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILTER_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The page of a list that `sida=` asks for: 1 when it is not given.
pub fn page_number(text: Option<&str>) -> Result<i64, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(1),
        Some(text) => crate::public::address_number(text).ok_or(AppError::BadRequest(
            "Sidnumret måste vara ett heltal från 1.",
        )),
    }
}

/// Where a list is among its pages, and the links to the pages beside it.
#[derive(Debug)]
pub struct Pager {
    number: i64,
    size: i64,
    /// "Sida 2 av 7", when there is more than one page.
    pub position: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `number` of a list of `total` rows, `size` a page, whose page `n` is at `link(n)`.
    /// A page past the end is not found (the first page always exists, empty or not).
    pub fn new(
        number: i64,
        total: i64,
        size: i64,
        link: impl Fn(i64) -> String,
    ) -> Result<Pager, AppError> {
        let pages = ((total + size - 1) / size).max(1);
        if number > pages {
            return Err(AppError::NotFound);
        }
        Ok(Pager {
            number,
            size,
            position: (pages > 1).then(|| format!("Sida {number} av {pages}")),
            previous: (number > 1).then(|| link(number - 1)),
            next: (number < pages).then(|| link(number + 1)),
        })
    }

    /// The rows before this page.
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }
}

/// The address of a list at `path` with the query `pairs`, leaving out the empty ones: a filtered
/// list's page has one address, and the first page has none of `sida=1`.
pub fn list_address(path: &str, pairs: &[(&str, &str)]) -> String {
    let set: Vec<_> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    match serde_urlencoded::to_string(set) {
        Ok(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    }
}

/// Sends the browser on to `to` (an admin address without a query), which then confirms `done`.
pub fn done_at(to: &str, done: Done) -> Response {
    Redirect::to(&format!("{to}?klart={done}")).into_response()
}

/// A problem with one field of a form.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The `id` of the field, for the summary's link and the field's `aria-describedby`.
    pub field: &'static str,
    pub message: String,
}

/// Every problem with a submitted form, in the order of its fields.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// A single problem.
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// The problems of an account's fields, each at its field.
    pub fn of_problems(problems: &[accounts::Problem]) -> Self {
        let mut errors = FieldErrors::default();
        for problem in problems {
            errors.add(problem.field(), problem.swedish());
        }
        errors
    }
}

/// Renders an admin screen with `status`. Admin responses are never stored by anyone.
pub fn html(status: StatusCode, template: &impl Template) -> Result<Response, AppError> {
    let body = template.render()?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
}
