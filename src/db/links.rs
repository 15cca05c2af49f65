//! Links of page bodies to the site and which of them lead nowhere (`page_links`,
//! `migrations/0010_writing_help.sql`).
//!
//! Whether a link works is decided by the query that asks, at the time it is given: a link to a
//! page works while a visible page has that address or a redirect from it leads to one; a link to
//! a file works while the library has the file.

use std::collections::HashMap;

use sqlx::FromRow;

use crate::db::engine::{Exec, query, query_as, query_scalar};

use crate::{
    ids::{MediaId, PageId},
    lang::Lang,
    time::Moment,
    vocab::Status,
};

/// Where a link on the site leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The page at `path` in `lang`, or a redirect from there: works while such a page is visible.
    Page { lang: Lang, path: String },
    /// A file of the media library: works while the file (or a newer one replacing it) is there.
    Media(MediaId),
    /// An address that no page or file can ever have: broken whatever happens.
    Nowhere,
}

impl Target {
    /// The kind, as the database stores it.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Page { .. } => "page",
            Target::Media(_) => "media",
            Target::Nowhere => "nowhere",
        }
    }
}

/// A link in a body to an address on the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The line of the Markdown it is on, from 1.
    pub line: usize,
    /// The address as the editor wrote it.
    pub href: String,
    pub target: Target,
}

