//! `[[alert]]` entries: the file format, and the validated [`AlertSpec`] the
//! alert module delivers with.
//!
//! Secrets (webhook URLs, tokens, signing keys) come from `${VAR}` or from a
//! `*_file` key naming a file; they are held as [`Secret`], which never
//! prints its value, and no message written here quotes one.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;

use super::diag::{Diagnostic, SourceFile, span_of_path};
use super::settings::resolve;
use super::units::parse_duration;

/// The alert kinds the configuration accepts.
pub const ALERT_KINDS: [&str; 9] = [
    "slack",
    "discord",
    "mattermost",
    "teams",
    "matrix",
    "telegram",
    "ntfy",
    "webhook",
    "exec",
];

/// Keys every kind accepts; the kind-specific ones are in [`kind_keys`].
const COMMON_KEYS: [&str; 15] = [
    "name",
    "kind",
    "enabled",
    "topics",
    "languages",
    "feeds",
    "min_score",
    "template",
    "rate_limit",
    "timeout",
    "retry_min",
    "retry_max",
    "max_attempts",
    "max_age",
    "username",
];

fn kind_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "slack" => &["url", "url_file", "format"],
        "mattermost" | "discord" | "teams" => &["url", "url_file"],
        "matrix" => &["homeserver", "room", "token", "token_file"],
        "telegram" => &["token", "token_file", "chat_id", "api_url"],
        "ntfy" => &["url", "url_file", "token", "token_file", "priority", "tags"],
        "webhook" => &["url", "url_file", "secret", "secret_file"],
        "exec" => &["command"],
        _ => &[],
    }
}

/// A value that must not be shown: `{:?}` prints `Secret(***)`, and there is
/// no `Display`. Call [`Secret::expose`] only where the value is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Which hits an alert wants. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub topics: Vec<String>,
    pub languages: Vec<String>,
    pub feeds: Vec<String>,
    pub min_score: Option<f64>,
}

/// How hard delivery tries before an entry is declared dead.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPolicy {
    /// One request (or one `exec` run) may take this long.
    pub timeout: Duration,
    /// The first retry waits up to this long (full jitter), doubling each time ...
    pub retry_min: Duration,
    /// ... up to this long.
    pub retry_max: Duration,
    /// An entry is dead after this many failed attempts ...
    pub max_attempts: u32,
    /// ... or when it has been pending this long.
    pub max_age: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            timeout: Duration::from_secs(15),
            retry_min: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            max_attempts: 50,
            max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// Where an alert goes, with what each kind needs.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertTarget {
    Slack {
        url: Secret,
        /// Block Kit layout instead of one mrkdwn text.
        blocks: bool,
    },
    Mattermost {
        url: Secret,
    },
    Discord {
        url: Secret,
    },
    Teams {
        url: Secret,
    },
    Matrix {
        homeserver: url::Url,
        room: String,
        token: Secret,
    },
    Telegram {
        api_url: url::Url,
        token: Secret,
        chat_id: String,
    },
    Ntfy {
        url: Secret,
        token: Option<Secret>,
        priority: Option<u8>,
        tags: Vec<String>,
    },
    Webhook {
        url: Secret,
        secret: Option<Secret>,
    },
    Exec {
        command: Vec<String>,
    },
}

impl AlertTarget {
    /// Every secret of the target, so that error texts can be scrubbed of them.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            AlertTarget::Slack { url, .. }
            | AlertTarget::Mattermost { url }
            | AlertTarget::Discord { url }
            | AlertTarget::Teams { url } => vec![url],
            AlertTarget::Matrix { token, .. } | AlertTarget::Telegram { token, .. } => vec![token],
            AlertTarget::Ntfy { url, token, .. } => std::iter::once(url).chain(token).collect(),
            AlertTarget::Webhook { url, secret } => std::iter::once(url).chain(secret).collect(),
            AlertTarget::Exec { .. } => Vec::new(),
        }
    }
}

/// One validated `[[alert]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSpec {
    /// Line of the `[[alert]]` table in its file (0 when built in code), for messages.
    pub line: usize,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
    pub filter: AlertFilter,
    /// A minijinja template for the message text; the built-in layout when absent.
    pub template: Option<String>,
    /// At most this many messages a minute; more hits are folded into a digest.
    pub rate_limit: Option<u32>,
    /// Shown as the sender where the service allows it (Slack, Mattermost, Discord).
    pub username: Option<String>,
    pub delivery: DeliveryPolicy,
    pub target: AlertTarget,
}

/// A string, or a whole number written without quotes (Telegram chat ids).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrInt {
    String(String),
    Int(i64),
}

