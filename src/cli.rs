//! The `skl-cms` command line. Each subcommand is a module with its clap `Args` and a `run`.
//!
//! Every option has an `SKL_*` environment variable as fallback; the doc comments are the `--help`
//! text. Mistakes in flags or configuration end with one sentence on stderr and exit code 2; other
//! failures with exit code 1.

pub mod backup;
pub mod check;
pub mod copy_database;
pub mod export;
pub mod export_site;
pub mod import;
pub mod migrate;
pub mod reindex;
pub mod serve;
mod units;
pub mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The website and CMS of SKL International and the Millenniekommun project.
///
/// Without a subcommand, `skl-cms` serves the site (see `skl-cms serve --help`).
#[derive(Debug, Parser)]
#[command(name = "skl-cms", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of `serve`, for when no subcommand is given.
    #[command(flatten)]
    pub serve: serve::Args,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The database: a SQLite file, created with its folder if missing, or the address of a
    /// PostgreSQL database (`postgres://user:password@host/name`), for a site on several machines.
    #[arg(
        long,
        env = "SKL_DATABASE",
        default_value = "./data/skl-cms.db",
        global = true,
        value_name = "FILE|URL"
    )]
    pub database: crate::db::Location,

    /// A shared cache in front of the site (Varnish, a CDN) to purge when content changes, such as
    /// `http://127.0.0.1:6081/`: `serve` purges what each change made stale, and everything when it
    /// starts; `import` purges everything after a change. See `deploy/varnish.vcl`. Off unless set.
    #[arg(long, env = "SKL_CDN_PURGE", global = true, value_name = "URL")]
    pub cdn_purge: Option<crate::cdn::Endpoint>,

    /// How log lines look on stderr: `pretty` for people, `json` for log collectors. Filter them with
    /// `RUST_LOG` (default `info`).
    #[arg(long, env = "SKL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the website (the default): migrate and, on first start, seed the database, then listen.
    Serve(serve::Args),
    /// Apply the database migrations this version has and exit.
    Migrate,
    /// Import Markdown pages from a folder with `sv/` and `en/`, upserting by language and path.
    Import(import::Args),
    /// Export every page (drafts included, the trash not) as Markdown files that `import` reads.
    Export(export::Args),
    /// Write the public site as static files (pages, feeds, sitemap, assets, each with `.gz` and
    /// `.br`) that any web server can serve without this program.
    ExportSite(export_site::Args),
    /// Write a checked snapshot of the database to a file, while a server runs or not.
    Backup(backup::BackupArgs),
    /// Put a backup in the database's place (checked first; the old file is kept aside). Refused
    /// while a server uses the database.
    Restore(backup::RestoreArgs),
    /// Manage editors' accounts: add, passwd, list, role, disable, enable, delete.
    User(user::Args),
    /// Build the search index again from the pages (a running server keeps it up to date by itself).
    Reindex,
    /// Copy the whole site into an empty database of the other engine (SQLite to PostgreSQL, or
    /// back), build its search index there, and check every table afterwards.
    CopyDatabase(copy_database::Args),
    /// Check every page (or a content folder before importing it) with the edit form's writing
    /// help: accessibility of the text, links that lead nowhere, readability. Exits with 1 when
    /// any finding is an error.
    Check(check::Args),
}

impl Cli {
    /// Parses the process's arguments, exiting with clap's message and code 2 on a mistake.
    ///
    /// `serve`'s options may stand without a subcommand (`skl-cms --bind …`), so clap alone would
    /// accept them before another subcommand too and silently ignore them; that is refused here.
    pub fn parse_args() -> Cli {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let matches = Cli::command().get_matches();
        let other_subcommand = matches
            .subcommand_name()
            .is_some_and(|name| name != "serve");
        let stray = [
            "bind",
            "base_url",
            "behind_proxy",
            "trusted_proxies",
            "cache_size",
            "cdn_max_age",
            "max_upload",
            "max_connections",
            "review_after",
            "metrics_bind",
            "backup_dir",
            "backup_every",
            "backup_keep",
        ]
        .into_iter()
        .find(|id| matches.value_source(id) == Some(ValueSource::CommandLine));
        if let (true, Some(id)) = (other_subcommand, stray) {
            let flag = id.replace('_', "-");
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--{flag} is an option of `serve` only"),
                )
                .exit();
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
    }
}

/// How a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The flags or configuration are wrong: exit code 2.
    Usage(String),
    /// Anything else: exit code 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Runtime(error)
    }
}

impl From<crate::db::OpenError> for Failure {
    fn from(error: crate::db::OpenError) -> Self {
        Failure::Usage(error.to_string())
    }
}

/// Runs the parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_tracing(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let database = cli.global.database;
    let cdn = cli.global.cdn_purge;
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve(cli.serve)) {
            Command::Serve(args) => serve::run(&database, cdn.as_ref(), args).await,
            Command::Migrate => migrate::run(&database).await,
            Command::Import(args) => import::run(&database, cdn.as_ref(), args).await,
            Command::Export(args) => export::run(&database, args).await,
            Command::ExportSite(args) => export_site::run(&database, args).await,
            Command::Backup(args) => backup::backup(&database, args).await,
            Command::Restore(args) => backup::restore(&database, args).await,
            Command::User(args) => user::run(&database, args).await,
            Command::Reindex => reindex::run(&database).await,
            Command::Check(args) => check::run(&database, args).await,
            Command::CopyDatabase(args) => copy_database::run(&database, args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // try_init fails only if a subscriber is already set (as in tests), which is fine to keep.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_bare_invocation_serves() {
        let cli = Cli::try_parse_from(["skl-cms", "--bind", "127.0.0.1:8080"]).expect("valid");
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind.port(), 8080);
    }

    #[test]
    fn base_urls_must_be_http_addresses() {
        assert!(
            Cli::try_parse_from(["skl-cms", "serve", "--base-url", "https://example.org/"]).is_ok()
        );
        assert!(Cli::try_parse_from(["skl-cms", "serve", "--base-url", "example.org"]).is_err());
        assert!(
            Cli::try_parse_from(["skl-cms", "serve", "--base-url", "https://example.org/x?y"])
                .is_err()
        );
    }
}
