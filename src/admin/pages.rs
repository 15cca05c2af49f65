//! Editors' pages: the list, the edit form with its preview, and the actions on a page (publish,
//! schedule, unpublish, trash, restore, delete).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    csrf::{CsrfForm, Submission},
    diff::{self, Hunk},
    session::Editor,
    view::{self, AdminLayout, FieldErrors, Section},
};
use crate::{
    app::AppState,
    content::{
        Kind, PagePath, Status,
        editing::{self, Author, Draft, Outcome, Translation},
        markdown,
    },
    db::{
        self,
        pages::{Listed, Page, PageContent},
    },
    error::AppError,
    lang::Lang,
    public,
    time::{self, DatePrecision},
};

/// The longest title accepted, in characters.
const MAX_TITLE: usize = 200;

/// The longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 500;

impl Editor {
    pub fn author(&self) -> Author {
        Author {
            id: self.id(),
            ip: self.ip.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    klart: Option<String>,
}

/// A page in the list, placed in the tree.
#[derive(Debug)]
struct Row {
    id: i64,
    title: String,
    path: String,
    lang: Lang,
    depth: usize,
    kind: &'static str,
    status: String,
    updated: String,
    author: String,
}

#[derive(Template)]
#[template(path = "admin/pages.html")]
struct ListPage {
    layout: AdminLayout,
    languages: Vec<(Lang, Vec<Row>)>,
}

/// Orders pages as a tree, parents before their children, and says how deep each is.
fn tree_order(pages: Vec<Listed>, now: &str) -> Vec<Row> {
    let ids: std::collections::HashSet<i64> = pages.iter().map(|page| page.id).collect();
    let mut children: HashMap<Option<i64>, Vec<&Listed>> = HashMap::new();
    for page in &pages {
        // A page whose parent is not in this list (trashed, say) is shown at the top level.
        let parent = page.parent_id.filter(|parent| ids.contains(parent));
        children.entry(parent).or_default().push(page);
    }
    for siblings in children.values_mut() {
        // The home page first, then menu order, then path.
        siblings.sort_by(|a, b| {
            (
                !a.path.is_empty(),
                a.menu_order.is_none(),
                a.menu_order,
                &a.path,
            )
                .cmp(&(
                    !b.path.is_empty(),
                    b.menu_order.is_none(),
                    b.menu_order,
                    &b.path,
                ))
        });
    }
    let mut rows = Vec::with_capacity(pages.len());
    let mut stack: Vec<(&Listed, usize)> = children
        .get(&None)
        .map(|top| top.iter().rev().map(|page| (*page, 0)).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    while let Some((page, depth)) = stack.pop() {
        if !seen.insert(page.id) {
            continue;
        }
        rows.push(Row {
            id: page.id,
            title: page.title.clone(),
            path: page.path.clone(),
            lang: page.lang,
            depth,
            kind: match page.kind {
                Kind::Page => "Sida",
                Kind::News => "Nyhet",
            },
            status: status_label(page.status, page.publish_at.as_deref(), now),
            updated: time::from_db(&page.updated_at)
                .map(time::admin_datetime)
                .unwrap_or_default(),
            author: page
                .last_author
                .clone()
                .unwrap_or_else(|| "import".to_owned()),
        });
        if let Some(kids) = children.get(&Some(page.id)) {
            stack.extend(kids.iter().rev().map(|kid| (*kid, depth + 1)));
        }
    }
    // Pages in a parent cycle are never reached from the top; list them anyway.
    for page in &pages {
        if !seen.contains(&page.id) {
            rows.push(Row {
                id: page.id,
                title: page.title.clone(),
                path: page.path.clone(),
                lang: page.lang,
                depth: 0,
                kind: "Sida",
                status: status_label(page.status, page.publish_at.as_deref(), now),
                updated: page.updated_at.clone(),
                author: page.last_author.clone().unwrap_or_default(),
            });
        }
    }
    rows
}

/// A page's status in words: published, draft, or scheduled for a moment.
fn status_label(status: Status, publish_at: Option<&str>, now: &str) -> String {
    match (status, publish_at) {
        (Status::Draft, _) => "Utkast".to_owned(),
        (Status::Published, Some(at)) if at > now => format!(
            "Schemalagd {}",
            time::from_db(at)
                .map(time::admin_datetime)
                .unwrap_or_default()
        ),
        (Status::Published, _) => "Publicerad".to_owned(),
    }
}

/// `GET /admin`: every page, by language, as a tree.
pub async fn list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let now = state.clock.now_db();
    let pages = db::pages::listed(&state.db, false).await?;
    let rows = tree_order(pages, &now);
    let languages = Lang::ALL
        .into_iter()
        .map(|lang| {
            (
                lang,
                rows.iter()
                    .filter(|row| row.lang == lang)
                    .map(clone_row)
                    .collect(),
            )
        })
        .collect();
    let page = ListPage {
        layout: AdminLayout::new(&state, "Sidor", Some(&editor), Section::Pages)
            .with_notice(query.klart.as_deref()),
        languages,
    };
    view::html(StatusCode::OK, &page)
}

fn clone_row(row: &Row) -> Row {
    Row {
        id: row.id,
        title: row.title.clone(),
        path: row.path.clone(),
        lang: row.lang,
        depth: row.depth,
        kind: row.kind,
        status: row.status.clone(),
        updated: row.updated.clone(),
        author: row.author.clone(),
    }
}

/// The edit form's fields, exactly as typed. Everything is text, so no submission fails to parse
/// and whatever an editor typed can be shown back to them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub page_id: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub translation: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub menu_order: String,
    #[serde(default)]
    pub archived: Option<String>,
    #[serde(default)]
    pub publish_date: String,
    #[serde(default)]
    pub publish_time: String,
    /// Which button was pressed: `draft` or `publish`.
    #[serde(default)]
    pub action: String,
}

impl CsrfForm for PageForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl PageForm {
    /// The form filled in from a stored page.
    fn of_page(page: &Page, translation: Option<i64>) -> PageForm {
        let (publish_date, publish_time) = page
            .publish_at
            .as_deref()
            .and_then(time::from_db)
            .map(time::form_fields)
            .unwrap_or_default();
        PageForm {
            csrf: String::new(),
            page_id: page.id.to_string(),
            version: page.version.to_string(),
            lang: page.lang.code().to_owned(),
            title: page.title.clone(),
            path: page.path.clone(),
            parent: page.parent_id.map(|id| id.to_string()).unwrap_or_default(),
            translation: translation.map(|id| id.to_string()).unwrap_or_default(),
            description: page.description.clone(),
            body: page.body_md.clone(),
            kind: match page.kind {
                Kind::Page => "page",
                Kind::News => "news",
            }
            .to_owned(),
            menu_order: page.menu_order.map(|n| n.to_string()).unwrap_or_default(),
            archived: page.archived.then(|| "on".to_owned()),
            publish_date,
            publish_time,
            action: String::new(),
        }
    }

