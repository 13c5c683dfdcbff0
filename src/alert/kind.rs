//! What an alert kind is made of, and what it may ask of the configuration
//! loader. Each kind (one file: `slack.rs`, `matrix.rs`, ...) implements
//! `Kind`: its name in `kind = "..."`, the keys it reads, how they are
//! checked, its secrets and how it sends. [`super::Target`] lists the kinds.
//!
//! The loader (`config`) reads the file, the common keys and the secrets'
//! files, and reports every problem with file, line and field; it knows no
//! kind. A kind knows no file: it sees its keys and a `Loader`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Visitor};

use super::spec::Secret;
use super::{Accepted, Outgoing, SendContext, SendError, http};

/// One kind of alert. Adding a chat service is one file with an
/// implementation of this, and one line in [`super::Target`]'s list.
pub(crate) trait Kind: Sized {
    /// Its `kind = "..."` in `[[alert]]`.
    const NAME: &'static str;
    /// Its own keys as the file writes them, besides the common ones:
    /// optional or defaulted fields, one per key, so that the loader can
    /// name the keys and serde can report a wrong type at its field.
    type Keys: DeserializeOwned;

    /// Checks the keys; every problem goes to `loader`. `None` when the
    /// alert is unusable (the problem was reported).
    fn build(keys: Self::Keys, loader: &mut impl Loader) -> Option<Self>;

    /// Every secret it holds, so that error texts can be scrubbed of them.
    fn secrets(&self) -> Vec<&Secret>;

    /// Sends one message now.
    fn send(
        &self,
        ctx: &SendContext<'_>,
        out: &Outgoing,
    ) -> impl Future<Output = Result<Accepted, SendError>> + Send;
}

/// What a kind asks of the configuration loader while it checks its keys.
pub(crate) trait Loader {
    /// The kind being loaded, for messages.
    fn kind(&self) -> &str;

    /// The kind's own keys, deserialised; a key of the wrong type is
    /// reported and left out (as if absent). `None` when nothing could be read.
    fn keys<T: DeserializeOwned>(&mut self) -> Option<T>;

    /// Reports a problem with `field` of this entry.
    fn error(&mut self, field: &str, message: String);

    /// A secret given inline (usually as `${VAR}`) or as `KEY_file`, a file
    /// holding it. `Some(Some(_))` when present, `Some(None)` when absent and
    /// optional, `None` on an error (already reported).
    fn secret(
        &mut self,
        key: &str,
        inline: Option<&str>,
        file: Option<&str>,
        required: bool,
    ) -> Option<Option<Secret>>;

    /// A path as the configuration means it: relative to its file.
    fn path(&self, value: &str) -> PathBuf;
}

/// The keys of kinds whose only setting is a webhook URL.
#[derive(Debug, Deserialize)]
pub(crate) struct UrlKeys {
    /// The webhook URL; it carries its token, so it is a secret.
    pub url: Option<String>,
    /// A file holding the URL instead.
    pub url_file: Option<String>,
}

/// A chat service whose only setting is its webhook URL, to which each
/// message is posted as JSON. Its kind is [`UrlOnly`] of it.
pub(crate) trait UrlService {
    /// Its `kind = "..."` in `[[alert]]`.
    const NAME: &'static str;

