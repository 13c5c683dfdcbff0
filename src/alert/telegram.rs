//! Telegram Bot API: `POST {api_url}/bot{token}/sendMessage` with JSON
//! `chat_id` (a number, or `"@channelname"`), `text` in HTML parse mode and
//! link previews off.
//!
//! HTML mode knows only a few tags (`<b>`, `<i>`, `<a href>`, `<code>`,
//! `<pre>`, `<blockquote>` among them) and rejects the whole message for an
//! unknown or unclosed one, so every piece of feed text goes through
//! [`markup::html`](super::markup::html) and the layout writes the tags.
//! A text may hold 4,096 characters after entity parsing; we stay under
//! `TEXT_UNITS` counting the markup too, so no message is refused for length.
//!
//! Telegram answers `{"ok": true, "result": {...}}`; a refusal is
//! `{"ok": false, "error_code": N, "description": "...", "parameters":
//! {"retry_after": S}}`, usually with the same HTTP status, but `ok` is
//! what counts: a `200` that says `"ok": false` did not deliver.
//!
//! A story's follow-up (`story = "update"`) replies to the first message
//! (`reply_parameters`, with the `message_id` of `sendMessage`'s result).
//!
//! The token is part of the URL path. Errors never quote the URL, and
//! [`super::Sink::send`] scrubs it from a description that echoes it.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::layout::{self, Budget};
use super::markup::{Html, truncate};
use super::kind::{Kind, Loader, plain_url};
use super::{Accepted, Message, Outgoing, SendContext, SendError, Secret, http};

/// Our bound on a message, in UTF-16 code units (how Telegram counts), with
/// markup: well under the 4,096 Telegram allows for the parsed text.
const TEXT_UNITS: usize = 4000;

/// Where the Bot API is unless `api_url` says otherwise.
const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// A `kind = "telegram"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Telegram {
    /// The Bot API's base URL (a local Bot API server or a proxy may have a path).
    pub api_url: url::Url,
    /// The bot's token.
    pub token: Secret,
    /// A chat id (`-1001234567890`) or a public channel's name (`@channelname`).
    pub chat_id: String,
}

/// The keys of a `kind = "telegram"` entry.
#[derive(Debug, Deserialize)]
pub struct TelegramKeys {
    /// The bot's token, usually `${TELEGRAM_BOT_TOKEN}`.
    token: Option<String>,
    /// A file holding the token instead.
    token_file: Option<String>,
    /// The chat: a number, or `"@channelname"`.
    chat_id: Option<ChatId>,
    /// The Bot API's base URL; `https://api.telegram.org` when absent.
    api_url: Option<String>,
}

/// A chat id as the file may write it: a string, or a whole number without quotes.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ChatId {
    String(String),
    Int(i64),
}

impl Kind for Telegram {
    const NAME: &'static str = "telegram";
    type Keys = TelegramKeys;

    fn build(keys: TelegramKeys, loader: &mut impl Loader) -> Option<Telegram> {
        let api_url = match keys.api_url.as_deref() {
            None => url::Url::parse(DEFAULT_API_URL).ok(),
            Some(u) => plain_url(loader, "api_url", Some(u)),
        };
        let chat_id = match keys.chat_id {
            Some(ChatId::Int(n)) => Some(n.to_string()),
            Some(ChatId::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                loader.error(
                    "chat_id",
                    "is required for kind \"telegram\": a chat id such as -1001234567890 or \"@channelname\"".into(),
                );
                None
            }
        };
        let token = loader.secret("token", keys.token.as_deref(), keys.token_file.as_deref(), true);
        Some(Telegram {
            api_url: api_url?,
            token: token??,
            chat_id: chat_id?,
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.token]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        let url = method_url(&self.api_url, &self.token, "sendMessage")?;
        let built_in = |m: &_| layout::message::<Html>(m, Budget::utf16(TEXT_UNITS));
        let text = clip(&ctx.text::<Html>(out, built_in), TEXT_UNITS);
        let mut body = payload(&self.chat_id, &text);
        if let Message::Update(u) = &out.message
            && let Some(id) = u.reply_to.as_deref().and_then(|r| r.parse::<i64>().ok())
        {
            // A reply to the story's first message; should that message
            // have been deleted, the follow-up still goes, as a message of its own.
            body["reply_parameters"] =
                json!({"message_id": id, "allow_sending_without_reply": true});
        }
        let answer = http::send(ctx.client.post(url).json(&body), ctx).await?;
        judge(answer)
    }
}

/// `{api_url}/bot{token}/{method}`, keeping any path the API URL has (a
/// local Bot API server or a proxy may live under one).
fn method_url(api_url: &url::Url, token: &Secret, method: &str) -> Result<url::Url, SendError> {
    let mut url = api_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        // Only `data:`-like URLs cannot take a path; the configuration
        // accepts http(s) only, so this is a guard rather than a case.
        let Ok(mut segments) = url.path_segments_mut() else {
            return Err(SendError::Permanent {
                reason: "api_url cannot take a path".into(),
            });
        };
        segments
            .pop_if_empty()
            .push(&format!("bot{}", token.expose()))
            .push(method);
    }
    Ok(url)
}