    fn lang(&self) -> Lang {
        Lang::from_code(&self.lang).unwrap_or(Lang::Sv)
    }

    fn id_field(text: &str) -> Option<i64> {
        text.trim().parse().ok().filter(|id| *id > 0)
    }
}

/// An option of a select.
#[derive(Debug)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The other save that a conflicting save lost to, as the 409 page shows it.
#[derive(Debug)]
struct ConflictView {
    /// Who saved the current version, if known.
    author: String,
    when: String,
    /// From the saved text to the editor's.
    hunks: Vec<Hunk>,
    title_changed: Option<(String, String)>,
    kept_revision: i64,
}

#[derive(Template)]
#[template(path = "admin/edit.html")]
struct EditPage {
    layout: AdminLayout,
    heading: String,
    errors: FieldErrors,
    form: PageForm,
    /// Where the form is sent.
    action: String,
    /// The stored page, when editing one.
    page: Option<PageSummary>,
    parents: Vec<Choice>,
    translations: Vec<Choice>,
    conflict: Option<ConflictView>,
    /// The session ended before the save: the form is shown back without anything from the database.
    signed_out: bool,
    csrf: String,
}

/// What the edit form says about the stored page beside the fields.
#[derive(Debug)]
struct PageSummary {
    id: i64,
    status: String,
    published: bool,
    is_home: bool,
    public_url: Option<String>,
    old_paths: Vec<String>,
    version: i64,
}

impl EditPage {
    fn lang_is(&self, code: &str) -> bool {
        self.form.lang().code() == code
    }

