//! ntfy: `POST` the topic URL with the message as a plain-text body and the
//! rest in headers: `Title`, `Tags` (emoji short codes; `newspaper` unless
//! configured), `Click` (the article, opened when the notification is
//! tapped), `X-Priority` (1–5) and, for a protected topic,
//! `Authorization: Bearer <token>`. ntfy answers `200` with the stored
//! message as JSON; `429` when a visitor's rate is used up.
//!
//! Header values are bytes the HTTP library checks: line breaks are
//! removed, and a value that is not ASCII goes as RFC 2047 encoded-words
//! (`=?UTF-8?B?...?=`), which ntfy decodes. A body over 4,096 bytes would
//! become an attachment, so ours stays under `BODY_BYTES`.

use reqwest::header::HeaderValue;
use serde::Deserialize;

use super::layout::{self, Budget};
use super::markup::{Plain, safe_url, truncate_bytes};
use super::message::Message;
use super::kind::{Kind, Loader, webhook_url};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, http};

/// Longest body, in bytes (ntfy's limit for a message is 4,096).
const BODY_BYTES: usize = 4000;

/// Tags when none are configured: shown as the 📰 emoji.
const DEFAULT_TAG: &str = "newspaper";

/// A `kind = "ntfy"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Ntfy {
    /// The topic's URL (its name is all that protects an open topic).
    pub url: Secret,
    /// An access token, for a protected server.
    pub token: Option<Secret>,
    /// `X-Priority`, 1 (min) to 5 (max); the server's default when absent.
    pub priority: Option<u8>,
    /// Emoji short codes; `DEFAULT_TAG` when empty.
    pub tags: Vec<String>,
}

/// The keys of a `kind = "ntfy"` entry.
#[derive(Debug, Deserialize)]
pub struct NtfyKeys {
    /// The topic's URL, such as `https://ntfy.sh/some-long-unguessable-topic`.
    url: Option<String>,
    /// A file holding the URL instead.
    url_file: Option<String>,
    /// An access token, usually `${NTFY_TOKEN}`.
    token: Option<String>,
    /// A file holding the token instead.
    token_file: Option<String>,
    /// 1 to 5.
    priority: Option<u8>,
    /// Tags shown as emoji (`["newspaper"]`).
    #[serde(default)]
    tags: Vec<String>,
}

impl Kind for Ntfy {
    const NAME: &'static str = "ntfy";
    type Keys = NtfyKeys;

    fn build(keys: NtfyKeys, loader: &mut impl Loader) -> Option<Ntfy> {
        if let Some(p) = keys.priority
            && !(1..=5).contains(&p)
        {
            loader.error("priority", "must be 1 (min) to 5 (max)".into());
        }
        let token = loader.secret("token", keys.token.as_deref(), keys.token_file.as_deref(), false);
        Some(Ntfy {
            url: webhook_url(loader, keys.url.as_deref(), keys.url_file.as_deref())?,
            token: token?,
            priority: keys.priority,
            tags: keys.tags,
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.url).chain(&self.token).collect()
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        post(self, ctx, out).await
    }
}

async fn post(ntfy: &Ntfy, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
    let Ntfy {
        url,
        token,
        priority,
        tags,
    } = ntfy;
    let body = truncate_bytes(&ctx.text::<Plain>(out, built_in), BODY_BYTES);
    let tags = if tags.is_empty() {
        DEFAULT_TAG.to_string()
    } else {
        tags.join(",")
    };
    let mut request = ctx
        .client
        .post(url.expose())
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Title", header_value(&out.message.heading()))
        .header("Tags", header_value(&tags));
    if let Some(click) = first_url(&out.message) {
        request = request.header("Click", header_value(&click));
    }
    if let Some(p) = priority {
        // Not `Priority`: RFC 9218 gave that name to HTTP request
        // priorities, which proxies such as Cloudflare add (`u=3, i`) and
        // ntfy then ignores; ntfy reads `X-Priority` first.
        request = request.header("X-Priority", p.to_string());
    }
    if let Some(token) = token {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                SendError::Permanent {
                    reason: "the ntfy token holds characters a header cannot carry".into(),
                }
            })?;
        value.set_sensitive(true);
        request = request.header("Authorization", value);
    }
    http::deliver(request.body(body), ctx).await
}

/// Where tapping the notification goes: the article of a single hit. A
/// digest has no one article; its body lists the links.
fn first_url(m: &Message) -> Option<String> {
    match m {
        Message::One(h) => safe_url(h.url.as_deref()),
        Message::Update(u) => safe_url(u.hit.url.as_deref()),
        Message::Digest(_) => None,
    }
}

/// The built-in body, plain text. The title is in the `Title` header and
/// the article behind `Click`; the URL is repeated at the end for copying.
fn built_in(m: &Message) -> String {
    match m {
        Message::One(h) => {
            let url = safe_url(h.url.as_deref())
                .map(|u| format!("\n\n{u}"))
                .unwrap_or_default();
            layout::details::<Plain>(h, Budget::bytes(BODY_BYTES).after(&url)) + &url
        }
        Message::Update(u) => {
            // ntfy cannot reply or edit: the follow-up is a notification of
            // its own, which names the story it continues.
            let mut text = layout::update_details::<Plain>(u);
            if let Some(first) = &u.first {
                text.push_str(&format!("\nFollows: {}", first.title));
            }
            if let Some(url) = safe_url(u.hit.url.as_deref()) {
                text.push_str(&format!("\n\n{url}"));
            }
            text.push_str(&format!("\nstory {}", u.story));
            truncate_bytes(&text, BODY_BYTES)
        }
        Message::Digest(_) => layout::digest::<Plain>(m, Budget::bytes(BODY_BYTES)),
    }
}

/// `text` as a header value: control characters (a CR or LF would end the
/// header) become spaces; anything beyond ASCII is RFC 2047-encoded.
fn header_value(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.is_ascii() {
        clean.to_string()
    } else {
        encoded_words(clean)
    }
}

/// RFC 2047 `B` encoded-words, each within the 75 characters the RFC
/// allows and holding whole characters, joined by spaces (which a decoder
/// drops between two encoded-words).
fn encoded_words(text: &str) -> String {
    // 75 - len("=?UTF-8?B?" + "?=") = 63 characters of base64: 45 bytes.
    const CHUNK: usize = 45;
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + CHUNK).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64(&text.as_bytes()[start..end])
        ));
        start = end;
    }
    words.join(" ")
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_test_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn header_values_are_ascii_one_line_and_encoded_words_stay_short() {
        assert_eq!(
            header_value("Plain\r\nInjected: yes"),
            "Plain  Injected: yes"
        );
        assert_eq!(header_value("Zażółć"), "=?UTF-8?B?WmHFvMOzxYLEhw==?=");
        let long = header_value(&"Шпионаж ".repeat(20));
        assert!(long.is_ascii());
        for word in long.split(' ') {
            assert!(word.len() <= 75, "{word}");
            assert!(word.starts_with("=?UTF-8?B?") && word.ends_with("?="));
        }
    }

    #[test]
    fn a_long_body_is_cut_on_a_character_boundary() {
        let text = "ż".repeat(3000);
        let cut = truncate_bytes(&text, BODY_BYTES);
        assert!(cut.len() <= BODY_BYTES);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_bytes("short", BODY_BYTES), "short");
    }
}
