//! The media library in the admin area: `/admin/media` lists the files (filtered by name and type, a
//! page at a time) under a form to upload more; `/admin/media/{id}` shows one file with a snippet to
//! paste into a page, its texts, the pages that use it, and buttons to replace or delete it.
//!
//! Uploads are multipart forms, read as they stream in: a file past the site's limit is answered
//! with 413 and the form as it was typed, without the rest of the body being kept anywhere.

use askama::Template;
use axum::{
    extract::{Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{
    admin::{
        csrf::{self, Button, Submission},
        session::Editor,
        view::{self, AdminLayout, Choice, DoneQuery, FieldErrors, ListQuery, Pager, Section},
    },
    app::AppState,
    db::{
        self,
        media::{Filter, Item, Texts},
    },
    error::AppError,
    ids::MediaId,
    lang::{Label, Lang},
    media::{
        self,
        library::{self, Deleted, Problem, Replaced, Stored, Upload},
        pending::Kept,
    },
    time,
    vocab::{Done, MediaType},
};

/// Files per page of the library.
pub const PAGE_SIZE: i64 = 48;

pub mod insert;
mod upload;

pub use upload::is_upload;
use upload::{Read, clean_text, limit_text, read_upload};

/// A file as a card of the library, or the head of its own screen.
#[derive(Debug)]
pub struct Card {
    pub id: MediaId,
    pub file_name: String,
    pub url: String,
    /// A small copy to show, for images.
    pub thumb: Option<String>,
    pub alt: String,
    pub decorative: bool,
    pub kind: &'static str,
    pub size: String,
    pub pixels: Option<String>,
    pub uploaded: String,
    pub uploaded_by: String,
    /// What to paste into a page's text.
    pub snippet: String,
}

impl Card {
    fn of(item: &Item) -> Card {
        Card::for_page(item, Lang::Sv)
    }

    /// The card with its snippet for a page in `lang`: the image's alternative text in that
    /// language (the Swedish one when there is no other), none for a decorative image.
    fn for_page(item: &Item, lang: Lang) -> Card {
        let url = media::url(item.id, &item.file_name);
        let thumb = item.media_type.is_image().then(|| {
            let wide = item.width.is_some_and(|width| width > 480);
            if wide && item.media_type != MediaType::Gif {
                media::variant_url(item.id, 480, &item.file_name, item.media_type)
            } else {
                url.clone()
            }
        });
        let alt = match (item.decorative, lang) {
            (true, _) => "",
            (false, Lang::En) if !item.alt_en.trim().is_empty() => &item.alt_en,
            (false, _) => &item.alt_sv,
        };
        let is_image = item.media_type.is_image();
        let snippet = media::snippet(item.id, &item.file_name, is_image, alt, "");
        Card {
            id: item.id,
            file_name: item.file_name.clone(),
            thumb,
            alt: item.alt_sv.clone(),
            decorative: item.decorative,
            kind: item.media_type.name(),
            size: media::human_size(u64::try_from(item.byte_size).unwrap_or(0), Lang::Sv),
            pixels: item
                .width
                .zip(item.height)
                .map(|(width, height)| format!("{width} × {height} bildpunkter")),
            uploaded: time::from_db(&item.uploaded_at)
                .map(time::admin_datetime)
                .unwrap_or_default(),
            uploaded_by: item.uploaded_by.clone().unwrap_or_else(|| "–".to_owned()),
            snippet,
            url,
        }
    }
}

/// What the upload form shows again after a problem.
#[derive(Debug, Default)]
struct Typed {
    alt_sv: String,
    alt_en: String,
    decorative: bool,
    /// Files chosen last time, kept for the form to send again without choosing them anew.
    kept: Option<Kept>,
}

impl Typed {
    fn of(texts: &Texts) -> Typed {
        Typed {
            alt_sv: texts.alt_sv.clone(),
            alt_en: texts.alt_en.clone(),
            decorative: texts.decorative,
            kept: None,
        }
    }
}

/// What keeps an upload's files from being stored because of its texts (an image without an
/// alternative text): the files are fine, and are kept for the form's next sending.
fn texts_problem(files: &[Upload], texts: &Texts) -> Option<Problem> {
    files.iter().find_map(|file| {
        media::sniff(&file.bytes)
            .and_then(|media_type| library::check_texts(texts, media_type).err())
    })
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct LibraryPage {
    layout: AdminLayout,
    csrf: String,
    limit: String,
    typed: Typed,
    errors: FieldErrors,
    text: String,
    types: Vec<Choice>,
    summary: String,
    cards: Vec<Card>,
    pager: Pager,
}

/// The library's filter as the form sends it.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    q: String,
    #[serde(default)]
    typ: String,
    #[serde(default)]
    sida: Option<String>,
}

/// `GET /admin/media`
pub async fn library_screen(
    State(state): State<AppState>,
    editor: Editor,
    Query(done): Query<DoneQuery>,
    ListQuery(params): ListQuery<Params>,
) -> Result<Response, AppError> {
    let notice = done.done();
    library_page(
        &state,
        &editor,
        &params,
        StatusCode::OK,
        Typed::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

async fn library_page(
    state: &AppState,
    editor: &Editor,
    params: &Params,
    status: StatusCode,
    typed: Typed,
    errors: FieldErrors,
    notice: Option<Done>,
) -> Result<Response, AppError> {
    let text: String = clean_text(&params.q).chars().take(100).collect();
    let media_type = match params.typ.as_str() {
        "" => None,
        id => Some(MediaType::from_id(id).ok_or(AppError::BadRequest(
            "Filtret har ett värde som inte finns. Välj i listan.",
        ))?),
    };
    let number = view::page_number(params.sida.as_deref())?;
    let filter = Filter {
        text: (!text.is_empty()).then(|| text.clone()),
        media_type,
    };
    let total = db::media::count(&state.db, &filter).await?;
    let link = |n: i64| {
        let number = n.to_string();
        let pairs = [
            ("q", text.as_str()),
            ("typ", media_type.map_or("", MediaType::id)),
            ("sida", if n > 1 { number.as_str() } else { "" }),
        ];
        view::list_address("/admin/media", &pairs)
    };
    let pager = Pager::new(number, total, PAGE_SIZE, link)?;
    let cards = db::media::list(&state.db, &filter, PAGE_SIZE, pager.offset())
        .await?
        .iter()
        .map(Card::of)
        .collect();
    let filtered = filter.text.is_some() || media_type.is_some();
    let summary = match (total, filtered) {
        (0, true) => "Inga filer passar filtret.".to_owned(),
        (0, false) => "Inga filer ännu.".to_owned(),
        (1, _) => "1 fil".to_owned(),
        (n, _) => format!("{} filer", Lang::Sv.number(n)),
    };
    let page = LibraryPage {
        layout: AdminLayout::new(state, "Bilder och dokument", Some(editor), Section::Media)
            .with_notice(notice),
        csrf: editor.csrf().to_owned(),
        limit: limit_text(state.site.max_upload),
        typed,
        errors,
        types: MediaType::ALL
            .iter()
            .map(|kind| Choice {
                value: kind.id().to_owned(),
                label: kind.name().to_owned(),
                selected: media_type == Some(*kind),
            })
            .collect(),
        pager,
        text,
        summary,
        cards,
    };
    view::html(status, &page)
}

/// `POST /admin/media`: uploads one or more files.
pub async fn upload(
    State(state): State<AppState>,
    editor: Editor,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let limit = state.site.max_upload;
    let back = |status: StatusCode, texts: &Texts, kept: Option<Kept>, errors: FieldErrors| {
        let state = state.clone();
        let editor = &editor;
        let typed = Typed {
            kept,
            ..Typed::of(texts)
        };
        async move {
            library_page(
                &state,
                editor,
                &Params::default(),
                status,
                typed,
                errors,
                None,
            )
            .await
        }
    };
    let form = match read_upload(multipart, limit).await {
        Read::Whole(form) => form,
        Read::TooLarge(form) => {
            let message = format!(
                "Filerna är för stora: en uppladdning får vara högst {} sammanlagt. Inget sparades. \
                 Förminska filen, eller ladda upp filerna en i taget. Välj filen igen; det du skrev \
                 finns kvar.",
                limit_text(limit)
            );
            return back(
                StatusCode::PAYLOAD_TOO_LARGE,
                &form.texts,
                None,
                FieldErrors::one("file", message),
            )
            .await;
        }
        Read::Unreadable => {
            return Err(AppError::BadRequest(
                "Uppladdningen kunde inte läsas. Ladda om sidan och försök igen.",
            ));
        }
    };
    let mut form = form;
    // No file chosen anew: the ones kept from the form's last sending, if they are still here.
    if form.files.is_empty() && !form.pending.is_empty() {
        match state.pending_uploads.take(editor.id(), &form.pending) {
            Some(files) => form.files = files,
            None => {
                let gone = "Filen du valde förra gången finns inte kvar (det har gått en stund, eller \
                            servern har startats om). Välj den igen; det du skrev finns kvar.";
                let errors = FieldErrors::one("file", gone);
                return back(StatusCode::UNPROCESSABLE_ENTITY, &form.texts, None, errors).await;
            }
        }
    }
    if let Some(reason) = csrf::refusal(&headers, &state, &editor, &form.csrf) {
        let kept = state.pending_uploads.keep(editor.id(), form.files);
        let errors = FieldErrors::one("file", reason);
        return back(StatusCode::FORBIDDEN, &form.texts, kept, errors).await;
    }
    if let Some(problem) = texts_problem(&form.files, &form.texts) {
        let field = if problem == Problem::AltMissing {
            "alt_sv"
        } else {
            "file"
        };
        let kept = state.pending_uploads.keep(editor.id(), form.files);
        let errors = FieldErrors::one(field, problem.swedish());
        return back(StatusCode::UNPROCESSABLE_ENTITY, &form.texts, kept, errors).await;
    }
    match store_all(&state, &editor, form.files, &form.texts).await? {
        Ok(stored) => Ok(match stored.as_slice() {
            [Stored::New(id)] => view::done_at(&format!("/admin/media/{id}"), Done::Uploaded),
            [Stored::Existing(id)] => {
                view::done_at(&format!("/admin/media/{id}"), Done::AlreadyUploaded)
            }
            _ => view::done_at("/admin/media", Done::Uploaded),
        }),
        Err(problem) => {
            let field = if problem == Problem::AltMissing {
                "alt_sv"
            } else {
                "file"
            };
            back(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form.texts,
                None,
                FieldErrors::one(field, problem.swedish()),
            )
            .await
        }
    }
}

/// Checks every file, then stores them all, or none if any has a problem.
async fn store_all(
    state: &AppState,
    editor: &Editor,
    files: Vec<Upload>,
    texts: &Texts,
) -> Result<Result<Vec<Stored>, Problem>, AppError> {
    if files.is_empty() {
        return Ok(Err(Problem::NoFile));
    }
    if let Some(problem) = texts_problem(&files, texts) {
        return Ok(Err(problem));
    }
    let mut prepared = Vec::with_capacity(files.len());
    for file in files {
        match library::prepare(file).await {
            Ok(file) => prepared.push(file),
            Err(problem) => return Ok(Err(problem)),
        }
    }
    let committed =
        library::store(&state.db, &state.clock, &editor.author(), &prepared, texts).await?;
    Ok(Ok(state.apply(committed).await))
}

/// A page that uses a file, as its screen lists it.
#[derive(Debug)]
struct UseRow {
    title: String,
    href: String,
    url: String,
    standing: &'static str,
}

#[derive(Template)]
#[template(path = "admin/media_item.html")]
struct ItemPage {
    layout: AdminLayout,
    csrf: String,
    card: Card,
    is_image: bool,
    typed: Typed,
    errors: FieldErrors,
    uses: Vec<UseRow>,
    /// The published pages that keep the file from being deleted, after a refused delete.
    blocking: Vec<UseRow>,
    limit: String,
}

/// `GET /admin/media/{id}`
pub async fn show(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<MediaId>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let shown = Shown {
        notice: done.done(),
        ..Shown::default()
    };
    item_page(&state, &editor, id, shown).await
}

/// How a file's screen is shown: after what, with which problems.
#[derive(Debug, Default)]
struct Shown {
    status: StatusCode,
    /// The texts as the editor typed them, when the form comes back.
    typed: Option<Typed>,
    errors: FieldErrors,
    /// The published pages that kept the file from being deleted.
    blocking: Vec<db::media::Use>,
    notice: Option<Done>,
}

impl Shown {
    fn problem(status: StatusCode, field: &'static str, message: impl Into<String>) -> Shown {
        Shown {
            status,
            errors: FieldErrors::one(field, message),
            ..Shown::default()
        }
    }
}

async fn item_page(
    state: &AppState,
    editor: &Editor,
    id: MediaId,
    shown: Shown,
) -> Result<Response, AppError> {
    let Shown {
        status,
        typed,
        errors,
        blocking,
        notice,
    } = shown;
    let Some(item) = db::media::find(&state.db, id).await? else {
        return Err(AppError::NotFoundBecause(
            "Filen finns inte i biblioteket, kanske för att den har raderats.",
        ));
    };
    if let Some(newer) = item.replaced_by {
        return Ok(Redirect::to(&format!("/admin/media/{newer}")).into_response());
    }
    let uses = db::media::uses(&state.db, id).await?;
    let row = |used: &db::media::Use| UseRow {
        title: used.title.clone(),
        href: format!("/admin/pages/{}", used.page_id),
        url: used.lang.page_url(&used.path),
        standing: if used.trashed {
            "i papperskorgen"
        } else {
            used.status.swedish()
        },
    };
    let page = ItemPage {
        layout: AdminLayout::new(state, &item.file_name, Some(editor), Section::Media)
            .with_notice(notice),
        csrf: editor.csrf().to_owned(),
        is_image: item.media_type.is_image(),
        typed: typed.unwrap_or(Typed {
            alt_sv: item.alt_sv.clone(),
            alt_en: item.alt_en.clone(),
            decorative: item.decorative,
            kept: None,
        }),
        card: Card::of(&item),
        errors,
        uses: uses.iter().map(row).collect(),
        blocking: blocking.iter().map(row).collect(),
        limit: limit_text(state.site.max_upload),
    };
    view::html(status, &page)
}

/// The texts form of a file.
#[derive(Debug, Deserialize)]
pub struct TextsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    alt_sv: String,
    #[serde(default)]
    alt_en: String,
    #[serde(default)]
    decorative: Option<String>,
}

csrf::csrf_form!(TextsForm);

/// `POST /admin/media/{id}`: saves a file's alternative texts.
pub async fn save_texts(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<MediaId>,
    submission: Submission<TextsForm>,
) -> Result<Response, AppError> {
    let (form, refusal) = match submission.verified() {
        Ok(form) => (form, None),
        Err(refused) => (refused.form, Some(refused.reason)),
    };
    let texts = Texts {
        alt_sv: clean_text(&form.alt_sv),
        alt_en: clean_text(&form.alt_en),
        decorative: form.decorative.is_some(),
    };
    let typed = Some(Typed::of(&texts));
    if let Some(reason) = refusal {
        let shown = Shown {
            typed,
            ..Shown::problem(StatusCode::FORBIDDEN, "alt_sv", reason)
        };
        return item_page(&state, &editor, id, shown).await;
    }
    let Some(item) = db::media::find(&state.db, id).await? else {
        return Err(AppError::NotFound);
    };
    if let Err(problem) = library::check_texts(&texts, item.media_type) {
        let shown = Shown {
            typed,
            ..Shown::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "alt_sv",
                problem.swedish(),
            )
        };
        return item_page(&state, &editor, id, shown).await;
    }
    let saved = library::set_texts(&state.db, &state.clock, &editor.author(), id, &texts).await?;
    if !state.apply(saved).await {
        return Err(AppError::NotFoundBecause(
            "Filen finns inte längre, eller har ersatts av en nyare.",
        ));
    }
    Ok(view::done_at(
        &format!("/admin/media/{id}"),
        Done::MediaSaved,
    ))
}

/// `POST /admin/media/{id}/replace`: puts a new file in this one's place.
pub async fn replace(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<MediaId>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let limit = state.site.max_upload;
    let problem = |status: StatusCode, message: String| {
        let state = state.clone();
        let editor = &editor;
        async move { item_page(&state, editor, id, Shown::problem(status, "file", message)).await }
    };
    let form = match read_upload(multipart, limit).await {
        Read::Whole(form) => form,
        Read::TooLarge(_) => {
            let message = format!(
                "Filen är för stor: den får vara högst {}. Inget ändrades.",
                limit_text(limit)
            );
            return problem(StatusCode::PAYLOAD_TOO_LARGE, message).await;
        }
        Read::Unreadable => {
            return Err(AppError::BadRequest(
                "Uppladdningen kunde inte läsas. Ladda om sidan och försök igen.",
            ));
        }
    };
    if let Some(reason) = csrf::refusal(&headers, &state, &editor, &form.csrf) {
        return problem(StatusCode::FORBIDDEN, reason.to_owned()).await;
    }
    let mut files = form.files.into_iter();
    let (Some(file), None) = (files.next(), files.next()) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Välj en fil, och bara en, att ersätta den här med.".to_owned(),
        )
        .await;
    };
    let prepared = match library::prepare(file).await {
        Ok(prepared) => prepared,
        Err(refused) => return problem(StatusCode::UNPROCESSABLE_ENTITY, refused.swedish()).await,
    };
    let replaced =
        library::replace(&state.db, &state.clock, &editor.author(), id, &prepared).await?;
    match state.apply(replaced).await {
        Replaced::Replaced(newer) => Ok(view::done_at(
            &format!("/admin/media/{newer}"),
            Done::Replaced,
        )),
        Replaced::Existing(existing) => Ok(view::done_at(
            &format!("/admin/media/{existing}"),
            Done::AlreadyUploaded,
        )),
        Replaced::Gone => Err(AppError::NotFoundBecause(
            "Filen finns inte längre, eller har redan ersatts av en nyare.",
        )),
        Replaced::Refused(refused) => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, refused.swedish()).await
        }
    }
}