    fn is_home(&self) -> bool {
        self.page.as_ref().is_some_and(|page| page.is_home)
    }

    fn is_published(&self) -> bool {
        self.page.as_ref().is_some_and(|page| page.published)
    }

    fn kind_is(&self, kind: &str) -> bool {
        self.form.kind == kind || (kind == "page" && self.form.kind != "news")
    }
}

/// Everything the edit form needs besides the form itself.
struct FormContext {
    page: Option<Page>,
    status: StatusCode,
    errors: FieldErrors,
    conflict: Option<ConflictView>,
    signed_out: bool,
    /// The confirmation to show, named by a redirect.
    done: Option<String>,
}

impl FormContext {
    fn ok(page: Option<Page>) -> Self {
        FormContext {
            page,
            status: StatusCode::OK,
            errors: FieldErrors::default(),
            conflict: None,
            signed_out: false,
            done: None,
        }
    }

    fn failed(page: Option<Page>, status: StatusCode, errors: FieldErrors) -> Self {
        FormContext {
            page,
            status,
            errors,
            conflict: None,
            signed_out: false,
            done: None,
        }
    }
}

async fn edit_page(
    state: &AppState,
    editor: Option<&Editor>,
    form: PageForm,
    context: FormContext,
) -> Result<Response, AppError> {
    let now = state.clock.now_db();
    let lang = context.page.as_ref().map_or(form.lang(), |page| page.lang);
    let mut form = form;
    form.lang = lang.code().to_owned();
    let (parents, translations) = if context.signed_out {
        (Vec::new(), Vec::new())
    } else {
        choices(
            state,
            lang,
            context.page.as_ref().map(|page| page.id),
            &form,
        )
        .await?
    };
    let page = match &context.page {
        Some(page) => {
            let visible = page.status == Status::Published
                && page.deleted_at.is_none()
                && page
                    .publish_at
                    .as_deref()
                    .is_none_or(|at| at <= now.as_str());
            let old_paths = if context.signed_out {
                Vec::new()
            } else {
                db::redirects::of_page(&state.db, page.id)
                    .await?
                    .into_iter()
                    .map(|redirect| page.lang.page_url(&redirect.from_path))
                    .collect()
            };
            Some(PageSummary {
                id: page.id,
                status: status_label(page.status, page.publish_at.as_deref(), &now),
                published: page.status == Status::Published,
                is_home: page.path.is_empty(),
                public_url: visible.then(|| page.lang.page_url(&page.path)),
                old_paths,
                version: page.version,
            })
        }
        None => None,
    };
    let (heading, action) = match &context.page {
        Some(page) => (
            format!("Redigera: {}", page.title),
            format!("/admin/pages/{}", page.id),
        ),
        None => ("Ny sida".to_owned(), "/admin/pages/new".to_owned()),
    };
    let template = EditPage {
        layout: AdminLayout::new(state, &heading, editor, Section::Pages)
            .with_notice(context.done.as_deref()),
        heading,
        errors: context.errors,
        form,
        action,
        page,
        parents,
        translations,
        conflict: context.conflict,
        signed_out: context.signed_out,
        csrf: editor
            .map(|editor| editor.csrf().to_owned())
            .unwrap_or_default(),
    };
    view::html(context.status, &template)
}

/// The parents a page may have (pages of its language, not itself or below it) and the pages it may
/// translate (pages of the other language).
async fn choices(
    state: &AppState,
    lang: Lang,
    page_id: Option<i64>,
    form: &PageForm,
) -> sqlx::Result<(Vec<Choice>, Vec<Choice>)> {
    let now = state.clock.now_db();
    let pages = db::pages::listed(&state.db, false).await?;
    // The page itself and everything below it cannot be its parent.
    let mut below = std::collections::HashSet::new();
    if let Some(id) = page_id {
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for page in &pages {
            if let Some(parent) = page.parent_id {
                children.entry(parent).or_default().push(page.id);
            }
        }
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if below.insert(next) {
                stack.extend(children.get(&next).into_iter().flatten());
            }
        }
    }
    let rows = tree_order(pages, &now);
    let label = |row: &Row| {
        let indent = "– ".repeat(row.depth);
        let path = if row.path.is_empty() {
            "startsidan".to_owned()
        } else {
            format!("/{}", row.path)
        };
        format!("{indent}{} ({path})", row.title)
    };
    let parents = rows
        .iter()
        .filter(|row| row.lang == lang && !below.contains(&row.id))
        .map(|row| Choice {
            value: row.id.to_string(),
            label: label(row),
            selected: form.parent == row.id.to_string(),
        })
        .collect();
    let translations = rows
        .iter()
        .filter(|row| row.lang != lang)
        .map(|row| Choice {
            value: row.id.to_string(),
            label: label(row),
            selected: form.translation == row.id.to_string(),
        })
        .collect();
    Ok((parents, translations))
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    lang: Option<String>,
    /// Start a translation of this page.
    #[serde(default)]
    translation_of: Option<i64>,
}

