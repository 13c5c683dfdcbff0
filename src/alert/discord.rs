//! Discord webhooks: `POST ?wait=true` JSON with one embed, no pings
//! (`allowed_mentions` parses nothing), and a template's text in `content`.
//! Discord answers `200` with the message; `429` carries `retry_after`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::layout::{self, Budget, fit};
use super::markup::{Markdown, Markup, safe_url, truncate};
use super::message::{HitSummary, Message};
use super::kind::{UrlOnly, UrlService};
use super::{Outgoing, SendContext, SendError, Secret};

/// Discord's own limits, in characters.
const CONTENT_CHARS: usize = 2000;
const TITLE_CHARS: usize = 256;
const DESCRIPTION_CHARS: usize = 4096;
const FIELD_VALUE_CHARS: usize = 1024;
/// Title, description, field names and values and footer together.
const EMBED_CHARS: usize = 6000;
const USERNAME_CHARS: usize = 80;
const FOOTER: &str = "newshound";

/// A `kind = "discord"` alert: the webhook's URL (it carries the token;
/// `?thread_id=` is kept).
pub type Discord = UrlOnly<Webhook>;

/// Discord's webhooks.
pub struct Webhook;

impl UrlService for Webhook {
    const NAME: &'static str = "discord";

    fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
        let mut body = json!({
            "embeds": [embed(&out.message)],
            // Nothing in an alert is meant to ping anyone, whatever slips through escaping.
            "allowed_mentions": {"parse": []},
        });
        // The built-in layout is the embed, so only a template yields text; the
        // embed stays either way to carry the facts and the link.
        let custom = ctx.text::<Markdown>(out, |_| String::new());
        if !custom.is_empty() {
            body["content"] = json!(truncate(&custom, CONTENT_CHARS));
        }
        if let Some(name) = &ctx.spec.username {
            body["username"] = json!(truncate(name, USERNAME_CHARS));
        }
        body
    }

    fn endpoint(url: &Secret) -> Result<url::Url, SendError> {
        with_wait(url.expose()).ok_or_else(|| SendError::Permanent {
            // The URL is not quoted: it holds the webhook's token.
            reason: "the webhook URL is not a valid URL".into(),
        })
    }
}

/// The webhook URL with `wait=true`: without it Discord answers `204` before
/// the message is saved, and a message it then drops reports no error.
/// Other parameters (`thread_id`) are kept.
fn with_wait(url: &str) -> Option<url::Url> {
    let mut u = url::Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "wait")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("wait", "true");
    Some(u)
}

/// The built-in layout: one embed.
fn embed(m: &Message) -> Value {
    match m {
        Message::One(h) => hit_embed(h),
        Message::Digest(_) => digest_embed(m),
    }
}

fn hit_embed(h: &HitSummary) -> Value {
    // Discord renders a subset of markdown in embed titles, so the title is
    // escaped like the rest rather than sent as plain text.
    let title = fit::<Markdown>(&h.title, Budget::chars(TITLE_CHARS));
    let fields = [
        ("Feed", field_value(&h.feed)),
        ("Language", field_value(&h.language)),
        ("Topic", field_value(&h.topic_line())),
    ];
    let chars = |s: &str| s.chars().count();
    let used = chars(&title)
        + chars(FOOTER)
        + fields
            .iter()
            .map(|(name, value)| chars(name) + chars(value))
            .sum::<usize>();
    let description = describe(h, DESCRIPTION_CHARS.min(EMBED_CHARS.saturating_sub(used)));

    let mut e = json!({
        "title": title,
        "fields": fields
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value, "inline": true}))
            .collect::<Vec<_>>(),
        "footer": {"text": FOOTER},
        "timestamp": timestamp(h.published),
    });
    if let Some(u) = safe_url(h.url.as_deref()) {
        e["url"] = json!(u);
    }
    // Discord refuses an empty description rather than ignoring it.
    if !description.is_empty() {
        e["description"] = json!(description);
    }
    e
}

/// Matched terms and the snippet, within `budget` characters.
fn describe(h: &HitSummary, budget: usize) -> String {
    let mut text = String::new();
    if !h.terms.is_empty() {
        let terms = fit::<Markdown>(&h.terms.join(", "), Budget::chars(FIELD_VALUE_CHARS));
        text = format!("{} {terms}", Markdown::bold("Matched:"));
    }
    text += &layout::snippet::<Markdown>(h, Budget::chars(budget).after(&text));
    // Without a matched line the quote is the first line.
    text.trim_start_matches('\n').to_string()
}

fn digest_embed(m: &Message) -> Value {
    let description = layout::digest_body::<Markdown>(m, Budget::chars(DESCRIPTION_CHARS));
    let mut e = json!({
        "title": m.heading(),
        "description": description,
        "footer": {"text": FOOTER},
    });
    if let Some(newest) = m.hits().iter().map(|h| h.published).max() {
        e["timestamp"] = json!(timestamp(newest));
    }
    e
}

/// Discord refuses an empty field value.
fn field_value(raw: &str) -> String {
    if raw.trim().is_empty() {
        "—".to_string()
    } else {
        fit::<Markdown>(raw, Budget::chars(FIELD_VALUE_CHARS))
    }
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_is_added_once_and_other_parameters_kept() {
        let u = with_wait("https://discord.com/api/webhooks/1/tok").expect("parses");
        assert_eq!(u.query(), Some("wait=true"));
        let u = with_wait("https://discord.com/api/webhooks/1/tok?thread_id=9&wait=false")
            .expect("parses");
        assert_eq!(u.query(), Some("thread_id=9&wait=true"));
        assert!(with_wait("not a url").is_none());
    }
}