/// `POST /admin/media/{id}/delete`: deletes a file no published page shows.
pub async fn delete(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<MediaId>,
    submission: Submission<Button>,
) -> Result<Response, AppError> {
    submission.verified_or_forbidden()?;
    let deleted = library::delete(&state.db, &state.clock, &editor.author(), id).await?;
    match state.apply(deleted).await {
        Deleted::Deleted => Ok(view::done_at("/admin/media", Done::MediaDeleted)),
        Deleted::InUse(pages) => {
            let shown = Shown {
                blocking: pages,
                ..Shown::problem(
                    StatusCode::CONFLICT,
                    "uses",
                    "Filen visas på publicerade sidor och raderades inte. Ta bort den från \
                     sidorna nedan först, eller ersätt den med en annan fil.",
                )
            };
            item_page(&state, &editor, id, shown).await
        }
        Deleted::Gone => Err(AppError::NotFoundBecause(
            "Filen finns inte längre i biblioteket.",
        )),
    }
}

/// What the edit form offers to insert: the newest files, with their snippets.
pub async fn recent(state: &AppState, lang: Lang) -> Result<Vec<Card>, AppError> {
    Ok(db::media::list(&state.db, &Filter::default(), 12, 0)
        .await?
        .iter()
        .map(|item| Card::for_page(item, lang))
        .collect())
}
