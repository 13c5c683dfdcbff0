//! Mattermost incoming webhooks: `POST` JSON with Markdown `text` (and
//! `username`, which the server honours only when integrations may override
//! it). Mattermost answers `200 ok`.

use serde_json::{Value, json};

use super::layout::{self, Budget};
use super::markup::{Markdown, truncate};
use super::kind::{UrlOnly, UrlService};
use super::{Outgoing, SendContext};

/// Mattermost takes 16,383 characters; a quarter of that is already more
/// than an alert should take up in a channel.
const TEXT_CHARS: usize = 4000;

/// A `kind = "mattermost"` alert: the incoming webhook's URL (it carries
/// the key).
pub type Mattermost = UrlOnly<IncomingWebhook>;

/// Mattermost's incoming webhooks.
pub struct IncomingWebhook;

impl UrlService for IncomingWebhook {
    const NAME: &'static str = "mattermost";

    fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
        let built_in = |m: &_| layout::message::<Markdown>(m, Budget::chars(TEXT_CHARS));
        let text = truncate(&ctx.text::<Markdown>(out, built_in), TEXT_CHARS);
        let mut body = json!({ "text": text });
        if let Some(name) = &ctx.spec.username {
            body["username"] = json!(name);
        }
        body
    }
}

