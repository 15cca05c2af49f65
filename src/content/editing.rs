//! What editors do to pages, each as one transaction: create, save, unpublish, trash, restore, delete,
//! restore a revision. Every change of content is stored as a revision and audited.
//!
//! These rules sit below the HTTP layer: they take the database and the clock, not the application's
//! state, and write through the change pipeline ([`Work`]), which keeps every derived table in step.
//! They return what they did ([`Outcome`]) together with what they changed; the caller shows the
//! change to visitors (`AppState::apply`); a commit is never undone, or answered as a failure,
//! because that step went wrong.
//!
//! Saves name the version they started from. A save based on an old version is not applied: the
//! editor's text is kept as a conflict revision and handed back with the page as it is now.

use crate::{
    change::{Author, Committed, Note, Work},
    db::{
        self,
        pages::{Content, Page},
        revisions::Revision,
    },
    ids::PageId,
    lang::Lang,
    time::{Clock, Moment},
    vocab::{self, AuditAction, ObjectType, RevisionKind, Status},
};

/// A page as an editor submitted it, checked.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The page's language; an existing page keeps its own whatever this says.
    pub lang: Lang,
    pub content: Content,
    pub parent_id: Option<PageId>,
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
    Of(PageId),
}

/// How an edit ended.
#[derive(Debug)]
pub enum Outcome {
    /// Done; `done` names what happened, for the confirmation.
    Saved { id: PageId, done: vocab::Done },
    /// The page changed since the editor's version. Their text is kept as revision `kept`.
    Conflict { current: Box<Page>, kept: i64 },
    /// Another page has the path, or would after the move.
    PathTaken(PathTaken),
    /// The page is in the trash or gone, or already as asked.
    Gone,
}

/// Which path is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathTaken {
    /// The page's own new path.
    Own(String),
    /// The path a child page would move to along with it.
    Child { from: String, to: String },
}

impl PathTaken {
    /// The problem and how to fix it, in the admin area's language.
    pub fn swedish(&self) -> String {
        match self {
            PathTaken::Own(path) => format!(
                "Adressen /{path} används redan av en annan sida på samma språk (kanske en i \
                 papperskorgen). Välj en annan adress."
            ),
            PathTaken::Child { from, to } => format!(
                "Undersidan /{from} skulle flyttas till /{to}, men den adressen används redan av en \
                 annan sida. Välj en annan adress."
            ),
        }
    }
}

/// What an edit did and what it changed: pass it to `AppState::apply`.
pub type Edited = Committed<Outcome>;

