//! What editors do to pages, each as one transaction: create, save, unpublish, trash, restore, delete,
//! restore a revision. Every change of content is stored as a revision and audited.
//!
//! These rules sit below the HTTP layer: they take the database and the clock, not the application's
//! state, and return what they did ([`Outcome`]) together with what they changed ([`Changes`]). The
//! caller shows the change to visitors (`AppState::apply` empties the render cache); a commit is never
//! undone, or answered as a failure, because that step went wrong.
//!
//! Saves name the version they started from. A save based on an old version is not applied: the
//! editor's text is kept as a conflict revision and handed back with the page as it is now.

use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::{
    content::markdown,
    db::{
        self,
        audit::Entry,
        pages::{Content, Page},
        revisions::Revision,
    },
    lang::Lang,
    media::Library,
    time::Clock,
    vocab::{AuditAction, Done, Kind, ObjectType, RevisionKind, Status},
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
    /// The page's language; an existing page keeps its own whatever this says.
    pub lang: Lang,
    pub content: Content,
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

/// How an edit ended.
#[derive(Debug)]
pub enum Outcome {
    /// Done; `done` names what happened, for the confirmation.
    Saved { id: i64, done: Done },
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

/// What other responses show of a page: enough to know which of them an edit makes stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
    pub publish_at: Option<String>,
    pub parent_id: Option<i64>,
    pub menu_order: Option<i64>,
    pub translation_key: Option<String>,
    pub trashed: bool,
}

impl Snapshot {
    fn of(lang: Lang, content: &Content, parent_id: Option<i64>, trashed: bool) -> Snapshot {
        Snapshot {
            lang,
            path: content.path.clone(),
            title: content.title.clone(),
            kind: content.kind,
            status: content.status,
            publish_at: content.publish_at.clone(),
            parent_id,
            menu_order: content.menu_order,
            translation_key: content.translation_key.clone(),
            trashed,
        }
    }

    fn of_page(page: &Page) -> Snapshot {
        Snapshot::of(
            page.lang,
            &page.content,
            page.parent_id,
            page.deleted_at.is_some(),
        )
    }
}

/// One page an edit changed, as it was and as it is; `None` where it did not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageChange {
    pub id: i64,
    pub before: Option<Snapshot>,
    pub after: Option<Snapshot>,
}

/// Every page an edit changed. Empty when it changed nothing (a refused or conflicting save).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub pages: Vec<PageChange>,
    /// The content versions the edit's transaction went from and to, once committed.
    pub versions: Option<Versions>,
}

/// The database's content version (see `db::changes`) when an edit's transaction began and when
/// it committed. If the server last saw `before`, nothing but this edit changed content since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub before: i64,
    pub after: i64,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// The ids of the pages changed.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.pages.iter().map(|change| change.id)
    }

    fn page(&mut self, id: i64, before: Option<Snapshot>, after: Option<Snapshot>) {
        self.pages.push(PageChange { id, before, after });
    }
}

/// What an edit did and what it changed. The changes must reach the render cache before visitors
/// can see them: pass this to `AppState::apply`.
#[derive(Debug)]
#[must_use = "pass it to AppState::apply, which shows the change to visitors"]
pub struct Edited {
    pub outcome: Outcome,
    pub changes: Changes,
}

impl Edited {
    /// An edit that changed nothing.
    fn nothing(outcome: Outcome) -> Edited {
        Edited {
            outcome,
            changes: Changes::default(),
        }
    }
}

