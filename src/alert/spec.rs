//! One configured alert, as the loader hands it over: its name, filters,
//! delivery policy and [`Target`], the per-kind settings its sink owns.

use std::fmt;
use std::time::Duration;

use super::Target;

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

/// One validated `[[alert]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSpec {
    /// Line of the `[[alert]]` table in its file (0 when built in code), for messages.
    pub line: usize,
    pub name: String,
    pub enabled: bool,
    pub filter: AlertFilter,
    /// A minijinja template for the message text; the built-in layout when absent.
    pub template: Option<String>,
    /// At most this many messages a minute; more hits are folded into a digest.
    pub rate_limit: Option<u32>,
    /// Shown as the sender where the service allows it (Slack, Mattermost, Discord).
    pub username: Option<String>,
    pub delivery: DeliveryPolicy,
    /// Which hits of a story this alert sends.
    pub story: StoryAlerts,
    pub target: Target,
}

/// `story = "first" | "update" | "every"`: whether an alert sends only the
/// first hit of each story (later copies, rewrites and translations of it
/// stay in the store and in `hits list --stories`), the first hit and then
/// a follow-up on its message for each later one, or every hit alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StoryAlerts {
    #[default]
    First,
    /// Later members follow up on the first message: a reply or an edit
    /// where the service allows it, else a short message of their own.
    Update,
    Every,
}

impl StoryAlerts {
    pub const VALUES: [&'static str; 3] = ["first", "update", "every"];

    pub fn parse(value: &str) -> Option<StoryAlerts> {
        match value {
            "first" => Some(StoryAlerts::First),
            "update" => Some(StoryAlerts::Update),
            "every" => Some(StoryAlerts::Every),
            _ => None,
        }
    }
}

impl AlertSpec {
    /// The `kind` the entry names (`slack`, `matrix`, ...).
    pub fn kind(&self) -> &'static str {
        self.target.kind()
    }
}
