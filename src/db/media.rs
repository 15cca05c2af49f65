//! The media library: files, their variants and which pages use them (`migrations/0008_media.sql`).

use std::collections::HashMap;

use sqlx::FromRow;

use crate::db::engine::{Exec, is_postgres, pick, query, query_as, query_scalar};

use crate::{
    ids::{MediaId, PageId, UserId},
    lang::Lang,
    time::Moment,
    vocab::{MediaType, Status},
};

/// A smaller copy of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariantInfo {
    pub width: u32,
    pub height: u32,
    pub format: MediaType,
}

/// What a page needs to show a file of the library, or to link to it.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The file's id now: a replaced file's newer one.
    pub id: MediaId,
    pub media_type: MediaType,
    pub file_name: String,
    pub byte_size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt_sv: String,
    pub alt_en: String,
    pub decorative: bool,
    pub variants: Vec<VariantInfo>,
}

/// The files of the library that one text refers to, by the ids it names (a replaced file's old id
/// too, leading to the newer file).
#[derive(Debug, Clone, Default)]
pub struct Library(pub HashMap<MediaId, Embedded>);

impl Library {
    pub fn get(&self, id: MediaId) -> Option<&Embedded> {
        self.0.get(&id)
    }

    /// The ids of the files now shown, each once.
    pub fn current_ids(&self) -> Vec<MediaId> {
        let mut ids: Vec<MediaId> = self.0.values().map(|embedded| embedded.id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A file to store, cleaned.
#[derive(Debug)]
pub struct New<'a> {
    /// The id to store it under; a new one when none.
    pub id: Option<MediaId>,
    pub sha256: &'a str,
    pub media_type: MediaType,
    pub file_name: &'a str,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub texts: &'a Texts,
    pub uploaded_by: Option<UserId>,
    pub body: &'a [u8],
}

/// What editors write about a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    pub alt_sv: String,
    pub alt_en: String,
    pub decorative: bool,
}

/// A file as the library lists it, without its bytes.
#[derive(Debug, Clone, FromRow)]
pub struct Item {
    pub id: MediaId,
    pub media_type: MediaType,
    pub file_name: String,
    pub byte_size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub alt_sv: String,
    pub alt_en: String,
    pub decorative: bool,
    pub uploaded_at: String,
    pub uploaded_by: Option<String>,
    pub replaced_by: Option<MediaId>,
}

/// The bytes of a file or a variant, as served.
#[derive(Debug, Clone, FromRow)]
pub struct Stored {
    pub sha256: String,
    pub media_type: MediaType,
    pub file_name: String,
    pub replaced_by: Option<MediaId>,
    pub body: Vec<u8>,
}

/// A page that uses a file.
#[derive(Debug, Clone, FromRow)]
pub struct Use {
    pub page_id: PageId,
    pub lang: Lang,
    pub path: String,
    pub title: String,
    pub status: Status,
    pub trashed: bool,
}

/// Which files the library screen shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the file name or of an alternative text.
    pub text: Option<String>,
    pub media_type: Option<MediaType>,
}

/// The current file with these bytes as uploaded, if there is one.
pub async fn with_sha256(db: impl Into<Exec<'_>>, sha256: &str) -> sqlx::Result<Option<MediaId>> {
    on!(db, |c| {
        query_scalar("select id from media where sha256 = ? and replaced_by is null")
            .bind(sha256)
            .fetch_optional(c)
            .await
    })
}

