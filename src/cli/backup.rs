//! `skl-cms backup FILE` and `skl-cms restore FILE`: a checked snapshot of the database, taken while
//! a server runs, and putting one back while none does.

use std::path::PathBuf;

use crate::{backup, cli::Failure, db};

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist. It is complete and checked when the command succeeds.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup to put in the database's place, checked first. The database it replaces is
    /// kept beside it as `{database}.before-restore-{time}`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub async fn backup(database: &db::Location, args: BackupArgs) -> Result<(), Failure> {
    if !database.exists() {
        return Err(Failure::Usage(format!(
            "there is no database at {}",
            database
        )));
    }
    let pool = database.open().await?;
    let written = backup::write(&pool, &args.file).await;
    pool.close().await;
    let written = written.map_err(|error| Failure::Runtime(error.into()))?;
    println!(
        "wrote {} ({} bytes, {} pages, {} media files, migration {}) in {:.1} s; integrity ok",
        written.path.display(),
        written.checked.bytes,
        written.checked.pages,
        written.checked.media,
        written.checked.schema_version,
        written.elapsed.as_secs_f64()
    );
    Ok(())
}

pub async fn restore(database: &db::Location, args: RestoreArgs) -> Result<(), Failure> {
    if !args.file.is_file() {
        return Err(Failure::Usage(format!(
            "there is no backup at {}",
            args.file.display()
        )));
    }
    let Some(file) = database.file() else {
        return Err(Failure::Usage(backup::Error::NotSqlite.to_string()));
    };
    let restored = backup::restore(file, &args.file, &crate::time::now_db())
        .await
        .map_err(|error| match error {
            backup::Error::InUse(_) => Failure::Usage(error.to_string()),
            other => Failure::Runtime(other.into()),
        })?;
    println!(
        "restored {} into {} ({} pages, {} media files, migration {})",
        args.file.display(),
        database,
        restored.checked.pages,
        restored.checked.media,
        restored.checked.schema_version
    );
    if let Some(kept) = restored.kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(())
}
