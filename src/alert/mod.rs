//! Alerts: what an alert is ([`spec`], and one file per kind, each owning
//! its settings, their checks and how it speaks to its service: see
//! [`kind`] and [`Target`]), which hits go where ([`route`]), what a
//! message says ([`message`], [`markup`], [`template`]; a story's
//! follow-ups: [`followup`]), and the durable
//! delivery from the store's outbox ([`plan`] decides, [`dispatch`] does).
//!
//! Invariants: an outbox entry leaves the store only after the service
//! accepted it (2xx, or exit 0 for `exec`); feed text reaches a message only
//! escaped for its markup, with mentions defused; no secret (webhook URL,
//! token, signing key) appears in a log line or a stored error. This module
//! does not read configuration files: `config` loads `[[alert]]` entries
//! and hands each kind its keys through `kind::Loader`.

pub mod dispatch;
pub mod followup;
pub mod kind;
pub mod layout;
pub mod markup;
pub mod message;
pub mod plan;
pub mod route;
pub mod spec;
pub mod template;

mod http;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::SharedClock;
use crate::model::Hit;
use kind::{Kind, Loader};

pub use dispatch::{Dispatcher, DrainReport};
pub use message::{HitSummary, Message, StoryUpdate};
pub use route::Router;
pub use spec::{AlertFilter, AlertSpec, DeliveryPolicy, Secret, StoryAlerts};

/// Declares the kinds: each `Variant(module)` is a file `module.rs` whose
/// `module::Variant` implements [`Kind`]. Everything that goes by kind (the
/// names `check` accepts, the keys of each, building, secrets, sending) is
/// generated from this one list.
macro_rules! kinds {
    ($($variant:ident($module:ident)),+ $(,)?) => {
        $(pub mod $module;)+

        /// Where an alert goes, with the settings its kind needs: one
        /// variant per kind, each owned by its module.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Target {
            $($variant($module::$variant),)+
        }

        impl Target {
            /// Every kind's name, in the order messages list them.
            pub const KINDS: &[&str] = &[$(<$module::$variant as Kind>::NAME),+];

            /// The `kind = "..."` of this target.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Target::$variant(_) => <$module::$variant as Kind>::NAME,)+
                }
            }

            /// The keys kind `name` reads besides the common ones, in the
            /// order its documentation lists them; `None` for no such kind.
            pub fn keys(name: &str) -> Option<&'static [&'static str]> {
                $(
                    if name == <$module::$variant as Kind>::NAME {
                        return Some(kind::key_names::<<$module::$variant as Kind>::Keys>());
                    }
                )+
                None
            }

            /// Builds a target of kind `name` from its keys, which `loader`
            /// provides; `None` when a problem was reported or no kind has that name.
            pub(crate) fn build(name: &str, loader: &mut impl Loader) -> Option<Target> {
                $(
                    if name == <$module::$variant as Kind>::NAME {
                        let keys = loader.keys::<<$module::$variant as Kind>::Keys>()?;
                        return <$module::$variant as Kind>::build(keys, loader).map(Target::$variant);
                    }
                )+
                None
            }

            /// Every secret of the target, so that error texts can be scrubbed of them.
            pub fn secrets(&self) -> Vec<&Secret> {
                match self {
                    $(Target::$variant(t) => t.secrets(),)+
                }
            }

            async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
                match self {
                    $(Target::$variant(t) => t.send(ctx, out).await,)+
                }
            }
        }
    };
}

kinds! {
    Slack(slack),
    Discord(discord),
    Mattermost(mattermost),
    Teams(teams),
    Matrix(matrix),
    Telegram(telegram),
    Ntfy(ntfy),
    Webhook(webhook),
    Exec(exec),
}

/// Why a delivery did not go through.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again (a timeout, a connection error, 408, 429, 5xx);
    /// `after` is how long the service asked us to wait, when it said.
    #[error("{reason}")]
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The service refused the message (another 4xx); retrying cannot help.
    #[error("{reason}")]
    Permanent { reason: String },
}

impl SendError {
    pub fn reason(&self) -> &str {
        match self {
            SendError::Retry { reason, .. } | SendError::Permanent { reason } => reason,
        }
    }

    fn map_reason(self, f: impl FnOnce(String) -> String) -> SendError {
        match self {
            SendError::Retry { reason, after } => SendError::Retry {
                reason: f(reason),
                after,
            },
            SendError::Permanent { reason } => SendError::Permanent { reason: f(reason) },
        }
    }
}

/// What the service answered when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// `HTTP 200 OK`, `exit 0`: for `alerts test` and the debug log.
    pub answer: String,
    /// The service's id of the message it posted, where a later message
    /// can reply to it or edit it (a Matrix event id, a Telegram message
    /// id, a Discord message id).
    pub message_ref: Option<String>,
}

