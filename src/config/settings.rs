//! `newshound.toml`: the file format (one struct per section, unknown keys
//! rejected, defaults named) and the validated [`Settings`] built from it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeTable;

use super::alerts::{AlertSection, AlertSpec, AlertValidator};
use super::diag::{Diagnostic, SourceFile, array_of_tables, reject_unknown_keys};
use super::feeds::FeedConfig;
use super::units::{parse_duration_at_least, parse_size};

const SECTIONS: [&str; 9] = [
    "store",
    "feeds",
    "topics",
    "languages",
    "poll",
    "api",
    "log",
    "stories",
    "alert",
];

// ---- file format -------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    #[serde(default = "default_store_path")]
    path: String,
    #[serde(default = "default_cache_size")]
    cache_size: Spanned<String>,
    #[serde(default = "default_seen_retention")]
    seen_retention: Spanned<String>,
}

fn default_store_path() -> String {
    "/var/lib/newshound".into()
}
fn default_cache_size() -> Spanned<String> {
    Spanned::new(0..0, "64MiB".into())
}
fn default_seen_retention() -> Spanned<String> {
    Spanned::new(0..0, "90d".into())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedsSection {
    #[serde(default = "default_feeds_file")]
    file: String,
}

fn default_feeds_file() -> String {
    "feeds.toml".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicsSection {
    #[serde(default = "default_topics_dir")]
    dir: String,
}

fn default_topics_dir() -> String {
    "topics".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguagesSection {
    #[serde(default = "default_languages")]
    enabled: Vec<Spanned<String>>,
}

fn default_languages() -> Vec<Spanned<String>> {
    crate::lang::DEFAULT_LANGUAGES
        .iter()
        .map(|l| Spanned::new(0..0, l.to_string()))
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PollSection {
    #[serde(default = "default_interval")]
    interval: Spanned<String>,
    #[serde(default = "default_concurrency")]
    concurrency: usize,
    #[serde(default = "default_per_host")]
    per_host: usize,
    #[serde(default = "default_connect_timeout")]
    connect_timeout: Spanned<String>,
    #[serde(default = "default_timeout")]
    timeout: Spanned<String>,
    #[serde(default = "default_max_body")]
    max_body: Spanned<String>,
    #[serde(default = "default_max_redirects")]
    max_redirects: usize,
    #[serde(default = "default_backoff_max")]
    backoff_max: Spanned<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

fn spanned(s: &str) -> Spanned<String> {
    Spanned::new(0..0, s.to_string())
}
fn default_interval() -> Spanned<String> {
    spanned("15m")
}
fn default_concurrency() -> usize {
    32
}
fn default_per_host() -> usize {
    2
}
fn default_connect_timeout() -> Spanned<String> {
    spanned("10s")
}
fn default_timeout() -> Spanned<String> {
    spanned("30s")
}
fn default_max_body() -> Spanned<String> {
    spanned("10MiB")
}
fn default_max_redirects() -> usize {
    5
}
fn default_backoff_max() -> Spanned<String> {
    spanned("6h")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSection {
    #[serde(default = "default_socket")]
    socket: String,
    #[serde(default)]
    listen: Option<String>,
}

fn default_socket() -> String {
    "/run/newshound/api.sock".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    #[serde(default = "default_log_level")]
    level: String,
    #[serde(default = "default_log_format")]
    format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoriesSection {
    #[serde(default = "default_story_window")]
    window: Spanned<String>,
}

fn default_story_window() -> Spanned<String> {
    Spanned::new(0..0, "72h".into())
}

fn default_log_level() -> String {
    "info".into()
}
fn default_log_format() -> String {
    "text".into()
}

// ---- validated settings -------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    pub path: PathBuf,
    pub cache_bytes: u64,
    pub seen_retention: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PollSettings {
    pub interval: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub backoff_max: Duration,
    pub user_agent: String,
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            interval: Duration::from_secs(15 * 60),
            concurrency: default_concurrency(),
            per_host: default_per_host(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 << 20,
            max_redirects: default_max_redirects(),
            backoff_max: Duration::from_secs(6 * 3600),
            user_agent: crate::USER_AGENT.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    pub socket: PathBuf,
    pub listen: Option<String>,
}

/// `[stories]`: how hits are grouped into stories (`story::group`).
#[derive(Debug, Clone, PartialEq)]
pub struct StorySettings {
    /// How far back a new hit looks for the story it belongs to.
    pub window: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    pub level: String,
    pub format: String,
}

/// The validated contents of `newshound.toml`, paths made absolute.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub store: StoreSettings,
    pub feeds_file: PathBuf,
    pub topics_dir: PathBuf,
    pub languages: Vec<String>,
    pub poll: PollSettings,
    pub api: ApiSettings,
    pub log: LogSettings,
    pub stories: StorySettings,
    pub alerts: Vec<AlertSpec>,
}

impl Settings {
    /// Loads and validates; any problem is an error.
    pub fn load(path: &Path) -> Result<Settings, Vec<Diagnostic>> {
        match Settings::load_partial(path)? {
            (settings, diags) if diags.is_empty() => Ok(settings),
            (_, diags) => Err(diags),
        }
    }

    /// Loads what can be loaded: settings with defaults in place of broken
    /// values, and the problems found, so that the files the settings name
    /// can be checked too. Fails only when the file cannot be read or parsed.
    pub fn load_partial(path: &Path) -> Result<(Settings, Vec<Diagnostic>), Vec<Diagnostic>> {
        Settings::load_partial_with(path, Alerts::Load)
    }

    /// [`Settings::load_partial`], loading the `[[alert]]` entries or not.
    pub fn load_partial_with(
        path: &Path,
        alerts_wanted: Alerts,
    ) -> Result<(Settings, Vec<Diagnostic>), Vec<Diagnostic>> {
        let file = SourceFile::read(path).map_err(|d| vec![d])?;
        let root = match alerts_wanted {
            Alerts::Load => file.parse()?,
            Alerts::Skip => file.parse_without(&["alert"])?,
        };
        let mut diags = Vec::new();
        reject_unknown_keys(&file, &root, &SECTIONS, &mut diags);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();

        let store: StoreSection = section(&file, &root, "store", &mut diags);
        let feeds: FeedsSection = section(&file, &root, "feeds", &mut diags);
        let topics: TopicsSection = section(&file, &root, "topics", &mut diags);
        let languages: LanguagesSection = section(&file, &root, "languages", &mut diags);
        let poll: PollSection = section(&file, &root, "poll", &mut diags);
        let api: ApiSection = section(&file, &root, "api", &mut diags);
        let log: LogSection = section(&file, &root, "log", &mut diags);
        let stories: StoriesSection = section(&file, &root, "stories", &mut diags);
        let mut alerts: Vec<AlertSpec> = Vec::new();
        for (i, value) in array_of_tables(&file, &root, "alert", &mut diags)
            .into_iter()
            .enumerate()
        {
            let (parsed, mut problems) =
                file.section_all::<AlertSection>(&format!("alert[{i}]"), value);
            diags.append(&mut problems);
            if let Some(raw) = parsed {
                let mut validator = AlertValidator {
                    file: &file,
                    base: &base,
                    diags: &mut diags,
                };
                if let Some(spec) = validator.validate(i, value, raw, &alerts) {
                    alerts.push(spec);
                }
            }
        }

        let mut v = Validator {
            file: &file,
            diags: &mut diags,
        };
        let store = StoreSettings {
            path: resolve(&base, &store.path),
            cache_bytes: v.size("store.cache_size", &store.cache_size),
            seen_retention: v.duration("store.seen_retention", &store.seen_retention),
        };
        let mut enabled = Vec::new();
        for (i, lang) in languages.enabled.iter().enumerate() {
            match crate::lang::supported(lang.get_ref()) {
                Some(code) if !enabled.iter().any(|e| e == code) => enabled.push(code.to_string()),
                Some(_) => {}
                None => v.error(
                    lang,
                    &format!("languages.enabled[{i}]"),
                    format!(
                        "{:?} is not a supported ISO 639-1 language code",
                        lang.get_ref().trim()
                    ),
                ),
            }
        }
        if enabled.is_empty() && !languages.enabled.is_empty() {
            // every entry was already reported
        } else if enabled.is_empty() {
            let span = root.get("languages").map(|l| l.span());
            v.diags
                .push(file.diag(span, "languages.enabled", "enable at least one language"));
        }
        let stories = StorySettings {
            // Under a minute, copies published a few minutes apart would
            // already be out of each other's reach.
            window: parse_duration_at_least(stories.window.get_ref(), Duration::from_secs(60))
                .unwrap_or_else(|e| {
                    v.error(&stories.window, "stories.window", e);
                    Duration::from_secs(72 * 3600)
                }),
        };
        let poll = PollSettings {
            interval: v.duration("poll.interval", &poll.interval),
            concurrency: v.positive("poll.concurrency", poll.concurrency, &root),
            per_host: v.positive("poll.per_host", poll.per_host, &root),
            connect_timeout: v.duration("poll.connect_timeout", &poll.connect_timeout),
            timeout: v.duration("poll.timeout", &poll.timeout),
            max_body_bytes: v.size("poll.max_body", &poll.max_body),
            max_redirects: poll.max_redirects,
            backoff_max: v.duration("poll.backoff_max", &poll.backoff_max),
            user_agent: poll
                .user_agent
                .unwrap_or_else(|| crate::USER_AGENT.to_string()),
        };
        if !["trace", "debug", "info", "warn", "error"].contains(&log.level.as_str()) {
            let span = root.get("log").map(|l| l.span());
            diags.push(file.diag(
                span,
                "log.level",
                format!(
                    "{:?} is not a level; use trace, debug, info, warn or error",
                    log.level
                ),
            ));
        }
        if let Some(listen) = &api.listen
            && listen.parse::<std::net::SocketAddr>().is_err()
        {
            let span = root.get("api").map(|a| a.span());
            diags.push(file.diag(
                span,
                "api.listen",
                format!(
                    "{listen:?} is not an address and port such as \"127.0.0.1:9186\" (use a loopback address unless the metrics must be reachable from elsewhere)"
                ),
            ));
        }
        if !["text", "json"].contains(&log.format.as_str()) {
            let span = root.get("log").map(|l| l.span());
            diags.push(file.diag(
                span,
                "log.format",
                format!("{:?} is not a format; use text or json", log.format),
            ));
        }
        if enabled.is_empty() {
            enabled = crate::lang::DEFAULT_LANGUAGES
                .iter()
                .map(|l| l.to_string())
                .collect();
        }
        let settings = Settings {
            file: path.to_path_buf(),
            store,
            feeds_file: resolve(&base, &feeds.file),
            topics_dir: resolve(&base, &topics.dir),
            languages: enabled,
            poll,
            api: ApiSettings {
                socket: resolve(&base, &api.socket),
                listen: api.listen,
            },
            log: LogSettings {
                level: log.level,
                format: log.format,
            },
            stories,
            alerts,
        };
        Ok((settings, diags))
    }

    /// The feeds file these settings name, with `[poll] interval` as the
    /// feeds' default interval.
    pub fn load_feeds(&self) -> Result<Vec<FeedConfig>, Vec<Diagnostic>> {
        super::load_feeds(&self.feeds_file, &self.languages, self.poll.interval)
    }

    /// Soft problems: settings that work but probably are not what was meant.
    pub fn warnings(&self, feeds: &[FeedConfig]) -> Vec<String> {
        let mut out = Vec::new();
        for f in feeds {
            if f.interval < self.poll.timeout {
                out.push(format!(
                    "feed {:?}: interval {} is shorter than the fetch timeout {}",
                    f.name,
                    humantime::format_duration(f.interval),
                    humantime::format_duration(self.poll.timeout)
                ));
            }
        }
        if self.poll.connect_timeout > self.poll.timeout {
            out.push(
                "poll.connect_timeout is longer than poll.timeout; the total timeout wins".into(),
            );
        }
        out
    }
}

/// Whether to read the `[[alert]]` entries. Only the commands that deliver
/// alerts need them, and only they can resolve their secrets: an analyst
/// querying hits has neither the service's environment nor its secret files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alerts {
    Load,
    /// Leave them out entirely: `Settings::alerts` is empty, their
    /// `${VAR}`s and `*_file`s are not read, their mistakes not reported.
    Skip,
}

/// Resolves a path from a configuration file against the file's directory,
/// folding `dir/..` away so that messages show `feeds.toml`, not
/// `config/../feeds.toml` (lexically: the paths name files, not links).
pub fn resolve(base: &Path, value: &str) -> PathBuf {
    use std::path::Component;
    let joined = base.join(value);
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Deserialises a section, or its defaults when it is absent or broken (its
/// problems are recorded, and the other sections still get checked).
fn section<T: DeserializeOwned>(
    file: &SourceFile,
    root: &DeTable<'_>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> T {
    let defaults = || {
        toml::from_str::<T>("")
            .unwrap_or_else(|e| unreachable!("every field of [{key}] has a default: {e}"))
    };
    match root.get(key) {
        None => defaults(),
        Some(value) => {
            let (parsed, mut problems) = file.section_all::<T>(key, value);
            diags.append(&mut problems);
            parsed.unwrap_or_else(defaults)
        }
    }
}

struct Validator<'a> {
    file: &'a SourceFile,
    diags: &'a mut Vec<Diagnostic>,
}

impl Validator<'_> {
    fn error(&mut self, value: &Spanned<String>, field: &str, message: String) {
        let span = value.span();
        let span = (span != (0..0)).then_some(span);
        self.diags.push(self.file.diag(span, field, message));
    }

    fn duration(&mut self, field: &str, value: &Spanned<String>) -> Duration {
        parse_duration_at_least(value.get_ref(), Duration::ZERO).unwrap_or_else(|e| {
            self.error(value, field, e);
            Duration::from_secs(1)
        })
    }

    fn size(&mut self, field: &str, value: &Spanned<String>) -> u64 {
        match parse_size(value.get_ref()) {
            Ok(n) if n > 0 => n,
            Ok(_) => {
                self.error(value, field, "must be larger than zero".into());
                1
            }
            Err(e) => {
                self.error(value, field, e);
                1
            }
        }
    }

    fn positive(&mut self, field: &str, n: usize, root: &DeTable<'_>) -> usize {
        if n == 0 {
            let section = field.split('.').next().unwrap_or(field);
            let span = root.get(section).map(|s| s.span());
            self.diags
                .push(self.file.diag(span, field, "must be at least 1"));
            1
        } else {
            n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_is_relative_to_the_file_and_folds_parent_dirs() {
        assert_eq!(
            resolve(Path::new("config"), "../feeds.toml"),
            PathBuf::from("feeds.toml")
        );
        assert_eq!(
            resolve(Path::new("config"), "topics"),
            PathBuf::from("config/topics")
        );
        assert_eq!(
            resolve(Path::new("/etc/nh"), "/var/lib/nh"),
            PathBuf::from("/var/lib/nh")
        );
        assert_eq!(resolve(Path::new(""), "../x"), PathBuf::from("../x"));
        assert_eq!(resolve(Path::new("a"), ".."), PathBuf::from("."));
    }
}
