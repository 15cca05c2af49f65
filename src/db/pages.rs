//! Pages: the public reads that the site is built from, and the writes that import and editors make.
//!
//! "Visible" means what a visitor may see: published, its publish time reached, not in the trash. Every
//! public read takes the current time (`now`, in the database's timestamp form) so that scheduled pages
//! appear on time and tests can ask about any moment.

use sqlx::FromRow;

use crate::db::engine::{Exec, pick, query, query_as, query_scalar};

use crate::{
    ids::PageId,
    lang::Lang,
    time::{DatePrecision, Moment},
    vocab::{Kind, Status},
};

mod list;

pub use list::{
    Branch, Level, ListFilter, Listed, count_level, count_listed, level_page, listed, listed_page,
    outline, upcoming,
};

/// Every column of `pages` that [`Page`] reads.
macro_rules! page_columns {
    () => {
        "id, lang, path, title, description, body_md, body_html, kind, status, publish_at, date_precision, \
         parent_id, menu_order, translation_key, archived, version, created_at, updated_at, deleted_at"
    };
}

/// What editors write about a page: kept on the page, and copied whole into every revision.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Content {
    /// Below the language root, without slashes at either end; `""` is the home page.
    pub path: String,
    pub title: String,
    pub description: String,
    pub body_md: String,
    pub kind: Kind,
    pub status: Status,
    /// When the page becomes visible; `None` as soon as it is published, a future time schedules it.
    pub publish_at: Option<String>,
    pub date_precision: DatePrecision,
    /// Position in the main menu; `None` keeps the page out of it.
    pub menu_order: Option<i64>,
    /// Shared with the page's translation.
    pub translation_key: Option<String>,
    pub archived: bool,
}

/// A page as stored.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Page {
    pub id: PageId,
    pub lang: Lang,
    #[sqlx(flatten)]
    pub content: Content,
    /// Sanitised HTML, rendered from `body_md` when the page was saved.
    pub body_html: String,
    pub parent_id: Option<PageId>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// A link to a page: enough to list it in a menu, breadcrumb trail or section.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PageLink {
    pub id: PageId,
    pub path: String,
    pub title: String,
}

/// A visible page as the sitemap lists it.
#[derive(Debug, Clone, FromRow)]
pub struct SitemapEntry {
    pub lang: Lang,
    pub path: String,
    pub updated_at: String,
    /// The path of the page's visible translation, in the other language.
    pub translation_path: Option<String>,
}

/// The visible page at `path` in `lang`.
pub async fn find_visible(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    path: &str,
    now: &Moment,
) -> sqlx::Result<Option<Page>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            page_columns!(),
            " from pages where lang = ? and path = ? and ",
            visible!()
        ))
        .bind(lang)
        .bind(path)
        .bind(now)
        .fetch_optional(c)
        .await
    })
}

/// The visible page in `lang` that translates the page with `translation_key`.
pub async fn find_visible_translation(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    translation_key: &str,
    now: &Moment,
) -> sqlx::Result<Option<PageLink>> {
    on!(db, |c| {
        query_as(concat!(
            "select id, path, title from pages where lang = ? and translation_key = ? and ",
            visible!(),
            " order by id limit 1"
        ))
        .bind(lang)
        .bind(translation_key)
        .bind(now)
        .fetch_optional(c)
        .await
    })
}

/// The page in `lang`, out of the trash, that has `translation_key`: the translation an editor sees
/// linked, visible or not.
pub async fn translation_id(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    translation_key: &str,
) -> sqlx::Result<Option<PageId>> {
    on!(db, |c| {
        query_scalar(
            "select id from pages where lang = ? and translation_key = ? and deleted_at is null \
             order by id limit 1",
        )
        .bind(lang)
        .bind(translation_key)
        .fetch_optional(c)
        .await
    })
}

/// The main menu of `lang`: visible top-level pages with a menu position, in menu order.
pub async fn menu(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    now: &Moment,
) -> sqlx::Result<Vec<PageLink>> {
    on!(db, |c| {
        query_as(concat!(
            "select id, path, title from pages where lang = ? and parent_id is null and menu_order is not null \
             and path <> '' and ",
            visible!(),
            " order by menu_order, title"
        ))
        .bind(lang)
        .bind(now)
        .fetch_all(c)
        .await
    })
}

