//! Matrix client-server API: `PUT` an `m.room.message` event to
//! `/_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}` with the
//! access token as a bearer token, a plain `body` and an HTML
//! `formatted_body`. The homeserver answers `200 {"event_id": …}`; `429`
//! carries `retry_after_ms`. A story's follow-up (`story = "update"`) is a
//! reply (`m.relates_to` → `m.in_reply_to`) to the event of its first message.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::layout::{self, Budget};
use super::markup::{MatrixHtml, Plain, truncate_bytes};
use super::kind::{Kind, Loader, plain_url};
use super::{Accepted, Message, Outgoing, SendContext, SendError, Secret, http};

/// An event may take 65,536 bytes of JSON in all. Each of the two texts gets
/// this many, which leaves room even when JSON's escaping doubles them.
const TEXT_BYTES: usize = 15_000;

/// What stays unencoded in a path segment: RFC 3986's unreserved characters,
/// so `!abc:example.org` goes as `%21abc%3Aexample.org`, the way clients send it.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `kind = "matrix"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// The homeserver's base URL, with any path prefix of a reverse proxy.
    pub homeserver: url::Url,
    /// The room id (`!abc:example.org`) or alias (`#room:example.org`).
    pub room: String,
    /// The access token of a user that joined the room.
    pub token: Secret,
}

/// The keys of a `kind = "matrix"` entry.
#[derive(Debug, Deserialize)]
pub struct MatrixKeys {
    /// The homeserver's base URL, such as `https://matrix.example.org`.
    homeserver: Option<String>,
    /// The room id (Room settings → Advanced) or an alias.
    room: Option<String>,
    /// The access token, usually `${MATRIX_TOKEN}`.
    token: Option<String>,
    /// A file holding the token instead.
    token_file: Option<String>,
}

impl Kind for Matrix {
    const NAME: &'static str = "matrix";
    type Keys = MatrixKeys;

    fn build(keys: MatrixKeys, loader: &mut impl Loader) -> Option<Matrix> {
        let homeserver = plain_url(loader, "homeserver", keys.homeserver.as_deref());
        let room = match keys.room.as_deref().map(str::trim) {
            // Room ids of room version 12 have no `:server` part; aliases always do.
            Some(r)
                if (r.starts_with('!') && r.len() > 1) || (r.starts_with('#') && r.contains(':')) =>
            {
                Some(r.to_string())
            }
            Some(_) => {
                loader.error(
                    "room",
                    "must be a room id such as \"!abc123:example.org\" (or an alias \"#room:example.org\")".into(),
                );
                None
            }
            None => {
                loader.error("room", "is required for kind \"matrix\"".into());
                None
            }
        };
        let token = loader.secret("token", keys.token.as_deref(), keys.token_file.as_deref(), true);
        Some(Matrix {
            homeserver: homeserver?,
            room: room?,
            token: token??,
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.token]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        // The homeserver deduplicates by transaction id per access token, so a
        // retry after a lost answer (same delivery id) does not post twice.
        let txn = format!("newshound-{}", out.delivery_id);
        let body = payload(ctx, out);
        let request = ctx
            .client
            .put(endpoint(&self.homeserver, &self.room, &txn))
            .bearer_auth(self.token.expose())
            .json(&body);
        let answer = http::send(request, ctx).await?;
        let event = event_id(&answer.body);
        let accepted = http::judge(answer)?;
        Ok(match event {
            Some(id) => Accepted::new(format!("{}, event {id}", accepted.answer)).with_ref(Some(id)),
            None => accepted,
        })
    }
}

/// The send URL below `homeserver`, which may end in a slash or carry a path
/// prefix (a homeserver behind a reverse proxy at `/matrix/`).
fn endpoint(homeserver: &url::Url, room: &str, txn: &str) -> url::Url {
    let mut url = homeserver.clone();
    let path = format!(
        "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
        homeserver.path().trim_end_matches('/'),
        utf8_percent_encode(room, SEGMENT),
        utf8_percent_encode(txn, SEGMENT),
    );
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

fn event_id(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v.get("event_id")?.as_str().map(str::to_string)
}

fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> Value {
    // A template writes the formatted body; the plain body, which
    // notifications and plain-text clients show, stays the built-in layout.
    let html = |m: &_| layout::message::<MatrixHtml>(m, Budget::bytes(TEXT_BYTES));
    let formatted = truncate_bytes(&ctx.text::<MatrixHtml>(out, html), TEXT_BYTES);
    let plain = layout::message::<Plain>(&out.message, Budget::bytes(TEXT_BYTES));
    let mut content = json!({
        "msgtype": "m.text",
        "body": truncate_bytes(&plain, TEXT_BYTES),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        // Present and empty: clients that support intentional mentions
        // notify nobody, whatever the text says.
        "m.mentions": {},
    });
    // A follow-up is a reply to the story's first message rather than an
    // edit (`m.replace`) of it: clients show a reply under its story and
    // keep every source visible, while an edit replaces the text, shows
    // only the newest version and notifies nobody.
    if let Message::Update(u) = &out.message
        && let Some(event) = &u.reply_to
    {
        content["m.relates_to"] = json!({"m.in_reply_to": {"event_id": event}});
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("test URL")
    }

    #[test]
    fn the_room_is_one_encoded_segment_below_any_prefix() {
        let want = "/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/newshound-d1";
        for base in ["https://m.example", "https://m.example/"] {
            let u = endpoint(&url(base), "!abc:example.org", "newshound-d1");
            assert_eq!(u.path(), want, "{base}");
        }
        let u = endpoint(
            &url("https://m.example/matrix/?x=1"),
            "#ops/room:example.org",
            "newshound-a/b",
        );
        assert_eq!(
            u.as_str(),
            "https://m.example/matrix/_matrix/client/v3/rooms/%23ops%2Froom%3Aexample.org/send/m.room.message/newshound-a%2Fb"
        );
    }
}
