//! The `newshound` binary: parses the command line, runs the command, and
//! maps the outcome to the documented exit codes (0 success, 1 bad input or
//! configuration, 2 runtime failure).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = newshound::cli::Cli::parse();
    match newshound::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // `{:#}` prints anyhow's context chain on one line.
            for line in format!("{:#}", failure.error).lines() {
                eprintln!("newshound: {line}");
            }
            ExitCode::from(failure.code)
        }
    }
}