/// The visible children of a page, in menu order and then by title.
pub async fn children(
    db: impl Into<Exec<'_>>,
    parent_id: PageId,
    now: &Moment,
) -> sqlx::Result<Vec<PageLink>> {
    on!(db, |c| {
        query_as(concat!(
            "select id, path, title from pages where parent_id = ? and ",
            visible!(),
            " order by menu_order is null, menu_order, title"
        ))
        .bind(parent_id)
        .bind(now)
        .fetch_all(c)
        .await
    })
}

/// The visible ancestors of a page (`?1`, at the time `?2`), outermost first, for its breadcrumb
/// trail, as `id, path, title`, joined to the chain by `$join`. The depth is bounded so that a
/// cycle in the parent links cannot loop forever.
macro_rules! ancestors {
    ($join:literal) => {
        concat!(
            r"with recursive chain (id, parent_id, depth) as (
                select id, parent_id, 0 from pages where id = ?
                union all
                select p.id, p.parent_id, chain.depth + 1 from pages p join chain on p.id = chain.parent_id
                where chain.depth < 16
              )
              select pages.id, pages.path, pages.title from chain ",
            $join,
            " pages on pages.id = chain.id
              where chain.depth > 0 and pages.path <> '' and ",
            visible!(),
            " order by chain.depth desc"
        )
    };
}

/// `ancestors!` on SQLite: `cross join` keeps the chain (a few rows) the outer loop; left to
/// itself, SQLite's planner chose to walk every page through an index and look each up in the
/// chain, 17 ms at 10,000 pages instead of microseconds.
pub(super) const ANCESTORS: &str = ancestors!("cross join");

/// The visible ancestors of a page, outermost first, for its breadcrumb trail (see `ANCESTORS`).
pub async fn ancestors(
    db: impl Into<Exec<'_>>,
    page_id: PageId,
    now: &Moment,
) -> sqlx::Result<Vec<PageLink>> {
    on!(db, |c| {
        query_as(pick(c, ANCESTORS, ancestors!("join")))
            .bind(page_id)
            .bind(now)
            .fetch_all(c)
            .await
    })
}

/// A page of the visible news in `lang`, newest first.
pub async fn news(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    now: &Moment,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Page>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            page_columns!(),
            " from pages where lang = ? and kind = 'news' and ",
            visible!(),
            " order by coalesce(publish_at, created_at) desc, id desc limit ? offset ?"
        ))
        .bind(lang)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many news items in `lang` are visible.
pub async fn count_news(db: impl Into<Exec<'_>>, lang: Lang, now: &Moment) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar(concat!(
            "select count(*) from pages where lang = ? and kind = 'news' and ",
            visible!()
        ))
        .bind(lang)
        .bind(now)
        .fetch_one(c)
        .await
    })
}

/// The language and path of every visible page, by language and path.
pub async fn visible_paths(
    db: impl Into<Exec<'_>>,
    now: &Moment,
) -> sqlx::Result<Vec<(Lang, String)>> {
    on!(db, |c| {
        query_as(concat!(
            "select lang, path from pages where ",
            visible!(),
            " order by lang desc, path"
        ))
        .bind(now)
        .fetch_all(c)
        .await
    })
}

/// How many pages are visible.
pub async fn count_visible(db: impl Into<Exec<'_>>, now: &Moment) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar(concat!("select count(*) from pages where ", visible!()))
            .bind(now)
            .fetch_one(c)
            .await
    })
}

/// Visible pages for the sitemap, at most `limit` from `offset` by language and path, each with the
/// path of its visible translation.
pub async fn sitemap(
    db: impl Into<Exec<'_>>,
    now: &Moment,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<SitemapEntry>> {
    on!(db, |c| {
        // In the subquery, unqualified columns are the translation's (SQLite resolves the innermost).
        query_as(concat!(
            "select lang, path, updated_at, \
             (select t.path from pages t where t.translation_key = pages.translation_key \
              and t.lang <> pages.lang and ",
            visible!(),
            " limit 1) as translation_path from pages where ",
            visible!(),
            " order by lang desc, path limit ? offset ?"
        ))
        .bind(now)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// Every page, trashed ones included, by language and path.
pub async fn all(db: impl Into<Exec<'_>>) -> sqlx::Result<Vec<Page>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            page_columns!(),
            " from pages order by lang desc, path"
        ))
        .fetch_all(c)
        .await
    })
}

/// How many pages exist, trashed ones included.
pub async fn count(db: impl Into<Exec<'_>>) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar("select count(*) from pages")
            .fetch_one(c)
            .await
    })
}

