//! The command line: argument definitions, and one file per subcommand.
//!
//! Commands return [`Failure`], which carries the exit code: 1 when the user
//! can fix the input or the configuration, 2 when the runtime failed.

mod alerts;
mod check;
mod classify;
mod eval;
mod feeds;
mod hits;
mod output;
mod run;
mod source;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::store::StoreError;

#[derive(Debug, Parser)]
#[command(
    name = "newshound",
    version,
    about = "Watches news feeds for technology-espionage stories"
)]
pub struct Cli {
    /// Configuration file [default: config/newshound.toml if present, else /etc/newshound/newshound.toml]
    #[arg(long, global = true, env = config::CONFIG_ENV, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: poll every feed on its schedule until stopped
    Run(run::RunArgs),
    /// Validate the configuration, the feeds and the topic packs
    Check,
    /// Detect the language and match the topics of a text or a feed file
    Classify(classify::ClassifyArgs),
    /// Precision and recall of the topic packs on labelled texts
    Eval(eval::EvalArgs),
    /// Query stored hits
    #[command(subcommand)]
    Hits(hits::HitsCommand),
    /// List feeds, show their health, import or export OPML
    #[command(subcommand)]
    Feeds(feeds::FeedsCommand),
    /// List waiting and dead alerts, retry them, or send a test message
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
}

/// A failed command: the error to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    /// Bad input or configuration: exit code 1.
    pub fn input(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 1,
            error: error.into(),
        }
    }

    /// A runtime failure: exit code 2.
    pub fn runtime(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            code: 2,
            error: error.into(),
        }
    }
}

pub type CmdResult = Result<(), Failure>;

pub fn run(cli: Cli) -> CmdResult {
    let config_path = config::config_path(cli.config.as_deref());
    match cli.command {
        Command::Run(args) => run::run(&config_path, args),
        Command::Check => check::check(&config_path),
        Command::Classify(args) => classify::classify(&config_path, args),
        Command::Eval(args) => eval::eval(&config_path, args),
        Command::Hits(cmd) => hits::hits(&config_path, cmd),
        Command::Feeds(cmd) => feeds::feeds(&config_path, cmd),
        Command::Alerts(cmd) => alerts::alerts(&config_path, cmd),
    }
}

/// Loads the whole configuration, alerts and their secrets included,
/// turning its diagnostics into an exit-1 failure (`run`, `check`, `alerts test`).
fn load_config(path: &Path) -> Result<Config, Failure> {
    Config::load(path).map_err(|diags| config_failure(path, diags))
}

/// Loads the configuration without the `[[alert]]` entries: for the
/// commands that only read, which an analyst without the service's secrets
/// (its environment, its secret files) must be able to run.
fn load_config_for_reading(path: &Path) -> Result<Config, Failure> {
    Config::load_without_alerts(path).map_err(|diags| config_failure(path, diags))
}

pub(super) fn config_failure(path: &Path, diags: config::Diagnostics) -> Failure {
    Failure::input(anyhow::anyhow!(
        "{} in the configuration loaded from {}:\n{diags}",
        diags.counted(),
        path.display()
    ))
}

/// A store that cannot be opened is a runtime failure; a locked one also
/// says what to do about it, which depends on the command (`when_locked`
/// continues the sentence "store … is in use by another process").
fn store_failure(e: StoreError, when_locked: &str) -> Failure {
    match e {
        StoreError::Locked { .. } => Failure::runtime(anyhow::anyhow!("{e}{when_locked}")),
        other => Failure::runtime(other),
    }
}

/// Logs to standard error: `RUST_LOG` wins, else `level` for newshound and
/// warnings only for its dependencies (which are chatty at info).
pub fn init_logging(level: &str, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,newshound={level}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Under systemd the journal adds its own timestamps and has no colours.
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let result = if json {
        builder.json().try_init()
    } else if journald {
        builder.without_time().with_ansi(false).try_init()
    } else {
        builder.with_ansi(terminal).try_init()
    };
    // A second init (tests calling in) is harmless; keep the first.
    drop(result);
}
