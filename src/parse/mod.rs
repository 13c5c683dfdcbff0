//! Feed bytes → `Vec<Item>`: charset decoding, lenient repairs of documents
//! feed-rs rejects, HTML → plain text, link resolution and stable ids.
//!
//! Invariant: nothing here panics or loops on any input; a document that
//! cannot be read becomes a [`ParseError`] for that feed alone.

use chrono::{DateTime, Utc};

use crate::model::Item;

pub mod html;

/// Where a document came from; everything the parser needs besides the bytes.
#[derive(Debug, Clone)]
pub struct FeedSource<'a> {
    /// The configured feed name, copied into every item.
    pub name: &'a str,
    /// The URL the document was fetched from (base for relative links, part of the id).
    pub url: &'a str,
    /// The HTTP `Content-Type`, when there was one (its `charset` wins over the XML declaration).
    pub content_type: Option<&'a str>,
    /// The language configured for the feed, used when the document declares none.
    pub language: Option<&'a str>,
    /// When the document was fetched: the fallback published time.
    pub fetched: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parses one feed document into normalised items.
pub fn parse_feed(_bytes: &[u8], _source: &FeedSource<'_>) -> Result<Vec<Item>, ParseError> {
    todo!("parse helper")
}

/// The stable id of an entry: a hash of the feed URL and the entry id, as 16 hex digits.
pub fn stable_id(_feed_url: &str, _entry_id: &str) -> String {
    todo!("parse helper")
}