/// The id of the page at `path` in `lang`, trashed or not.
pub async fn id_by_path(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    path: &str,
) -> sqlx::Result<Option<PageId>> {
    on!(db, |c| {
        query_scalar("select id from pages where lang = ? and path = ?")
            .bind(lang)
            .bind(path)
            .fetch_optional(c)
            .await
    })
}

/// Binds `content`'s columns in the order that every statement writing them lists them: path, title,
/// description, body_md, kind, status, publish_at, date_precision, menu_order, translation_key,
/// archived. [`super::revisions`] writes the same columns the same way.
macro_rules! bind_content {
    ($query:expr, $content:expr) => {{
        let content: &Content = $content;
        $query
            .bind(&content.path)
            .bind(&content.title)
            .bind(&content.description)
            .bind(&content.body_md)
            .bind(content.kind)
            .bind(content.status)
            .bind(&content.publish_at)
            .bind(content.date_precision)
            .bind(content.menu_order)
            .bind(&content.translation_key)
            .bind(content.archived)
    }};
}
pub(super) use bind_content;

/// The columns of `bind_content!`, in its order, for statements to list.
macro_rules! content_columns {
    () => {
        "path, title, description, body_md, kind, status, publish_at, date_precision, menu_order, \
         translation_key, archived"
    };
}
pub(super) use content_columns;

/// Creates a page at version 1 and returns its id.
pub async fn insert(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    content: &Content,
    body_html: &str,
    now: &Moment,
) -> sqlx::Result<PageId> {
    on!(db, |c| {
        let query = query_scalar(concat!(
            "insert into pages (",
            content_columns!(),
            ", lang, body_html, version, created_at, updated_at) \
             values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) returning id"
        ));
        bind_content!(query, content)
            .bind(lang)
            .bind(body_html)
            .bind(now)
            .bind(now)
            .fetch_one(c)
            .await
    })
}

/// Overwrites a page's content, takes it out of the trash and moves it to the next version: what an
/// import does to a page it finds.
/// Stores a page body rendered again (after a file of the library it shows changed), leaving its
/// version and time of change alone.
pub async fn set_body_html(
    db: impl Into<Exec<'_>>,
    id: PageId,
    body_html: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update pages set body_html = ? where id = ?")
            .bind(body_html)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

pub async fn update(
    db: impl Into<Exec<'_>>,
    id: PageId,
    content: &Content,
    body_html: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        let query = query(
            r"update pages set path = ?, title = ?, description = ?, body_md = ?, kind = ?, status = ?,
                publish_at = ?, date_precision = ?, menu_order = ?, translation_key = ?, archived = ?,
                body_html = ?, version = version + 1, updated_at = ?, deleted_at = null
              where id = ?",
        );
        bind_content!(query, content)
            .bind(body_html)
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Sets or clears a page's parent.
pub async fn set_parent(
    db: impl Into<Exec<'_>>,
    id: PageId,
    parent_id: Option<PageId>,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update pages set parent_id = ? where id = ?")
            .bind(parent_id)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Moves a page to the trash: it disappears from the site but can be restored.
pub async fn trash(db: impl Into<Exec<'_>>, id: PageId, now: &Moment) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update pages set deleted_at = ?, updated_at = ? where id = ?")
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Any page by id, drafts and trashed ones included.
pub async fn find(db: impl Into<Exec<'_>>, id: PageId) -> sqlx::Result<Option<Page>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            page_columns!(),
            " from pages where id = ?"
        ))
        .bind(id)
        .fetch_optional(c)
        .await
    })
}

/// The pages `ids` that exist, in no particular order.
pub async fn find_many(db: impl Into<Exec<'_>>, ids: &[PageId]) -> sqlx::Result<Vec<Page>> {
    on!(db, |c| {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = sqlx::QueryBuilder::new(concat!(
            "select ",
            page_columns!(),
            " from pages where id in ("
        ));
        let mut list = select.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        select.push(")");
        select.build_query_as().fetch_all(c).await
    })
}

/// How many pages each language has, the trash included (counted from an index alone).
pub async fn count_by_lang(
    db: impl Into<Exec<'_>>,
) -> sqlx::Result<std::collections::HashMap<Lang, i64>> {
    on!(db, |c| {
        let rows: Vec<(Lang, i64)> = query_as("select lang, count(*) from pages group by lang")
            .fetch_all(c)
            .await?;
        Ok(rows.into_iter().collect())
    })
}

