//! Revisions: a whole copy of a page at each save, and the texts of saves that lost a race.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as, query_scalar};

use super::pages::{Content, bind_content, content_columns};
use crate::{
    ids::{PageId, UserId},
    time::Moment,
    vocab::RevisionKind,
};

/// Records the page's current state as a revision: who saved it, why, and the one detail that kind
/// names (see [`RevisionKind`]).
pub async fn record(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
    author_id: Option<UserId>,
    kind: RevisionKind,
    note: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(concat!(
            "insert into revisions (page_id, version, parent_id, ",
            content_columns!(),
            ", author_id, revision_kind, note, created_at) select id, version, parent_id, ",
            content_columns!(),
            ", ?, ?, ?, ? from pages where id = ?"
        ))
        .bind(author_id)
        .bind(kind)
        .bind(note)
        .bind(now)
        .bind(page_id)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// Keeps the text of a save that was refused because the page had changed since `based_on`, so that it
/// survives even if the editor closes the tab. Returns the revision's id.
pub async fn record_conflict(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
    based_on: i64,
    content: &Content,
    parent_id: Option<PageId>,
    author_id: UserId,
    now: &Moment,
) -> sqlx::Result<i64> {
    on!(db, |c| {
        let query = query_scalar(concat!(
            "insert into revisions (",
            content_columns!(),
            ", page_id, version, parent_id, author_id, revision_kind, note, created_at, conflict) \
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true) returning id"
        ));
        bind_content!(query, content)
            .bind(page_id)
            .bind(based_on)
            .bind(parent_id)
            .bind(author_id)
            .bind(RevisionKind::Conflict)
            .bind(based_on.to_string())
            .bind(now)
            .fetch_one(c)
            .await
    })
}

/// A revision as stored, with its author's name.
#[derive(Debug, Clone, FromRow)]
pub struct Revision {
    pub id: i64,
    pub page_id: PageId,
    pub version: i64,
    #[sqlx(flatten)]
    pub content: Content,
    pub parent_id: Option<PageId>,
    /// The author's display name; imports have none.
    pub author: Option<String>,
    pub revision_kind: RevisionKind,
    /// The detail its kind names, if any.
    pub note: String,
    pub created_at: String,
    pub conflict: bool,
}

/// Every column of a [`Revision`], over `revisions r left join users u`.
macro_rules! revision_columns {
    () => {
        "r.id, r.page_id, r.version, r.path, r.title, r.description, r.body_md, r.kind, r.status, \
         r.publish_at, r.date_precision, r.parent_id, r.menu_order, r.translation_key, r.archived, \
         u.display_name as author, r.revision_kind, r.note, r.created_at, r.conflict"
    };
}

/// A page's revisions, newest first.
pub async fn of_page(db: impl Into<Exec<'_>>, page_id: PageId) -> sqlx::Result<Vec<Revision>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            revision_columns!(),
            " from revisions r left join users u on u.id = r.author_id where r.page_id = ? order by r.id desc"
        ))
        .bind(page_id)
        .fetch_all(c)
        .await
    })
}

/// One revision of a page.
pub async fn find(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
    id: i64,
) -> sqlx::Result<Option<Revision>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            revision_columns!(),
            " from revisions r left join users u on u.id = r.author_id where r.page_id = ? and r.id = ?"
        ))
        .bind(page_id)
        .bind(id)
        .fetch_optional(c)
        .await
    })
}