fn payload(chat_id: &str, text: &str) -> Value {
    // The API types `chat_id` as "Integer or String": ids of users, groups
    // and `-100…` channels are numbers, only public names (`@name`) strings.
    let chat_id = match chat_id.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(chat_id),
    };
    json!({
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": true},
    })
}

/// Reads Telegram's `ok`/`error_code`/`description` rather than the status
/// alone: a proxy or an old Bot API server may answer `200` with `"ok": false`.
fn judge(answer: http::Answer) -> Result<Accepted, SendError> {
    let parsed: Option<Value> = serde_json::from_str(&answer.body).ok();
    let Some(v) = parsed.filter(|v| v.get("ok").is_some_and(Value::is_boolean)) else {
        if answer.status.is_success() {
            // Something answered 200 without speaking the Bot API (a wrong
            // api_url behind a catch-all page): the message did not go.
            return Err(SendError::Permanent {
                reason: format!(
                    "HTTP {}, but the answer is not the Bot API's JSON (check api_url)",
                    answer.status
                ),
            });
        }
        return http::judge(answer);
    };
    if v["ok"].as_bool() == Some(true) {
        let mut accepted = format!("HTTP {}", answer.status);
        let id = v.pointer("/result/message_id").and_then(Value::as_i64);
        if let Some(id) = id {
            accepted.push_str(&format!(", message {id}"));
        }
        return Ok(Accepted::new(accepted).with_ref(id.map(|id| id.to_string())));
    }
    let code = v
        .get("error_code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .unwrap_or(if answer.status.is_success() {
            StatusCode::BAD_REQUEST
        } else {
            answer.status
        });
    let description = v
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("no description");
    let reason = format!(
        "Telegram error {}: {}",
        code.as_u16(),
        truncate(description, 300)
    );
    if http::is_retryable(code) {
        Err(SendError::Retry {
            reason,
            after: answer.retry_after,
        })
    } else {
        Err(SendError::Permanent { reason })
    }
}

/// How Telegram measures text.
fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// One piece of HTML text: a tag, an entity, or a character.
enum Piece<'a> {
    Open(&'a str, &'a str),
    Close(&'a str),
    Text(&'a str),
}

/// Splits `text` into pieces that must not be cut. A `<` without a closing
/// `>` or an `&` that starts no entity is a character of its own.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let len = match c {
            '<' => rest.find('>').map(|end| end + 1),
            '&' => rest
                .char_indices()
                .skip(1)
                .take(10)
                .find(|(_, ch)| !(ch.is_ascii_alphanumeric() || *ch == '#'))
                .filter(|(_, ch)| *ch == ';')
                .map(|(end, _)| end + 1),
            _ => None,
        };
        let (piece, n) = match (c, len) {
            ('<', Some(n)) => {
                let tag = &rest[..n];
                let inner = &tag[1..n - 1];
                let piece = match inner.strip_prefix('/') {
                    Some(name) => Piece::Close(name.trim()),
                    None => Piece::Open(inner.split_whitespace().next().unwrap_or(""), tag),
                };
                (piece, n)
            }
            (_, Some(n)) => (Piece::Text(&rest[..n]), n),
            (_, None) => (Piece::Text(&rest[..c.len_utf8()]), c.len_utf8()),
        };
        i += n;
        out.push(piece);
    }
    out
}