impl Accepted {
    pub fn new(answer: impl Into<String>) -> Accepted {
        Accepted {
            answer: answer.into(),
            message_ref: None,
        }
    }

    /// The same answer, naming the message the service posted.
    pub fn with_ref(self, message_ref: Option<String>) -> Accepted {
        Accepted {
            message_ref,
            ..self
        }
    }
}

/// Why the message is sent: a stored hit, a later member of a story
/// already alerted on (`story = "update"`), a digest, or `alerts test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Hit,
    Update,
    Digest,
    Test,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Hit => "hit",
            Event::Update => "update",
            Event::Digest => "digest",
            Event::Test => "test",
        }
    }
}

/// One message on its way to one alert's service.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Stable across retries: receivers can use it to drop a duplicate, and
    /// Matrix's transaction id is built from it.
    pub delivery_id: String,
    pub event: Event,
    pub message: Message,
    /// The full hits, for the kinds that send data rather than text (webhook, exec).
    pub hits: Vec<Hit>,
}

/// A configured alert, ready to send.
#[derive(Clone)]
pub struct Sink {
    pub spec: AlertSpec,
    client: reqwest::Client,
    /// "Now" for what a message says about time and what a service's
    /// `Retry-After` date means.
    clock: SharedClock,
}

impl Sink {
    pub fn new(spec: AlertSpec, client: reqwest::Client) -> Sink {
        Sink {
            spec,
            client,
            clock: crate::clock::system(),
        }
    }

    /// The sink on `clock` (the service passes its own; tests a manual one).
    pub fn with_clock(self, clock: SharedClock) -> Sink {
        Sink { clock, ..self }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Sends one message now. Errors never contain a secret of this alert.
    pub async fn send(&self, out: &Outgoing) -> Result<Accepted, SendError> {
        let ctx = SendContext {
            spec: &self.spec,
            client: &self.client,
            timeout: self.spec.delivery.timeout,
            now: self.clock.now(),
        };
        let result = self.spec.target.send(&ctx, out).await;
        result.map_err(|e| e.map_reason(|r| self.redact(&r)))
    }

    /// `text` with every secret of this alert replaced by `***` (a service
    /// may echo the URL or token in an error body, whole or in part).
    pub fn redact(&self, text: &str) -> String {
        let mut fragments: Vec<String> = Vec::new();
        for secret in self.spec.target.secrets() {
            fragments.extend(secret_fragments(secret.expose()));
        }
        // Longest first, so that a whole URL goes before its parts.
        fragments.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let mut out = text.to_string();
        for f in fragments {
            out = out.replace(&f, "***");
        }
        out
    }
}

/// The pieces of a secret that would give it away: the whole value and, for
/// a URL, its path and query and each long path segment or query value
/// (webhook URLs carry their token there, and error bodies quote paths).
fn secret_fragments(value: &str) -> Vec<String> {
    /// Shorter pieces (`api`, `v3`, `hooks`) are common words, not secrets.
    const MIN: usize = 6;
    let mut out = vec![value.to_string()];
    if let Ok(u) = url::Url::parse(value) {
        out.push(u.path().to_string());
        out.extend(u.query().map(str::to_string));
        out.extend(u.path().split('/').map(str::to_string));
        out.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
        if let Some(p) = u.password() {
            out.push(p.to_string());
        }
    }
    out.retain(|f| f.len() >= MIN || (f == value && !f.is_empty()));
    out.dedup();
    out
}

/// What a sink needs besides its own target fields.
pub(crate) struct SendContext<'a> {
    pub spec: &'a AlertSpec,
    pub client: &'a reqwest::Client,
    pub timeout: Duration,
    /// When the send started, by the service's clock.
    pub now: DateTime<Utc>,
}

impl SendContext<'_> {
    /// The message text: the alert's template for a single hit when it has
    /// one, else `layout`. A template that fails at delivery (it passed
    /// `check`, so this is rare) falls back to the layout rather than
    /// losing the alert.
    pub fn text<M: markup::Markup>(
        &self,
        out: &Outgoing,
        layout: impl FnOnce(&Message) -> String,
    ) -> String {
        if let (Some(source), Message::One(hit)) = (&self.spec.template, &out.message) {
            match template::render(source, hit, &self.spec.name, M::text) {
                Ok(text) if !text.is_empty() => return text,
                Ok(_) => {
                    tracing::warn!(alert = %self.spec.name, "template rendered nothing; using the built-in layout")
                }
                Err(e) => {
                    tracing::warn!(alert = %self.spec.name, "{e}; using the built-in layout")
                }
            }
        }
        layout(&out.message)
    }
}

/// The HTTP client alerts are sent with: our user agent, a few redirects.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(crate::USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(3))
        .connect_timeout(Duration::from_secs(10))
        .build()
}
