//! The editors' list of pages: filtered, paginated, and laid out as a tree.

use sqlx::FromRow;

use crate::db::engine::{Exec, pick, query_as, query_scalar};

use crate::{
    ids::PageId,
    lang::Lang,
    time::Moment,
    vocab::{Kind, Standing, Status},
};

/// A page as the admin list shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Listed {
    pub id: PageId,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
    pub publish_at: Option<String>,
    pub parent_id: Option<PageId>,
    pub menu_order: Option<i64>,
    pub translation_key: Option<String>,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// Who made the last save, if anyone did (imports have no author).
    pub last_author: Option<String>,
}

/// The start of a statement that reads [`Listed`] pages, up to its `where` conditions.
macro_rules! listed_select {
    () => {
        r"select p.id, p.lang, p.path, p.title, p.kind, p.status, p.publish_at, p.parent_id, p.menu_order,
                 p.translation_key, p.updated_at, p.deleted_at,
                 (select u.display_name from revisions r join users u on u.id = r.author_id
                  where r.page_id = p.id and not r.conflict order by r.id desc limit 1) as last_author
          from pages p where "
    };
}

/// Which pages out of the trash the editors' list shows: each part, when set, must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    /// A part of the title or the path, any case.
    pub text: Option<&'a str>,
    pub lang: Option<Lang>,
    pub kind: Option<Kind>,
    pub standing: Option<Standing>,
}

/// The conditions of a [`ListFilter`]: `?1` the text as a LIKE pattern (case does not matter on
/// either engine), `?2` the language, `?3` the kind, `?4` the standing, `?5` now.
macro_rules! list_filter {
    () => {
        concat!(
            "p.deleted_at is null \
             and (?1 is null or lower(p.title) like lower(?1) escape '\\' \
                  or lower(p.path) like lower(?1) escape '\\') \
             and (?2 is null or p.lang = ?2) \
             and (?3 is null or p.kind = ?3) \
             and (?4 is null \
                  or (?4 = 'draft' and p.status = 'draft') \
                  or (?4 = 'published' and ",
            visible!("p.", "?5"),
            ") or (?4 = 'scheduled' and p.status = 'published' and p.publish_at > ?5))"
        )
    };
}