pub async fn insert(db: impl Into<Exec<'_>>, new: &New<'_>, now: &Moment) -> sqlx::Result<MediaId> {
    macro_rules! insert {
        ($id:literal) => {
            concat!(
                r"insert into media (id, sha256, media_type, file_name, byte_size, width, height,
                                     alt_sv, alt_en, decorative, uploaded_by, uploaded_at, body)
                  values (",
                $id,
                ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id"
            )
        };
    }
    on!(db, |c| {
        // A new id when none is given: SQLite numbers a null id itself; PostgreSQL takes it from the
        // column's sequence.
        let id = query_scalar(pick(
            c,
            insert!("?"),
            insert!("coalesce(?, nextval(pg_get_serial_sequence('media', 'id')))"),
        ))
        .bind(new.id)
        .bind(new.sha256)
        .bind(new.media_type)
        .bind(new.file_name)
        .bind(i64::try_from(new.body.len()).unwrap_or(i64::MAX))
        .bind(new.width.map(i64::from))
        .bind(new.height.map(i64::from))
        .bind(new.texts.alt_sv.trim())
        .bind(new.texts.alt_en.trim())
        .bind(new.texts.decorative)
        .bind(new.uploaded_by)
        .bind(now)
        .bind(new.body)
        .fetch_one(&mut *c)
        .await?;
        if new.id.is_some() && is_postgres(c) {
            // An id given (an import keeps each file's) leaves PostgreSQL's sequence behind it.
            query(
                "select setval(pg_get_serial_sequence('media', 'id'), (select max(id) from media))",
            )
            .execute(&mut *c)
            .await?;
        }
        Ok(id)
    })
}

pub async fn insert_variant(
    db: impl Into<Exec<'_>>,
    media_id: MediaId,
    info: VariantInfo,
    body: &[u8],
) -> sqlx::Result<()> {
    on!(db, |c| {
        query(
            "insert into media_variants (media_id, width, height, format, byte_size, body) \
             values (?, ?, ?, ?, ?, ?)",
        )
        .bind(media_id)
        .bind(i64::from(info.width))
        .bind(i64::from(info.height))
        .bind(info.format)
        .bind(i64::try_from(body.len()).unwrap_or(i64::MAX))
        .bind(body)
        .execute(c)
        .await
        .map(|_| ())
    })
}

/// The columns of an [`Item`], of `media m left join users u`.
macro_rules! item_columns {
    () => {
        "m.id, m.media_type, m.file_name, m.byte_size, m.width, m.height, m.alt_sv, m.alt_en, \
         m.decorative, m.uploaded_at, u.display_name as uploaded_by, m.replaced_by"
    };
}

/// Lets through the files whose name or alternative texts contain `?1` and of type `?2` (or any).
macro_rules! filtered {
    () => {
        r"m.replaced_by is null
          and (?1 is null or lower(m.file_name) like '%' || lower(?1) || '%' escape '\'
               or lower(m.alt_sv) like '%' || lower(?1) || '%' escape '\'
               or lower(m.alt_en) like '%' || lower(?1) || '%' escape '\')
          and (?2 is null or m.media_type = ?2)"
    };
}

/// A file, current or replaced.
pub async fn find(db: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Option<Item>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            item_columns!(),
            " from media m left join users u on u.id = m.uploaded_by where m.id = ?"
        ))
        .bind(id)
        .fetch_optional(c)
        .await
    })
}

/// The current files that `filter` lets through, newest first, `limit` at a time.
pub async fn list(
    db: impl Into<Exec<'_>>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Item>> {
    on!(db, |c| {
        query_as(concat!(
            "select ",
            item_columns!(),
            " from media m left join users u on u.id = m.uploaded_by where ",
            filtered!(),
            " order by m.uploaded_at desc, m.id desc limit ?3 offset ?4"
        ))
        .bind(filter.text.as_deref().map(escape_like))
        .bind(filter.media_type)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await
    })
}

/// How many current files `filter` lets through.
pub async fn count(db: impl Into<Exec<'_>>, filter: &Filter) -> sqlx::Result<i64> {
    on!(db, |c| {
        query_scalar(concat!("select count(*) from media m where ", filtered!()))
            .bind(filter.text.as_deref().map(escape_like))
            .bind(filter.media_type)
            .fetch_one(c)
            .await
    })
}

