//! `skl-cms copy-database --to LOCATION`: the whole site from `--database` into an empty database of
//! the other engine (SQLite to PostgreSQL, or back), its search index built there, and every table
//! checked afterwards: the same rows, the same values.

use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use crate::{
    cli::Failure,
    db::{self, copy},
};

#[derive(Debug, Parser)]
pub struct Args {
    /// Where to copy the site: a PostgreSQL URL (`postgres://user:password@host/name`) or a SQLite
    /// file, of the other engine than `--database`, and empty (a new file, or a new database).
    #[arg(long, value_name = "FILE|URL")]
    pub to: db::Location,
}

pub async fn run(database: &db::Location, args: Args) -> Result<(), Failure> {
    if !database.exists() {
        return Err(Failure::Usage(format!(
            "there is no database at {database}"
        )));
    }
    let started = Instant::now();
    let from = database.open().await?;
    let to = args.to.open().await?;
    println!("copying {database} to {}", args.to);
    let copied = copy::copy(&from, &to, |table, rows| {
        println!("  {table:<18} {rows:>9} rows");
    })
    .await;
    if let Err(error) = copied {
        return Err(match error {
            copy::CopyError::Database(error) => Failure::Runtime(
                anyhow::Error::new(error).context("the copy failed; nothing was kept"),
            ),
            refused => Failure::Usage(refused.to_string()),
        });
    }
    let indexed = crate::search::rebuild(&to, &crate::time::now_db())
        .await
        .context("copied, but the search index could not be built; run `skl-cms reindex` there")?;
    println!("  indexed {indexed} published pages for search");
    let compared = copy::compare(&from, &to)
        .await
        .context("copied, but the copy could not be checked")?;
    from.close().await;
    to.close().await;
    println!(
        "checked: {:<18} {:>9} {:>9}  hash",
        "table", "source", "copy"
    );
    let mut differ = Vec::new();
    for table in &compared {
        let verdict = if table.matches() { "same" } else { "DIFFERS" };
        println!(
            "         {:<18} {:>9} {:>9}  {} {verdict}",
            table.table,
            table.source_rows,
            table.target_rows,
            &table.source_hash[..12]
        );
        if !table.matches() {
            differ.push(table.table);
        }
    }
    if !differ.is_empty() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "the copy differs from the source in {} (was the source changed meanwhile? copy it \
             again with the site stopped)",
            differ.join(", ")
        )));
    }
    println!(
        "copied {} tables, every row the same, in {:.1} s",
        compared.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
