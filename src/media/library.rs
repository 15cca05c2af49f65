//! What editors do to the media library, each as one unit of work of the change pipeline
//! ([`Work`]) that is audited: upload, describe, replace, delete. A change that pages show (an
//! alternative text, a replacement) renders those pages again in the same transaction, and is
//! reported for those pages alone. Below the HTTP layer, like [`crate::content::editing`].

use sha2::{Digest, Sha256};

use super::image::{self, Refusal};
use crate::{
    change::{Author, Committed, Work},
    db::{
        self,
        media::{New, Texts, Use},
    },
    ids::{MediaId, PageId},
    time::Clock,
    vocab::{AuditAction, MediaType, ObjectType, Status},
};

/// A file as it came in.
#[derive(Debug)]
pub struct Upload {
    /// The name the browser gave it; only its stem is kept, cleaned.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A file checked and cleaned, ready to store.
#[derive(Debug)]
pub struct Prepared {
    pub sha256: String,
    pub media_type: MediaType,
    pub file_name: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub body: Vec<u8>,
    pub variants: Vec<image::Variant>,
}

/// Why a file or its texts were not taken, each with a sentence for the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoFile,
    Empty {
        name: String,
    },
    NotAllowed {
        name: String,
    },
    Image {
        name: String,
        refusal: Refusal,
    },
    AltMissing,
    /// A replacement of another kind than the file it replaces (a PDF for an image).
    OtherKind,
}

impl Problem {
    /// The reason in English, for the command line.
    pub fn english(&self) -> String {
        match self {
            Problem::NoFile => "no file".to_owned(),
            Problem::Empty { .. } => "the file is empty".to_owned(),
            Problem::NotAllowed { .. } => {
                "not a JPEG, PNG, WebP, GIF or PDF file (told by its content)".to_owned()
            }
            Problem::Image { refusal, .. } => refusal.to_string(),
            Problem::AltMissing => {
                "an image needs `alt_sv` unless it is `decorative = true`".to_owned()
            }
            Problem::OtherKind => "an image replaced by a document, or the other way".to_owned(),
        }
    }

    pub fn swedish(&self) -> String {
        match self {
            Problem::NoFile => "Välj en fil att ladda upp.".to_owned(),
            Problem::Empty { name } => format!("Filen {name} är tom."),
            Problem::NotAllowed { name } => format!(
                "Filen {name} är inte av en typ som tas emot. Biblioteket tar emot {} (typen \
                 avgörs av filens innehåll, inte dess namn).",
                super::ALLOWED
            ),
            Problem::Image { name, refusal } => format!("{name}: {}", refusal.swedish()),
            Problem::AltMissing => {
                "Skriv en alternativtext på svenska som säger vad bilden visar, \
                 eller markera bilden som dekorativ om den inte tillför något till texten."
                    .to_owned()
            }
            Problem::OtherKind => "En bild kan bara ersättas av en bild, och ett dokument av ett \
                 dokument."
                .to_owned(),
        }
    }
}

