//! What editors do to pages, each as one transaction: create, save, unpublish, trash, restore, delete,
//! restore a revision. Every change of content is stored as a revision, audited, and empties the
//! render cache, so visitors see it at their next request.
//!
//! Saves name the version they started from. A save based on an old version is not applied: the
//! editor's text is kept as a conflict revision and handed back with the page as it is now.

use sqlx::{Sqlite, Transaction};

use crate::{
    app::AppState,
    content::{Status, markdown},
    db::{
        self,
        audit::Entry,
        pages::{Page, PageContent},
        revisions::Revision,
    },
};

/// Who is making a change, for revisions and the audit log.
#[derive(Debug, Clone)]
pub struct Author {
    pub id: i64,
    pub ip: String,
}

/// A page as an editor submitted it, checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub content: PageContent,
    pub parent_id: Option<i64>,
    pub translation: Translation,
}

/// Which page in the other language a page translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Translation {
    /// Whatever it translated before.
    Unchanged,
    /// None.
    Unlinked,
    /// This page.
    Of(i64),
}

/// How a save ended.
#[derive(Debug)]
pub enum Outcome {
    /// Saved; `done` names what happened, for the confirmation (`publicerad`, `utkast`, …).
    Saved { id: i64, done: &'static str },
    /// The page changed since the editor's version. Their text is kept as revision `kept`.
    Conflict { current: Box<Page>, kept: i64 },
    /// Another page has the path, or would after the move; the sentence says which.
    PathTaken(String),
    /// The page is in the trash or gone.
    Gone,
}

/// Creates a page.
pub async fn create(state: &AppState, author: &Author, draft: Draft) -> sqlx::Result<Outcome> {
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let mut content = draft.content;
    if let Some(taken) = path_taken(&mut tx, &content, None).await? {
        return Ok(Outcome::PathTaken(taken));
    }
    content.translation_key =
        link_translation(&mut tx, draft.translation, content.lang, None).await?;
    let id = db::pages::insert(&mut *tx, &content, &now).await?;
    db::pages::set_parent(&mut *tx, id, draft.parent_id).await?;
    db::redirects::remove(&mut *tx, content.lang, &content.path).await?;
    db::revisions::record(&mut *tx, id, Some(author.id), "created", &now).await?;
    let done = status_change(None, &content, &now);
    audit(&mut tx, author, "create", id, &content.title, &now).await?;
    if done != "utkast" {
        audit(&mut tx, author, action_of(done), id, &content.title, &now).await?;
    }
    tx.commit().await?;
    state.content_changed().await?;
    Ok(Outcome::Saved { id, done })
}

/// Saves a page that the editor loaded at `base_version`.
pub async fn update(
    state: &AppState,
    author: &Author,
    id: i64,
    base_version: i64,
    draft: Draft,
) -> sqlx::Result<Outcome> {
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let Some(before) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Outcome::Gone);
    };
    if before.deleted_at.is_some() {
        return Ok(Outcome::Gone);
    }
    let mut content = draft.content;
    // The language of a page is fixed when it is created, and the home page stays the home page.
    content.lang = before.lang;
    if before.path.is_empty() {
        content.path = String::new();
    }
    if before.version != base_version {
        tx.rollback().await?;
        return keep_conflict(
            state,
            author,
            before,
            base_version,
            &content,
            draft.parent_id,
        )
        .await;
    }
    if let Some(taken) = path_taken(&mut tx, &content, Some(id)).await? {
        return Ok(Outcome::PathTaken(taken));
    }
    content.translation_key = link_translation(
        &mut tx,
        draft.translation,
        content.lang,
        before.translation_key.clone(),
    )
    .await?;
    if !db::pages::save(&mut *tx, id, base_version, &content, draft.parent_id, &now).await? {
        // Another save won the race between the read above and this write.
        tx.rollback().await?;
        let current = db::pages::find(&state.db, id).await?;
        return match current {
            Some(current) => {
                keep_conflict(
                    state,
                    author,
                    current,
                    base_version,
                    &content,
                    draft.parent_id,
                )
                .await
            }
            None => Ok(Outcome::Gone),
        };
    }
    if before.path != content.path {
        if let Some(taken) = move_children(&mut tx, author, &before, &content.path, &now).await? {
            return Ok(Outcome::PathTaken(taken));
        }
        db::redirects::upsert(&mut *tx, before.lang, &before.path, id, &now).await?;
    }
    db::redirects::remove(&mut *tx, content.lang, &content.path).await?;
    db::revisions::record(&mut *tx, id, Some(author.id), "", &now).await?;
    let done = status_change(Some(&before), &content, &now);
    audit(&mut tx, author, action_of(done), id, &content.title, &now).await?;
    tx.commit().await?;
    state.content_changed().await?;
    Ok(Outcome::Saved { id, done })
}