/// `GET /admin/pages/new`
pub async fn new(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let mut form = PageForm {
        lang: query.lang.unwrap_or_else(|| "sv".to_owned()),
        kind: "page".to_owned(),
        ..PageForm::default()
    };
    if let Some(original) = query.translation_of
        && let Some(page) = db::pages::find(&state.db, original).await?
    {
        form.lang = page.lang.other().code().to_owned();
        form.translation = page.id.to_string();
    }
    edit_page(&state, Some(&editor), form, FormContext::ok(None)).await
}

/// `GET /admin/pages/{id}`
pub async fn edit(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if page.deleted_at.is_some() {
        return Ok(Redirect::to("/admin/trash").into_response());
    }
    let translation = translation_of(&state, &page).await?;
    let form = PageForm::of_page(&page, translation);
    let mut context = FormContext::ok(Some(page));
    context.done = query.klart;
    edit_page(&state, Some(&editor), form, context).await
}

/// The page in the other language that `page` is linked to.
async fn translation_of(state: &AppState, page: &Page) -> sqlx::Result<Option<i64>> {
    let Some(key) = &page.translation_key else {
        return Ok(None);
    };
    let pages = db::pages::listed(&state.db, false).await?;
    Ok(pages
        .iter()
        .find(|other| other.lang != page.lang && other.translation_key.as_deref() == Some(key))
        .map(|other| other.id))
}