/// Creates a page.
pub async fn create(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    draft: Draft,
) -> sqlx::Result<Edited> {
    let now = clock.now_db();
    let (mut tx, version) = begin(db).await?;
    let mut changes = Changes::default();
    let Draft {
        lang,
        mut content,
        parent_id,
        translation,
    } = draft;
    if path_taken(&mut tx, lang, &content.path, None).await? {
        return Ok(Edited::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    content.translation_key =
        link_translation(&mut tx, &mut changes, translation, lang, None).await?;
    let (body_html, library) = render_body(&mut tx, lang, &content.body_md).await?;
    let id = db::pages::insert(&mut *tx, lang, &content, &body_html, &now).await?;
    record_body(&mut tx, id, lang, &content, &library).await?;
    db::pages::set_parent(&mut *tx, id, parent_id).await?;
    db::redirects::remove(&mut *tx, lang, &content.path).await?;
    db::revisions::record(
        &mut *tx,
        id,
        Some(author.id),
        RevisionKind::Created,
        "",
        &now,
    )
    .await?;
    let done = status_change(None, &content, &now);
    audit(
        &mut tx,
        author,
        AuditAction::Create,
        id,
        &content.title,
        &now,
    )
    .await?;
    if done != Done::Draft {
        audit(
            &mut tx,
            author,
            done.audit_action(),
            id,
            &content.title,
            &now,
        )
        .await?;
    }
    changes.page(
        id,
        None,
        Some(Snapshot::of(lang, &content, parent_id, false)),
    );
    commit(tx, &mut changes, version, &now).await?;
    Ok(Edited {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Saves a page that the editor loaded at `base_version`.
pub async fn update(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    id: i64,
    base_version: i64,
    draft: Draft,
) -> sqlx::Result<Edited> {
    let now = clock.now_db();
    let (mut tx, version) = begin(db).await?;
    let mut changes = Changes::default();
    let Some(before) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Edited::nothing(Outcome::Gone));
    };
    if before.deleted_at.is_some() {
        return Ok(Edited::nothing(Outcome::Gone));
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
        tx.rollback().await?;
        return keep_conflict(db, clock, author, before, base_version, &content, parent_id).await;
    }
    if path_taken(&mut tx, lang, &content.path, Some(id)).await? {
        return Ok(Edited::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    content.translation_key = link_translation(
        &mut tx,
        &mut changes,
        translation,
        lang,
        before.content.translation_key.clone(),
    )
    .await?;
    let (body_html, library) = render_body(&mut tx, lang, &content.body_md).await?;
    let saved = db::pages::save(
        &mut *tx,
        id,
        base_version,
        &content,
        &body_html,
        parent_id,
        &now,
    )
    .await?;
    if !saved {
        // Another save won the race between the read above and this write.
        tx.rollback().await?;
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
            None => Ok(Edited::nothing(Outcome::Gone)),
        };
    }
    if let Some(taken) =
        move_along(&mut tx, &mut changes, author, &before, &content.path, &now).await?
    {
        return Ok(Edited::nothing(Outcome::PathTaken(taken)));
    }
    record_body(&mut tx, id, lang, &content, &library).await?;
    db::revisions::record(&mut *tx, id, Some(author.id), RevisionKind::Saved, "", &now).await?;
    let done = status_change(Some(&before), &content, &now);
    audit(
        &mut tx,
        author,
        done.audit_action(),
        id,
        &content.title,
        &now,
    )
    .await?;
    changes.page(
        id,
        Some(Snapshot::of_page(&before)),
        Some(Snapshot::of(lang, &content, parent_id, false)),
    );
    commit(tx, &mut changes, version, &now).await?;
    Ok(Edited {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Keeps the text of a save that lost a race as a conflict revision, and reports the conflict.
async fn keep_conflict(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    current: Page,
    base_version: i64,
    content: &Content,
    parent_id: Option<i64>,
) -> sqlx::Result<Edited> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
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
        current.content.title, current.version
    );
    audit(
        &mut tx,
        author,
        AuditAction::Conflict,
        current.id,
        &detail,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Edited::nothing(Outcome::Conflict {
        current: Box::new(current),
        kept,
    }))
}

/// After a page moved from `before`'s path to `new_path`: leaves a redirect from the old path, and
/// moves the pages below it along, each leaving a redirect behind. A page now at `new_path` replaces
/// any redirect from there. Returns the problem if a child cannot move because another page has its
/// new path.
async fn move_along(
    tx: &mut Transaction<'_, Sqlite>,
    changes: &mut Changes,
    author: &Author,
    before: &Page,
    new_path: &str,
    now: &str,
) -> sqlx::Result<Option<PathTaken>> {
    let (lang, old_path) = (before.lang, before.content.path.as_str());
    if old_path != new_path && !old_path.is_empty() {
        for (child_id, child_path) in db::pages::below(&mut **tx, lang, old_path).await? {
            let moved = format!("{new_path}{}", &child_path[old_path.len()..]);
            if db::pages::path_taken(&mut **tx, lang, &moved, Some(child_id)).await? {
                return Ok(Some(PathTaken::Child {
                    from: child_path,
                    to: moved,
                }));
            }
            let child_before = db::pages::find(&mut **tx, child_id).await?;
            db::pages::move_to(&mut **tx, child_id, &moved, now).await?;
            db::redirects::upsert(&mut **tx, lang, &child_path, child_id, now).await?;
            db::redirects::remove(&mut **tx, lang, &moved).await?;
            let from = format!("/{child_path}");
            db::revisions::record(
                &mut **tx,
                child_id,
                Some(author.id),
                RevisionKind::Moved,
                &from,
                now,
            )
            .await?;
            if let Some(child) = child_before {
                let mut after = Snapshot::of_page(&child);
                after.path = moved;
                changes.page(child_id, Some(Snapshot::of_page(&child)), Some(after));
            }
        }
        db::redirects::upsert(&mut **tx, lang, old_path, before.id, now).await?;
    }
    db::redirects::remove(&mut **tx, lang, new_path).await?;
    Ok(None)
}

/// Whether another page than `except` (trashed ones included) has `path` in `lang`.
async fn path_taken(
    tx: &mut Transaction<'_, Sqlite>,
    lang: Lang,
    path: &str,
    except: Option<i64>,
) -> sqlx::Result<bool> {
    db::pages::path_taken(&mut **tx, lang, path, except).await
}

/// The translation key that links a page as `translation` asks, giving the other page a key if it
/// has none. `current` is the page's key before the save.
async fn link_translation(
    tx: &mut Transaction<'_, Sqlite>,
    changes: &mut Changes,
    translation: Translation,
    lang: Lang,
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
    match &other.content.translation_key {
        Some(key) => Ok(Some(key.clone())),
        None => {
            let key = format!("page-{other_id}");
            db::pages::set_translation_key(&mut **tx, other_id, &key).await?;
            let mut after = Snapshot::of_page(&other);
            after.translation_key = Some(key.clone());
            changes.page(other_id, Some(Snapshot::of_page(&other)), Some(after));
            Ok(Some(key))
        }
    }
}

/// Begins an edit's transaction, with the content version it starts from.
/// A page body as visitors see it, with the files of the library it shows; record which those are
/// with [`record_body`] once the page is written.
pub async fn render_body(
    conn: &mut sqlx::SqliteConnection,
    lang: Lang,
    body_md: &str,
) -> sqlx::Result<(String, Library)> {
    let library = db::media::library(conn, &markdown::media_ids(body_md)).await?;
    Ok((markdown::render_page(body_md, lang, &library), library))
}

/// Marks page `id` as reviewed by `author`: read and found current, without a change. Audited.
/// False when the page is in the trash or gone.
pub async fn mark_reviewed(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    id: i64,
) -> sqlx::Result<bool> {
    let now = clock.now_db();
    let mut tx = db::begin_write(db).await?;
    let Some(page) = db::pages::find(&mut *tx, id)
        .await?
        .filter(|page| page.deleted_at.is_none())
    else {
        return Ok(false);
    };
    db::reviews::mark_reviewed(&mut *tx, id, author.id, &now).await?;
    audit(
        &mut tx,
        author,
        AuditAction::Reviewed,
        id,
        &page.content.title,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Records what page `id`'s body shows and links to: the files of the library it uses, and its
/// links to the site (whether they work is brought up to date at the edit's commit).
pub async fn record_body(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    lang: Lang,
    content: &Content,
    library: &Library,
) -> sqlx::Result<()> {
    db::media::set_uses(conn, id, &library.current_ids()).await?;
    record_links(conn, id, lang, content).await
}

/// Records page `id`'s links to the site, as its body has them.
pub async fn record_links(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    lang: Lang,
    content: &Content,
) -> sqlx::Result<()> {
    let links = crate::writing::links::internal_links(&content.body_md, lang, &content.path);
    db::links::set(conn, id, &links).await
}

/// Renders again the bodies of the pages `ids`, after a file they show changed, and records the
/// files they now use. The pages' versions stay as they are: what editors wrote did not change.
pub async fn render_again(conn: &mut sqlx::SqliteConnection, ids: &[i64]) -> sqlx::Result<()> {
    for page in db::pages::find_many(&mut *conn, ids).await? {
        let (body_html, library) = render_body(conn, page.lang, &page.content.body_md).await?;
        if body_html != page.body_html {
            db::pages::set_body_html(&mut *conn, page.id, &body_html).await?;
        }
        db::media::set_uses(conn, page.id, &library.current_ids()).await?;
    }
    Ok(())
}

async fn begin(db: &SqlitePool) -> sqlx::Result<(Transaction<'_, Sqlite>, i64)> {
    let mut tx = db::begin_write(db).await?;
    let version = db::changes::version(&mut *tx).await?;
    Ok((tx, version))
}

/// Brings the search index and the broken links up to date with every page in `changes`, in the
/// same transaction, and commits it: a page is findable, and links to it work, exactly when its
/// change is stored. Records in `changes` the content versions the transaction went from
/// (`started`) and to.
async fn commit(
    mut tx: Transaction<'_, Sqlite>,
    changes: &mut Changes,
    started: i64,
    now: &str,
) -> sqlx::Result<()> {
    crate::search::sync(&mut tx, changes.ids(), now).await?;
    for change in &changes.pages {
        for snapshot in change.before.iter().chain(&change.after) {
            let scope = db::links::Scope::Page {
                id: change.id,
                lang: snapshot.lang,
                path: &snapshot.path,
            };
            db::links::refresh(&mut tx, scope, now).await?;
        }
    }
    let after = db::changes::version(&mut *tx).await?;
    tx.commit().await?;
    changes.versions = Some(Versions {
        before: started,
        after,
    });
    Ok(())
}

/// What a save did to the page's visibility.
fn status_change(before: Option<&Page>, after: &Content, now: &str) -> Done {
    let scheduled = after.publish_at.as_deref().is_some_and(|at| at > now);
    let was_published = before.is_some_and(|page| page.content.status == Status::Published);
    match after.status {
        Status::Draft if was_published => Done::Unpublished,
        Status::Draft => Done::Draft,
        Status::Published if scheduled => {
            let unchanged = before.is_some_and(|page| {
                page.content.status == Status::Published
                    && page.content.publish_at == after.publish_at
            });
            if unchanged {
                Done::Saved
            } else {
                Done::Scheduled
            }
        }
        Status::Published if was_published => Done::Saved,
        Status::Published => Done::Published,
    }
}

async fn audit(
    tx: &mut Transaction<'_, Sqlite>,
    author: &Author,
    action: AuditAction,
    page_id: i64,
    detail: &str,
    now: &str,
) -> sqlx::Result<()> {
    db::audit::record(
        &mut **tx,
        &Entry {
            user_id: Some(author.id),
            action,
            object_type: ObjectType::Page,
            object_id: Some(page_id),
            detail,
            ip: &author.ip,
        },
        now,
    )
    .await
}

/// Takes a published page off the site, keeping it as a draft.
pub async fn unpublish(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    id: i64,
) -> sqlx::Result<Edited> {
    let Some(page) = db::pages::find(db, id).await? else {
        return Ok(Edited::nothing(Outcome::Gone));
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
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    id: i64,
    trashed: bool,
) -> sqlx::Result<Edited> {
    let now = clock.now_db();
    let (mut tx, version) = begin(db).await?;
    let Some(page) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Edited::nothing(Outcome::Gone));
    };
    let (changed, done) = if trashed {
        let changed = page.deleted_at.is_none();
        if changed {
            db::pages::trash(&mut *tx, id, &now).await?;
        }
        (changed, Done::Trashed)
    } else {
        (
            db::pages::untrash(&mut *tx, id, &now).await?,
            Done::Untrashed,
        )
    };
    if !changed {
        return Ok(Edited::nothing(Outcome::Gone));
    }
    audit(
        &mut tx,
        author,
        done.audit_action(),
        id,
        &page.content.title,
        &now,
    )
    .await?;
    let before = Snapshot::of_page(&page);
    let mut after = before.clone();
    after.trashed = trashed;
    let mut changes = Changes::default();
    changes.page(id, Some(before), Some(after));
    commit(tx, &mut changes, version, &now).await?;
    Ok(Edited {
        outcome: Outcome::Saved { id, done },
        changes,
    })
}

/// Deletes a page in the trash for good, with its revisions.
pub async fn delete(
    db: &SqlitePool,
    clock: &Clock,
    author: &Author,
    id: i64,
) -> sqlx::Result<Edited> {
    let now = clock.now_db();
    let (mut tx, version) = begin(db).await?;
    let Some(page) = db::pages::find(&mut *tx, id).await? else {
        return Ok(Edited::nothing(Outcome::Gone));
    };
    if page.deleted_at.is_none() || !db::pages::delete(&mut *tx, id).await? {
        return Ok(Edited::nothing(Outcome::Gone));
    }
    let detail = format!(
        "{} (/{}, {})",
        page.content.title, page.content.path, page.lang
    );
    audit(&mut tx, author, AuditAction::Delete, id, &detail, &now).await?;
    let mut changes = Changes::default();
    changes.page(id, Some(Snapshot::of_page(&page)), None);
    commit(tx, &mut changes, version, &now).await?;
    Ok(Edited {
        outcome: Outcome::Saved {
            id,
            done: Done::Deleted,
        },
        changes,
    })
}

/// Restores a revision as the page's next version: nothing is overwritten, the history only grows.
pub async fn restore_revision(
    db: &SqlitePool,
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
    let now = clock.now_db();
    let (mut tx, version) = begin(db).await?;
    let mut changes = Changes::default();
    if page.deleted_at.is_some() {
        return Ok(Edited::nothing(Outcome::Gone));
    }
    let parent_id = match revision.parent_id {
        Some(parent) if db::pages::find(&mut *tx, parent).await?.is_some() => Some(parent),
        _ => None,
    };
    if path_taken(&mut tx, page.lang, &content.path, Some(page.id)).await? {
        return Ok(Edited::nothing(Outcome::PathTaken(PathTaken::Own(
            content.path,
        ))));
    }
    let (body_html, library) = render_body(&mut tx, page.lang, &content.body_md).await?;
    let saved = db::pages::save(
        &mut *tx,
        page.id,
        page.version,
        &content,
        &body_html,
        parent_id,
        &now,
    )
    .await?;
    if !saved {
        return Ok(Edited::nothing(Outcome::Conflict {
            current: Box::new(page.clone()),
            kept: revision.id,
        }));
    }
    if let Some(taken) =
        move_along(&mut tx, &mut changes, author, page, &content.path, &now).await?
    {
        return Ok(Edited::nothing(Outcome::PathTaken(taken)));
    }
    record_body(&mut tx, page.id, page.lang, &content, &library).await?;
    db::revisions::record(
        &mut *tx,
        page.id,
        Some(author.id),
        RevisionKind::Restored,
        &revision.version.to_string(),
        &now,
    )
    .await?;
    let detail = format!("{}: version {} restored", content.title, revision.version);
    audit(
        &mut tx,
        author,
        AuditAction::RevisionRestore,
        page.id,
        &detail,
        &now,
    )
    .await?;
    changes.page(
        page.id,
        Some(Snapshot::of_page(page)),
        Some(Snapshot::of(page.lang, &content, parent_id, false)),
    );
    commit(tx, &mut changes, version, &now).await?;
    Ok(Edited {
        outcome: Outcome::Saved {
            id: page.id,
            done: Done::VersionRestored,
        },
        changes,
    })
}
