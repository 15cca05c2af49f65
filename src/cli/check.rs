//! `skl-cms check [DIR]`: writing help over the whole site, or over a content folder before it is
//! imported. One line a finding (its line counted in the page's text, as in the edit form, not in
//! the file with its front matter), a summary, and exit code 1 when any finding is an error.

use std::path::PathBuf;

use anyhow::anyhow;

use crate::{
    cli::Failure,
    content::transfer,
    db,
    lang::Lang,
    writing::{Severity, site},
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A content folder (with `sv/`, `en/` and perhaps `media/`) to check instead of the
    /// database's pages; its links may lead to pages of the folder or of the database.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Write only errors, not warnings.
    #[arg(long)]
    pub errors_only: bool,
}

pub async fn run(database: &db::Location, args: Args) -> Result<(), Failure> {
    let now = crate::time::now_db();
    let checked = match &args.dir {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(Failure::Usage(format!(
                    "{} is not a folder; give the folder that holds `sv/` and `en/`",
                    dir.display()
                )));
            }
            let pages = transfer::read_dir(dir)?;
            let files = crate::media::transfer::read_dir(dir)?;
            let pool = if database.exists() {
                Some(database.open().await?)
            } else {
                None
            };
            let checked = site::check_folder(&pages, &files, pool.as_ref(), &now)
                .await
                .map_err(anyhow::Error::from)?;
            if let Some(pool) = pool {
                pool.close().await;
            }
            checked
        }
        None => {
            if !database.exists() {
                return Err(Failure::Usage(format!(
                    "there is no database at {}",
                    database
                )));
            }
            let pool = database.open().await?;
            let checked = site::check_database(&pool, &now)
                .await
                .map_err(anyhow::Error::from)?;
            pool.close().await;
            checked
        }
    };
    let (mut errors, mut warnings, mut pages_with_errors) = (0, 0, 0);
    for page in &checked {
        let assessment = &page.assessment;
        errors += assessment.errors();
        warnings += assessment.warnings();
        if assessment.errors() > 0 {
            pages_with_errors += 1;
        }
        for finding in &assessment.findings {
            let severity = finding.severity();
            if args.errors_only && severity != Severity::Error {
                continue;
            }
            let criterion = finding
                .rule
                .wcag()
                .map(|criterion| format!(" [WCAG {}]", criterion.number))
                .unwrap_or_default();
            println!(
                "{} line {}: {} {}: {} ({}){criterion}",
                page.name,
                finding.line,
                severity.id(),
                finding.rule.id(),
                finding.rule.message(Lang::En),
                finding.detail,
            );
        }
    }
    let figures: Vec<u32> = checked
        .iter()
        .filter(|page| page.assessment.readability.words > 0)
        .map(|page| page.assessment.readability.lix)
        .collect();
    let median = {
        let mut sorted = figures.clone();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied().unwrap_or(0)
    };
    println!(
        "checked {} pages: {errors} errors, {warnings} warnings; median LIX {median}",
        checked.len()
    );
    if errors > 0 {
        return Err(Failure::Runtime(anyhow!(
            "{errors} errors on {pages_with_errors} pages"
        )));
    }
    Ok(())
}
