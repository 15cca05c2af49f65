//! `skl-cms migrate`: bring the database up to this version's schema.

use crate::{cli::Failure, db};

pub async fn run(database: &db::Location) -> Result<(), Failure> {
    let pool = database.open().await?;
    pool.close().await;
    let latest = db::MIGRATOR
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0);
    println!("{} is migrated to version {latest}", database);
    Ok(())
}