/// Checks a submitted form against the rules and the database; the draft to save, or every problem.
async fn check(
    state: &AppState,
    form: &PageForm,
    existing: Option<&Page>,
) -> Result<Draft, FieldErrors> {
    let mut errors = FieldErrors::default();
    let lang = existing.map_or(form.lang(), |page| page.lang);
    if existing.is_none() && Lang::from_code(&form.lang).is_none() {
        errors.add("lang", "Välj språk: svenska eller engelska.");
    }
    let title = form.title.trim();
    if title.is_empty() {
        errors.add(
            "title",
            "Skriv en rubrik. Den visas överst på sidan och i menyer.",
        );
    } else if title.chars().count() > MAX_TITLE {
        errors.add("title", "Rubriken får vara högst 200 tecken.");
    }

    let parent_id = PageForm::id_field(&form.parent);
    let parent = match parent_id {
        Some(id) => db::pages::find(&state.db, id).await.ok().flatten(),
        None => None,
    };
    if parent_id.is_some() {
        let mut cycle = false;
        if let (Some(parent), Some(page)) = (&parent, existing) {
            cycle = parent.id == page.id
                || db::pages::ancestor_ids(&state.db, parent.id)
                    .await
                    .unwrap_or_default()
                    .contains(&page.id);
        }
        match &parent {
            None => errors.add("parent", "Den överordnade sidan finns inte längre. Välj en annan."),
            Some(parent) if parent.lang != lang => {
                errors.add("parent", "Den överordnade sidan måste vara på samma språk.")
            }
            Some(_) if cycle => errors.add(
                "parent",
                "En sida kan inte ligga under sig själv eller en av sina undersidor. Välj en annan.",
            ),
            Some(_) => {}
        }
    }

    let is_home = existing.is_some_and(|page| page.path.is_empty());
    let path = if is_home {
        String::new()
    } else {
        let typed = form.path.trim().trim_matches('/').to_owned();
        if typed.is_empty() {
            // No path typed: suggest one from the title, below the parent's.
            let slug = PagePath::suggest(title);
            match parent.as_ref().filter(|parent| !parent.path.is_empty()) {
                Some(parent) if !slug.is_empty() => format!("{}/{slug}", parent.path),
                _ => slug,
            }
        } else {
            typed
        }
    };
    if !is_home {
        if path.is_empty() {
            errors.add(
                "path",
                "Skriv en adress, till exempel om-oss. Bara startsidan saknar adress.",
            );
        } else if let Err(problem) = PagePath::check(&path) {
            errors.add("path", problem.swedish());
        }
    }

    let kind = match form.kind.as_str() {
        "news" => Kind::News,
        _ => Kind::Page,
    };
    let description = form.description.trim();
    if description.chars().count() > MAX_DESCRIPTION {
        errors.add("description", "Beskrivningen får vara högst 500 tecken.");
    }
    let menu_order = match form.menu_order.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(n) if (0..=10_000).contains(&n) => Some(n),
            _ => {
                errors.add(
                    "menu_order",
                    "Skriv ett heltal mellan 0 och 10000, eller lämna fältet tomt.",
                );
                None
            }
        },
    };

    let status = if form.action == "draft" {
        Status::Draft
    } else {
        Status::Published
    };
    let mut publish_at = None;
    if !form.publish_date.trim().is_empty() {
        match time::parse_form_fields(&form.publish_date, &form.publish_time) {
            Ok(ts) => publish_at = Some(time::to_db(ts)),
            Err(problem) => {
                let field = if problem.contains("klockslaget") {
                    "publish_time"
                } else {
                    "publish_date"
                };
                errors.add(field, problem);
            }
        }
    } else if !form.publish_time.trim().is_empty() {
        errors.add(
            "publish_date",
            "Skriv ett datum till klockslaget, eller töm klockslaget.",
        );
    }
    if publish_at.is_none() && kind == Kind::News && status == Status::Published {
        // A news item is dated; published without a date, it is dated now.
        publish_at = Some(state.clock.now_db());
    }
    // A date kept as it was keeps its precision (a month-only date stays one).
    let date_precision = match existing {
        Some(page) if page.publish_at == publish_at => page.date_precision,
        _ => DatePrecision::Day,
    };

    let translation = match PageForm::id_field(&form.translation) {
        Some(id) => match db::pages::find(&state.db, id).await.ok().flatten() {
            Some(other) if other.lang != lang => Translation::Of(id),
            _ => {
                errors.add(
                    "translation",
                    "Översättningen måste vara en sida på det andra språket.",
                );
                Translation::Unlinked
            }
        },
        None => Translation::Unlinked,
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Draft {
        content: PageContent {
            lang,
            path,
            title: title.to_owned(),
            description: description.to_owned(),
            body_html: markdown::render(&form.body),
            body_md: form.body.replace("\r\n", "\n"),
            kind,
            status,
            publish_at,
            date_precision,
            menu_order,
            translation_key: None,
            archived: form.archived.is_some(),
        },
        parent_id: parent.map(|parent| parent.id),
        translation,
    })
}

