//! The `skl-cms` binary: parse the command line and hand over to [`skl_cms::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = skl_cms::cli::Cli::parse_args();
    skl_cms::cli::run(cli)
}