    /// The JSON body of one message.
    fn payload(ctx: &SendContext<'_>, out: &Outgoing) -> serde_json::Value;

    /// Where a message is posted: the configured URL, unless the service
    /// wants more of it.
    fn endpoint(url: &Secret) -> Result<url::Url, SendError> {
        url::Url::parse(url.expose()).map_err(|_| SendError::Permanent {
            // The URL is not quoted: it holds the webhook's token.
            reason: "the webhook URL is not a valid URL".into(),
        })
    }

    /// The requests that deliver one message, tried in order while the
    /// service answers `404` (the message an edit was for is gone): a
    /// `POST` of [`Self::payload`] to [`Self::endpoint`], unless the
    /// service does more (Discord edits a story's first message).
    fn requests(
        ctx: &SendContext<'_>,
        url: &Secret,
        out: &Outgoing,
    ) -> Result<Vec<reqwest::RequestBuilder>, SendError> {
        let endpoint = Self::endpoint(url)?;
        Ok(vec![
            ctx.client.post(endpoint).json(&Self::payload(ctx, out)),
        ])
    }

    /// The service's id of the message it posted, read from its answer.
    fn message_ref(_body: &str) -> Option<String> {
        None
    }
}

/// The settings of a kind whose only setting is its webhook URL (`url` or
/// `url_file`): Mattermost, Teams, Discord. `S` is the service.
pub struct UrlOnly<S> {
    /// The webhook's URL; it carries the service's key, so it is a secret.
    pub url: Secret,
    service: PhantomData<fn() -> S>,
}

impl<S> UrlOnly<S> {
    pub fn new(url: Secret) -> Self {
        UrlOnly {
            url,
            service: PhantomData,
        }
    }
}

// By hand: derived, these would ask `S`, a marker, to be Debug, Clone and PartialEq too.
impl<S> fmt::Debug for UrlOnly<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlOnly").field("url", &self.url).finish()
    }
}

impl<S> Clone for UrlOnly<S> {
    fn clone(&self) -> Self {
        UrlOnly::new(self.url.clone())
    }
}

impl<S> PartialEq for UrlOnly<S> {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl<S: UrlService> Kind for UrlOnly<S> {
    const NAME: &'static str = S::NAME;
    type Keys = UrlKeys;

    fn build(keys: UrlKeys, loader: &mut impl Loader) -> Option<Self> {
        webhook_url(loader, keys.url.as_deref(), keys.url_file.as_deref()).map(UrlOnly::new)
    }

    fn secrets(&self) -> Vec<&Secret> {
        vec![&self.url]
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        let mut requests = S::requests(ctx, &self.url, out)?.into_iter().peekable();
        while let Some(request) = requests.next() {
            let answer = http::send(request, ctx).await?;
            if answer.status == reqwest::StatusCode::NOT_FOUND && requests.peek().is_some() {
                continue;
            }
            let message_ref = S::message_ref(&answer.body);
            return http::judge(answer).map(|a| a.with_ref(message_ref));
        }
        Err(SendError::Permanent {
            reason: "no request to send".into(),
        })
    }
}

/// The `url` / `url_file` pair: required, one of the two, http(s).
pub(crate) fn webhook_url(
    loader: &mut impl Loader,
    url: Option<&str>,
    url_file: Option<&str>,
) -> Option<Secret> {
    let secret = loader.secret("url", url, url_file, true)??;
    if is_http(secret.expose()).is_some() {
        return Some(secret);
    }
    // The value is not quoted: webhook URLs carry their token.
    loader.error(
        "url",
        "is not an http:// or https:// URL (the value is not shown, as it may hold a secret)"
            .into(),
    );
    None
}

/// A required URL that is not a secret (a Matrix homeserver, a Telegram API base).
pub(crate) fn plain_url(
    loader: &mut impl Loader,
    field: &str,
    value: Option<&str>,
) -> Option<url::Url> {
    let Some(value) = value else {
        let message = format!("is required for kind {:?}", loader.kind());
        loader.error(field, message);
        return None;
    };
    let url = is_http(value.trim());
    if url.is_none() {
        loader.error(
            field,
            format!("{value:?} is not an http:// or https:// URL"),
        );
    }
    url
}

fn is_http(value: &str) -> Option<url::Url> {
    url::Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The field names of a struct that derives `Deserialize`, as serde knows
/// them: the keys a section accepts, written once, in its struct.
pub fn key_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    // The recorder fails on purpose once it has the names.
    let _ = T::deserialize(&mut names);
    names.0
}

struct FieldNames(&'static [&'static str]);

#[derive(Debug)]
struct NotAStruct;

impl std::fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("only the field names of a struct are recorded")
    }
}

impl std::error::Error for NotAStruct {}

impl de::Error for NotAStruct {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        NotAStruct
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = NotAStruct;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, NotAStruct> {
        self.0 = fields;
        Err(NotAStruct)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, NotAStruct> {
        Err(NotAStruct)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_the_fields_in_their_order() {
        assert_eq!(key_names::<UrlKeys>(), ["url", "url_file"]);
        assert!(key_names::<String>().is_empty());
    }
}