/// Creates a page.
pub async fn create(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    draft: Draft,
) -> sqlx::Result<Edited> {
    let mut work = Work::begin(db, clock).await?;
    let Draft {
        lang,
        mut content,
        parent_id,
        translation,
    } = draft;
    if path_taken(&mut work, lang, &content.path, None).await? {
        return Ok(Committed::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    content.translation_key = link_translation(&mut work, translation, lang, None).await?;
    let body = work.render(lang, &content.body_md).await?;
    let note = Note::new(Some(author), RevisionKind::Created, "");
    let id = work
        .create_page(lang, &content, body, parent_id, note)
        .await?;
    db::redirects::remove(work.conn(), lang, &content.path).await?;
    let done = status_change(None, &content, work.now());
    audit(&mut work, author, AuditAction::Create, id, &content.title).await?;
    if done != vocab::Done::Draft {
        audit(&mut work, author, done.audit_action(), id, &content.title).await?;
    }
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Saves a page that the editor loaded at `base_version`.
pub async fn update(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: PageId,
    base_version: i64,
    draft: Draft,
) -> sqlx::Result<Edited> {
    let mut work = Work::begin(db, clock).await?;
    let Some(before) = db::pages::find(work.conn(), id).await? else {
        return Ok(Committed::nothing(Outcome::Gone));
    };
    if before.deleted_at.is_some() {
        return Ok(Committed::nothing(Outcome::Gone));
    }
    let Draft {
        mut content,
        parent_id,
        translation,
        ..
    } = draft;
    // The language of a page is fixed when it is created, and the home page stays the home page.
    let lang = before.lang;
    if before.content.path.is_empty() {
        content.path = String::new();
    }
    if before.version != base_version {
        work.rollback().await?;
        return keep_conflict(db, clock, author, before, base_version, &content, parent_id).await;
    }
    if path_taken(&mut work, lang, &content.path, Some(id)).await? {
        return Ok(Committed::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    let current_key = before.content.translation_key.clone();
    content.translation_key = link_translation(&mut work, translation, lang, current_key).await?;
    let body = work.render(lang, &content.body_md).await?;
    let note = Note::new(Some(author), RevisionKind::Saved, "");
    let saved = work
        .save_page(&before, base_version, (&content, body), parent_id, note)
        .await?;
    if !saved {
        // Another save won the race between the read above and this write.
        work.rollback().await?;
        return match db::pages::find(db, id).await? {
            Some(current) => {
                keep_conflict(
                    db,
                    clock,
                    author,
                    current,
                    base_version,
                    &content,
                    parent_id,
                )
                .await
            }
            None => Ok(Committed::nothing(Outcome::Gone)),
        };
    }
    if let Some(taken) = move_along(&mut work, author, &before, &content.path).await? {
        return Ok(Committed::nothing(Outcome::PathTaken(taken)));
    }
    let done = status_change(Some(&before), &content, work.now());
    audit(&mut work, author, done.audit_action(), id, &content.title).await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Keeps the text of a save that lost a race as a conflict revision, and reports the conflict.
async fn keep_conflict(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    current: Page,
    base_version: i64,
    content: &Content,
    parent_id: Option<PageId>,
) -> sqlx::Result<Edited> {
    let mut work = Work::begin(db, clock).await?;
    let now = work.now().to_owned();
    let kept = db::revisions::record_conflict(
        work.conn(),
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
        current.content.title, current.version
    );
    audit(
        &mut work,
        author,
        AuditAction::Conflict,
        current.id,
        &detail,
    )
    .await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Conflict {
            current: Box::new(current),
            kept,
        },
        changes,
    })
}

/// After a page moved from `before`'s path to `new_path`: leaves a redirect from the old path, and
/// moves the pages below it along, each leaving a redirect behind. A page now at `new_path` replaces
/// any redirect from there. Returns the problem if a child cannot move because another page has its
/// new path.
async fn move_along(
    work: &mut Work,
    author: &Author,
    before: &Page,
    new_path: &str,
) -> sqlx::Result<Option<PathTaken>> {
    let (lang, old_path) = (before.lang, before.content.path.as_str());
    let now = work.now().to_owned();
    if old_path != new_path && !old_path.is_empty() {
        for (child_id, child_path) in db::pages::below(work.conn(), lang, old_path).await? {
            let moved = format!("{new_path}{}", &child_path[old_path.len()..]);
            if path_taken(work, lang, &moved, Some(child_id)).await? {
                return Ok(Some(PathTaken::Child {
                    from: child_path,
                    to: moved,
                }));
            }
            let Some(child) = db::pages::find(work.conn(), child_id).await? else {
                continue;
            };
            let note = Note::new(Some(author), RevisionKind::Moved, format!("/{child_path}"));
            work.move_page(&child, &moved, note).await?;
            db::redirects::upsert(work.conn(), lang, &child_path, child_id, &now).await?;
            db::redirects::remove(work.conn(), lang, &moved).await?;
        }
        db::redirects::upsert(work.conn(), lang, old_path, before.id, &now).await?;
    }
    db::redirects::remove(work.conn(), lang, new_path).await?;
    Ok(None)
}

/// Whether another page than `except` (trashed ones included) has `path` in `lang`.
async fn path_taken(
    work: &mut Work,
    lang: Lang,
    path: &str,
    except: Option<PageId>,
) -> sqlx::Result<bool> {
    db::pages::path_taken(work.conn(), lang, path, except).await
}

/// The translation key that links a page as `translation` asks, giving the other page a key if it
/// has none. `current` is the page's key before the save.
async fn link_translation(
    work: &mut Work,
    translation: Translation,
    lang: Lang,
    current: Option<String>,
) -> sqlx::Result<Option<String>> {
    let other_id = match translation {
        Translation::Unchanged => return Ok(current),
        Translation::Unlinked => return Ok(None),
        Translation::Of(other_id) => other_id,
    };
    let Some(other) = db::pages::find(work.conn(), other_id).await? else {
        return Ok(None);
    };
    if other.lang == lang {
        return Ok(None);
    }
    match &other.content.translation_key {
        Some(key) => Ok(Some(key.clone())),
        None => {
            let key = format!("page-{other_id}");
            work.set_translation_key(&other, &key).await?;
            Ok(Some(key))
        }
    }
}

/// Marks page `id` as reviewed by `author`: read and found current, without a change. Audited.
/// False when the page is in the trash or gone.
pub async fn mark_reviewed(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: PageId,
) -> sqlx::Result<bool> {
    let mut work = Work::begin(db, clock).await?;
    let Some(page) = db::pages::find(work.conn(), id)
        .await?
        .filter(|page| page.deleted_at.is_none())
    else {
        return Ok(false);
    };
    let now = work.now().to_owned();
    db::reviews::mark_reviewed(work.conn(), id, author.id, &now).await?;
    audit(
        &mut work,
        author,
        AuditAction::Reviewed,
        id,
        &page.content.title,
    )
    .await?;
    // Nothing visitors see changed.
    let _unseen = work.commit().await?;
    Ok(true)
}

/// What a save did to the page's visibility.
fn status_change(before: Option<&Page>, after: &Content, now: &Moment) -> vocab::Done {
    use vocab::Done as D;
    let scheduled = after.publish_at.as_deref().is_some_and(|at| at > now);
    let was_published = before.is_some_and(|page| page.content.status == Status::Published);
    match after.status {
        Status::Draft if was_published => D::Unpublished,
        Status::Draft => D::Draft,
        Status::Published if scheduled => {
            let unchanged = before.is_some_and(|page| {
                page.content.status == Status::Published
                    && page.content.publish_at == after.publish_at
            });
            if unchanged { D::Saved } else { D::Scheduled }
        }
        Status::Published if was_published => D::Saved,
        Status::Published => D::Published,
    }
}

async fn audit(
    work: &mut Work,
    author: &Author,
    action: AuditAction,
    page_id: PageId,
    detail: &str,
) -> sqlx::Result<()> {
    work.audit(Some(author), action, (ObjectType::Page, page_id.0), detail)
        .await
}

/// Takes a published page off the site, keeping it as a draft.
pub async fn unpublish(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: PageId,
) -> sqlx::Result<Edited> {
    let Some(page) = db::pages::find(db, id).await? else {
        return Ok(Committed::nothing(Outcome::Gone));
    };
    let mut content = page.content.clone();
    content.status = Status::Draft;
    let draft = Draft {
        lang: page.lang,
        content,
        parent_id: page.parent_id,
        translation: Translation::Unchanged,
    };
    update(db, clock, author, id, page.version, draft).await
}

/// Moves a page to the trash, or takes it out again.
pub async fn set_trashed(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: PageId,
    trashed: bool,
) -> sqlx::Result<Edited> {
    let mut work = Work::begin(db, clock).await?;
    let Some(page) = db::pages::find(work.conn(), id).await? else {
        return Ok(Committed::nothing(Outcome::Gone));
    };
    if !work.set_trashed(&page, trashed).await? {
        return Ok(Committed::nothing(Outcome::Gone));
    }
    let done = if trashed {
        vocab::Done::Trashed
    } else {
        vocab::Done::Untrashed
    };
    audit(
        &mut work,
        author,
        done.audit_action(),
        id,
        &page.content.title,
    )
    .await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Deletes a page in the trash for good, with its revisions.
pub async fn delete(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    id: PageId,
) -> sqlx::Result<Edited> {
    let mut work = Work::begin(db, clock).await?;
    let Some(page) = db::pages::find(work.conn(), id).await? else {
        return Ok(Committed::nothing(Outcome::Gone));
    };
    if page.deleted_at.is_none() || !work.delete_page(&page).await? {
        return Ok(Committed::nothing(Outcome::Gone));
    }
    let detail = format!(
        "{} (/{}, {})",
        page.content.title, page.content.path, page.lang
    );
    audit(&mut work, author, AuditAction::Delete, id, &detail).await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Saved {
            id,
            done: vocab::Done::Deleted,
        },
        changes,
    })
}

/// Restores a revision as the page's next version: nothing is overwritten, the history only grows.
pub async fn restore_revision(
    db: &crate::db::Pool,
    clock: &Clock,
    author: &Author,
    page: &Page,
    revision: &Revision,
) -> sqlx::Result<Edited> {
    let content = Content {
        // The page keeps its translation; the link is not part of what was written.
        translation_key: page.content.translation_key.clone(),
        ..revision.content.clone()
    };
    if page.deleted_at.is_some() {
        return Ok(Committed::nothing(Outcome::Gone));
    }
    let mut work = Work::begin(db, clock).await?;
    let parent_id = match revision.parent_id {
        Some(parent) if db::pages::find(work.conn(), parent).await?.is_some() => Some(parent),
        _ => None,
    };
    if path_taken(&mut work, page.lang, &content.path, Some(page.id)).await? {
        return Ok(Committed::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    let body = work.render(page.lang, &content.body_md).await?;
    let version = revision.version.to_string();
    let note = Note::new(Some(author), RevisionKind::Restored, version);
    let saved = work
        .save_page(page, page.version, (&content, body), parent_id, note)
        .await?;
    if !saved {
        return Ok(Committed::nothing(Outcome::Conflict {
            current: Box::new(page.clone()),
            kept: revision.id,
        }));
    }
    if let Some(taken) = move_along(&mut work, author, page, &content.path).await? {
        return Ok(Committed::nothing(Outcome::PathTaken(taken)));
    }
    let detail = format!("{}: version {} restored", content.title, revision.version);
    audit(
        &mut work,
        author,
        AuditAction::RevisionRestore,
        page.id,
        &detail,
    )
    .await?;
    let changes = work.commit().await?;
    Ok(Committed {
        outcome: Outcome::Saved {
            id: page.id,
            done: vocab::Done::VersionRestored,
        },
        changes,
    })
}
