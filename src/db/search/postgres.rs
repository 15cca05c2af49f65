//! The index on PostgreSQL: each page's words as a `tsvector` of its language's text search
//! configuration (unaccented Swedish or English Snowball stems), weighted title A, description B,
//! body C (`search_documents`, `migrations/postgres/0011_schema.sql`), with the vocabulary beside
//! it. The text comes split into words ([`Indexed`]), so that both engines find the same words in a
//! page; PostgreSQL's parser only stems them.

use sqlx::PgConnection;

use super::{INDEX_VERSION, INDEX_VERSION_SETTING, Indexed, ask::postgres::configuration};
use crate::ids::PageId;

pub(super) async fn remove(tx: &mut PgConnection, id: PageId) -> sqlx::Result<()> {
    sqlx::query("delete from search_documents where page_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

pub(super) async fn add(tx: &mut PgConnection, page: Indexed<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into search_documents (page_id, lang, scheduled, document) \
         values ($1, $2, $3, setweight(to_tsvector($4::regconfig, $5), 'A') \
                 || setweight(to_tsvector($4::regconfig, $6), 'B') \
                 || setweight(to_tsvector($4::regconfig, $7), 'C'))",
    )
    .bind(page.id)
    .bind(page.lang)
    .bind(page.scheduled)
    .bind(configuration(page.lang))
    .bind(page.title)
    .bind(page.description)
    .bind(page.body)
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