/// `POST /admin/pages/new`
pub async fn create(
    State(state): State<AppState>,
    editor: Option<Editor>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let Some(editor) = editor else {
        return signed_out(&state, submission, None).await;
    };
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            return refused_form(&state, &editor, refused.form, refused.reason, None).await;
        }
    };
    let draft = match check(&state, &form, None).await {
        Ok(draft) => draft,
        Err(errors) => {
            return edit_page(
                &state,
                Some(&editor),
                form,
                FormContext::failed(None, StatusCode::BAD_REQUEST, errors),
            )
            .await;
        }
    };
    let outcome = editing::create(&state, &editor.author(), draft).await?;
    finish(&state, &editor, form, None, outcome).await
}

/// `POST /admin/pages/{id}`
pub async fn update(
    State(state): State<AppState>,
    editor: Option<Editor>,
    Path(id): Path<i64>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let Some(editor) = editor else {
        return signed_out(&state, submission, Some(id)).await;
    };
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => {
            return refused_form(&state, &editor, refused.form, refused.reason, Some(page)).await;
        }
    };
    let Ok(base_version) = form.version.trim().parse::<i64>() else {
        let mut errors = FieldErrors::default();
        errors.add("title", "Formuläret saknar sidans version. Ladda om sidan och försök igen; kopiera gärna din text först.");
        return edit_page(
            &state,
            Some(&editor),
            form,
            FormContext::failed(Some(page), StatusCode::BAD_REQUEST, errors),
        )
        .await;
    };
    let draft = match check(&state, &form, Some(&page)).await {
        Ok(draft) => draft,
        Err(errors) => {
            return edit_page(
                &state,
                Some(&editor),
                form,
                FormContext::failed(Some(page), StatusCode::BAD_REQUEST, errors),
            )
            .await;
        }
    };
    let outcome = editing::update(&state, &editor.author(), id, base_version, draft).await?;
    finish(&state, &editor, form, Some(page), outcome).await
}

/// Answers a save: on to the page with a confirmation, or back to the form with what went wrong.
async fn finish(
    state: &AppState,
    editor: &Editor,
    mut form: PageForm,
    page: Option<Page>,
    outcome: Outcome,
) -> Result<Response, AppError> {
    match outcome {
        Outcome::Saved { id, done } => {
            Ok(Redirect::to(&format!("/admin/pages/{id}?klart={done}")).into_response())
        }
        Outcome::PathTaken(message) => {
            let mut errors = FieldErrors::default();
            errors.add("path", message);
            edit_page(
                state,
                Some(editor),
                form,
                FormContext::failed(page, StatusCode::CONFLICT, errors),
            )
            .await
        }
        Outcome::Conflict { current, kept } => {
            let author = db::revisions::of_page(&state.db, current.id)
                .await?
                .into_iter()
                .find(|revision| !revision.conflict)
                .and_then(|revision| revision.author)
                .unwrap_or_else(|| "någon annan".to_owned());
            let conflict = ConflictView {
                author,
                when: time::from_db(&current.updated_at)
                    .map(time::admin_datetime)
                    .unwrap_or_default(),
                hunks: diff::diff(&current.body_md, &form.body.replace("\r\n", "\n")),
                title_changed: (current.title != form.title.trim())
                    .then(|| (current.title.clone(), form.title.trim().to_owned())),
                kept_revision: kept,
            };
            // The editor's text stays in the form, now based on the current version, so that saving
            // again (after merging) goes through.
            form.version = current.version.to_string();
            let mut errors = FieldErrors::default();
            errors.add(
                "body",
                "Sidan har ändrats av någon annan sedan du öppnade den, så din ändring sparades inte. \
                 Din text finns kvar i formuläret och är sparad som en konfliktversion i historiken. \
                 Jämför med ändringen nedan, för in det som ska vara kvar, och spara igen.",
            );
            let context = FormContext {
                page: Some(*current),
                status: StatusCode::CONFLICT,
                errors,
                conflict: Some(conflict),
                signed_out: false,
                done: None,
            };
            edit_page(state, Some(editor), form, context).await
        }
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan finns inte längre, eller ligger i papperskorgen. Återställ den från papperskorgen först.",
        )),
    }
}

