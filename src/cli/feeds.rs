//! `newshound feeds list|status|import-opml|export-opml`.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, Utc};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use super::output::{fit, print_json};
use super::source::Source;
use super::{CmdResult, Failure, load_config_for_reading};
use crate::config::opml::{OpmlFeed, append_to_feeds_toml, parse_opml, render_opml};
use crate::config::{Alerts, FeedConfig, Settings};

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// List the configured feeds
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show each feed's health: last success, errors, next poll
    Status {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Forget a feed's failures (also a 410 Gone), so that it is polled again at once
    Reset {
        /// The feed's name, as in feeds.toml
        name: String,
    },
    /// Append the feeds of an OPML file to feeds.toml, keeping its comments; duplicates are skipped
    ImportOpml { file: PathBuf },
    /// Print the configured feeds as OPML
    ExportOpml,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub fn feeds(config_path: &Path, cmd: FeedsCommand) -> CmdResult {
    match cmd {
        FeedsCommand::List { format } => list(&load_config_for_reading(config_path)?.feeds, format),
        FeedsCommand::Status { format } => status(config_path, format),
        FeedsCommand::Reset { name } => reset(config_path, &name),
        FeedsCommand::ImportOpml { file } => import(config_path, &file),
        FeedsCommand::ExportOpml => {
            let config = load_config_for_reading(config_path)?;
            let feeds: Vec<OpmlFeed> = config
                .feeds
                .iter()
                .map(|f| OpmlFeed {
                    name: f.name.clone(),
                    url: f.url.clone(),
                    language: f.language.clone(),
                })
                .collect();
            super::output::out(&render_opml(&feeds, "newshound feeds"))
        }
    }
}

#[derive(Serialize)]
struct FeedRow<'a> {
    name: &'a str,
    url: &'a str,
    language: Option<&'a str>,
    interval: Option<String>,
    enabled: bool,
}

fn list(feeds: &[FeedConfig], format: Format) -> CmdResult {
    let rows: Vec<FeedRow> = feeds
        .iter()
        .map(|f| FeedRow {
            name: &f.name,
            url: &f.url,
            language: f.language.as_deref(),
            interval: f
                .own_interval
                .then(|| humantime::format_duration(f.interval).to_string()),
            enabled: f.enabled,
        })
        .collect();
    match format {
        Format::Json => print_json(&rows),
        Format::Table => {
            let mut out = std::io::stdout().lock();
            let line = format!(
                "{} {} {} URL",
                fit("FEED", 28),
                fit("LG", 2),
                fit("EVERY", 6)
            );
            writeln!(out, "{line}").map_err(Failure::runtime)?;
            for r in rows {
                let every = r.interval.as_deref().unwrap_or("-");
                let name = if r.enabled {
                    r.name.to_string()
                } else {
                    format!("{} (off)", r.name)
                };
                let line = format!(
                    "{} {} {} {}",
                    fit(&name, 28),
                    fit(r.language.unwrap_or("-"), 2),
                    fit(every, 6),
                    r.url
                );
                writeln!(out, "{line}").map_err(Failure::runtime)?;
            }
            Ok(())
        }
    }
}

fn status(config_path: &Path, format: Format) -> CmdResult {
    let rows = Source::open(config_path)?.feed_status()?;
    match format {
        Format::Json => print_json(&rows),
        Format::Table => {
            let mut out = std::io::stdout().lock();
            let header = format!(
                "{} {} {} {} {} LAST ERROR",
                fit("FEED", 20),
                fit("LAST OK", 11),
                fit("ERR", 3),
                fit("NEXT POLL", 11),
                fit("ETAG", 4)
            );
            writeln!(out, "{header}").map_err(Failure::runtime)?;
            for r in rows {
                let next = if r.state.gone {
                    "gone (410)".to_string()
                } else if !r.enabled {
                    "disabled".to_string()
                } else {
                    when(r.state.next_due)
                };
                let error = if r.state.error_count > 0 {
                    r.state.last_error.as_deref().unwrap_or("")
                } else {
                    ""
                };
                let line = format!(
                    "{} {} {:>3} {} {} {}",
                    fit(&r.name, 20),
                    fit(&when(r.state.last_success), 11),
                    r.state.error_count,
                    fit(&next, 11),
                    fit(if r.validators { "yes" } else { "no" }, 4),
                    fit(error, 24)
                );
                writeln!(out, "{}", line.trim_end()).map_err(Failure::runtime)?;
            }
            Ok(())
        }
    }
}

/// A time as `MM-DD HH:MM` in local time, or `never`.
fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "never".to_string(),
        |t| t.with_timezone(&Local).format("%m-%d %H:%M").to_string(),
    )
}

fn reset(config_path: &Path, name: &str) -> CmdResult {
    let source = Source::open(config_path)?;
    match source.reset_feed(name)? {
        Some(url) if source.is_service() => super::output::out(&format!(
            "feed {name:?} ({url}): failures forgotten; the service polls it now\n"
        )),
        Some(url) => super::output::out(&format!(
            "feed {name:?} ({url}): failures forgotten; it is polled again from the next `newshound run`\n"
        )),
        None => Err(Failure::input(anyhow::anyhow!(
            "no feed named {name:?}; `newshound feeds list` shows the names"
        ))),
    }
}

fn import(config_path: &Path, opml_path: &Path) -> CmdResult {
    // Only the main file: feeds.toml may not exist yet, or be the thing being fixed.
    let settings = match Settings::load_partial_with(config_path, Alerts::Skip) {
        Ok((settings, diags)) if diags.is_empty() => settings,
        Ok((_, d)) | Err(d) => {
            return Err(Failure::input(
                anyhow::Error::new(crate::config::Diagnostics(d)).context("invalid configuration"),
            ));
        }
    };
    let text = std::fs::read_to_string(opml_path)
        .map_err(|e| Failure::input(anyhow::anyhow!("cannot read {}: {e}", opml_path.display())))?;
    let found = parse_opml(&text)
        .map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", opml_path.display())))?;
    let feeds_file = &settings.feeds_file;
    let existing = match std::fs::read_to_string(feeds_file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Failure::runtime(anyhow::anyhow!(
                "cannot read {}: {e}",
                feeds_file.display()
            )));
        }
    };
    let (updated, added, skipped) = append_to_feeds_toml(&existing, &found)
        .map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", feeds_file.display())))?;
    if !added.is_empty() {
        write_atomically(feeds_file, &updated).map_err(Failure::runtime)?;
    }
    for f in &added {
        super::output::out(&format!("added   {} <{}>\n", f.name, f.url))?;
    }
    for f in &skipped {
        super::output::out(&format!(
            "skipped {} <{}> (already listed)\n",
            f.name, f.url
        ))?;
    }
    super::output::out(&format!(
        "{} added, {} skipped; {} {}\n",
        added.len(),
        skipped.len(),
        feeds_file.display(),
        if added.is_empty() {
            "unchanged"
        } else {
            "updated"
        }
    ))
}

/// Writes through a temporary file and a rename, so a crash never leaves a
/// half-written feeds.toml.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