/// The file format of one `[[alert]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertSection {
    name: String,
    kind: String,
    #[serde(default = "default_true")]
    enabled: bool,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    feeds: Vec<String>,
    min_score: Option<f64>,
    template: Option<String>,
    rate_limit: Option<u32>,
    username: Option<String>,
    timeout: Option<String>,
    retry_min: Option<String>,
    retry_max: Option<String>,
    max_attempts: Option<u32>,
    max_age: Option<String>,
    url: Option<String>,
    url_file: Option<String>,
    token: Option<String>,
    token_file: Option<String>,
    secret: Option<String>,
    secret_file: Option<String>,
    format: Option<String>,
    homeserver: Option<String>,
    room: Option<String>,
    chat_id: Option<StringOrInt>,
    api_url: Option<String>,
    priority: Option<u8>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    command: Vec<String>,
}

fn default_true() -> bool {
    true
}

/// Validates the `i`-th `[[alert]]` table; problems go to `diags`, and a
/// spec comes back only when the entry is usable.
pub(super) struct AlertValidator<'a> {
    pub file: &'a SourceFile,
    /// The directory `*_file` paths are relative to.
    pub base: &'a Path,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl AlertValidator<'_> {
    pub fn validate(
        &mut self,
        i: usize,
        table: &Spanned<DeValue<'_>>,
        raw: AlertSection,
        earlier: &[AlertSpec],
    ) -> Option<AlertSpec> {
        let errors_before = self.diags.len();
        let at = Entry { i, table };
        if raw.name.trim().is_empty() {
            self.error(&at, "name", "must not be empty");
        }
        if earlier.iter().any(|a| a.name == raw.name) {
            self.error(
                &at,
                "name",
                format!(
                    "{:?} is used by an earlier [[alert]]; names must be unique",
                    raw.name
                ),
            );
        }
        if !ALERT_KINDS.contains(&raw.kind.as_str()) {
            self.error(
                &at,
                "kind",
                format!(
                    "{:?} is not a kind; use one of {}",
                    raw.kind,
                    ALERT_KINDS.join(", ")
                ),
            );
            return None;
        }
        if let DeValue::Table(keys) = table.get_ref() {
            let allowed = kind_keys(&raw.kind);
            for (key, _) in keys.iter() {
                let key = key.get_ref().as_ref();
                if !COMMON_KEYS.contains(&key) && !allowed.contains(&key) {
                    self.error(
                        &at,
                        key,
                        format!(
                            "not used by kind {:?}; its own keys are: {}",
                            raw.kind,
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(score) = raw.min_score
            && !(score.is_finite() && score >= 0.0)
        {
            self.error(&at, "min_score", "must be a number of 0 or more");
        }
        if raw.rate_limit == Some(0) {
            self.error(
                &at,
                "rate_limit",
                "must be at least 1 message a minute; leave it out for no limit",
            );
        }
        if let Some(t) = &raw.template
            && let Err(e) = crate::alert::template::check(t)
        {
            self.error(&at, "template", e);
        }
        let defaults = DeliveryPolicy::default();
        let delivery = DeliveryPolicy {
            timeout: self.duration(&at, "timeout", raw.timeout.as_deref(), defaults.timeout),
            retry_min: self.duration(
                &at,
                "retry_min",
                raw.retry_min.as_deref(),
                defaults.retry_min,
            ),
            retry_max: self.duration(
                &at,
                "retry_max",
                raw.retry_max.as_deref(),
                defaults.retry_max,
            ),
            max_attempts: match raw.max_attempts {
                Some(0) => {
                    self.error(&at, "max_attempts", "must be at least 1");
                    1
                }
                Some(n) => n,
                None => defaults.max_attempts,
            },
            max_age: self.duration(&at, "max_age", raw.max_age.as_deref(), defaults.max_age),
        };
        if delivery.retry_min > delivery.retry_max {
            self.error(&at, "retry_min", "is longer than retry_max");
        }
        let target = self.target(&at, &raw);
        if self.diags.len() > errors_before {
            return None;
        }
        Some(AlertSpec {
            line: self.file.line_col(table.span().start).0,
            name: raw.name,
            kind: raw.kind,
            enabled: raw.enabled,
            filter: AlertFilter {
                topics: raw.topics,
                languages: raw.languages.iter().map(|l| l.to_lowercase()).collect(),
                feeds: raw.feeds,
                min_score: raw.min_score,
            },
            template: raw.template,
            rate_limit: raw.rate_limit,
            username: raw.username,
            delivery,
            target: target?,
        })
    }

    fn target(&mut self, at: &Entry<'_, '_>, raw: &AlertSection) -> Option<AlertTarget> {
        let target = match raw.kind.as_str() {
            "slack" => {
                let blocks = match raw.format.as_deref() {
                    None | Some("mrkdwn") => false,
                    Some("blocks") => true,
                    Some(other) => {
                        self.error(
                            at,
                            "format",
                            format!("{other:?} is not a format; use \"mrkdwn\" or \"blocks\""),
                        );
                        false
                    }
                };
                AlertTarget::Slack {
                    url: self.url(at, raw)?,
                    blocks,
                }
            }
            "mattermost" => AlertTarget::Mattermost {
                url: self.url(at, raw)?,
            },
            "discord" => AlertTarget::Discord {
                url: self.url(at, raw)?,
            },
            "teams" => AlertTarget::Teams {
                url: self.url(at, raw)?,
            },
            "matrix" => {
                let homeserver = self.plain_url(at, "homeserver", raw.homeserver.as_deref());
                let room = match raw.room.as_deref().map(str::trim) {
                    // Room ids of room version 12 have no `:server` part; aliases always do.
                    Some(r)
                        if (r.starts_with('!') && r.len() > 1)
                            || (r.starts_with('#') && r.contains(':')) =>
                    {
                        Some(r.to_string())
                    }
                    Some(_) => {
                        self.error(
                            at,
                            "room",
                            "must be a room id such as \"!abc123:example.org\" (or an alias \"#room:example.org\")",
                        );
                        None
                    }
                    None => {
                        self.error(at, "room", "is required for kind \"matrix\"");
                        None
                    }
                };
                let token = self.secret(at, "token", &raw.token, &raw.token_file, true);
                AlertTarget::Matrix {
                    homeserver: homeserver?,
                    room: room?,
                    token: token??,
                }
            }
            "telegram" => {
                let api_url = match raw.api_url.as_deref() {
                    None => url::Url::parse("https://api.telegram.org").ok(),
                    Some(u) => self.plain_url(at, "api_url", Some(u)),
                };
                let chat_id = match &raw.chat_id {
                    Some(StringOrInt::Int(n)) => Some(n.to_string()),
                    Some(StringOrInt::String(s)) if !s.trim().is_empty() => {
                        Some(s.trim().to_string())
                    }
                    _ => {
                        self.error(
                            at,
                            "chat_id",
                            "is required for kind \"telegram\": a chat id such as -1001234567890 or \"@channelname\"",
                        );
                        None
                    }
                };
                let token = self.secret(at, "token", &raw.token, &raw.token_file, true);
                AlertTarget::Telegram {
                    api_url: api_url?,
                    token: token??,
                    chat_id: chat_id?,
                }
            }
            "ntfy" => {
                if let Some(p) = raw.priority
                    && !(1..=5).contains(&p)
                {
                    self.error(at, "priority", "must be 1 (min) to 5 (max)");
                }
                let token = self.secret(at, "token", &raw.token, &raw.token_file, false);
                AlertTarget::Ntfy {
                    url: self.url(at, raw)?,
                    token: token?,
                    priority: raw.priority,
                    tags: raw.tags.clone(),
                }
            }
            "webhook" => {
                let secret = self.secret(at, "secret", &raw.secret, &raw.secret_file, false);
                AlertTarget::Webhook {
                    url: self.url(at, raw)?,
                    secret: secret?,
                }
            }
            "exec" => {
                if raw.command.is_empty() || raw.command[0].trim().is_empty() {
                    self.error(
                        at,
                        "command",
                        "is required for kind \"exec\": the program and its arguments, such as [\"/usr/local/bin/notify\", \"--quiet\"]",
                    );
                    return None;
                }
                let mut command = raw.command.clone();
                // A relative program path is relative to the configuration
                // file, like every other path in it; a bare name is looked up in PATH.
                if command[0].contains('/') {
                    command[0] = resolve(self.base, &command[0]).display().to_string();
                }
                AlertTarget::Exec { command }
            }
            _ => return None,
        };
        Some(target)
    }

    /// The `url` / `url_file` pair: required, one of the two, http(s).
    fn url(&mut self, at: &Entry<'_, '_>, raw: &AlertSection) -> Option<Secret> {
        let secret = self.secret(at, "url", &raw.url, &raw.url_file, true)??;
        match url::Url::parse(secret.expose()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(secret),
            _ => {
                // The value is not quoted: webhook URLs carry their token.
                self.error(
                    at,
                    "url",
                    "is not an http:// or https:// URL (the value is not shown, as it may hold a secret)",
                );
                None
            }
        }
    }

    /// A URL that is not a secret (a Matrix homeserver, a Telegram API base).
    fn plain_url(
        &mut self,
        at: &Entry<'_, '_>,
        field: &str,
        value: Option<&str>,
    ) -> Option<url::Url> {
        let Some(value) = value else {
            self.error(at, field, format!("is required for kind {:?}", at.kind()));
            return None;
        };
        match url::Url::parse(value.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            _ => {
                self.error(
                    at,
                    field,
                    format!("{value:?} is not an http:// or https:// URL"),
                );
                None
            }
        }
    }

    /// A secret given inline (usually as `${VAR}`) or as `KEY_file`.
    /// `Some(Some(_))` when present, `Some(None)` when absent and optional,
    /// `None` on an error (already reported).
    fn secret(
        &mut self,
        at: &Entry<'_, '_>,
        key: &str,
        inline: &Option<String>,
        file: &Option<String>,
        required: bool,
    ) -> Option<Option<Secret>> {
        let file_key = format!("{key}_file");
        match (inline, file) {
            (Some(_), Some(_)) => {
                self.error(at, &file_key, format!("give {key} or {file_key}, not both"));
                None
            }
            (Some(value), None) if value.trim().is_empty() => {
                self.error(
                    at,
                    key,
                    "is empty (if it comes from ${VAR}, the variable is set but empty)",
                );
                None
            }
            (Some(value), None) => Some(Some(Secret::new(value.trim()))),
            (None, Some(path)) => {
                let path = resolve(self.base, path);
                match std::fs::read_to_string(&path) {
                    Ok(text) if text.trim().is_empty() => {
                        self.error(at, &file_key, format!("{} is empty", path.display()));
                        None
                    }
                    Ok(text) => Some(Some(Secret::new(text.trim()))),
                    Err(e) => {
                        self.error(
                            at,
                            &file_key,
                            format!("cannot read {}: {e}", path.display()),
                        );
                        None
                    }
                }
            }
            (None, None) if required => {
                self.error(
                    at,
                    key,
                    format!(
                        "is required for kind {:?} (or {file_key} naming a file that holds it)",
                        at.kind()
                    ),
                );
                None
            }
            (None, None) => Some(None),
        }
    }

    fn duration(
        &mut self,
        at: &Entry<'_, '_>,
        field: &str,
        value: Option<&str>,
        default: Duration,
    ) -> Duration {
        let Some(text) = value else {
            return default;
        };
        match parse_duration(text) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.error(at, field, "must be longer than zero");
                default
            }
            Err(e) => {
                self.error(at, field, e);
                default
            }
        }
    }

    fn error(&mut self, at: &Entry<'_, '_>, field: &str, message: impl Into<String>) {
        self.diags.push(
            self.file
                .diag(Some(at.span(field)), at.field(field), message),
        );
    }
}

/// The `[[alert]]` table being validated, for naming and locating its fields.
struct Entry<'t, 'i> {
    i: usize,
    table: &'t Spanned<DeValue<'i>>,
}

impl Entry<'_, '_> {
    fn field(&self, name: &str) -> String {
        format!("alert[{}].{name}", self.i)
    }

    fn span(&self, name: &str) -> Range<usize> {
        span_of_path(self.table, name).unwrap_or_else(|| self.table.span())
    }

    fn kind(&self) -> String {
        match self.table.get_ref() {
            DeValue::Table(t) => t
                .get("kind")
                .and_then(|k| k.get_ref().as_str().map(str::to_string))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// Problems with what the alerts name: topics the packs do not define,
/// feeds not in feeds.toml, languages not enabled. A typo there would
/// silently mean "never alert", so each is an error.
pub fn check_references(
    file: &Path,
    alerts: &[AlertSpec],
    topics: &[&str],
    feeds: &[&str],
    languages: &[String],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let mut bad = |field: &str, what: &str, value: &str, known: String| {
            out.push(Diagnostic {
                file: file.to_path_buf(),
                line: a.line,
                column: 1,
                field: format!("alert[{i}].{field}"),
                message: format!("{what} {value:?} is not defined; known: {known}"),
            });
        };
        for t in &a.filter.topics {
            if !topics.contains(&t.as_str()) {
                bad("topics", "topic", t, topics.join(", "));
            }
        }
        for f in &a.filter.feeds {
            if !feeds.contains(&f.as_str()) {
                bad("feeds", "feed", f, "the names in feeds.toml".into());
            }
        }
        for l in &a.filter.languages {
            if !languages.contains(l) {
                bad("languages", "language", l, languages.join(", "));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("https://hooks.slack.com/services/T0/B0/XYZ");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let target = AlertTarget::Webhook {
            url: s.clone(),
            secret: Some(Secret::new("hunter2")),
        };
        let shown = format!("{target:?}");
        assert!(
            !shown.contains("XYZ") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(target.secrets().len(), 2);
    }
}
