//! The index on PostgreSQL: its own full-text search, with the Swedish and English configurations.

use sqlx::PgConnection;

use super::{Indexed, Term};
use crate::{ids::PageId, lang::Lang};

/// Not built yet: a PostgreSQL database cannot be opened until it is.
fn not_yet() -> sqlx::Error {
    sqlx::Error::Configuration("search on PostgreSQL is not built yet".into())
}

pub(super) async fn remove(_tx: &mut PgConnection, _id: PageId) -> sqlx::Result<()> {
    Err(not_yet())
}

pub(super) async fn add(_tx: &mut PgConnection, _page: Indexed<'_>) -> sqlx::Result<()> {
    Err(not_yet())
}

pub(super) async fn add_terms(
    _tx: &mut PgConnection,
    _lang: Lang,
    _terms: &[Term],
) -> sqlx::Result<()> {
    Err(not_yet())
}

pub(super) async fn start_rebuild(_tx: &mut PgConnection) -> sqlx::Result<()> {
    Err(not_yet())
}

pub(super) async fn finish_rebuild(_tx: &mut PgConnection) -> sqlx::Result<()> {
    Err(not_yet())
}