/// The form back after a CSRF refusal, with the editor's text and a fresh token.
async fn refused_form(
    state: &AppState,
    editor: &Editor,
    form: PageForm,
    reason: &'static str,
    page: Option<Page>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    errors.add("title", reason);
    edit_page(
        state,
        Some(editor),
        form,
        FormContext::failed(page, StatusCode::FORBIDDEN, errors),
    )
    .await
}

/// The form back after the session ended, with the editor's text, so that nothing typed is lost.
async fn signed_out(
    state: &AppState,
    submission: Submission<PageForm>,
    page_id: Option<i64>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => refused.form,
    };
    let mut errors = FieldErrors::default();
    errors.add(
        "title",
        "Du är inte inloggad längre, så inget sparades. Din text finns kvar nedan. Logga in i en ny \
         flik, kom tillbaka hit och tryck på Spara igen.",
    );
    let action = match page_id {
        Some(id) => format!("/admin/pages/{id}"),
        None => "/admin/pages/new".to_owned(),
    };
    let template = EditPage {
        layout: AdminLayout::new(state, "Inte inloggad", None, Section::None),
        heading: "Du är inte inloggad".to_owned(),
        errors,
        form,
        action,
        page: None,
        parents: Vec::new(),
        translations: Vec::new(),
        conflict: None,
        signed_out: true,
        csrf: String::new(),
    };
    view::html(StatusCode::UNAUTHORIZED, &template)
}

/// `POST /admin/pages/preview`: the form's contents rendered as the public page, never stored.
pub async fn preview_form(
    State(state): State<AppState>,
    _editor: Editor,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let form = match submission.verified() {
        Ok(form) => form,
        Err(refused) => return Err(AppError::Forbidden(refused.reason)),
    };
    let existing = match PageForm::id_field(&form.page_id) {
        Some(id) => db::pages::find(&state.db, id).await?,
        None => None,
    };
    let now = state.clock.now_db();
    let lang = existing.as_ref().map_or(form.lang(), |page| page.lang);
    let translation_key = match PageForm::id_field(&form.translation) {
        Some(id) => db::pages::find(&state.db, id)
            .await?
            .and_then(|other| other.translation_key),
        None => None,
    };
    let title = match form.title.trim() {
        "" => "(Rubrik saknas)".to_owned(),
        title => title.to_owned(),
    };
    let publish_at = time::parse_form_fields(&form.publish_date, &form.publish_time)
        .ok()
        .map(time::to_db);
    let page = Page {
        id: existing.as_ref().map_or(0, |page| page.id),
        lang,
        path: existing
            .as_ref()
            .map_or_else(|| form.path.trim().to_owned(), |page| page.path.clone()),
        title,
        description: form.description.trim().to_owned(),
        body_html: markdown::render(&form.body),
        body_md: form.body.clone(),
        kind: if form.kind == "news" {
            Kind::News
        } else {
            Kind::Page
        },
        status: Status::Draft,
        publish_at: publish_at.or_else(|| Some(now.clone())),
        date_precision: DatePrecision::Day,
        parent_id: PageForm::id_field(&form.parent),
        menu_order: None,
        translation_key,
        archived: form.archived.is_some(),
        version: 0,
        created_at: now.clone(),
        updated_at: now.clone(),
        deleted_at: None,
    };
    preview_response(&state, page, &now).await
}

/// `GET /admin/pages/{id}/preview`: the stored page as it will look, published or not.
pub async fn preview_saved(
    State(state): State<AppState>,
    _editor: Editor,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now_db();
    preview_response(&state, page, &now).await
}

