//! Microsoft Teams Workflows webhooks ("when a Teams webhook request is
//! received"): `POST` a message with one Adaptive Card attachment. The
//! workflow answers `202 Accepted` before it posts, so a card it fails on
//! later shows in the workflow's run history, not here.

use serde_json::{Value, json};

use super::markup::{markdown as esc, markdown_link, safe_url, truncate};
use super::message::{HitSummary, Message};
use super::kind::{Kind, Loader, UrlKeys};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, http};

/// Teams refuses messages of more than about 28 KB. A digest's lines take
/// at most this many bytes, which JSON's escaping of backslashes can double.
const DIGEST_BYTES: usize = 12_000;
/// A template's text, in characters: at most 12 KB even in three-byte scripts.
const TEMPLATE_CHARS: usize = 4000;
/// Room kept at the end of a digest for the "…and N more" block.
const MORE_BYTES: usize = 60;

/// A `kind = "teams"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Teams {
    /// The Workflows trigger URL (its `sig` parameter is the key).
    pub url: Secret,
}

impl Kind for Teams {
    const NAME: &'static str = "teams";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, loader: &mut impl Loader) -> Option<Teams> {
        keys.required(loader).map(|url| Teams { url })
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
    // The built-in layout is a list of blocks rather than one text, so an
    // empty text here means "no template" (or a template that failed).
    let custom = ctx.text(out, esc, |_| String::new());
    let body = if custom.is_empty() {
        layout(&out.message)
    } else {
        vec![text_block(truncate(&custom, TEMPLATE_CHARS))]
    };
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Message::One(h) = &out.message
        && let Some(u) = safe_url(h.url.as_deref())
    {
        card["actions"] = json!([
            {"type": "Action.OpenUrl", "title": "Open article", "url": u}
        ]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }]
    })
}

/// The built-in layout: the card's body blocks. TextBlocks and facts render
/// a Markdown subset, so feed text is escaped as Markdown.
fn layout(m: &Message) -> Vec<Value> {
    match m {
        Message::One(h) => hit_blocks(h),
        Message::Digest(_) => {
            let (listed, mut rest) = m.listed();
            let mut blocks = vec![heading(&format!(
                "{} (rate limit reached; folded into one message)",
                esc(&m.heading())
            ))];
            let mut used = 0;
            for (i, h) in listed.iter().enumerate() {
                let line = format!(
                    "{} — {} · {} · {:.1}",
                    markdown_link(h.url.as_deref(), &h.title),
                    esc(&h.feed),
                    esc(&h.language),
                    h.score
                );
                // Long URLs could push the card past Teams' size limit; a
                // hit that does not fit is counted with the rest instead.
                used += line.len();
                if used > DIGEST_BYTES - MORE_BYTES {
                    rest += listed.len() - i;
                    break;
                }
                blocks.push(text_block(line));
            }
            if rest > 0 {
                blocks.push(text_block(format!(
                    "…and {rest} more (newshound hits list)"
                )));
            }
            blocks
        }
    }
}

fn hit_blocks(h: &HitSummary) -> Vec<Value> {
    let topics = if h.topics.is_empty() {
        h.topic.clone()
    } else {
        h.topics.join(", ")
    };
    let mut facts = vec![
        fact("Feed", &h.feed),
        fact("Language", &h.language),
        fact("Topic", &topics),
        fact("Score", &format!("{:.1}", h.score)),
    ];
    if !h.terms.is_empty() {
        facts.push(fact("Matched", &h.terms.join(", ")));
    }
    let mut blocks = vec![
        heading(&markdown_link(h.url.as_deref(), &h.title)),
        json!({"type": "FactSet", "facts": facts}),
    ];
    if !h.snippet.is_empty() {
        blocks.push(text_block(esc(&h.snippet)));
    }
    blocks
}

fn heading(text: &str) -> Value {
    json!({
        "type": "TextBlock",
        "text": text,
        "weight": "Bolder",
        "size": "Medium",
        "wrap": true,
    })
}

fn text_block(text: String) -> Value {
    json!({"type": "TextBlock", "text": text, "wrap": true})
}

fn fact(title: &str, raw: &str) -> Value {
    // An empty value shows as a dangling title; a dash reads as "none".
    let value = if raw.trim().is_empty() {
        "—".to_string()
    } else {
        esc(raw)
    };
    json!({"title": title, "value": value})
}
