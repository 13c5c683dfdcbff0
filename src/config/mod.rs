//! Configuration: `newshound.toml`, `feeds.toml` and the topic packs, read,
//! validated and turned into the typed [`Config`] the rest of the program uses.
//!
//! Invariants: relative paths resolve against the file that names them;
//! unknown keys are errors; every problem of every file is reported at once
//! as a [`Diagnostics`] list, each entry with file, line, column and field.

mod alerts;
mod diag;
mod feeds;
pub mod opml;
mod settings;
mod topics;
mod units;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, SourceFile, expand_env};
pub use feeds::{FeedConfig, load_feeds};
pub use settings::{Alerts, ApiSettings, LogSettings, PollSettings, Settings, StoreSettings};
pub use topics::{TopicSet, load_topics};
pub use units::{parse_duration, parse_size};

/// Environment variable that names the configuration file when `--config` is absent.
pub const CONFIG_ENV: &str = "NEWSHOUND_CONFIG";
/// The system-wide configuration file, used when no other is named or found.
pub const SYSTEM_CONFIG: &str = "/etc/newshound/newshound.toml";
/// The repository's configuration file, preferred when it exists in the working directory.
pub const LOCAL_CONFIG: &str = "config/newshound.toml";

/// Which file to read: the explicit one, else `config/newshound.toml` when it
/// exists here, else the system file. (`NEWSHOUND_CONFIG` arrives through
/// `explicit`: clap reads it.)
pub fn config_path(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let local = Path::new(LOCAL_CONFIG);
    if local.is_file() {
        local.to_path_buf()
    } else {
        PathBuf::from(SYSTEM_CONFIG)
    }
}

/// A directory stands for its newshound.toml (the bench passes a directory).
fn main_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("newshound.toml")
    } else {
        path.to_path_buf()
    }
}

/// The main file alone, without the `[[alert]]` entries, feeds.toml or
/// the topic packs: what the commands that query the store or the running
/// service need (the store's path, the socket, the feeds file's path).
/// Reading it needs none of the service's secrets.
pub fn load_settings_for_reading(path: &Path) -> Result<Settings, Diagnostics> {
    match Settings::load_partial_with(&main_file(path), Alerts::Skip) {
        Ok((settings, diags)) if diags.is_empty() => Ok(settings),
        Ok((_, diags)) | Err(diags) => Err(Diagnostics(diags)),
    }
}

/// Everything a command needs: the settings, the feeds and the topic packs,
/// all validated.
pub struct Config {
    pub settings: Settings,
    pub feeds: Vec<FeedConfig>,
    pub topics: TopicSet,
    /// Soft problems worth telling the user (an uncovered language, a feed
    /// interval shorter than the timeout); never a reason to refuse to run.
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads and validates the main file and everything it names. All
    /// problems of all files come back together.
    pub fn load(path: &Path) -> Result<Config, Diagnostics> {
        Config::load_with(path, Alerts::Load)
    }

    /// [`Config::load`] for commands that only read (queries, classify):
    /// the `[[alert]]` entries are left out, so that a user without the
    /// service's secrets can still use them.
    pub fn load_without_alerts(path: &Path) -> Result<Config, Diagnostics> {
        Config::load_with(path, Alerts::Skip)
    }

    fn load_with(path: &Path, alerts: Alerts) -> Result<Config, Diagnostics> {
        let path = main_file(path);
        let (settings, mut diags) =
            Settings::load_partial_with(&path, alerts).map_err(Diagnostics)?;
        let (feeds, feeds_ok) = match settings.load_feeds() {
            Ok(f) => (f, true),
            Err(mut d) => {
                diags.append(&mut d);
                (Vec::new(), false)
            }
        };
        let topics = match load_topics(&settings.topics_dir, &settings.languages) {
            Ok(t) => Some(t),
            Err(mut d) => {
                diags.append(&mut d);
                None
            }
        };
        // Only against files that loaded: a broken feeds.toml is reported
        // once, not once more for every alert that names one of its feeds.
        if let Some(t) = topics.as_ref().filter(|_| feeds_ok) {
            let names: Vec<&str> = t.packs.iter().map(|p| p.name.as_str()).collect();
            let feed_names: Vec<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
            diags.extend(alerts::check_references(
                &settings.file,
                &settings.alerts,
                &names,
                &feed_names,
                &settings.languages,
            ));
        }
        match topics {
            Some(topics) if diags.is_empty() => {
                let mut warnings = topics.warnings.clone();
                warnings.extend(settings.warnings(&feeds));
                Ok(Config {
                    settings,
                    feeds,
                    topics,
                    warnings,
                })
            }
            _ => {
                // Files in the order they were read, problems in line order.
                let order: Vec<PathBuf> = diags.iter().fold(Vec::new(), |mut seen, d| {
                    if !seen.contains(&d.file) {
                        seen.push(d.file.clone());
                    }
                    seen
                });
                diags.sort_by_key(|d| (order.iter().position(|f| *f == d.file), d.line, d.column));
                Err(Diagnostics(diags))
            }
        }
    }
}