/// `text` with the wildcards of `like` taken literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The bytes of a file as uploaded (cleaned).
pub async fn original(db: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Option<Stored>> {
    on!(db, |c| {
        query_as("select sha256, media_type, file_name, replaced_by, body from media where id = ?")
            .bind(id)
            .fetch_optional(c)
            .await
    })
}

/// The bytes of a variant, with the file's facts.
pub async fn variant(
    db: impl Into<Exec<'_>>,
    id: MediaId,
    width: u32,
    format: MediaType,
) -> sqlx::Result<Option<Stored>> {
    on!(db, |c| {
        query_as(
            r"select m.sha256, v.format as media_type, m.file_name, m.replaced_by, v.body
              from media_variants v join media m on m.id = v.media_id
              where v.media_id = ? and v.width = ? and v.format = ?",
        )
        .bind(id)
        .bind(i64::from(width))
        .bind(format)
        .fetch_optional(c)
        .await
    })
}

/// The variants of a file, narrowest first.
pub async fn variants(db: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Vec<VariantInfo>> {
    on!(db, |c| {
        let rows: Vec<(i64, i64, MediaType)> = query_as(
            "select width, height, format from media_variants where media_id = ? order by width, format",
        )
        .bind(id)
        .fetch_all(c)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(width, height, format)| VariantInfo {
                width: pixels(width),
                height: pixels(height),
                format,
            })
            .collect())
    })
}

/// What pages need of the files `ids` name, each replaced file leading to its newest one. Ids that
/// name no file are left out.
pub async fn library(conn: impl Into<Exec<'_>>, ids: &[MediaId]) -> sqlx::Result<Library> {
    on!(conn, |c| {
        let mut library = HashMap::new();
        for &asked in ids {
            if library.contains_key(&asked) {
                continue;
            }
            let Some(item) = current(&mut *c, asked).await? else {
                continue;
            };
            let variants = variants(&mut *c, item.id).await?;
            library.insert(
                asked,
                Embedded {
                    id: item.id,
                    media_type: item.media_type,
                    file_name: item.file_name,
                    byte_size: u64::try_from(item.byte_size).unwrap_or(0),
                    width: item.width.and_then(|width| u32::try_from(width).ok()),
                    height: item.height.and_then(|height| u32::try_from(height).ok()),
                    alt_sv: item.alt_sv,
                    alt_en: item.alt_en,
                    decorative: item.decorative,
                    variants,
                },
            );
        }
        Ok(Library(library))
    })
}

