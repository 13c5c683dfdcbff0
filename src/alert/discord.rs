//! Discord webhooks: `POST ?wait=true` JSON with one embed, no pings
//! (`allowed_mentions` parses nothing), and a template's text in `content`.
//! Discord answers `200` with the message (its `id` is kept); `429`
//! carries `retry_after`.
//!
//! A story's follow-up (`story = "update"`) edits the first message
//! (`PATCH …/messages/{id}`): webhooks cannot reply, and an edit keeps one
//! message per story in the channel. The edit sends the first hit's embed
//! again with a second embed of the story so far (a template's `content` is
//! left as it was); it is the same request on every retry, and each edit
//! holds everything the earlier ones did. When the first message is gone
//! (`404`), or has no id, the follow-up is a message of its own.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::layout::{self, Budget, fit};
use super::markup::{Markdown, Markup, safe_url, truncate};
use super::message::{HitSummary, Message, StoryUpdate};
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
        with_wait(url.expose()).ok_or_else(invalid_url)
    }

    fn requests(
        ctx: &SendContext<'_>,
        url: &Secret,
        out: &Outgoing,
    ) -> Result<Vec<reqwest::RequestBuilder>, SendError> {
        let post = ctx
            .client
            .post(Self::endpoint(url)?)
            .json(&Self::payload(ctx, out));
        let Message::Update(u) = &out.message else {
            return Ok(vec![post]);
        };
        let (Some(id), Some(first)) = (&u.reply_to, &u.first) else {
            return Ok(vec![post]);
        };
        let edit_url = message_url(url.expose(), id).ok_or_else(invalid_url)?;
        let edit = json!({
            "embeds": [hit_embed(first, EMBED_CHARS - STORY_EMBED_CHARS), story_embed(u)],
            "allowed_mentions": {"parse": []},
        });
        Ok(vec![ctx.client.patch(edit_url).json(&edit), post])
    }

    fn message_ref(body: &str) -> Option<String> {
        let v: Value = serde_json::from_str(body).ok()?;
        v.get("id")?.as_str().map(str::to_string)
    }
}

fn invalid_url() -> SendError {
    SendError::Permanent {
        // The URL is not quoted: it holds the webhook's token.
        reason: "the webhook URL is not a valid URL".into(),
    }
}

/// `…/webhooks/{id}/{token}/messages/{message}`, keeping `thread_id` (a
/// message in a thread is edited through it) and dropping `wait`.
fn message_url(url: &str, message: &str) -> Option<url::Url> {
    let mut u = url::Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k == "thread_id")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .push("messages")
        .push(message);
    u.set_query(None);
    if !kept.is_empty() {
        u.query_pairs_mut().extend_pairs(kept);
    }
    Some(u)
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

/// What the story embed of an edit may take of [`EMBED_CHARS`].
const STORY_EMBED_CHARS: usize = 1200;

/// The built-in layout: one embed.
fn embed(m: &Message) -> Value {
    match m {
        Message::One(h) => hit_embed(h, EMBED_CHARS),
        Message::Update(u) => update_embed(u),
        Message::Digest(_) => digest_embed(m),
    }
}

/// The story so far, under the first message's embed in an edit: the
/// tally and the newest member.
fn story_embed(u: &StoryUpdate) -> Value {
    let tally = layout::update_details::<Markdown>(u);
    let latest = |title: String| format!("{} {title}\n{tally}", Markdown::bold("Latest:"));
    let mut description = latest(layout::link::<Markdown>(u.hit.url.as_deref(), &u.hit.title));
    if description.chars().count() > STORY_EMBED_CHARS - 100 {
        // Only a monstrous URL gets here: the title without its link.
        description = latest(Markdown::text(&u.hit.title));
    }
    json!({
        "title": "Story so far",
        "description": truncate(&description, STORY_EMBED_CHARS - 100),
        "footer": {"text": FOOTER},
        "timestamp": timestamp(u.hit.published),
    })
}

/// A follow-up that is a message of its own: the new member, the tally
/// and the story it follows.
fn update_embed(u: &StoryUpdate) -> Value {
    const LABEL: &str = "Story update: ";
    let title = format!(
        "{LABEL}{}",
        fit::<Markdown>(&u.hit.title, Budget::chars(TITLE_CHARS - LABEL.len()))
    );
    let mut description = layout::update_details::<Markdown>(u);
    if let Some(first) = &u.first {
        description.push_str(&format!("\nFollows: {}", fit::<Markdown>(&first.title, Budget::chars(300))));
    }
    let mut e = json!({
        "title": title,
        "description": truncate(&description, DESCRIPTION_CHARS),
        "footer": {"text": FOOTER},
        "timestamp": timestamp(u.hit.published),
    });
    if let Some(link) = safe_url(u.hit.url.as_deref()) {
        e["url"] = json!(link);
    }
    e
}

/// One hit's embed, all of it within `total` characters.
fn hit_embed(h: &HitSummary, total: usize) -> Value {
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
    let description = describe(h, DESCRIPTION_CHARS.min(total.saturating_sub(used)));

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

    #[test]
    fn an_edit_goes_to_the_message_below_the_webhook_and_keeps_its_thread() {
        let u = message_url("https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true", "77")
            .expect("parses");
        assert_eq!(
            u.as_str(),
            "https://discord.com/api/webhooks/1/tok/messages/77?thread_id=9"
        );
        let u = message_url("https://discord.com/api/webhooks/1/tok/", "77").expect("parses");
        assert_eq!(u.as_str(), "https://discord.com/api/webhooks/1/tok/messages/77");
    }
}
