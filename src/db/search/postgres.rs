//! The index on PostgreSQL: each page's words as a `tsvector` of its language's text search
//! configuration (Swedish or English Snowball), weighted title A, description B, body C
//! (`search_documents`, `migrations/postgres/0011_schema.sql`), with the vocabulary beside it.

use sqlx::PgConnection;

use super::{INDEX_VERSION, INDEX_VERSION_SETTING, Indexed};
use crate::{ids::PageId, lang::Lang};

/// The text search configuration of `lang`'s pages.
fn configuration(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "swedish",
        Lang::En => "english",
    }
}

pub(super) async fn remove(tx: &mut PgConnection, id: PageId) -> sqlx::Result<()> {
    sqlx::query("delete from search_documents where page_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

pub(super) async fn add(tx: &mut PgConnection, page: Indexed<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into search_documents (page_id, lang, scheduled, title, description, body, document) \
         values ($1, $2, $3, $4, $5, $6, \
                 setweight(to_tsvector($7::regconfig, $4), 'A') \
                 || setweight(to_tsvector($7::regconfig, $5), 'B') \
                 || setweight(to_tsvector($7::regconfig, $6), 'C'))",
    )
    .bind(page.id)
    .bind(page.lang)
    .bind(page.scheduled)
    .bind(page.title)
    .bind(page.description)
    .bind(page.body)
    .bind(configuration(page.lang))
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

pub(super) async fn start_rebuild(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("delete from search_documents")
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

pub(super) async fn finish_rebuild(tx: &mut PgConnection) -> sqlx::Result<()> {
    crate::db::settings::set(&mut *tx, INDEX_VERSION_SETTING, INDEX_VERSION).await
}
