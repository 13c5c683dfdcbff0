//! Generic JSON webhooks: `POST` the hits as data, for receivers of one's own.
//!
//! The body (also what `exec` writes to a command's standard input):
//!
//! ```text
//! {
//!   "event": "hit",              // "hit", "update", "digest" or "test"
//!   "delivery_id": "…",          // the same on every retry: drop duplicates by it
//!   "alert": "team-feed",        // the [[alert]] name
//!   "sent_at": "2024-05-01T12:00:00.000Z",
//!   "hit": { … }                 // "hit" and "test"; null when a test has no hit
//! }
//! ```
//!
//! A `digest` carries `"hits": [{ … }, …]` instead of `"hit"`, and
//! `"stories"`, how many stories they tell (hits of one story share their
//! `"story"`). An `update`
//! (`story = "update"`: a later member of a story already alerted on)
//! carries the new member as `"hit"` and the story so far as `"story":
//! {"id", "items", "sources", "languages", "first_delivery_id"}`, where
//! `first_delivery_id` is the delivery id of the story's first alert
//! (`null` when it was never delivered). Each hit is
//! exactly what `newshound hits show --format json` prints: `id`,
//! `entry_id`, `feed`, `feed_url`, `title`, `url`, `published`, `fetched`,
//! `language`, `language_confidence`, `topics` (with their matched terms),
//! `score`, `summary`, `authors`, `categories`, `alert_status`.
//!
//! Headers: `X-Newshound-Event`, `X-Newshound-Delivery` (the delivery id)
//! and, when the alert has a `secret`, `X-Newshound-Signature:
//! sha256=<hex>`, the HMAC-SHA256 of the exact body bytes keyed with the
//! secret, for the receiver to check before trusting the body. Any 2xx
//! accepts the delivery; 408, 429 and 5xx are retried.

use chrono::SecondsFormat;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::kind::{Kind, Loader, webhook_url};
use super::{Accepted, Event, Message, Outgoing, SendContext, SendError, Secret, http};
use crate::model::Hit;

/// A `kind = "webhook"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// Where the JSON goes.
    pub url: Secret,
    /// The HMAC key of `X-Newshound-Signature`; unsigned when absent.
    pub secret: Option<Secret>,
}

/// The keys of a `kind = "webhook"` entry.
#[derive(Debug, Deserialize)]
pub struct WebhookKeys {
    /// The receiver's URL.
    url: Option<String>,
    /// A file holding the URL instead.
    url_file: Option<String>,
    /// The signing key, usually `${WEBHOOK_SECRET}`.
    secret: Option<String>,
    /// A file holding the signing key instead.
    secret_file: Option<String>,
}

impl Kind for Webhook {
    const NAME: &'static str = "webhook";
    type Keys = WebhookKeys;

    fn build(keys: WebhookKeys, loader: &mut impl Loader) -> Option<Webhook> {
        let secret = loader.secret("secret", keys.secret.as_deref(), keys.secret_file.as_deref(), false);
        Some(Webhook {
            url: webhook_url(loader, keys.url.as_deref(), keys.url_file.as_deref())?,
            secret: secret?,
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        std::iter::once(&self.url).chain(&self.secret).collect()
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        post(ctx, &self.url, self.secret.as_ref(), out).await
    }
}

async fn post(
    ctx: &SendContext<'_>,
    url: &Secret,
    secret: Option<&Secret>,
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let body = body(ctx, out)?;
    let mut request = ctx
        .client
        .post(url.expose())
        .header("Content-Type", "application/json")
        .header("X-Newshound-Event", out.event.as_str())
        .header("X-Newshound-Delivery", out.delivery_id.as_str());
    if let Some(secret) = secret {
        request = request.header("X-Newshound-Signature", signature(secret, &body)?);
    }
    // The signed bytes are the bytes sent: serialising again (`.json()`)
    // could order or space them differently.
    http::deliver(request.body(body), ctx).await
}

#[derive(Serialize)]
struct Body<'a> {
    event: &'static str,
    delivery_id: &'a str,
    alert: &'a str,
    sent_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hit: Option<Option<&'a Hit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hits: Option<&'a [Hit]>,
    /// How many stories a digest's hits tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    stories: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<StoryBody<'a>>,
}

/// The story of an `update`, as far as the alert has sent it.
#[derive(Serialize)]
struct StoryBody<'a> {
    id: &'a str,
    items: usize,
    sources: &'a [String],
    languages: &'a [String],
    first_delivery_id: Option<&'a str>,
}

/// The JSON body of a delivery, as described in the module documentation.
pub(super) fn body(ctx: &SendContext<'_>, out: &Outgoing) -> Result<Vec<u8>, SendError> {
    let (hit, hits) = match out.event {
        Event::Hit | Event::Update | Event::Test => (Some(out.hits.first()), None),
        Event::Digest => (None, Some(out.hits.as_slice())),
    };
    let story = match &out.message {
        Message::Update(u) => Some(StoryBody {
            id: &u.story,
            items: u.items,
            sources: &u.sources,
            languages: &u.languages,
            first_delivery_id: u.first_delivery.as_deref(),
        }),
        _ => None,
    };
    let body = Body {
        event: out.event.as_str(),
        delivery_id: &out.delivery_id,
        alert: &ctx.spec.name,
        sent_at: ctx.now.to_rfc3339_opts(SecondsFormat::Millis, true),
        hit,
        hits,
        stories: hits.map(|_| out.message.stories().len()),
        story,
    };
    serde_json::to_vec(&body).map_err(|e| SendError::Permanent {
        reason: format!("cannot encode the hits as JSON: {e}"),
    })
}

/// `sha256=<lowercase hex HMAC-SHA256(secret, body)>`.
fn signature(secret: &Secret, body: &[u8]) -> Result<String, SendError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).map_err(|_| {
        SendError::Permanent {
            reason: "the webhook secret cannot key an HMAC".into(),
        }
    })?;
    mac.update(body);
    Ok(format!("sha256={}", hex(&mac.finalize().into_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_rfc_4231_vector() {
        // RFC 4231, test case 2.
        let got = signature(&Secret::new("Jefe"), b"what do ya want for nothing?").unwrap();
        assert_eq!(
            got,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
