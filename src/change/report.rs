//! What a unit of work changed, as the caches and later notices need to know it: every page as it
//! was and as it is, the files of the media library touched, and the content versions the
//! transaction went between.

use crate::{
    db::pages::Page,
    ids::{MediaId, PageId, UserId},
    lang::Lang,
    vocab::{Kind, Status},
};

/// Who is making a change, for revisions and the audit log.
#[derive(Debug, Clone)]
pub struct Author {
    pub id: UserId,
    pub ip: String,
}

/// What other responses show of a page: enough to know which of them a change makes stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    // Where the page stands: its address, its place in the tree and the menu, its translations.
    pub lang: Lang,
    pub path: String,
    pub parent_id: Option<PageId>,
    pub menu_order: Option<i64>,
    pub translation_key: Option<String>,
    // What lists of pages show of it.
    pub title: String,
    pub kind: Kind,
    // Whether visitors see it, and from when.
    pub status: Status,
    pub publish_at: Option<String>,
    pub trashed: bool,
}

impl Snapshot {
    /// What visitors' responses show of `page`.
    pub fn of_page(page: &Page) -> Snapshot {
        Snapshot {
            lang: page.lang,
            path: page.content.path.clone(),
            parent_id: page.parent_id,
            menu_order: page.content.menu_order,
            translation_key: page.content.translation_key.clone(),
            title: page.content.title.clone(),
            kind: page.content.kind,
            status: page.content.status,
            publish_at: page.content.publish_at.clone(),
            trashed: page.deleted_at.is_some(),
        }
    }
}

/// One page a change touched, as it was and as it is; `None` where it did not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageChange {
    pub id: PageId,
    pub before: Option<Snapshot>,
    pub after: Option<Snapshot>,
}

/// Everything a committed unit of work changed. Empty when it changed nothing (a refused or
/// conflicting save).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub pages: Vec<PageChange>,
    /// The files of the media library added, described, replaced or deleted.
    pub media: Vec<MediaId>,
    /// The content versions the transaction went from and to, once committed.
    pub versions: Option<Versions>,
}

/// The database's content version (see `db::changes`) when a unit of work began and when it
/// committed. If the server last saw `before`, nothing but this change touched content since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub before: i64,
    pub after: i64,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty() && self.media.is_empty()
    }

    /// The ids of the pages changed.
    pub fn ids(&self) -> impl Iterator<Item = PageId> + '_ {
        self.pages.iter().map(|change| change.id)
    }
}

/// What a change did (`outcome`, for the confirmation) and what it changed. The changes must reach
/// the caches before visitors can see them: pass this to `AppState::apply`.
#[derive(Debug)]
#[must_use = "pass it to AppState::apply, which shows the change to visitors"]
pub struct Committed<T> {
    pub outcome: T,
    pub changes: Changes,
}

impl<T> Committed<T> {
    /// A change that changed nothing.
    pub fn nothing(outcome: T) -> Committed<T> {
        Committed {
            outcome,
            changes: Changes::default(),
        }
    }
}