/// `text` cut to `max` UTF-16 units if longer: never inside a tag or an
/// entity, with `…` where it was cut and every tag still open closed, so
/// that Telegram can parse what is left. The last resort for a user
/// template; the built-in layout keeps within the limit by itself.
fn clip(text: &str, max: usize) -> String {
    if units(text) <= max {
        return text.to_string();
    }
    // Each open tag will need `</name>`: its length is reserved as it opens.
    let mut reserved = 0;
    let mut used = 0;
    let mut out = String::new();
    let mut open: Vec<&str> = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Open(name, tag) => {
                let close = name.len() + 3;
                if used + units(tag) + reserved + close + 1 > max {
                    break;
                }
                out.push_str(tag);
                used += units(tag);
                reserved += close;
                open.push(name);
            }
            Piece::Close(name) => {
                // A closing tag without its opening one is dropped: Telegram
                // would refuse the message for it.
                if let Some(at) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                    for n in open.drain(at..).rev() {
                        out.push_str(&format!("</{n}>"));
                        used += n.len() + 3;
                        reserved -= n.len() + 3;
                    }
                }
            }
            Piece::Text(t) => {
                if used + units(t) + reserved + 1 > max {
                    break;
                }
                out.push_str(t);
                used += units(t);
            }
        }
    }
    out.push('…');
    for n in open.iter().rev() {
        out.push_str(&format!("</{n}>"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::message::{HitSummary, Message};

    fn summary(title: &str, snippet: &str) -> HitSummary {
        HitSummary {
            id: "h1".into(),
            title: title.into(),
            url: Some("https://medium.com/@writer/a?b=1&c=2".into()),
            feed: "Feed & Co".into(),
            language: "en".into(),
            topic: "watch".into(),
            topics: vec!["watch".into()],
            score: 6.5,
            terms: vec!["spying".into()],
            snippet: snippet.into(),
            published: chrono::Utc::now(),
            story: None,
        }
    }

    #[test]
    fn the_url_joins_whatever_the_api_url_looks_like() {
        let token = Secret::new("123:ABC-def");
        for (base, want) in [
            (
                "https://api.telegram.org",
                "https://api.telegram.org/bot123:ABC-def/sendMessage",
            ),
            (
                "https://api.telegram.org/",
                "https://api.telegram.org/bot123:ABC-def/sendMessage",
            ),
            (
                "http://proxy.local/telegram",
                "http://proxy.local/telegram/bot123:ABC-def/sendMessage",
            ),
            (
                "http://proxy.local/telegram/",
                "http://proxy.local/telegram/bot123:ABC-def/sendMessage",
            ),
        ] {
            let base = url::Url::parse(base).unwrap();
            let got = method_url(&base, &token, "sendMessage").unwrap();
            assert_eq!(got.as_str(), want);
        }
    }

    #[test]
    fn chat_ids_are_numbers_when_they_can_be() {
        assert_eq!(
            payload("-1001234567890", "x")["chat_id"],
            json!(-1001234567890i64)
        );
        assert_eq!(payload("@news", "x")["chat_id"], json!("@news"));
    }

    #[test]
    fn the_link_keeps_its_at_sign_and_escapes_its_ampersand() {
        let text = layout::message::<Html>(
            &Message::One(Box::new(summary("T", "s"))),
            Budget::utf16(TEXT_UNITS),
        );
        assert!(
            text.contains("<a href=\"https://medium.com/@writer/a?b=1&amp;c=2\">T</a>"),
            "{text}"
        );
        assert!(text.contains("Feed &amp; Co"), "{text}");
        assert!(text.contains("<blockquote>s</blockquote>"), "{text}");
    }

    #[test]
    fn a_long_snippet_is_cut_first_and_whole_entities_stay() {
        let h = summary("Title", &"<&>".repeat(100));
        let full = layout::hit::<Html>(&h, Budget::utf16(TEXT_UNITS));
        let short = layout::hit::<Html>(&h, Budget::utf16(300));
        assert!(units(&short) <= 300, "{}", units(&short));
        assert!(short.starts_with("<b><a href="), "{short}");
        assert!(short.ends_with("…</blockquote>"), "{short}");
        assert!(full.len() > short.len());
        let inner = short
            .split("<blockquote>")
            .nth(1)
            .unwrap()
            .trim_end_matches("</blockquote>");
        assert!(
            inner.trim_end_matches('…').ends_with(';'),
            "cut inside an entity: {inner}"
        );
    }

    #[test]
    fn fit_closes_open_tags_and_never_splits_a_tag_or_entity() {
        let text = "<b><a href=\"https://e/\">abc &amp; def</a></b> tail";
        for max in 0..units(text) {
            let got = clip(text, max);
            assert!(units(&got) <= max.max(1), "{max}: {got}");
            let opened = got.matches("<b>").count() + got.matches("<a ").count();
            let closed = got.matches("</b>").count() + got.matches("</a>").count();
            assert_eq!(opened, closed, "{max}: {got}");
            assert!(!got.contains("&am…") && !got.contains("<a…"), "{got}");
        }
        assert_eq!(clip(text, 100), text);
    }

    #[test]
    fn a_digest_stops_listing_before_the_limit_and_counts_the_rest() {
        let hits: Vec<HitSummary> = (0..15)
            .map(|i| HitSummary {
                id: format!("h{i}"),
                ..summary(&format!("{i} {}", "x".repeat(190)), "")
            })
            .collect();
        let text = layout::digest::<Html>(&Message::Digest(hits), Budget::utf16(1500));
        assert!(units(&text) <= 1500, "{}", units(&text));
        assert!(
            text.contains("more (<code>newshound hits list</code>)"),
            "{text}"
        );
    }

    fn answer(status: u16, body: &str) -> http::Answer {
        http::Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body: body.into(),
        }
    }

    #[test]
    fn ok_false_is_a_failure_whatever_the_status() {
        assert!(judge(answer(200, r#"{"ok":true,"result":{"message_id":5}}"#)).is_ok());
        let e = judge(answer(
            200,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
        ))
        .unwrap_err();
        assert_eq!(
            e,
            SendError::Permanent {
                reason: "Telegram error 400: Bad Request: chat not found".into()
            }
        );
        assert!(matches!(
            judge(answer(200, r#"{"ok":false,"error_code":502}"#)),
            Err(SendError::Retry { .. })
        ));
        assert!(matches!(
            judge(answer(200, "<html>hello</html>")),
            Err(SendError::Permanent { .. })
        ));
        assert!(matches!(
            judge(answer(502, "<html>bad gateway</html>")),
            Err(SendError::Retry { .. })
        ));
    }
}
