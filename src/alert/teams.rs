//! Microsoft Teams Workflows webhooks ("when a Teams webhook request is
//! received"): `POST` a message with one Adaptive Card attachment. The
//! workflow answers `202 Accepted` before it posts, so a card it fails on
//! later shows in the workflow's run history, not here.

use serde_json::{Value, json};

use super::layout::{self, Budget, DIGEST_NOTE};
use super::markup::{Markup, TeamsMarkdown, safe_url, truncate};
use super::message::{HitSummary, Message};
use super::kind::{UrlOnly, UrlService};
use super::{Outgoing, SendContext};

/// Teams refuses messages of more than about 28 KB. A digest's lines take
/// at most this many bytes, which JSON's escaping of backslashes can double.
const DIGEST_BYTES: usize = 12_000;
/// A template's text, in characters: at most 12 KB even in three-byte scripts.
const TEMPLATE_CHARS: usize = 4000;

/// A `kind = "teams"` alert: the Workflows trigger URL (its `sig`
/// parameter is the key).
pub type Teams = UrlOnly<WorkflowTrigger>;

/// A Teams Workflows webhook trigger.
pub struct WorkflowTrigger;

impl UrlService for WorkflowTrigger {
    const NAME: &'static str = "teams";

    fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
        // The built-in layout is a list of blocks rather than one text, so an
        // empty text here means "no template" (or a template that failed).
        let custom = ctx.text::<TeamsMarkdown>(out, |_| String::new());
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
        let article = match &out.message {
            Message::One(h) => Some(h.as_ref()),
            Message::Update(u) => Some(&u.hit),
            Message::Digest(_) => None,
        };
        if let Some(h) = article
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
}


/// The built-in layout: the card's body blocks, one per line of the
/// layout. TextBlocks and facts render a Markdown subset, so feed text is
/// escaped as Teams reads it.
fn layout(m: &Message) -> Vec<Value> {
    match m {
        Message::One(h) => hit_blocks(h),
        Message::Update(u) => {
            // A short card of its own: Workflows can neither reply to nor edit a card.
            let title = layout::link::<TeamsMarkdown>(u.hit.url.as_deref(), &u.hit.title);
            let mut blocks = vec![
                heading(&format!("Story update: {title}")),
                text_block(u.tally()),
                text_block(u.hit.facts(TeamsMarkdown::text)),
            ];
            if let Some(first) = &u.first {
                blocks.push(text_block(format!(
                    "Follows: {}",
                    TeamsMarkdown::text(&first.title)
                )));
            }
            blocks
        }
        Message::Digest(_) => {
            let heading_text = TeamsMarkdown::text(&m.heading());
            let (lines, more) =
                layout::digest_lines::<TeamsMarkdown>(m, Budget::bytes(DIGEST_BYTES));
            let mut blocks = vec![heading(&heading_text), text_block(DIGEST_NOTE.into())];
            blocks.extend(lines.into_iter().map(text_block));
            blocks.extend(more.map(text_block));
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
        heading(&layout::link::<TeamsMarkdown>(h.url.as_deref(), &h.title)),
        json!({"type": "FactSet", "facts": facts}),
    ];
    if !h.snippet.is_empty() {
        blocks.push(text_block(TeamsMarkdown::text(&h.snippet)));
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
        TeamsMarkdown::text(raw)
    };
    json!({"title": title, "value": value})
}