/// SQL that is true for a row of `page_links` that leads nowhere at `?1` (the time).
macro_rules! broken {
    () => {
        concat!(
            "(case page_links.kind
            when 'nowhere' then true
            when 'media' then not exists (select 1 from media m where m.id = page_links.media_id)
            else not exists (select 1 from pages p
                     where p.lang = page_links.lang and p.path = page_links.path and ",
            visible!("p.", "?1"),
            ")
                 and not exists (select 1 from redirects r join pages p on p.id = r.page_id
                     where r.lang = page_links.lang and r.from_path = page_links.path and ",
            visible!("p.", "?1"),
            ")
         end)"
        )
    };
}

/// The statement that refreshes `broken_since` (see [`refresh`]) for the rows where `$condition`.
macro_rules! refresh {
    ($condition:literal) => {
        concat!(
            "update page_links set broken_since = case when broken_since is null then ?1 else null end
             where (",
            $condition,
            ") and (broken_since is null) = ",
            broken!()
        )
    };
}

/// Records the links of page `page_id`'s body, replacing what was recorded before. A link that was
/// already there and broken keeps the time it was found broken.
pub async fn set(conn: impl Into<Exec<'_>>, page_id: PageId, links: &[Link]) -> sqlx::Result<()> {
    on!(conn, |c| {
        let known: HashMap<String, String> = query_as(
            "select href, min(broken_since) from page_links
             where page_id = ? and broken_since is not null group by href",
        )
        .bind(page_id)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .collect();
        query("delete from page_links where page_id = ?")
            .bind(page_id)
            .execute(&mut *c)
            .await?;
        for link in links {
            let (lang, path, media_id) = match &link.target {
                Target::Page { lang, path } => (Some(*lang), Some(path.as_str()), None),
                Target::Media(id) => (None, None, Some(*id)),
                Target::Nowhere => (None, None, None),
            };
            query(
                "insert into page_links (page_id, line, href, kind, lang, path, media_id, broken_since)
                 values (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(page_id)
            .bind(i64::try_from(link.line).unwrap_or(i64::MAX))
            .bind(&link.href)
            .bind(link.target.kind())
            .bind(lang)
            .bind(path)
            .bind(media_id)
            .bind(known.get(&link.href))
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    })
}

/// Whether `target` leads somewhere at `now`.
pub async fn works(conn: impl Into<Exec<'_>>, target: &Target, now: &Moment) -> sqlx::Result<bool> {
    on!(conn, |c| {
        // `select 1` is a 32-bit number on PostgreSQL.
        let found: Option<i32> = match target {
            Target::Nowhere => return Ok(false),
            Target::Media(id) => {
                query_scalar("select 1 from media where id = ?")
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await?
            }
            Target::Page { lang, path } => {
                query_scalar(concat!(
                    "select 1 from pages p where p.lang = ?1 and p.path = ?2 and ",
                    visible!("p.", "?3"),
                    " union all select 1 from redirects r join pages p on p.id = r.page_id \
                     where r.lang = ?1 and r.from_path = ?2 and ",
                    visible!("p.", "?3"),
                    " limit 1"
                ))
                .bind(lang)
                .bind(path)
                .bind(now)
                .fetch_optional(&mut *c)
                .await?
            }
        };
        Ok(found.is_some())
    })
}

/// Which links [`refresh`] brings up to date.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every link of the site.
    All,
    /// The links of page `id`, and those that lead to the page at `path` in `lang`.
    Page {
        id: PageId,
        lang: Lang,
        path: &'a str,
    },
    /// The links to file `id`.
    Media(MediaId),
}

/// Brings `broken_since` up to date at `now` for the links of `scope`: set when a link is found
/// broken, kept while it stays broken, cleared when it works. Writes only the rows that changed.
pub async fn refresh(
    conn: impl Into<Exec<'_>>,
    scope: Scope<'_>,
    now: &Moment,
) -> sqlx::Result<u64> {
    on!(conn, |c| {
        let done = match scope {
            Scope::All => query(refresh!("true")).bind(now).execute(&mut *c).await?,
            Scope::Page { id, lang, path } => {
                query(refresh!(
                    "page_id = ?2 or (kind = 'page' and lang = ?3 and path = ?4)"
                ))
                .bind(now)
                .bind(id)
                .bind(lang)
                .bind(path)
                .execute(&mut *c)
                .await?
            }
            Scope::Media(id) => {
                query(refresh!("kind = 'media' and media_id = ?2"))
                    .bind(now)
                    .bind(id)
                    .execute(&mut *c)
                    .await?
            }
        };
        Ok(done.rows_affected())
    })
}

/// A broken link, with the page it is on.
#[derive(Debug, Clone, FromRow)]
pub struct Broken {
    pub page_id: PageId,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub status: Status,
    pub line: i64,
    pub href: String,
    pub broken_since: String,
}

/// The broken links of pages outside the trash, as last refreshed: most recently broken first, then
/// by page and line.
pub async fn broken(db: impl Into<Exec<'_>>, limit: i64, offset: i64) -> sqlx::Result<Vec<Broken>> {
    on!(db, |c| {
        query_as(
            // The rows of the list are chosen by the index of broken links first; only their pages are
            // read, for their titles.
            "select p.id as page_id, p.lang, p.path, p.title, p.status, l.line, l.href, l.broken_since
             from (select page_id, line, href, broken_since from page_links
                   where broken_since is not null
                     and page_id not in (select id from pages where deleted_at is not null)
                   order by broken_since desc, page_id, line
                   limit ? offset ?) l
             join pages p on p.id = l.page_id
             order by l.broken_since desc, l.page_id, l.line",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many links [`broken`] lists in all, and on how many pages.
pub async fn count_broken(db: impl Into<Exec<'_>>) -> sqlx::Result<(i64, i64)> {
    on!(db, |c| {
        query_as(
            "select count(*), count(distinct page_id) from page_links
             where broken_since is not null
               and page_id not in (select id from pages where deleted_at is not null)",
        )
        .fetch_one(c)
        .await
    })
}

/// A page that links to another.
#[derive(Debug, Clone, FromRow)]
pub struct Source {
    pub page_id: PageId,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub status: Status,
    /// How many of its links lead there.
    pub links: i64,
}

/// The pages outside the trash, other than page `id` itself, whose bodies link to it: to its
/// address or to an old address that leads to it.
pub async fn linking_to(db: impl Into<Exec<'_>>, id: PageId) -> sqlx::Result<Vec<Source>> {
    on!(db, |c| {
        query_as(
            "with targets (lang, path) as (
                 select lang, path from pages where id = ?1
                 union all
                 select lang, from_path from redirects where page_id = ?1)
             select p.id as page_id, p.lang, p.path, p.title, p.status, count(*) as links
             from targets t
             join page_links l on l.kind = 'page' and l.lang = t.lang and l.path = t.path
             join pages p on p.id = l.page_id
             where p.deleted_at is null and p.id != ?1
             group by p.id
             order by p.title",
        )
        .bind(id)
        .fetch_all(c)
        .await
    })
}

/// The setting that records which version of the link extraction `page_links` holds.
const LINKS_VERSION_SETTING: &str = "links_version";

/// Whether `page_links` was filled by extraction version `version`.
pub async fn is_current(db: impl Into<Exec<'_>>, version: &str) -> sqlx::Result<bool> {
    on!(db, |c| {
        Ok(super::settings::get(c, LINKS_VERSION_SETTING)
            .await?
            .as_deref()
            == Some(version))
    })
}

/// Records that `page_links` holds extraction version `version`.
pub async fn set_current(db: impl Into<Exec<'_>>, version: &str) -> sqlx::Result<()> {
    on!(db, |c| {
        super::settings::set(c, LINKS_VERSION_SETTING, version).await
    })
}
