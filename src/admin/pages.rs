//! Editors' pages: the list and the edit screen, where pages are created, saved, published, scheduled
//! and unpublished; a save that lost a race comes back here as a conflict. The form's checks are in
//! [`form`], previews in [`preview`], the other buttons and the trash in [`actions`].

pub mod actions;
pub mod form;
mod kept;
pub mod list;
pub mod outline;
pub mod preview;
pub mod tree;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use self::{
    form::{Choices, PageForm, check, choices},
    kept::{database_away, not_saved, resume},
    tree::status_label,
};
use super::{
    csrf::Submission,
    diff::{self, Hunk},
    session::{ClientIp, Editor},
    view::{self, AdminLayout, DoneQuery, FieldErrors, Section, done_at},
};
use crate::{
    admin::writing::{self, WritingPanel},
    app::AppState,
    content::editing::{self, Outcome},
    db::{self, pages::Page},
    error::AppError,
    ids::PageId,
    time::{self},
    vocab::{Done, Kind, Status},
    writing::links,
};

/// The other save that a conflicting save lost to, as the 409 page shows it.
#[derive(Debug)]
struct ConflictView {
    /// Who saved the current version, if known.
    author: String,
    when: String,
    /// From the saved text to the editor's.
    hunks: Vec<Hunk>,
    title_changed: Option<(String, String)>,
    /// The number the history shows the editor's text under, marked as a conflict.
    kept_version: i64,
    /// "Spara min text och ersätt Annas ändring": the explicit choice to replace the other save.
    replace_label: String,
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
    /// The parents and translations offered.
    choices: Choices,
    conflict: Option<ConflictView>,
    /// The session ended before the save: the form is shown back without anything from the database.
    signed_out: bool,
    /// The database could not be reached to save: the form is shown back without anything from it.
    database_away: bool,
    csrf: String,
    /// The newest files of the library, to insert into the text.
    media: Vec<crate::admin::media::Card>,
    /// Writing help on the text as it is in the form.
    writing: Option<WritingPanel>,
    /// Publishing waits for the editor to confirm: the text has links that lead nowhere.
    confirm_publish: bool,
    /// The clock's time as the form is shown: a publishing time after it schedules.
    now: jiff::Timestamp,
}

/// What the edit form says about the stored page beside the fields.
#[derive(Debug)]
struct PageSummary {
    id: PageId,
    status: String,
    published: bool,
    is_home: bool,
    public_url: Option<String>,
    old_paths: Vec<String>,
    version: i64,
    /// "12 mars 2026 (markerad av anna)": when the page was last reviewed.
    reviewed: String,
    /// How many other pages link here: trashing it asks first when any do.
    linked_from: usize,
    /// The page is in the main menu, which it leaves if it goes under another page.
    in_menu: bool,
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

    /// The form is shown back as it was sent, without anything from the database.
    fn kept(&self) -> bool {
        self.signed_out || self.database_away
    }

