//! The index on PostgreSQL: each page's words as a `tsvector` of its language's text search
//! configuration (Swedish or English Snowball), weighted title A, description B, body C
//! (`search_documents`, `migrations/postgres/0011_schema.sql`), with the vocabulary beside it.

use sqlx::PgConnection;

use super::{INDEX_VERSION, INDEX_VERSION_SETTING, Indexed, Term};
use crate::{ids::PageId, lang::Lang};

/// The text search configuration of `lang`'s pages.
pub(super) fn configuration(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "swedish",
        Lang::En => "english",
    }
}

pub(super) async fn remove(tx: &mut PgConnection, id: PageId) -> sqlx::Result<()> {
    sqlx::query("delete from search_documents where page_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from search_pages where page_id = $1")
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
    .await?;
    sqlx::query(
        "insert into search_pages (page_id, lang, publish_at, title_words) values ($1, $2, $3, $4)",
    )
    .bind(page.id)
    .bind(page.lang)
    .bind(page.publish_at)
    .bind(page.title_words)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

pub(super) async fn add_terms(
    tx: &mut PgConnection,
    lang: Lang,
    terms: &[Term],
) -> sqlx::Result<()> {
    for chunk in terms.chunks(500) {
        let mut insert =
            sqlx::QueryBuilder::new("insert into search_terms (lang, term, stem_key, backwards) ");
        insert.push_values(chunk, |mut row, term| {
            row.push_bind(lang)
                .push_bind(term.term.clone())
                .push_bind(term.stem_key.clone())
                .push_bind(term.backwards.clone());
        });
        insert.push(" on conflict (lang, term) do nothing");
        insert.build().execute(&mut *tx).await?;
    }
    Ok(())
}

pub(super) async fn start_rebuild(tx: &mut PgConnection) -> sqlx::Result<()> {
    for statement in [
        "delete from search_documents",
        "delete from search_pages",
        "delete from search_terms",
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    Ok(())
}

pub(super) async fn finish_rebuild(tx: &mut PgConnection) -> sqlx::Result<()> {
    crate::db::settings::set(&mut *tx, INDEX_VERSION_SETTING, INDEX_VERSION).await
}
