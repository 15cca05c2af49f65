//! When pages were last reviewed (`page_reviews`, `migrations/0010_writing_help.sql`): marked as
//! read and current by an editor, or saved, whichever is later.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as, query_scalar};

use crate::{
    ids::{PageId, UserId},
    lang::Lang,
    time::Moment,
};

/// Marks page `page_id` as reviewed by `user_id` at `now`.
pub async fn mark_reviewed(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
    user_id: UserId,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into page_reviews (page_id, reviewed_at, reviewed_by) values (?, ?, ?)
             on conflict (page_id) do update set reviewed_at = excluded.reviewed_at,
                                                 reviewed_by = excluded.reviewed_by",
        )
        .bind(page_id)
        .bind(now)
        .bind(user_id)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// When a page was last reviewed: marked as reviewed, or saved, whichever is later.
#[derive(Debug, Clone, FromRow)]
pub struct Reviewed {
    pub at: String,
    /// Who marked it, when the mark is the later; `None` when the last save is.
    pub marked_by: Option<String>,
}

/// When page `page_id` was last reviewed.
pub async fn last_reviewed(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
) -> sqlx::Result<Option<Reviewed>> {
    on!(db, |c| {
        query_as(
            "select (case when r.reviewed_at > p.updated_at then r.reviewed_at else p.updated_at end) as at,
                    case when r.reviewed_at >= p.updated_at then u.username end as marked_by
             from pages p
             left join page_reviews r on r.page_id = p.id
             left join users u on u.id = r.reviewed_by
             where p.id = ?",
        )
        .bind(page_id)
        .fetch_optional(c)
        .await
    })
}

/// A published page due for review.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub page_id: PageId,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub reviewed_at: String,
}

/// The visible pages last reviewed before `before`, oldest first.
pub async fn due_for_review(
    db: impl Into<Exec<'_>>,
    before: &str,
    now: &Moment,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Due>> {
    on!(db, |c| {
        query_as(concat!(
            "select p.id as page_id, p.lang, p.path, p.title,
                    (case when r.reviewed_at > p.updated_at then r.reviewed_at else p.updated_at end) as reviewed_at
             from pages p left join page_reviews r on r.page_id = p.id
             where ",
            visible!("p.", "?2"),
            " and p.updated_at < ?1
               and (case when r.reviewed_at > p.updated_at then r.reviewed_at else p.updated_at end) < ?1
             order by reviewed_at, p.id
             limit ?3 offset ?4"
        ))
        .bind(before)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many pages [`due_for_review`] lists in all.
pub async fn count_due_for_review(
    db: impl Into<Exec<'_>>,
    before: &str,
    now: &Moment,
) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar(concat!(
            "select count(*) from pages p left join page_reviews r on r.page_id = p.id where ",
            visible!("p.", "?2"),
            " and p.updated_at < ?1 and (case when r.reviewed_at > p.updated_at then r.reviewed_at else p.updated_at end) < ?1"
        ))
        .bind(before)
        .bind(now)
        .fetch_one(c)
        .await
    })
}
