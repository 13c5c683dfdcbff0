//! `newshound feeds list|status|import-opml|export-opml`.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CmdResult, load_config};

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// List the configured feeds
    List,
    /// Show each feed's health: last success, last error, next poll
    Status,
    /// Append the feeds of an OPML file to feeds.toml (duplicates are skipped)
    ImportOpml { file: PathBuf },
    /// Print the configured feeds as OPML
    ExportOpml,
}

pub fn feeds(config_path: &Path, _cmd: FeedsCommand) -> CmdResult {
    let _config = load_config(config_path)?;
    Ok(())
}