/// Whether a page other than `except` has `path` in `lang`, trashed pages included.
pub async fn path_taken(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    path: &str,
    except: Option<PageId>,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        query_scalar(
            "select exists (select 1 from pages where lang = ? and path = ? and id is distinct from ?)",
        )
        .bind(lang)
        .bind(path)
        .bind(except)
        .fetch_one(c)
        .await
    })
}

/// An editor's save: writes `content` and `parent_id` over the page if it is still at
/// `expected_version` and not in the trash, and moves it to the next version. False when the page has
/// changed since.
pub async fn save(
    db: impl Into<Exec<'_>>,
    id: PageId,
    expected_version: i64,
    content: &Content,
    body_html: &str,
    parent_id: Option<PageId>,
    now: &Moment,
) -> sqlx::Result<bool> {
    on!(db, |c| {
        let query = query(
            r"update pages set path = ?, title = ?, description = ?, body_md = ?, kind = ?, status = ?,
                publish_at = ?, date_precision = ?, menu_order = ?, translation_key = ?, archived = ?,
                body_html = ?, parent_id = ?, version = version + 1, updated_at = ?
              where id = ? and version = ? and deleted_at is null",
        );
        let done = bind_content!(query, content)
            .bind(body_html)
            .bind(parent_id)
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(c)
            .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// The pages in `lang` whose path lies below `prefix`, with their paths.
pub async fn below(
    db: impl Into<Exec<'_>>,
    lang: Lang,
    prefix: &str,
) -> sqlx::Result<Vec<(PageId, String)>> {
    on!(db, |c| {
        // Paths hold only a–z, 0–9, hyphens and slashes, none of which LIKE treats specially.
        query_as("select id, path from pages where lang = ? and path like ? || '/%' order by path")
            .bind(lang)
            .bind(prefix)
            .fetch_all(c)
            .await
    })
}

/// Moves a page to a new path, as when its parent's path changes, and to its next version.
pub async fn move_to(
    db: impl Into<Exec<'_>>,
    id: PageId,
    path: &str,
    now: &Moment,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update pages set path = ?, version = version + 1, updated_at = ? where id = ?")
            .bind(path)
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Sets a page's translation key, leaving its version alone: linking pages is bookkeeping, not an edit.
pub async fn set_translation_key(
    db: impl Into<Exec<'_>>,
    id: PageId,
    key: &str,
) -> sqlx::Result<()> {
    on!(db, |c| {
        query("update pages set translation_key = ? where id = ?")
            .bind(key)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())
    })
}

/// Takes a page out of the trash.
pub async fn untrash(db: impl Into<Exec<'_>>, id: PageId, now: &Moment) -> sqlx::Result<bool> {
    on!(db, |c| {
        query("update pages set deleted_at = null, updated_at = ? where id = ? and deleted_at is not null")
            .bind(now)
            .bind(id)
            .execute(c)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

/// Deletes a page for good, with its revisions and redirects. Its children lose their parent.
pub async fn delete(db: impl Into<Exec<'_>>, id: PageId) -> sqlx::Result<bool> {
    on!(db, |c| {
        query("delete from pages where id = ?")
            .bind(id)
            .execute(c)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

/// The ids of a page's ancestors, nearest first, whatever their state. Bounded like [`ancestors`].
pub async fn ancestor_ids(db: impl Into<Exec<'_>>, page_id: PageId) -> sqlx::Result<Vec<PageId>> {
    on!(db, |c| {
        query_scalar(
            r"with recursive chain (id, parent_id, depth) as (
                select id, parent_id, 0 from pages where id = ?
                union all
                select p.id, p.parent_id, chain.depth + 1 from pages p join chain on p.id = chain.parent_id
                where chain.depth < 16
              )
              select id from chain where depth > 0 order by depth",
        )
        .bind(page_id)
        .fetch_all(c)
        .await
    })
}

/// How many pages are published (outside the trash), drafts (outside the trash), and in the trash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct Counts {
    pub published: i64,
    pub drafts: i64,
    pub trashed: i64,
}

/// The pages by where they stand, for the metrics.
pub async fn counts_by_standing(db: impl Into<Exec<'_>>) -> sqlx::Result<Counts> {
    on!(db, |c| {
        query_as(
            r"select count(*) filter (where deleted_at is null and status = 'published') as published,
                     count(*) filter (where deleted_at is null and status = 'draft') as drafts,
                     count(*) filter (where deleted_at is not null) as trashed
              from pages",
        )
        .fetch_one(c)
        .await
    })
}