/// The file `id` is now: itself, or the file that replaced it. A replacement points straight at
/// the newest file (see [`replace`]), so this takes at most two reads.
pub async fn current(conn: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Option<Item>> {
    on!(conn, |c| {
        let Some(item) = find(&mut *c, id).await? else {
            return Ok(None);
        };
        match item.replaced_by {
            None => Ok(Some(item)),
            Some(newer) => Ok(find(&mut *c, newer)
                .await?
                .filter(|newer| newer.replaced_by.is_none())),
        }
    })
}

/// Records that page `page_id` uses exactly the files `ids`.
pub async fn set_uses(
    conn: impl Into<Exec<'_>>,
    page_id: PageId,
    ids: &[MediaId],
) -> sqlx::Result<()> {
    on!(conn, |c| {
        query("delete from media_uses where page_id = ?")
            .bind(page_id)
            .execute(&mut *c)
            .await?;
        for id in ids {
            query(
                "insert into media_uses (media_id, page_id) values (?, ?) on conflict do nothing",
            )
            .bind(id)
            .bind(page_id)
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    })
}

/// The pages that use file `id`, published first.
pub async fn uses(db: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Vec<Use>> {
    on!(db, |c| {
        query_as(
            r"select p.id as page_id, p.lang, p.path, p.title, p.status, p.deleted_at is not null as trashed
              from media_uses mu join pages p on p.id = mu.page_id
              where mu.media_id = ?
              order by p.status = 'published' desc, p.deleted_at is not null, p.title",
        )
        .bind(id)
        .fetch_all(c)
        .await
    })
}

/// The ids of the pages that use file `id`.
pub async fn pages_using(db: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<Vec<PageId>> {
    on!(db, |c| {
        query_scalar("select page_id from media_uses where media_id = ? order by page_id")
            .bind(id)
            .fetch_all(c)
            .await
    })
}

pub async fn set_texts(db: impl Into<Exec<'_>>, id: MediaId, texts: &Texts) -> sqlx::Result<bool> {
    on!(db, |c| {
        let done = query(
            "update media set alt_sv = ?, alt_en = ?, decorative = ? where id = ? and replaced_by is null",
        )
        .bind(texts.alt_sv.trim())
        .bind(texts.alt_en.trim())
        .bind(texts.decorative)
        .bind(id)
        .execute(c)
        .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Makes `newer` take the place of `older`: `older` and every file it had replaced lead to `newer`,
/// lose their bytes and variants, and the pages that used `older` use `newer`.
pub async fn replace(
    conn: impl Into<Exec<'_>>,
    older: MediaId,
    newer: MediaId,
) -> sqlx::Result<()> {
    on!(conn, |c| {
        // The bytes go: `?3` is none (a blob literal is written differently on each engine).
        query("update media set replaced_by = ?1, body = ?3 where id = ?2 or replaced_by = ?2")
            .bind(newer)
            .bind(older)
            .bind(&[] as &[u8])
            .execute(&mut *c)
            .await?;
        query("delete from media_variants where media_id = ?")
            .bind(older)
            .execute(&mut *c)
            .await?;
        query(
            "insert into media_uses (media_id, page_id) \
             select ?, page_id from media_uses where media_id = ? on conflict do nothing",
        )
        .bind(newer)
        .bind(older)
        .execute(&mut *c)
        .await?;
        query("delete from media_uses where media_id = ?")
            .bind(older)
            .execute(&mut *c)
            .await
            .map(|_| ())
    })
}

/// Deletes file `id`, its variants, and the rows of the files it replaced.
pub async fn delete(conn: impl Into<Exec<'_>>, id: MediaId) -> sqlx::Result<bool> {
    on!(conn, |c| {
        query("delete from media where replaced_by = ?")
            .bind(id)
            .execute(&mut *c)
            .await?;
        let done = query("delete from media where id = ?")
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Every current file, by id, with each of its variants as width and format (`None` for a file
/// without variants), for the static copy.
pub async fn all_files(
    db: impl Into<Exec<'_>>,
) -> sqlx::Result<Vec<(MediaId, String, Option<u32>, Option<MediaType>)>> {
    let rows: Vec<(MediaId, String, Option<i64>, Option<MediaType>)> = on!(db, |c| {
        query_as(
            r"select m.id, m.file_name, v.width, v.format
              from media m left join media_variants v on v.media_id = m.id
              where m.replaced_by is null order by m.id, v.width, v.format",
        )
        .fetch_all(c)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, name, width, format)| (id, name, width.map(pixels), format))
        .collect())
}

/// A stored width or height: the database keeps them as 64-bit numbers, which PostgreSQL reads
/// (it has no unsigned types); they were written from `u32`s.
fn pixels(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(0)
}

/// Every current file with its bytes, oldest first, for the export.
pub async fn all_current(db: impl Into<Exec<'_>>) -> sqlx::Result<Vec<(Item, Vec<u8>)>> {
    on!(db, |c| {
        let rows: Vec<ItemWithBody> = query_as(concat!(
            "select ",
            item_columns!(),
            ", m.body from media m left join users u on u.id = m.uploaded_by \
             where m.replaced_by is null order by m.id"
        ))
        .fetch_all(c)
        .await?;
        Ok(rows.into_iter().map(|row| (row.item, row.body)).collect())
    })
}

#[derive(FromRow)]
struct ItemWithBody {
    #[sqlx(flatten)]
    item: Item,
    body: Vec<u8>,
}
