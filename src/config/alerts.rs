//! `[[alert]]` entries: reading them from `newshound.toml`. The loader
//! knows the keys every kind shares (name, filters, template, delivery
//! policy); each kind's own keys and their checks belong to the kind
//! (`alert::Target`), which this loader serves through [`Loader`]: the keys
//! deserialised with their positions, problems located at their field, and
//! secrets read from `${VAR}` or from a `*_file`.
//!
//! Secrets (webhook URLs, tokens, signing keys) are held as [`Secret`],
//! which never prints its value, and no message written here quotes one.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, SourceFile, span_of_path};
use super::settings::resolve;
use super::units::parse_duration_at_least;
use crate::alert::kind::{Loader, key_names};
use crate::alert::{AlertFilter, DeliveryPolicy, Secret, StoryAlerts, Target};
// settings.rs names the loaded entries through this module.
pub(super) use crate::alert::AlertSpec;

/// The keys every kind shares, as the file writes them. Unknown keys are
/// not refused by serde here: the table also holds the kind's own keys,
/// which the kind reads, and a key that neither reads is reported by
/// [`AlertValidator::validate`], which knows the kind.
#[derive(Debug, Deserialize)]
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
    story: Option<String>,
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
        let at = Entry {
            i,
            table,
            kind: &raw.kind,
        };
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
        let Some(own_keys) = Target::keys(&raw.kind) else {
            self.error(
                &at,
                "kind",
                format!(
                    "{:?} is not a kind; use one of {}",
                    raw.kind,
                    Target::KINDS.join(", ")
                ),
            );
            return None;
        };
        let common_keys = key_names::<AlertSection>();
        if let DeValue::Table(keys) = table.get_ref() {
            for (spanned, _) in keys.iter() {
                let key = spanned.get_ref().as_ref();
                if common_keys.contains(&key) || own_keys.contains(&key) {
                    continue;
                }
                let known = every_key();
                if !known.contains(&key) {
                    // At the key, as serde reports an unknown field elsewhere.
                    let d = self.file.diag(
                        Some(spanned.span()),
                        at.field(key),
                        unknown_key(key, &known),
                    );
                    self.diags.push(d);
                }
                self.error(
                    &at,
                    key,
                    format!(
                        "not used by kind {:?}; its own keys are: {}",
                        raw.kind,
                        own_keys.join(", ")
                    ),
                );
            }
        }
        if let Some(score) = raw.min_score
            && !(score.is_finite() && score >= 0.0)
        {
            self.error(&at, "min_score", "must be a number of 0 or more");
        }
        let story = match raw.story.as_deref() {
            None => StoryAlerts::default(),
            Some(value) => StoryAlerts::parse(value).unwrap_or_else(|| {
                let why = format!(
                    "{value:?} is not a choice; use \"first\" (one alert per story, the default), \
                     \"update\" (the first, then follow-ups on its message) or \"every\" (every hit)"
                );
                self.error(&at, "story", why);
                StoryAlerts::default()
            }),
        };
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
        let target = Target::build(
            &raw.kind,
            &mut KindLoader {
                validator: self,
                at: &at,
                own_keys,
            },
        );
        if self.diags.len() > errors_before {
            return None;
        }
        Some(AlertSpec {
            line: self.file.line_col(table.span().start).0,
            name: raw.name,
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
            story,
            target: target?,
        })
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
        parse_duration_at_least(text, Duration::ZERO).unwrap_or_else(|e| {
            self.error(at, field, e);
            default
        })
    }

    fn error(&mut self, at: &Entry<'_, '_>, field: &str, message: impl Into<String>) {
        self.diags.push(
            self.file
                .diag(Some(at.span(field)), at.field(field), message),
        );
    }
}

/// Every key some `[[alert]]` reads: the common ones, then each kind's
/// own, in the order of the kinds.
fn every_key() -> Vec<&'static str> {
    let mut keys = key_names::<AlertSection>().to_vec();
    for kind in Target::KINDS {
        for key in Target::keys(kind).unwrap_or_default() {
            if !keys.contains(key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// serde's words for a key no struct field takes, so that a key no kind
/// reads is reported as it is in every other section.
fn unknown_key(key: &str, known: &[&str]) -> String {
    let quoted: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "unknown field `{key}`, expected one of {}",
        quoted.join(", ")
    )
}

/// What a kind's checks ask of the loader, for one entry.
struct KindLoader<'v, 'a, 'e, 't, 'i> {
    validator: &'v mut AlertValidator<'a>,
    at: &'e Entry<'t, 'i>,
    /// The keys the kind reads; the others were reported already.
    own_keys: &'static [&'static str],
}

