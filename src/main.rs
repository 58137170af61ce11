//! The `ndtms-stats` binary: parse the command line, run it, map errors to exit codes.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = ndtms_stats::cli::Cli::parse();
    match ndtms_stats::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", message(&err));
            std::process::ExitCode::from(1)
        }
    }
}

/// The error and its causes, each cause once (library errors often print their source already).
fn message(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
