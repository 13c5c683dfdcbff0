//! Mattermost incoming webhooks: `POST` JSON with Markdown `text` (and
//! `username`, which the server honours only when integrations may override
//! it). Mattermost answers `200 ok`.

use serde_json::{Value, json};

use super::markup::{markdown as esc, markdown_link, truncate};
use super::message::Message;
use super::kind::{Kind, Loader, UrlKeys};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, http};

/// Mattermost takes 16,383 characters; a quarter of that is already more
/// than an alert should take up in a channel.
const TEXT_CHARS: usize = 4000;
/// Room kept at the end of a digest for the "…and N more" line.
const MORE_CHARS: usize = 60;

/// A `kind = "mattermost"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Mattermost {
    /// The incoming webhook's URL (it carries the key).
    pub url: Secret,
}

impl Kind for Mattermost {
    const NAME: &'static str = "mattermost";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, loader: &mut impl Loader) -> Option<Mattermost> {
        keys.required(loader).map(|url| Mattermost { url })
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.url]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        let body = payload(ctx, out);
        http::deliver(ctx.client.post(self.url.expose()).json(&body), ctx.timeout).await
    }
}

fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
    let text = truncate(&ctx.text(out, esc, layout), TEXT_CHARS);
    let mut body = json!({ "text": text });
    if let Some(name) = &ctx.spec.username {
        body["username"] = json!(name);
    }
    body
}

/// The built-in layout, in Markdown.
pub(super) fn layout(m: &Message) -> String {
    match m {
        Message::One(h) => {
            let mut text = format!(
                "**{}**\n{}",
                markdown_link(h.url.as_deref(), &h.title),
                h.facts(esc)
            );
            if let Some(m) = h.matched(esc) {
                text.push_str(&format!("\n{m}"));
            }
            if !h.snippet.is_empty() {
                text.push_str(&format!("\n> {}", esc(&h.snippet)));
            }
            text
        }
        Message::Digest(_) => {
            let (listed, mut rest) = m.listed();
            let mut text = format!(
                "**{}** (rate limit reached; folded into one message)",
                esc(&m.heading())
            );
            for (i, h) in listed.iter().enumerate() {
                let line = format!(
                    "\n- {} — {} · {} · {:.1}",
                    markdown_link(h.url.as_deref(), &h.title),
                    esc(&h.feed),
                    esc(&h.language),
                    h.score
                );
                // Cutting the text later could split a link; a hit that does
                // not fit is counted with the rest instead.
                if text.chars().count() + line.chars().count() > TEXT_CHARS - MORE_CHARS {
                    rest += listed.len() - i;
                    break;
                }
                text.push_str(&line);
            }
            if rest > 0 {
                text.push_str(&format!("\n\n…and {rest} more (`newshound hits list`)"));
            }
            text
        }
    }
}