/// `text` as a LIKE pattern that finds it anywhere, its own `%`, `_` and `\` taken literally.
fn like_anywhere(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A page of the pages out of the trash that `filter` lets through, the last changed first.
pub async fn listed_page(
    db: impl Into<Exec<'_>>,
    filter: ListFilter<'_>,
    now: &Moment,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Listed>> {
    on!(db, |c| {
        query_as(concat!(
            listed_select!(),
            list_filter!(),
            " order by p.updated_at desc, p.id desc limit ?6 offset ?7"
        ))
        .bind(filter.text.map(like_anywhere))
        .bind(filter.lang)
        .bind(filter.kind)
        .bind(filter.standing)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// A page of the editors' tree: the page, and how many pages out of the trash are right below it.
#[derive(Debug, Clone, FromRow)]
pub struct Branch {
    #[sqlx(flatten)]
    pub page: Listed,
    pub children: i64,
}

/// Where in the tree a level of pages is: the top level of a language, or right below a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Top(Lang),
    Below(PageId),
}

/// The pages of a tree level, in the order of the site's menus: the home page first, then the
/// menu's pages by their place, then the rest by path. Each with the count of pages below it. The
/// page of the level is chosen first, on the bare table, so that the columns that ask other rows
/// (the last author, the count below) are worked out for the fifty shown, not for the whole level.
macro_rules! level_select {
    ($place:literal) => {
        concat!(
            r"select p.id, p.lang, p.path, p.title, p.kind, p.status, p.publish_at, p.parent_id,
                     p.menu_order, p.translation_key, p.updated_at, p.deleted_at,
                     (select u.display_name from revisions r join users u on u.id = r.author_id
                      where r.page_id = p.id and not r.conflict order by r.id desc limit 1) as last_author,
                     (select count(*) from pages c where c.parent_id = p.id and c.deleted_at is null) as children
              from (select id from pages where deleted_at is null and ",
            $place,
            level_order!(""),
            " limit ?2 offset ?3) chosen join pages p on p.id = chosen.id",
            level_order!("p.")
        )
    };
}

/// The order of a tree level, of the columns of `pages` named with `$table` (`""` or `"p."`).
macro_rules! level_order {
    ($table:literal) => {
        concat!(
            " order by case when ",
            $table,
            "path = '' then 0 else 1 end, case when ",
            $table,
            "menu_order is null then 1 else 0 end, ",
            $table,
            "menu_order, ",
            $table,
            "path, ",
            $table,
            "id"
        )
    };
}

/// A page of `level`'s pages out of the trash, `limit` from `offset`.
pub async fn level_page(
    db: impl Into<Exec<'_>>,
    level: Level,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Branch>> {
    on!(db, |c| {
        match level {
            Level::Top(lang) => {
                query_as(level_select!("parent_id is null and lang = ?1")).bind(lang.code())
            }
            Level::Below(parent) => query_as(level_select!("parent_id = ?1")).bind(parent.0),
        }
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many pages out of the trash `level` has.
pub async fn count_level(db: impl Into<Exec<'_>>, level: Level) -> sqlx::Result<i64> {
    on!(db, |c| {
        match level {
            Level::Top(lang) => query_scalar(
                "select count(*) from pages where deleted_at is null and parent_id is null and lang = ?",
            )
            .bind(lang.code()),
            Level::Below(parent) => query_scalar(
                "select count(*) from pages where deleted_at is null and parent_id = ?",
            )
            .bind(parent.0),
        }
        .fetch_one(c)
        .await
    })
}

/// The pages out of the trash that are published but not yet shown: the soonest first, at most
/// `limit`.
pub async fn upcoming(
    db: impl Into<Exec<'_>>,
    now: &Moment,
    limit: i64,
) -> sqlx::Result<Vec<Listed>> {
    on!(db, |c| {
        query_as(concat!(
            listed_select!(),
            "p.deleted_at is null and p.status = 'published' and p.publish_at > ?1 \
             order by p.publish_at, p.id limit ?2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(c)
        .await
    })
}

/// How many pages out of the trash `filter` lets through.
pub async fn count_listed(
    db: impl Into<Exec<'_>>,
    filter: ListFilter<'_>,
    now: &Moment,
) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar(concat!(
            "select count(*) from pages p where ",
            list_filter!()
        ))
        .bind(filter.text.map(like_anywhere))
        .bind(filter.lang)
        .bind(filter.kind)
        .bind(filter.standing)
        .bind(now)
        .fetch_one(c)
        .await
    })
}

/// Every page in the trash (`trashed`) or out of it, by language and path.
pub async fn listed(db: impl Into<Exec<'_>>, trashed: bool) -> sqlx::Result<Vec<Listed>> {
    on!(db, |c| {
        query_as(concat!(
            listed_select!(),
            "(p.deleted_at is not null) = ? order by p.lang desc, p.path"
        ))
        .bind(trashed)
        .fetch_all(c)
        .await
    })
}

/// The statement of [`outline`], with `$hint` after the table of the main menu's pages: SQLite is
/// told which index to search. Each part is a search of an index, so that a language of 10,000
/// pages is not read.
macro_rules! outline {
    ($hint:literal) => {
        concat!(
            r"select p.id, p.lang, p.path, p.title, p.kind, p.status, p.publish_at, p.parent_id,
                     p.menu_order, p.translation_key, p.updated_at, p.deleted_at, null as last_author
              from pages p
              where p.deleted_at is null and p.id in (
                  select id from pages where lang in (?1, ?2)
                  union all
                  select id from pages where lang in ('sv', 'en') and path = ''
                  union all
                  select id from pages ",
            $hint,
            r"
                  where lang in ('sv', 'en') and parent_id is null and menu_order is not null
                  union all
                  select parent_id from pages where parent_id is not null
                  union all
                  select value from (select ?3 as value union all select ?4 union all select ?5) as kept)
              order by p.lang desc, p.path"
        )
    };
}

/// Pages outside the trash as [`listed`] has them, but without their last author (a query a page),
/// for placing them in a tree: every page of the languages `all_of`; of the others, the home page,
/// the main menu's pages, the pages that have pages below them, and the pages `keep`.
pub async fn outline(
    db: impl Into<Exec<'_>>,
    all_of: &[Lang],
    keep: &[Option<PageId>; 3],
) -> sqlx::Result<Vec<Listed>> {
    on!(db, |c| {
        query_as(pick(c, outline!("indexed by pages_menu"), outline!("")))
            .bind(all_of.first().map(|lang| lang.code()))
            .bind(all_of.get(1).map(|lang| lang.code()))
            .bind(keep[0])
            .bind(keep[1])
            .bind(keep[2])
            .fetch_all(c)
            .await
    })
}