/// Keeps the text of a save that lost a race as a conflict revision, and reports the conflict.
async fn keep_conflict(
    state: &AppState,
    author: &Author,
    current: Page,
    base_version: i64,
    content: &PageContent,
    parent_id: Option<i64>,
) -> sqlx::Result<Outcome> {
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let kept = db::revisions::record_conflict(
        &mut *tx,
        current.id,
        base_version,
        content,
        parent_id,
        author.id,
        &now,
    )
    .await?;
    let detail = format!(
        "{}: version {base_version} was edited, but the page is at version {}",
        current.title, current.version
    );
    audit(&mut tx, author, "conflict", current.id, &detail, &now).await?;
    tx.commit().await?;
    Ok(Outcome::Conflict {
        current: Box::new(current),
        kept,
    })
}

/// Moves the pages below `before`'s path along with it, each leaving a redirect behind. Returns a
/// sentence if one of them cannot move because another page has its new path.
async fn move_children(
    tx: &mut Transaction<'_, Sqlite>,
    author: &Author,
    before: &Page,
    new_path: &str,
    now: &str,
) -> sqlx::Result<Option<String>> {
    if before.path.is_empty() {
        return Ok(None);
    }
    for (child_id, child_path) in db::pages::below(&mut **tx, before.lang, &before.path).await? {
        let moved = format!("{new_path}{}", &child_path[before.path.len()..]);
        if db::pages::path_taken(&mut **tx, before.lang, &moved, Some(child_id)).await? {
            return Ok(Some(format!(
                "Undersidan /{child_path} skulle flyttas till /{moved}, men den adressen används redan \
                 av en annan sida. Välj en annan adress."
            )));
        }
        db::pages::move_to(&mut **tx, child_id, &moved, now).await?;
        db::redirects::upsert(&mut **tx, before.lang, &child_path, child_id, now).await?;
        db::redirects::remove(&mut **tx, before.lang, &moved).await?;
        let note = format!("moved from /{child_path} with its parent");
        db::revisions::record(&mut **tx, child_id, Some(author.id), &note, now).await?;
    }
    Ok(None)
}

/// A sentence if another page (trashed ones included) has the path of `content`.
async fn path_taken(
    tx: &mut Transaction<'_, Sqlite>,
    content: &PageContent,
    except: Option<i64>,
) -> sqlx::Result<Option<String>> {
    let taken = db::pages::path_taken(&mut **tx, content.lang, &content.path, except).await?;
    Ok(taken.then(|| {
        format!(
            "Adressen /{} används redan av en annan sida på samma språk (kanske en i papperskorgen). \
             Välj en annan adress.",
            content.path
        )
    }))
}

/// The translation key that links a page as `translation` asks, giving the other page a key if it
/// has none. `current` is the page's key before the save.
async fn link_translation(
    tx: &mut Transaction<'_, Sqlite>,
    translation: Translation,
    lang: crate::lang::Lang,
    current: Option<String>,
) -> sqlx::Result<Option<String>> {
    let other_id = match translation {
        Translation::Unchanged => return Ok(current),
        Translation::Unlinked => return Ok(None),
        Translation::Of(other_id) => other_id,
    };
    let Some(other) = db::pages::find(&mut **tx, other_id).await? else {
        return Ok(None);
    };
    if other.lang == lang {
        return Ok(None);
    }
    match other.translation_key {
        Some(key) => Ok(Some(key)),
        None => {
            let key = format!("page-{other_id}");
            db::pages::set_translation_key(&mut **tx, other_id, &key).await?;
            Ok(Some(key))
        }
    }
}

/// What a save did to the page's visibility, as the confirmation's name.
fn status_change(before: Option<&Page>, after: &PageContent, now: &str) -> &'static str {
    let scheduled = after.publish_at.as_deref().is_some_and(|at| at > now);
    let was_published = before.is_some_and(|page| page.status == Status::Published);
    match after.status {
        Status::Draft if was_published => "avpublicerad",
        Status::Draft => "utkast",
        Status::Published if scheduled => {
            let unchanged = before.is_some_and(|page| {
                page.status == Status::Published && page.publish_at == after.publish_at
            });
            if unchanged { "sparad" } else { "schemalagd" }
        }
        Status::Published if was_published => "sparad",
        Status::Published => "publicerad",
    }
}

/// The audit action of a save's outcome.
fn action_of(done: &str) -> &'static str {
    match done {
        "publicerad" => "publish",
        "schemalagd" => "schedule",
        "avpublicerad" => "unpublish",
        _ => "update",
    }
}