impl Loader for KindLoader<'_, '_, '_, '_, '_> {
    fn kind(&self) -> &str {
        self.at.kind
    }

    fn keys<T: DeserializeOwned>(&mut self) -> Option<T> {
        let DeValue::Table(table) = self.at.table.get_ref() else {
            return None;
        };
        let mut own = DeTable::new();
        for (key, value) in table.iter() {
            if self.own_keys.contains(&key.get_ref().as_ref()) {
                own.insert(key.clone(), value.clone());
            }
        }
        let own = Spanned::new(self.at.table.span(), DeValue::Table(own));
        let (keys, mut problems) = self
            .validator
            .file
            .section_all::<T>(&format!("alert[{}]", self.at.i), &own);
        self.validator.diags.append(&mut problems);
        keys
    }

    fn error(&mut self, field: &str, message: String) {
        self.validator.error(self.at, field, message);
    }

    fn secret(
        &mut self,
        key: &str,
        inline: Option<&str>,
        file: Option<&str>,
        required: bool,
    ) -> Option<Option<Secret>> {
        let file_key = format!("{key}_file");
        match (inline, file) {
            (Some(_), Some(_)) => {
                self.error(&file_key, format!("give {key} or {file_key}, not both"));
                None
            }
            (Some(value), None) if value.trim().is_empty() => {
                self.error(
                    key,
                    "is empty (if it comes from ${VAR}, the variable is set but empty)".into(),
                );
                None
            }
            (Some(value), None) => Some(Some(Secret::new(value.trim()))),
            (None, Some(path)) => {
                let path = self.path(path);
                match std::fs::read_to_string(&path) {
                    Ok(text) if text.trim().is_empty() => {
                        self.error(&file_key, format!("{} is empty", path.display()));
                        None
                    }
                    Ok(text) => Some(Some(Secret::new(text.trim()))),
                    Err(e) => {
                        self.error(&file_key, format!("cannot read {}: {e}", path.display()));
                        None
                    }
                }
            }
            (None, None) if required => {
                let kind = self.at.kind;
                self.error(
                    key,
                    format!(
                        "is required for kind {kind:?} (or {file_key} naming a file that holds it)"
                    ),
                );
                None
            }
            (None, None) => Some(None),
        }
    }

    fn path(&self, value: &str) -> PathBuf {
        resolve(self.validator.base, value)
    }
}

/// The `[[alert]]` table being validated, for naming and locating its fields.
struct Entry<'t, 'i> {
    i: usize,
    table: &'t Spanned<DeValue<'i>>,
    /// The kind the entry names.
    kind: &'t str,
}

impl Entry<'_, '_> {
    fn field(&self, name: &str) -> String {
        format!("alert[{}].{name}", self.i)
    }

    fn span(&self, name: &str) -> Range<usize> {
        span_of_path(self.table, name).unwrap_or_else(|| self.table.span())
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
    use crate::config::Settings;

    /// The alerts of a `newshound.toml` holding `alerts`, or every problem
    /// as `line:column: field: message`.
    fn load(alerts: &str) -> Result<Vec<AlertSpec>, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newshound.toml");
        std::fs::write(&path, alerts).unwrap();
        std::fs::write(dir.path().join("tg-token"), "123:abc\n").unwrap();
        let (settings, diags) =
            Settings::load_partial(&path).map_err(|d| vec![d[0].message.clone()])?;
        if diags.is_empty() {
            return Ok(settings.alerts);
        }
        Err(diags
            .iter()
            .map(|d| format!("{}:{}: {}: {}", d.line, d.column, d.field, d.message))
            .collect())
    }

