//! The change pipeline: the one way content is written.
//!
//! Every writer (editors' saves and page actions, revision restores, the media library, import and
//! the seed, the command line) opens a [`Work`], makes its change through it and commits it. A page
//! is written only by [`Work`]'s methods, and [`Work::commit`] brings every table derived from
//! pages up to date in the same transaction, so a writer cannot forget a step:
//!
//! - the rendered body, from the Markdown and the files of the library it shows ([`Body`]);
//! - which files each page shows (`media_uses`) and its links to the site (`page_links`);
//! - a revision of each page written, as it stands at commit;
//! - the search index, and whether links anywhere now lead somewhere;
//! - the content version (by triggers), which tells other processes that something changed.
//!
//! What changed comes back as [`Changes`]: after commit, `AppState::apply` is the one place that
//! turns it into cache invalidation (and, later, notices to other instances and purges of a CDN).
//! `tests/layers.rs` checks that nothing outside this module writes a page.

pub mod announce;
mod report;

use std::collections::{HashMap, HashSet};

pub use report::{Author, Changes, Committed, PageChange, Snapshot, Versions};

use crate::{
    content::markdown,
    db::{self, audit::Entry, pages::Content, pages::Page},
    ids::{MediaId, PageId, UserId},
    lang::Lang,
    media::Library,
    time::{Clock, Moment},
    vocab::{AuditAction, ObjectType, RevisionKind},
};

/// Beyond this many pages touched, the links of the whole site are checked at commit rather than
/// those of each page: one statement instead of two per page.
const LINKS_PAGE_BY_PAGE: usize = 64;

/// How many pages are read back at a time at commit (well below SQLite's limit on parameters).
const READ_BACK: usize = 500;

/// A page body rendered as visitors see it, with the files of the library it shows. Made only by
/// [`Body::render`] (or [`render`]), so a stored body always matches its Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    html: String,
    media: Vec<MediaId>,
}

impl Body {
    /// Renders `body_md` of a page in `lang` with the files of `library` it names.
    pub fn render(body_md: &str, lang: Lang, library: &Library) -> Body {
        let mut media: Vec<MediaId> = markdown::media_ids(body_md)
            .into_iter()
            .filter_map(|id| library.get(id).map(|embedded| embedded.id))
            .collect();
        media.sort_unstable();
        media.dedup();
        Body {
            html: markdown::render_page(body_md, lang, library),
            media,
        }
    }

    /// The sanitised HTML.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The sanitised HTML, to show.
    pub fn into_html(self) -> String {
        self.html
    }
}

/// Renders `body_md` with the files of the library it names, as they are in `conn`'s view.
pub async fn render(
    conn: impl Into<db::Exec<'_>>,
    lang: Lang,
    body_md: &str,
) -> sqlx::Result<Body> {
    let library = db::media::library(conn, &markdown::media_ids(body_md)).await?;
    Ok(Body::render(body_md, lang, &library))
}

/// A revision to record of a page at commit.
#[derive(Debug, Clone)]
pub struct Note {
    pub author: Option<UserId>,
    pub kind: RevisionKind,
    /// The detail its kind names (see [`RevisionKind`]).
    pub detail: String,
}

impl Note {
    pub fn new(author: Option<&Author>, kind: RevisionKind, detail: impl Into<String>) -> Note {
        Note {
            author: author.map(|author| author.id),
            kind,
            detail: detail.into(),
        }
    }
}

/// One write transaction and what it has touched so far. Dropped without [`commit`](Work::commit),
/// it is rolled back and nothing was written.
pub struct Work {
    tx: db::Tx,
    started: i64,
    now: Moment,
    /// Every page touched, in order, each once, with what it was before.
    touched: Vec<(PageId, Option<Snapshot>)>,
    seen: HashSet<PageId>,
    /// The bodies written, whose files are recorded at commit.
    bodies: HashMap<PageId, Vec<MediaId>>,
    revisions: Vec<(PageId, Note)>,
    media: Vec<MediaId>,
    all_links: bool,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("started", &self.started)
            .field("touched", &self.touched.len())
            .finish_non_exhaustive()
    }
}

impl Work {
    /// Begins a unit of work: takes the write lock, and notes the content version it starts from.
    pub async fn begin(db: &db::Pool, clock: &Clock) -> sqlx::Result<Work> {
        let mut tx = db::begin_write(db).await?;
        db::changes::will_announce(&mut tx).await?;
        let started = db::changes::version(&mut tx).await?;
        Ok(Work {
            tx,
            started,
            now: clock.now_db(),
            touched: Vec::new(),
            seen: HashSet::new(),
            bodies: HashMap::new(),
            revisions: Vec::new(),
            media: Vec::new(),
            all_links: false,
        })
    }

    /// The time of this change, in the database's form.
    pub fn now(&self) -> &Moment {
        &self.now
    }