/// Checks what an upload is by its content and cleans it: an image is decoded, made upright,
/// re-encoded without metadata and given its variants, on a blocking thread.
pub async fn prepare(upload: Upload) -> Result<Prepared, Problem> {
    // The name as the editor knows it, for messages.
    let shown: String = upload.name.chars().take(100).collect();
    if upload.bytes.is_empty() {
        return Err(Problem::Empty { name: shown });
    }
    let Some(media_type) = super::sniff(&upload.bytes) else {
        return Err(Problem::NotAllowed { name: shown });
    };
    let sha256 = hex(&Sha256::digest(&upload.bytes));
    let file_name = super::clean_name(&upload.name, media_type);
    if !media_type.is_image() {
        return Ok(Prepared {
            sha256,
            media_type,
            file_name,
            width: None,
            height: None,
            body: upload.bytes,
            variants: Vec::new(),
        });
    }
    let bytes = upload.bytes;
    let processed = tokio::task::spawn_blocking(move || image::process(&bytes, media_type))
        .await
        .map_err(|_| Problem::Image {
            name: shown.clone(),
            refusal: Refusal::Unreadable("the image could not be processed".to_owned()),
        })?
        .map_err(|refusal| Problem::Image {
            name: shown,
            refusal,
        })?;
    Ok(Prepared {
        sha256,
        media_type,
        file_name,
        width: Some(processed.width),
        height: Some(processed.height),
        body: processed.body,
        variants: processed.variants,
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Whether `texts` describe a file of `media_type` well enough: an image needs a Swedish
/// alternative text unless it is decorative.
pub fn check_texts(texts: &Texts, media_type: MediaType) -> Result<(), Problem> {
    if media_type.is_image() && !texts.decorative && texts.alt_sv.trim().is_empty() {
        return Err(Problem::AltMissing);
    }
    Ok(())
}

/// How storing an upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(MediaId),
    /// The same bytes were already in the library, as this file.
    Existing(MediaId),
}

/// Stores prepared files with the same texts (already checked with [`check_texts`]), all in one
/// transaction: all of them or, if any fails, none. A file whose bytes the library already holds is
/// not stored again; the answer names the one it holds.
pub async fn store(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    prepared: &[Prepared],
    texts: &Texts,
) -> sqlx::Result<Committed<Vec<Stored>>> {
    let mut work = Work::begin(db, clock).await?;
    let mut stored = Vec::with_capacity(prepared.len());
    for file in prepared {
        if let Some(existing) = db::media::with_sha256(work.conn(), &file.sha256).await? {
            stored.push(Stored::Existing(existing));
            continue;
        }
        let id = insert(&mut work, None, file, texts, Some(author)).await?;
        audit(
            &mut work,
            author,
            AuditAction::MediaUpload,
            id,
            &file.file_name,
        )
        .await?;
        stored.push(Stored::New(id));
    }
    let changes = work.commit().await?;
    for (file, outcome) in prepared.iter().zip(&stored) {
        if let Stored::New(id) = outcome {
            tracing::info!(%id, file = %file.file_name, bytes = file.body.len(), "file uploaded");
        }
    }
    Ok(Committed {
        outcome: stored,
        changes,
    })
}

/// Stores a prepared file with its texts and variants, under `id` if given (an import keeps each
/// file's id), and returns its id.
pub(crate) async fn insert(
    work: &mut Work,
    id: Option<MediaId>,
    prepared: &Prepared,
    texts: &Texts,
    author: Option<&Author>,
) -> sqlx::Result<MediaId> {
    let texts = if prepared.media_type.is_image() {
        texts.clone()
    } else {
        Texts::default()
    };
    let now = work.now().to_owned();
    let new = New {
        id,
        sha256: &prepared.sha256,
        media_type: prepared.media_type,
        file_name: &prepared.file_name,
        width: prepared.width,
        height: prepared.height,
        texts: &texts,
        uploaded_by: author.map(|author| author.id),
        body: &prepared.body,
    };
    let id = db::media::insert(work.conn(), &new, &now).await?;
    for variant in &prepared.variants {
        db::media::insert_variant(work.conn(), id, variant.info, &variant.body).await?;
    }
    work.files_changed(&[id], &[], false).await?;
    Ok(id)
}

async fn audit(
    work: &mut Work,
    author: &Author,
    action: AuditAction,
    id: MediaId,
    detail: &str,
) -> sqlx::Result<()> {
    work.audit(Some(author), action, (ObjectType::Media, id.0), detail)
        .await
}

/// Saves a file's texts (already checked) and renders the pages that show it again. False when
/// there is no such current file.
pub async fn set_texts(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: MediaId,
    texts: &Texts,
) -> sqlx::Result<Committed<bool>> {
    let mut work = Work::begin(db, clock).await?;
    let Some(item) = db::media::find(work.conn(), id).await? else {
        return Ok(Committed::nothing(false));
    };
    if !db::media::set_texts(work.conn(), id, texts).await? {
        return Ok(Committed::nothing(false));
    }
    let pages = db::media::pages_using(work.conn(), id).await?;
    work.files_changed(&[id], &pages, false).await?;
    audit(
        &mut work,
        author,
        AuditAction::MediaUpdate,
        id,
        &item.file_name,
    )
    .await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: true,
        changes,
    })
}

