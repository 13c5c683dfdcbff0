//! Slack incoming webhooks: `POST` JSON with mrkdwn `text`, or Block Kit
//! `blocks` with `text` as the notification fallback. Slack answers `200 ok`;
//! `429` carries `Retry-After`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::kind::{Kind, Loader, webhook_url};
use super::layout::{self, Budget};
use super::markup::{Markup, Mrkdwn, truncate};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, http};

/// A section block's text may hold 3,000 characters; the same bound keeps
/// plain messages short enough to read.
const TEXT_CHARS: usize = 3000;

/// A `kind = "slack"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Slack {
    /// The incoming webhook's URL (it carries the token).
    pub url: Secret,
    /// Block Kit layout instead of one mrkdwn text.
    pub blocks: bool,
}

/// The keys of a `kind = "slack"` entry.
#[derive(Debug, Deserialize)]
pub struct SlackKeys {
    /// The incoming webhook's URL, usually `${SLACK_WEBHOOK_URL}`.
    url: Option<String>,
    /// A file holding the URL instead.
    url_file: Option<String>,
    /// `"mrkdwn"` (the default: one text) or `"blocks"` (Block Kit).
    format: Option<String>,
}

impl Kind for Slack {
    const NAME: &'static str = "slack";
    type Keys = SlackKeys;

    fn build(keys: SlackKeys, loader: &mut impl Loader) -> Option<Slack> {
        let blocks = match keys.format.as_deref() {
            None | Some("mrkdwn") => false,
            Some("blocks") => true,
            Some(other) => {
                loader.error(
                    "format",
                    format!("{other:?} is not a format; use \"mrkdwn\" or \"blocks\""),
                );
                false
            }
        };
        Some(Slack {
            url: webhook_url(loader, keys.url.as_deref(), keys.url_file.as_deref())?,
            blocks,
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.url]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        let body = payload(ctx, self.blocks, out);
        http::deliver(ctx.client.post(self.url.expose()).json(&body), ctx).await
    }
}

fn payload(ctx: &SendContext<'_>, blocks: bool, out: &Outgoing) -> Value {
    let built_in = |m: &_| layout::message::<Mrkdwn>(m, Budget::chars(TEXT_CHARS));
    let text = truncate(&ctx.text::<Mrkdwn>(out, built_in), TEXT_CHARS);
    let mut body = if blocks {
        json!({
            "text": Mrkdwn::text(&out.message.heading()),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {"type": "context", "elements": [
                    {"type": "mrkdwn", "text": "newshound"}
                ]}
            ]
        })
    } else {
        json!({ "text": text })
    };
    if let Some(name) = &ctx.spec.username {
        body["username"] = json!(name);
    }
    body
}
