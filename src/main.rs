//! The `ndtms-stats` binary: parse the command line, run it, map errors to exit codes.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = ndtms_stats::cli::Cli::parse();
    match ndtms_stats::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(1)
        }
    }
}
