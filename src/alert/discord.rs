//! Discord webhooks: `POST ?wait=true` JSON with one embed, no pings
//! (`allowed_mentions` parses nothing), and a template's text in `content`.
//! Discord answers `200` with the message; `429` carries `retry_after`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::markup::{markdown as esc, markdown_link, safe_url, truncate};
use super::message::{HitSummary, Message};
use super::kind::{Kind, Loader, UrlKeys};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, http};

/// Discord's own limits, in characters.
const CONTENT_CHARS: usize = 2000;
const TITLE_CHARS: usize = 256;
const DESCRIPTION_CHARS: usize = 4096;
const FIELD_VALUE_CHARS: usize = 1024;
/// Title, description, field names and values and footer together.
const EMBED_CHARS: usize = 6000;
const USERNAME_CHARS: usize = 80;
/// Room kept at the end of a digest's description for the "…and N more" line.
const MORE_CHARS: usize = 60;
const FOOTER: &str = "newshound";

/// A `kind = "discord"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Discord {
    /// The webhook's URL (it carries the token); `?thread_id=` is kept.
    pub url: Secret,
}

impl Kind for Discord {
    const NAME: &'static str = "discord";
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, loader: &mut impl Loader) -> Option<Discord> {
        keys.required(loader).map(|url| Discord { url })
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.url]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        let Some(endpoint) = with_wait(self.url.expose()) else {
            // The URL is not quoted: it holds the webhook's token.
            return Err(SendError::Permanent {
                reason: "the webhook URL is not a valid URL".into(),
            });
        };
        let body = payload(ctx, out);
        http::deliver(ctx.client.post(endpoint).json(&body), ctx.timeout).await
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

fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
    let mut body = json!({
        "embeds": [embed(&out.message)],
        // Nothing in an alert is meant to ping anyone, whatever slips through escaping.
        "allowed_mentions": {"parse": []},
    });
    // The built-in layout is the embed, so only a template yields text; the
    // embed stays either way to carry the facts and the link.
    let custom = ctx.text(out, esc, |_| String::new());
    if !custom.is_empty() {
        body["content"] = json!(truncate(&custom, CONTENT_CHARS));
    }
    if let Some(name) = &ctx.spec.username {
        body["username"] = json!(truncate(name, USERNAME_CHARS));
    }
    body
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
    let title = fit(&h.title, TITLE_CHARS, esc);
    let fields = [
        ("Feed", field_value(&h.feed)),
        ("Language", field_value(&h.language)),
        ("Topic", field_value(&h.topic_line())),
    ];
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
        text = format!(
            "**Matched:** {}",
            fit(&h.terms.join(", "), FIELD_VALUE_CHARS, esc)
        );
    }
    if !h.snippet.is_empty() {
        let room = budget.saturating_sub(chars(&text) + "\n> ".len());
        let snippet = fit(&h.snippet, room, esc);
        if !snippet.is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str("> ");
            text.push_str(&snippet);
        }
    }
    text
}

fn digest_embed(m: &Message) -> Value {
    let (listed, mut rest) = m.listed();
    let mut description = String::new();
    for (i, h) in listed.iter().enumerate() {
        let line = format!(
            "• {} — {} · {} · {:.1}",
            markdown_link(h.url.as_deref(), &h.title),
            esc(&h.feed),
            esc(&h.language),
            h.score
        );
        // Long URLs could overflow the description; what does not fit is counted instead.
        if chars(&description) + chars(&line) + 1 > DESCRIPTION_CHARS - MORE_CHARS {
            rest += listed.len() - i;
            break;
        }
        if !description.is_empty() {
            description.push('\n');
        }
        description.push_str(&line);
    }
    if rest > 0 {
        description.push_str(&format!("\n…and {rest} more (`newshound hits list`)"));
    }
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
        fit(raw, FIELD_VALUE_CHARS, esc)
    }
}

/// `raw` escaped with `escape`, in at most `max` characters. The raw text is
/// shortened before escaping, so that no escape is cut in half.
fn fit(raw: &str, max: usize, escape: fn(&str) -> String) -> String {
    let whole = escape(raw);
    if chars(&whole) <= max {
        return whole;
    }
    if max == 0 {
        return String::new();
    }
    // Escaping can double a text, so how much raw text fits is searched
    // for: the longest cut whose escaped form fits (a bare `…` always does).
    let (mut lo, mut hi) = (0, raw.chars().count());
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if chars(&escape(&truncate(raw, mid))) <= max {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    escape(&truncate(raw, lo))
}

fn chars(s: &str) -> usize {
    s.chars().count()
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
    fn fit_never_cuts_an_escape() {
        let out = fit(&"*".repeat(300), 256, esc);
        assert!(chars(&out) <= 256, "{}", chars(&out));
        assert!(out.ends_with('…'));
        assert!(out.trim_end_matches('…').ends_with("\\*"), "{out}");
        assert_eq!(fit("short", 256, esc), "short");
        assert_eq!(fit("anything", 0, esc), "");
    }
}
