//! `skl-cms export DIR`: write every page as Markdown, and the media library's files beside them,
//! as `import` reads them back.

use std::path::PathBuf;

use crate::{cli::Failure, content::transfer, db};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write `sv/`, `en/` and `media/` into; created if missing. Existing files of the
    /// same name are overwritten.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

pub async fn run(database: &db::Location, args: Args) -> Result<(), Failure> {
    if !database.exists() {
        return Err(Failure::Usage(format!(
            "there is no database at {}",
            database
        )));
    }
    let pool = database.open().await?;
    let written = transfer::export(&pool, &args.dir).await?;
    let files = crate::media::transfer::export(&pool, &args.dir).await?;
    pool.close().await;
    println!(
        "wrote {written} pages and {files} media files to {}",
        args.dir.display()
    );
    Ok(())
}
