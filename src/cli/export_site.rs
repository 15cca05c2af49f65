//! `skl-cms export-site DIR`: write the site as static files (see [`crate::static_export`]).

use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{app::AppState, cli::Failure, db, static_export};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the copy into: a new or empty one, or an earlier copy, which is replaced
    /// once the new one is complete.
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,

    /// The public address the copy will be served from, used in canonical links, feeds and the
    /// sitemap, such as `https://www.example.se`.
    #[arg(
        long,
        env = "SKL_BASE_URL",
        default_value = "http://127.0.0.1:3000",
        value_parser = crate::cli::serve::parse_base_url,
        value_name = "URL"
    )]
    pub base_url: String,
}

pub async fn run(database: &db::Location, args: Args) -> Result<(), Failure> {
    let started = Instant::now();
    if !database.exists() {
        return Err(Failure::Usage(format!(
            "there is no database at {}",
            database
        )));
    }
    static_export::check_target(&args.dir).map_err(Failure::Usage)?;
    let pool = database.open().await?;
    let state = AppState::new(pool.clone(), &args.base_url)
        .await
        .context("cannot read the database")?
        .without_search()
        .with_cache_budget(0)
        .await
        .context("cannot read the database")?;
    let addresses = static_export::addresses(&state)
        .await
        .context("cannot read the site's addresses")?;
    // Drawn on a terminal only; hidden when stderr is a file or a pipe.
    let bar = ProgressBar::new((addresses.len() + state.assets.iter().count()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let summary = static_export::write(&state, &args.dir, &addresses, || bar.inc(1)).await;
    bar.finish_and_clear();
    pool.close().await;
    let summary = summary.context("cannot export the site")?;
    println!("{}", summary.line(&args.dir, started.elapsed()));
    Ok(())
}
