//! Slack incoming webhooks: `POST` JSON with mrkdwn `text`, or Block Kit
//! `blocks` with `text` as the notification fallback. Slack answers `200 ok`;
//! `429` carries `Retry-After`.

use serde_json::{Value, json};

use super::markup::{safe_url, slack as esc, truncate};
use super::message::Message;
use super::{Accepted, Outgoing, SendContext, SendError, http};
use crate::config::Secret;

/// A section block's text may hold 3,000 characters; the same bound keeps
/// plain messages short enough to read.
const TEXT_CHARS: usize = 3000;

pub(super) async fn send(
    ctx: &SendContext<'_>,
    url: &Secret,
    blocks: bool,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let body = payload(ctx, blocks, out);
    http::deliver(ctx.client.post(url.expose()).json(&body), ctx.timeout).await
}

fn payload(ctx: &SendContext<'_>, blocks: bool, out: &Outgoing) -> Value {
    let text = truncate(&ctx.text(out, esc, layout), TEXT_CHARS);
    let mut body = if blocks {
        json!({
            "text": esc(&out.message.heading()),
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

fn link(url: Option<&str>, title: &str) -> String {
    match safe_url(url) {
        Some(u) => format!("<{u}|{}>", esc(title)),
        None => esc(title),
    }
}

/// The built-in layout, in mrkdwn.
pub(super) fn layout(m: &Message) -> String {
    match m {
        Message::One(h) => {
            let mut text = format!("*{}*\n{}", link(h.url.as_deref(), &h.title), h.facts(esc));
            if let Some(m) = h.matched(esc) {
                text.push_str(&format!("\n{m}"));
            }
            if !h.snippet.is_empty() {
                text.push_str(&format!("\n> {}", esc(&h.snippet)));
            }
            text
        }
        Message::Digest(_) => {
            let (listed, rest) = m.listed();
            let mut text = format!(
                "*{}* (rate limit reached; folded into one message)",
                esc(&m.heading())
            );
            for h in listed {
                text.push_str(&format!(
                    "\n• {} — {} · {} · {:.1}",
                    link(h.url.as_deref(), &h.title),
                    esc(&h.feed),
                    esc(&h.language),
                    h.score
                ));
            }
            if rest > 0 {
                text.push_str(&format!("\n…and {rest} more (`newshound hits list`)"));
            }
            text
        }
    }
}
