//! The `skl-cms` binary: parse the command line and hand over to [`skl_cms::cli`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = skl_cms::cli::Cli::parse();
    skl_cms::cli::run(cli)
}
