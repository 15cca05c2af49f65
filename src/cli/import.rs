//! `skl-cms import DIR`: upsert Markdown pages, and the media library's files, into the database.

use std::path::PathBuf;

use crate::{
    cli::Failure,
    content::transfer::{self, Change},
    db,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The content folder, holding `sv/` and `en/` with `.md` files, and `media/` with the media
    /// library's files and their manifest, if it has any.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// List what would be created or updated, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How long `import` waits for the shared cache to take its purge before it exits.
const PURGE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(
    database: &db::Location,
    cdn: Option<&crate::cdn::Endpoint>,
    args: Args,
) -> Result<(), Failure> {
    if !args.dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{} is not a folder; give the folder that holds `sv/` and `en/`",
            args.dir.display()
        )));
    }
    let files = transfer::read_dir(&args.dir)?;
    let media = crate::media::transfer::read_dir(&args.dir)?;
    let pool = database.open().await?;
    let report = transfer::import(&pool, &files, media, args.dry_run).await?;
    pool.close().await;
    let changed = report
        .media
        .iter()
        .chain(&report.changes)
        .filter(|(change, _)| *change != Change::Unchanged);
    for (change, name) in changed {
        let verb = if *change == Change::Create {
            "create"
        } else {
            "update"
        };
        println!("{verb:<8}{name}");
    }
    let (created, updated, same) = (
        report.count(Change::Create),
        report.count(Change::Update),
        report.count(Change::Unchanged),
    );
    let new_files = report
        .media
        .iter()
        .filter(|(change, _)| *change == Change::Create)
        .count();
    let files = match report.media.len() {
        0 => String::new(),
        all => format!(
            "; media files: {new_files} new, {} unchanged",
            all - new_files
        ),
    };
    if args.dry_run {
        println!("dry run: would create {created}, update {updated}; {same} unchanged{files}");
        return Ok(());
    }
    println!("created {created}, updated {updated}; {same} unchanged{files}");
    if let Some(endpoint) = cdn
        && (created > 0 || updated > 0 || new_files > 0)
    {
        let purger = crate::cdn::Purger::start(endpoint.clone());
        purger.purge_everything();
        if !purger.settled(PURGE_WAIT).await {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "the pages are imported, but the shared cache at {endpoint} did not take the purge \
                 within {} seconds: it may show old pages until they expire there",
                PURGE_WAIT.as_secs()
            )));
        }
    }
    Ok(())
}