    /// The main button's words when it publishes now.
    fn publish_label(&self) -> &'static str {
        if self.is_published() {
            "Spara och publicera"
        } else {
            "Publicera"
        }
    }

    /// The main button's words when the publishing time is still to come.
    fn schedule_label(&self) -> &'static str {
        "Schemalägg"
    }

    /// The form's publishing time is still to come: the main button schedules.
    fn schedules(&self) -> bool {
        time::parse_form_fields(&self.form.publish_date, &self.form.publish_time)
            .is_ok_and(|at| at > self.now)
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
    done: Option<Done>,
    /// The editor asked to publish a text with broken links: ask again.
    confirm_publish: bool,
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
            confirm_publish: false,
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
    let choices = if context.signed_out {
        Choices::default()
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
            let visible = crate::publishing::is_visible(page, &now);
            let old_paths = if context.signed_out {
                Vec::new()
            } else {
                db::redirects::of_page(&state.db, page.id)
                    .await?
                    .into_iter()
                    .map(|redirect| page.lang.page_url(&redirect.from_path))
                    .collect()
            };
            let reviewed = db::reviews::last_reviewed(&state.db, page.id)
                .await?
                .map(|reviewed| {
                    let at = time::from_db(&reviewed.at)
                        .map(time::admin_datetime)
                        .unwrap_or_default();
                    match reviewed.marked_by {
                        Some(name) => format!("{at} (markerad av {name})"),
                        None => format!("{at} (sparad)"),
                    }
                })
                .unwrap_or_default();
            let linked_from = db::links::linking_to(&state.db, page.id).await?.len();
            Some(PageSummary {
                in_menu: form::in_main_menu(page),
                reviewed,
                linked_from,
                id: page.id,
                status: status_label(
                    page.content.status,
                    page.content.publish_at.as_deref(),
                    &now,
                ),
                published: page.content.status == Status::Published,
                is_home: page.content.path.is_empty(),
                public_url: visible.then(|| page.lang.page_url(&page.content.path)),
                old_paths,
                version: page.version,
            })
        }
        None => None,
    };
    let (heading, action) = match &context.page {
        Some(page) => (
            format!("Redigera: {}", page.content.title),
            format!("/admin/pages/{}", page.id),
        ),
        None if form.kind() == Kind::News => ("Ny nyhet".to_owned(), "/admin/pages/new".to_owned()),
        None => ("Ny sida".to_owned(), "/admin/pages/new".to_owned()),
    };
    let writing = if context.signed_out {
        None
    } else {
        let path = context.page.as_ref().map_or_else(
            || form.path.trim().to_owned(),
            |page| page.content.path.clone(),
        );
        let assessment = writing::assess(state, lang, &path, &form.body).await?;
        Some(WritingPanel::of(&assessment))
    };
    let template = EditPage {
        writing,
        confirm_publish: context.confirm_publish,
        now: state.clock.now(),
        layout: AdminLayout::new(state, &heading, editor, Section::Pages)
            .with_notice(context.done)
            .with_notice_link(
                page.as_ref().and_then(|page| page.public_url.clone()),
                "Se sidan som besökarna ser den",
            ),
        heading,
        errors: context.errors,
        form,
        action,
        page,
        choices,
        conflict: context.conflict,
        signed_out: context.signed_out,
        database_away: false,
        csrf: editor
            .map(|editor| editor.csrf().to_owned())
            .unwrap_or_default(),
        media: if context.signed_out {
            Vec::new()
        } else {
            crate::admin::media::recent(state, lang).await?
        },
    };
    view::html(context.status, &template)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    lang: Option<String>,
    /// `nyhet` for a news item ("Ny nyhet"); anything else is a page.
    typ: Option<String>,
    /// Start a translation of this page.
    translation_of: Option<PageId>,
}

