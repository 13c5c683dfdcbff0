//! The `newshound` binary: parses the command line, runs the command, and
//! maps the outcome to the documented exit codes (0 success, 1 bad input or
//! configuration, 2 runtime failure).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = newshound::cli::Cli::parse();
    match newshound::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `newshound hits list | head`: the reader has gone, as it meant to.
        Err(failure) if is_broken_pipe(&failure.error) => ExitCode::SUCCESS,
        Err(failure) => {
            // `{:#}` prints anyhow's context chain on one line.
            for line in format!("{:#}", failure.error).lines() {
                eprintln!("newshound: {line}");
            }
            ExitCode::from(failure.code)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