    #[test]
    fn each_kind_reads_its_own_keys() {
        let alerts = load(
            "[[alert]]\nname = \"s\"\nkind = \"slack\"\nurl = \"https://h.example/x\"\nformat = \"blocks\"\n\
             [[alert]]\nname = \"t\"\nkind = \"telegram\"\ntoken_file = \"tg-token\"\nchat_id = -100123\n\
             [[alert]]\nname = \"e\"\nkind = \"exec\"\ncommand = [\"bin/notify\", \"-q\"]\n",
        )
        .expect("loads");
        let kinds: Vec<&str> = alerts.iter().map(|a| a.kind()).collect();
        assert_eq!(kinds, ["slack", "telegram", "exec"]);
        match &alerts[0].target {
            Target::Slack(s) => assert!(s.blocks),
            other => panic!("{other:?}"),
        }
        match &alerts[1].target {
            Target::Telegram(t) => {
                assert_eq!(t.chat_id, "-100123");
                assert_eq!(t.token.expose(), "123:abc");
                assert_eq!(t.api_url.as_str(), "https://api.telegram.org/");
            }
            other => panic!("{other:?}"),
        }
        match &alerts[2].target {
            Target::Exec(e) => {
                assert!(e.command[0].ends_with("/bin/notify"), "{:?}", e.command);
                assert!(Path::new(&e.command[0]).is_absolute());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_key_is_reported_where_it_stands_and_for_what_it_is() {
        let errors = load(
            "[[alert]]\nname = \"n\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\n\
             priority = \"high\"\nroom = \"!r:x\"\ncolour = \"red\"\n",
        )
        .unwrap_err();
        let own = "its own keys are: url, url_file, token, token_file, priority, tags";
        assert!(
            errors.contains(
                &"5:12: alert[0].priority: invalid type: string \"high\", expected u8".to_string()
            ),
            "{errors:#?}"
        );
        assert!(
            errors.contains(&format!(
                "6:8: alert[0].room: not used by kind \"ntfy\"; {own}"
            )),
            "{errors:#?}"
        );
        let unknown = errors
            .iter()
            .find(|e| {
                e.starts_with(
                    "7:1: alert[0].colour: unknown field `colour`, expected one of `name`, `kind`",
                )
            })
            .unwrap_or_else(|| panic!("{errors:#?}"));
        assert!(
            unknown.contains("`url`") && unknown.contains("`command`"),
            "{unknown}"
        );
        assert!(
            errors.contains(&format!(
                "7:10: alert[0].colour: not used by kind \"ntfy\"; {own}"
            )),
            "{errors:#?}"
        );
    }

    #[test]
    fn a_kind_checks_its_values() {
        let errors = load(
            "[[alert]]\nname = \"s\"\nkind = \"slack\"\nurl = \"https://h.example/x\"\nformat = \"html\"\n\
             [[alert]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"ftp://m\"\nroom = \"general\"\ntoken = \"t\"\n",
        )
        .unwrap_err();
        for expected in [
            "alert[0].format: \"html\" is not a format; use \"mrkdwn\" or \"blocks\"",
            "alert[1].homeserver: \"ftp://m\" is not an http:// or https:// URL",
            "alert[1].room: must be a room id",
        ] {
            assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{expected}: {errors:#?}"
            );
        }
    }

    #[test]
    fn story_is_first_by_default_and_refuses_what_is_not_a_choice() {
        let alerts = load(
            "[[alert]]\nname = \"a\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\n\
             [[alert]]\nname = \"b\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\nstory = \"every\"\n\
             [[alert]]\nname = \"c\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\nstory = \"update\"\n",
        )
        .expect("loads");
        let stories: Vec<StoryAlerts> = alerts.iter().map(|a| a.story).collect();
        assert_eq!(
            stories,
            [StoryAlerts::First, StoryAlerts::Every, StoryAlerts::Update]
        );

        let errors = load(
            "[[alert]]\nname = \"b\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/t\"\nstory = \"all\"\n",
        )
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e
                .contains("alert[0].story: \"all\" is not a choice; use \"first\"")
                && e.contains("\"update\"")
                && e.contains("\"every\"")),
            "{errors:#?}"
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("https://hooks.slack.com/services/T0/B0/XYZ");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let target = Target::Webhook(crate::alert::webhook::Webhook {
            url: s.clone(),
            secret: Some(Secret::new("hunter2")),
        });
        let shown = format!("{target:?}");
        assert!(
            !shown.contains("XYZ") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(target.secrets().len(), 2);
    }
}
