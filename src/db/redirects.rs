//! Old addresses of pages. A redirect points at a page, not at a path, so however often a page moves,
//! every old address leads to where it is now in one hop, and no chain or loop can form.

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as, query_scalar};

use crate::{ids::PageId, lang::Lang, time::Moment};

/// Makes `from_path` lead to the page `page_id`, replacing whatever it led to before.
pub async fn upsert(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    from_path: &str,
    page_id: PageId,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into redirects (lang, from_path, page_id, created_at) values (?, ?, ?, ?) \
             on conflict (lang, from_path) do update set page_id = excluded.page_id, created_at = excluded.created_at",
        )
        .bind(lang)
        .bind(from_path)
        .bind(page_id)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// A page now lives at `path`: an old address there no longer redirects.
pub async fn remove(db: impl Into<Exec<'_>>, lang: Lang, path: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        query("delete from redirects where lang = ? and from_path = ?")
            .bind(lang)
            .bind(path)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// The current path of the visible page that `from_path` used to be.
pub async fn target(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    from_path: &str,
    now: &Moment,
) -> sqlx::Result<Option<String>> {
    on!(db, |c| {
        query_scalar(concat!(
            "select p.path from redirects r join pages p on p.id = r.page_id \
             where r.lang = ? and r.from_path = ? and ",
            visible!("p.", "?")
        ))
        .bind(lang)
        .bind(from_path)
        .bind(now)
        .fetch_optional(c)
        .await
    })
}

/// An old address of a page.
#[derive(Debug, Clone, FromRow)]
pub struct Redirect {
    pub from_path: String,
    pub created_at: String,
}

/// The old addresses of a page.
pub async fn of_page(db: impl Into<Exec<'_>>, page_id: PageId) -> sqlx::Result<Vec<Redirect>> {
    on!(db, |c| {
        query_as("select from_path, created_at from redirects where page_id = ? order by from_path")
            .bind(page_id)
            .fetch_all(c)
            .await
    })
}

/// Every old address, by language and path, whatever it leads to now.
pub async fn all_from(db: impl Into<Exec<'_>>) -> sqlx::Result<Vec<(Lang, String)>> {
    on!(db, |c| {
        query_as("select lang, from_path from redirects order by lang desc, from_path")
            .fetch_all(c)
            .await
    })
}