async fn audit(
    tx: &mut Transaction<'_, Sqlite>,
    author: &Author,
    action: &str,
    page_id: i64,
    detail: &str,
    now: &str,
) -> sqlx::Result<()> {
    db::audit::record(
        &mut **tx,
        &Entry {
            user_id: Some(author.id),
            action,
            object_type: "page",
            object_id: Some(page_id),
            detail,
            ip: &author.ip,
        },
        now,
    )
    .await
}

/// Takes a published page off the site, keeping it as a draft.
pub async fn unpublish(state: &AppState, author: &Author, id: i64) -> sqlx::Result<Outcome> {
    let Some(page) = db::pages::find(&state.db, id).await? else {
        return Ok(Outcome::Gone);
    };
    let mut content = page.content();
    content.status = Status::Draft;
    let draft = Draft {
        content,
        parent_id: page.parent_id,
        translation: Translation::Unchanged,
    };
    update(state, author, id, page.version, draft).await
}

/// Moves a page to the trash, or takes it out again.
pub async fn set_trashed(
    state: &AppState,
    author: &Author,
    id: i64,
    trashed: bool,
) -> sqlx::Result<Outcome> {
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let Some(page) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Outcome::Gone);
    };
    let (changed, action, done) = if trashed {
        let changed = page.deleted_at.is_none();
        if changed {
            db::pages::trash(&mut *tx, id, &now).await?;
        }
        (changed, "trash", "papperskorg")
    } else {
        (
            db::pages::untrash(&mut *tx, id, &now).await?,
            "restore",
            "aterstalld",
        )
    };
    if !changed {
        return Ok(Outcome::Gone);
    }
    audit(&mut tx, author, action, id, &page.title, &now).await?;
    tx.commit().await?;
    state.content_changed().await?;
    Ok(Outcome::Saved { id, done })
}

/// Deletes a page in the trash for good, with its revisions.
pub async fn delete(state: &AppState, author: &Author, id: i64) -> sqlx::Result<Outcome> {
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    let Some(page) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Outcome::Gone);
    };
    if page.deleted_at.is_none() || !db::pages::delete(&mut *tx, id).await? {
        return Ok(Outcome::Gone);
    }
    let detail = format!("{} (/{}, {})", page.title, page.path, page.lang);
    audit(&mut tx, author, "delete", id, &detail, &now).await?;
    tx.commit().await?;
    state.content_changed().await?;
    Ok(Outcome::Saved {
        id,
        done: "raderad",
    })
}

/// Restores a revision as the page's next version: nothing is overwritten, the history only grows.
pub async fn restore_revision(
    state: &AppState,
    author: &Author,
    page: &Page,
    revision: &Revision,
) -> sqlx::Result<Outcome> {
    let content = PageContent {
        lang: page.lang,
        path: revision.path.clone(),
        title: revision.title.clone(),
        description: revision.description.clone(),
        body_html: markdown::render(&revision.body_md),
        body_md: revision.body_md.clone(),
        kind: revision.kind,
        status: revision.status,
        publish_at: revision.publish_at.clone(),
        date_precision: revision.date_precision,
        menu_order: revision.menu_order,
        translation_key: page.translation_key.clone(),
        archived: revision.archived,
    };
    let now = state.clock.now_db();
    let mut tx = db::begin_write(&state.db).await?;
    if page.deleted_at.is_some() {
        return Ok(Outcome::Gone);
    }
    let parent_id = match revision.parent_id {
        Some(parent) if db::pages::find(&mut *tx, parent).await?.is_some() => Some(parent),
        _ => None,
    };
    if let Some(taken) = path_taken(&mut tx, &content, Some(page.id)).await? {
        return Ok(Outcome::PathTaken(taken));
    }
    if !db::pages::save(&mut *tx, page.id, page.version, &content, parent_id, &now).await? {
        return Ok(Outcome::Conflict {
            current: Box::new(page.clone()),
            kept: revision.id,
        });
    }
    if page.path != content.path {
        if let Some(taken) = move_children(&mut tx, author, page, &content.path, &now).await? {
            return Ok(Outcome::PathTaken(taken));
        }
        db::redirects::upsert(&mut *tx, page.lang, &page.path, page.id, &now).await?;
    }
    db::redirects::remove(&mut *tx, content.lang, &content.path).await?;
    let note = format!("restored from version {}", revision.version);
    db::revisions::record(&mut *tx, page.id, Some(author.id), &note, &now).await?;
    let detail = format!("{}: version {} restored", content.title, revision.version);
    audit(&mut tx, author, "revision_restore", page.id, &detail, &now).await?;
    tx.commit().await?;
    state.content_changed().await?;
    Ok(Outcome::Saved {
        id: page.id,
        done: "version",
    })
}