    /// The transaction, for reads and for the tables no page is derived from (the audit log,
    /// redirects, reviews, the files of the library).
    pub fn conn(&mut self) -> db::Exec<'_> {
        self.tx.exec()
    }

    /// Ends the work without writing anything.
    pub async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }

    /// Renders a body in this transaction's view of the library.
    pub async fn render(&mut self, lang: Lang, body_md: &str) -> sqlx::Result<Body> {
        render(&mut self.tx, lang, body_md).await
    }

    /// Records an entry in the audit log, by `author` (or the system), about `object` (its type and
    /// id).
    pub async fn audit(
        &mut self,
        author: Option<&Author>,
        action: AuditAction,
        object: (ObjectType, i64),
        detail: &str,
    ) -> sqlx::Result<()> {
        let entry = Entry {
            user_id: author.map(|author| author.id),
            action,
            object_type: object.0,
            object_id: Some(object.1),
            detail,
            ip: author.map_or("", |author| author.ip.as_str()),
        };
        db::audit::record(&mut self.tx, &entry, &self.now).await
    }

    /// Creates a page and returns its id.
    pub async fn create_page(
        &mut self,
        lang: Lang,
        content: &Content,
        body: Body,
        parent_id: Option<PageId>,
        note: Note,
    ) -> sqlx::Result<PageId> {
        let id = db::pages::insert(&mut self.tx, lang, content, &body.html, &self.now).await?;
        db::pages::set_parent(&mut self.tx, id, parent_id).await?;
        self.touch(id, None);
        self.bodies.insert(id, body.media);
        self.revisions.push((id, note));
        Ok(id)
    }

    /// An editor's save of `before` (loaded in this transaction) that began from `base_version`:
    /// false, with nothing written, when the page has moved on since.
    pub async fn save_page(
        &mut self,
        before: &Page,
        base_version: i64,
        (content, body): (&Content, Body),
        parent_id: Option<PageId>,
        note: Note,
    ) -> sqlx::Result<bool> {
        let saved = db::pages::save(
            &mut self.tx,
            before.id,
            base_version,
            content,
            &body.html,
            parent_id,
            &self.now,
        )
        .await?;
        if saved {
            self.touch(before.id, Some(Snapshot::of_page(before)));
            self.bodies.insert(before.id, body.media);
            self.revisions.push((before.id, note));
        }
        Ok(saved)
    }

    /// Writes `content` over page `before` whatever its version, out of the trash: what an import
    /// does to a page it finds.
    pub async fn overwrite_page(
        &mut self,
        before: &Page,
        content: &Content,
        body: Body,
        note: Note,
    ) -> sqlx::Result<()> {
        db::pages::update(&mut self.tx, before.id, content, &body.html, &self.now).await?;
        self.touch(before.id, Some(Snapshot::of_page(before)));
        self.bodies.insert(before.id, body.media);
        self.revisions.push((before.id, note));
        Ok(())
    }

    /// Sets the parent of page `id`, written in this unit of work.
    pub async fn set_parent(&mut self, id: PageId, parent_id: Option<PageId>) -> sqlx::Result<()> {
        if !self.seen.contains(&id) {
            let before = db::pages::find(&mut self.tx, id).await?;
            self.touch(id, before.as_ref().map(Snapshot::of_page));
        }
        db::pages::set_parent(&mut self.tx, id, parent_id).await
    }

    /// Moves `page` to `path`, as when its parent's path changes, with a revision that says so.
    pub async fn move_page(&mut self, page: &Page, path: &str, note: Note) -> sqlx::Result<()> {
        db::pages::move_to(&mut self.tx, page.id, path, &self.now).await?;
        self.touch(page.id, Some(Snapshot::of_page(page)));
        self.revisions.push((page.id, note));
        Ok(())
    }

    /// Gives `page` the translation key `key`, without a new version: linking is bookkeeping.
    pub async fn set_translation_key(&mut self, page: &Page, key: &str) -> sqlx::Result<()> {
        db::pages::set_translation_key(&mut self.tx, page.id, key).await?;
        self.touch(page.id, Some(Snapshot::of_page(page)));
        Ok(())
    }

    /// Moves `page` to the trash, or takes it out again. False when it already was as asked.
    pub async fn set_trashed(&mut self, page: &Page, trashed: bool) -> sqlx::Result<bool> {
        let changed = if trashed {
            let changed = page.deleted_at.is_none();
            if changed {
                db::pages::trash(&mut self.tx, page.id, &self.now).await?;
            }
            changed
        } else {
            db::pages::untrash(&mut self.tx, page.id, &self.now).await?
        };
        if changed {
            self.touch(page.id, Some(Snapshot::of_page(page)));
        }
        Ok(changed)
    }

    /// Deletes `page` for good, with its revisions. False when it was gone already.
    pub async fn delete_page(&mut self, page: &Page) -> sqlx::Result<bool> {
        let deleted = db::pages::delete(&mut self.tx, page.id).await?;
        if deleted {
            self.touch(page.id, Some(Snapshot::of_page(page)));
            self.bodies.remove(&page.id);
        }
        Ok(deleted)
    }

    /// Notes that files of the library changed (`ids`: added, described, replaced or deleted) and
    /// renders again `pages`, those that showed them (found before the change). With
    /// `links_moved`, links anywhere to files may lead somewhere else now (a file was deleted),
    /// and all are checked at commit.
    pub async fn files_changed(
        &mut self,
        ids: &[MediaId],
        pages: &[PageId],
        links_moved: bool,
    ) -> sqlx::Result<()> {
        self.media.extend_from_slice(ids);
        self.all_links |= links_moved;
        self.render_again(pages).await
    }

    /// Renders the bodies of `ids` again, after a file they show changed. Their versions stay:
    /// what editors wrote did not change.
    async fn render_again(&mut self, ids: &[PageId]) -> sqlx::Result<()> {
        for page in db::pages::find_many(&mut self.tx, ids).await? {
            let body = self.render(page.lang, &page.content.body_md).await?;
            if body.html != page.body_html {
                db::pages::set_body_html(&mut self.tx, page.id, &body.html).await?;
            }
            self.touch(page.id, Some(Snapshot::of_page(&page)));
            self.bodies.insert(page.id, body.media);
        }
        Ok(())
    }

    fn touch(&mut self, id: PageId, before: Option<Snapshot>) {
        if self.seen.insert(id) {
            self.touched.push((id, before));
        }
    }

    /// Brings every derived table up to date with what was touched and commits: a page is findable,
    /// shows its files and has its revision exactly when its change is stored. Returns what changed.
    pub async fn commit(mut self) -> sqlx::Result<Changes> {
        let ids: Vec<PageId> = self.touched.iter().map(|(id, _)| *id).collect();
        let mut after: HashMap<PageId, Page> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(READ_BACK) {
            for page in db::pages::find_many(&mut self.tx, chunk).await? {
                after.insert(page.id, page);
            }
        }
        for (id, media) in &self.bodies {
            if after.contains_key(id) {
                db::media::set_uses(&mut self.tx, *id, media).await?;
            }
        }
        for page in after.values() {
            let links = crate::writing::links::internal_links(
                &page.content.body_md,
                page.lang,
                &page.content.path,
            );
            db::links::set(&mut self.tx, page.id, &links).await?;
        }
        for (id, note) in &self.revisions {
            if after.contains_key(id) {
                let (author, kind, detail) = (note.author, note.kind, note.detail.as_str());
                db::revisions::record(&mut self.tx, *id, author, kind, detail, &self.now).await?;
            }
        }
        let indexed: Vec<(PageId, Option<&Page>)> =
            ids.iter().map(|id| (*id, after.get(id))).collect();
        crate::search::sync(&mut self.tx, &indexed, &self.now).await?;
        let pages: Vec<PageChange> = self
            .touched
            .drain(..)
            .map(|(id, before)| PageChange {
                id,
                before,
                after: after.get(&id).map(Snapshot::of_page),
            })
            .collect();
        self.refresh_links(&pages).await?;
        let versions = Versions {
            before: self.started,
            after: db::changes::version(&mut self.tx).await?,
        };
        let mut media = std::mem::take(&mut self.media);
        media.sort_unstable();
        media.dedup();
        let changes = Changes {
            pages,
            media,
            versions: Some(versions),
        };
        // Other instances hear what changed, or that something did (a change too large to tell,
        // or one of redirects alone), exactly when it commits.
        if versions.before != versions.after || !changes.is_empty() {
            let told = announce::encode(&changes).filter(|_| !changes.is_empty());
            db::changes::announce(&mut self.tx, told.as_deref()).await?;
        }
        self.tx.commit().await?;
        Ok(changes)
    }

    /// Brings up to date whether links lead somewhere: those of and to each page touched, or every
    /// link of the site after a large change or one to the library's files.
    async fn refresh_links(&mut self, pages: &[PageChange]) -> sqlx::Result<()> {
        if self.all_links || pages.len() > LINKS_PAGE_BY_PAGE {
            db::links::refresh(&mut self.tx, db::links::Scope::All, &self.now).await?;
            return Ok(());
        }
        for change in pages {
            for snapshot in change.before.iter().chain(&change.after) {
                let scope = db::links::Scope::Page {
                    id: change.id,
                    lang: snapshot.lang,
                    path: &snapshot.path,
                };
                db::links::refresh(&mut self.tx, scope, &self.now).await?;
            }
        }
        Ok(())
    }
}
