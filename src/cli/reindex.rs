//! `skl-cms reindex`: build the search index again from the pages.

use anyhow::Context;

use crate::{cli::Failure, db};

pub async fn run(database: &db::Location) -> Result<(), Failure> {
    if !database.exists() {
        return Err(Failure::Usage(format!(
            "there is no database at {}",
            database
        )));
    }
    let pool = database.open().await?;
    let started = std::time::Instant::now();
    let indexed = crate::search::rebuild(&pool, &crate::time::now_db())
        .await
        .context("cannot rebuild the search index")?;
    pool.close().await;
    println!(
        "indexed {indexed} published pages for search in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