/// How a replacement ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// The new file's id.
    Replaced(MediaId),
    /// The new content is already in the library, as this file: nothing was changed.
    Existing(MediaId),
    Gone,
    Refused(Problem),
}

/// Puts `prepared` in the place of file `id`: the new file gets a new address and the old texts,
/// the old address leads to it, and every page that showed the old file shows the new one.
pub async fn replace(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: MediaId,
    prepared: &Prepared,
) -> sqlx::Result<Committed<Replaced>> {
    let mut work = Work::begin(db, clock).await?;
    let Some(older) = db::media::find(work.conn(), id)
        .await?
        .filter(|older| older.replaced_by.is_none())
    else {
        return Ok(Committed::nothing(Replaced::Gone));
    };
    if older.media_type.is_image() != prepared.media_type.is_image() {
        return Ok(Committed::nothing(Replaced::Refused(Problem::OtherKind)));
    }
    if let Some(existing) = db::media::with_sha256(work.conn(), &prepared.sha256).await? {
        return Ok(Committed::nothing(Replaced::Existing(existing)));
    }
    let texts = Texts {
        alt_sv: older.alt_sv.clone(),
        alt_en: older.alt_en.clone(),
        decorative: older.decorative,
    };
    let newer = insert(&mut work, None, prepared, &texts, Some(author)).await?;
    db::media::replace(work.conn(), id, newer).await?;
    let pages = db::media::pages_using(work.conn(), newer).await?;
    work.files_changed(&[id], &pages, false).await?;
    let detail = format!("{} → {}", older.file_name, prepared.file_name);
    audit(&mut work, author, AuditAction::MediaReplace, newer, &detail).await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Replaced::Replaced(newer),
        changes,
    })
}

/// How a deletion ended.
#[derive(Debug, Clone)]
pub enum Deleted {
    Deleted,
    /// Published pages show the file; nothing was deleted.
    InUse(Vec<Use>),
    Gone,
}

/// Deletes file `id` unless a published page outside the trash shows it; the other pages that do
/// (drafts, trashed pages) are rendered again without it.
pub async fn delete(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: MediaId,
) -> sqlx::Result<Committed<Deleted>> {
    let mut work = Work::begin(db, clock).await?;
    let Some(item) = db::media::find(work.conn(), id)
        .await?
        .filter(|item| item.replaced_by.is_none())
    else {
        return Ok(Committed::nothing(Deleted::Gone));
    };
    let uses = db::media::uses(work.conn(), id).await?;
    let published: Vec<Use> = uses
        .iter()
        .filter(|used| used.status == Status::Published && !used.trashed)
        .cloned()
        .collect();
    if !published.is_empty() {
        return Ok(Committed::nothing(Deleted::InUse(published)));
    }
    db::media::delete(work.conn(), id).await?;
    let pages: Vec<PageId> = uses.iter().map(|used| used.page_id).collect();
    // Links to the file, and to the older files it had replaced, lead nowhere now.
    work.files_changed(&[id], &pages, true).await?;
    audit(
        &mut work,
        author,
        AuditAction::MediaDelete,
        id,
        &item.file_name,
    )
    .await?;
    let changes = work.commit().await?;
    tracing::info!(%id, file = %item.file_name, "file deleted");
    Ok(Committed {
        outcome: Deleted::Deleted,
        changes,
    })
}