async fn preview_response(state: &AppState, page: Page, now: &str) -> Result<Response, AppError> {
    let html = public::pages::render(state, page, now, true).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        html,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ButtonForm {
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for ButtonForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// What a button on a page does.
#[derive(Debug, Clone, Copy)]
enum PageAction {
    Unpublish,
    Trash,
    Restore,
    Delete,
}

async fn act(
    state: &AppState,
    editor: &Editor,
    id: i64,
    submission: Submission<ButtonForm>,
    action: PageAction,
) -> Result<Response, AppError> {
    if let Err(refused) = submission.verified() {
        return Err(AppError::Forbidden(refused.reason));
    }
    let author = editor.author();
    let outcome = match action {
        PageAction::Unpublish => editing::unpublish(state, &author, id).await?,
        PageAction::Trash => editing::set_trashed(state, &author, id, true).await?,
        PageAction::Restore => editing::set_trashed(state, &author, id, false).await?,
        PageAction::Delete => {
            editor.require_admin()?;
            editing::delete(state, &author, id).await?
        }
    };
    match outcome {
        Outcome::Saved {
            done: "papperskorg",
            ..
        } => Ok(Redirect::to("/admin?klart=papperskorg").into_response()),
        Outcome::Saved {
            done: "raderad", ..
        } => Ok(Redirect::to("/admin/trash?klart=raderad").into_response()),
        Outcome::Saved { id, done } => {
            Ok(Redirect::to(&format!("/admin/pages/{id}?klart={done}")).into_response())
        }
        Outcome::Conflict { .. } | Outcome::PathTaken(_) => Err(AppError::Forbidden(
            "Sidan ändrades samtidigt av någon annan. Öppna den igen och försök på nytt.",
        )),
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan finns inte, eller är redan i det läget.",
        )),
    }
}

/// `POST /admin/pages/{id}/unpublish`
pub async fn unpublish(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<ButtonForm>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Unpublish).await
}

/// `POST /admin/pages/{id}/trash`
pub async fn trash(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<ButtonForm>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Trash).await
}

/// `POST /admin/pages/{id}/restore`
pub async fn restore(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<ButtonForm>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Restore).await
}

/// `POST /admin/pages/{id}/delete`
pub async fn delete(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    submission: Submission<ButtonForm>,
) -> Result<Response, AppError> {
    act(&state, &editor, id, submission, PageAction::Delete).await
}

#[derive(Template)]
#[template(path = "admin/trash.html")]
struct TrashPage {
    layout: AdminLayout,
    rows: Vec<TrashRow>,
    csrf: String,
    is_admin: bool,
}

#[derive(Debug)]
struct TrashRow {
    id: i64,
    title: String,
    url: String,
    trashed: String,
}

/// `GET /admin/trash`
pub async fn trash_list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let rows = db::pages::listed(&state.db, true)
        .await?
        .into_iter()
        .map(|page| TrashRow {
            id: page.id,
            url: page.lang.page_url(&page.path),
            title: page.title,
            trashed: page
                .deleted_at
                .as_deref()
                .and_then(time::from_db)
                .map(time::admin_datetime)
                .unwrap_or_default(),
        })
        .collect();
    let page = TrashPage {
        layout: AdminLayout::new(&state, "Papperskorgen", Some(&editor), Section::Trash)
            .with_notice(query.klart.as_deref()),
        rows,
        csrf: editor.csrf().to_owned(),
        is_admin: editor.is_admin(),
    };
    view::html(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin/delete.html")]
struct DeletePage {
    layout: AdminLayout,
    id: i64,
    title: String,
    revisions: usize,
    csrf: String,
}

/// `GET /admin/pages/{id}/delete`: asks an administrator to confirm.
pub async fn confirm_delete(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    editor.require_admin()?;
    let page = db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if page.deleted_at.is_none() {
        return Err(AppError::NotFoundBecause(
            "Bara sidor i papperskorgen kan raderas för gott. Flytta sidan till papperskorgen först.",
        ));
    }
    let revisions = db::revisions::of_page(&state.db, id).await?.len();
    let page = DeletePage {
        layout: AdminLayout::new(&state, "Radera för gott", Some(&editor), Section::Trash),
        id,
        title: page.title,
        revisions,
        csrf: editor.csrf().to_owned(),
    };
    view::html(StatusCode::OK, &page)
}