/// `GET /admin/pages/new`
pub async fn new(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<NewQuery>,
) -> Result<Response, AppError> {
    let news = query.typ.as_deref() == Some("nyhet");
    let mut form = PageForm {
        lang: query.lang.unwrap_or_else(|| "sv".to_owned()),
        kind: if news { Kind::News } else { Kind::Page }.id().to_owned(),
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

/// Page `id`, in the trash or not; 404 when there is none.
pub(crate) async fn stored_page(state: &AppState, id: PageId) -> Result<Page, AppError> {
    db::pages::find(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/pages/{id}`
pub async fn edit(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<PageId>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let page = stored_page(&state, id).await?;
    if page.deleted_at.is_some() {
        return Ok(Redirect::to("/admin/trash").into_response());
    }
    let translation = translation_of(&state, &page).await?;
    let form = PageForm::of_page(&page, translation);
    let mut context = FormContext::ok(Some(page));
    context.done = query.done();
    edit_page(&state, Some(&editor), form, context).await
}

/// The page in the other language that `page` is linked to.
async fn translation_of(state: &AppState, page: &Page) -> sqlx::Result<Option<PageId>> {
    let Some(key) = &page.content.translation_key else {
        return Ok(None);
    };
    db::pages::translation_id(&state.db, page.lang.other(), key).await
}

/// `POST /admin/pages/new`
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    editor: Result<Option<Editor>, AppError>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let editor = match editor {
        Ok(editor) => editor,
        Err(error) => return database_away(&state, error, submission, None),
    };
    let Some(editor) = editor else {
        return resume(&state, &headers, &ip, submission, None).await;
    };
    match submission.verified() {
        Ok(form) => save_new(&state, &editor, form).await,
        Err(refused) => refused_form(&state, &editor, refused.form, refused.reason, None).await,
    }
}

/// `POST /admin/pages/{id}`
pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    editor: Result<Option<Editor>, AppError>,
    Path(id): Path<PageId>,
    submission: Submission<PageForm>,
) -> Result<Response, AppError> {
    let editor = match editor {
        Ok(editor) => editor,
        Err(error) => return database_away(&state, error, submission, Some(id)),
    };
    let Some(editor) = editor else {
        return resume(&state, &headers, &ip, submission, Some(id)).await;
    };
    match submission.verified() {
        Ok(form) => save_existing(&state, &editor, id, form).await,
        Err(refused) => {
            let page = stored_page(&state, id).await?;
            refused_form(&state, &editor, refused.form, refused.reason, Some(page)).await
        }
    }
}

/// Creates a page from a checked-in form.
async fn save_new(state: &AppState, editor: &Editor, form: PageForm) -> Result<Response, AppError> {
    let draft = match check(state, &form, None).await? {
        Ok(draft) => draft,
        Err(errors) => {
            return form_again(state, editor, form, None, StatusCode::BAD_REQUEST, errors).await;
        }
    };
    if let Some(errors) = broken_before_publishing(state, &form, draft.lang, false, &draft).await? {
        return ask_to_publish(state, editor, form, None, errors).await;
    }
    let edited = match editing::create(&state.db, &state.clock, &editor.author(), draft).await {
        Ok(edited) => edited,
        Err(error) => return not_saved(state, editor, form, None, &error).await,
    };
    let outcome = state.apply(edited).await;
    finish(state, editor, form, None, outcome).await
}

/// Saves a page from its edit form, based on the version the form was loaded at.
async fn save_existing(
    state: &AppState,
    editor: &Editor,
    id: PageId,
    form: PageForm,
) -> Result<Response, AppError> {
    let page = stored_page(state, id).await?;
    // "Spara min text och ersätt …" after a conflict: based on the version the editor was shown,
    // and leaving the page published or not as it is.
    let mut form = form;
    let replacing = form.action == "replace";
    if replacing {
        let published = page.content.status == Status::Published;
        form.action = if published { "publish" } else { "draft" }.to_owned();
    }
    let base = if replacing {
        &form.replace_version
    } else {
        &form.version
    };
    let checked = match base.trim().parse::<i64>() {
        Ok(base_version) => check(state, &form, Some(&page))
            .await?
            .map(|draft| (base_version, draft)),
        Err(_) => Err(FieldErrors::one(
            "title",
            "Formuläret saknar sidans version. Ladda om sidan och försök igen; kopiera gärna din text först.",
        )),
    };
    let (base_version, draft) = match checked {
        Ok(checked) => checked,
        Err(errors) => {
            let status = StatusCode::BAD_REQUEST;
            return form_again(state, editor, form, Some(page), status, errors).await;
        }
    };
    let live = crate::publishing::is_visible(&page, &state.clock.now_db());
    if let Some(errors) = broken_before_publishing(state, &form, page.lang, live, &draft).await? {
        return ask_to_publish(state, editor, form, Some(page), errors).await;
    }
    let saved = editing::update(
        &state.db,
        &state.clock,
        &editor.author(),
        id,
        base_version,
        draft,
    )
    .await;
    let edited = match saved {
        Ok(edited) => edited,
        Err(error) => return not_saved(state, editor, form, Some(page), &error).await,
    };
    let outcome = state.apply(edited).await;
    finish(state, editor, form, Some(page), outcome).await
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
        Outcome::Saved { id, done } => Ok(done_at(&format!("/admin/pages/{id}"), done)),
        Outcome::PathTaken(taken) => {
            let errors = FieldErrors::one("path", taken.swedish());
            form_again(state, editor, form, page, StatusCode::CONFLICT, errors).await
        }
        Outcome::Conflict { current, kept } => {
            let revisions = db::revisions::of_page(&state.db, current.id).await?;
            let author = revisions
                .iter()
                .find(|revision| !revision.conflict)
                .and_then(|revision| revision.author.clone())
                .unwrap_or_else(|| "någon annan".to_owned());
            let kept_version = revisions
                .iter()
                .find(|revision| revision.id == kept)
                .map_or(current.version, |revision| revision.version);
            let conflict = ConflictView {
                when: time::from_db(&current.updated_at)
                    .map(time::admin_datetime)
                    .unwrap_or_default(),
                hunks: diff::diff(&current.content.body_md, &form.body.replace("\r\n", "\n")),
                title_changed: (current.content.title != form.title.trim())
                    .then(|| (current.content.title.clone(), form.title.trim().to_owned())),
                kept_version,
                replace_label: format!(
                    "Spara min text och ersätt {} ändring",
                    swedish_genitive(&author)
                ),
                author,
            };
            // The editor's text stays in the form, still based on the version they opened: saving
            // it as before meets the same conflict again. Replacing the colleague's change is a
            // choice of its own, and replaces only the version shown here.
            form.replace_version = current.version.to_string();
            let errors = FieldErrors::one(
                "body",
                "Sidan har ändrats av någon annan sedan du öppnade den, så din ändring sparades inte. \
                 Din text finns kvar i formuläret och är sparad som en konfliktversion i historiken. \
                 Jämför med ändringen nedan och för in det som ska vara kvar. Välj sedan att spara \
                 din text i stället för den andra ändringen, eller öppna sidan på nytt för att börja \
                 från den.",
            );
            let context = FormContext {
                page: Some(*current),
                status: StatusCode::CONFLICT,
                errors,
                conflict: Some(conflict),
                signed_out: false,
                done: None,
                confirm_publish: false,
            };
            edit_page(state, Some(editor), form, context).await
        }
        Outcome::Gone => Err(AppError::NotFoundBecause(
            "Sidan finns inte längre, eller ligger i papperskorgen. Återställ den från papperskorgen först.",
        )),
    }
}

/// `name` as the owner of something, in Swedish: "Annas", "Lars", "någon annans".
fn swedish_genitive(name: &str) -> String {
    if name.ends_with(['s', 'x', 'z', 'S', 'X', 'Z']) {
        name.to_owned()
    } else {
        format!("{name}s")
    }
}

/// When the editor asked to publish (not yet confirmed) a text whose links to the site lead
/// nowhere: what to tell them.
async fn broken_before_publishing(
    state: &AppState,
    form: &PageForm,
    lang: crate::lang::Lang,
    live: bool,
    draft: &editing::Draft,
) -> Result<Option<FieldErrors>, AppError> {
    if form.action != "publish" {
        return Ok(None);
    }
    let found = links::internal_links(&draft.content.body_md, lang, &draft.content.path);
    let mut conn = state.db.acquire().await?;
    let broken = links::broken(&mut conn, &found, &state.clock.now_db()).await?;
    if broken.is_empty() {
        return Ok(None);
    }
    let lines: Vec<String> = broken
        .iter()
        .map(|finding| format!("{} (rad {})", finding.detail, finding.line))
        .collect();
    // A live page is never told to save as a draft: that would take it off the site.
    let what_now = if live {
        "Rätta länkarna, eller publicera ändå. Till dess visar webbplatsen sidan som förut."
    } else {
        "Rätta länkarna, spara som utkast, eller publicera ändå."
    };
    Ok(Some(FieldErrors::one(
        "body",
        format!(
            "Texten länkar till {} på webbplatsen där det inte finns någon sida eller fil: {}. \
             Inget är sparat ännu. {what_now}",
            if broken.len() == 1 {
                "en adress"
            } else {
                "adresser"
            },
            lines.join(", ")
        ),
    )))
}

/// The form back, unsaved, asking the editor to confirm publishing with broken links.
async fn ask_to_publish(
    state: &AppState,
    editor: &Editor,
    form: PageForm,
    page: Option<Page>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let context = FormContext {
        page,
        status: StatusCode::CONFLICT,
        errors,
        confirm_publish: true,
        ..FormContext::ok(None)
    };
    edit_page(state, Some(editor), form, context).await
}

/// The form back after a CSRF refusal, with the editor's text and a fresh token.
async fn refused_form(
    state: &AppState,
    editor: &Editor,
    form: PageForm,
    reason: &'static str,
    page: Option<Page>,
) -> Result<Response, AppError> {
    let errors = FieldErrors::one("title", reason);
    form_again(state, editor, form, page, StatusCode::FORBIDDEN, errors).await
}

/// The form back with what the editor typed, answered with `status`, and what to fix.
async fn form_again(
    state: &AppState,
    editor: &Editor,
    form: PageForm,
    page: Option<Page>,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let context = FormContext {
        page,
        status,
        errors,
        ..FormContext::ok(None)
    };
    edit_page(state, Some(editor), form, context).await
}
