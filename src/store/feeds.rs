//! Per-feed scheduling state ([`FeedState`]), kept across polls and restarts.
//!
//! Invariant: one record per feed URL in the `feeds` tree, JSON-encoded so
//! fields can be added with `#[serde(default)]` without a schema bump. What
//! the record means and how it changes is `fetch::feed_state`'s business;
//! this file only stores it.

pub use crate::fetch::FeedState;

use super::records::{decode_json, decode_str_key, encode_json};
use super::{Store, StoreError};

impl Store {
    pub fn feed_state(&self, feed_url: &str) -> Result<Option<FeedState>, StoreError> {
        match self
            .feeds
            .get(feed_url)
            .map_err(|e| self.sled_error("feeds", e))?
        {
            None => Ok(None),
            Some(bytes) => decode_json(&self.path, "feeds", feed_url.as_bytes(), &bytes).map(Some),
        }
    }

    pub fn put_feed_state(&self, feed_url: &str, state: &FeedState) -> Result<(), StoreError> {
        let bytes = encode_json(&self.path, "feeds", state)?;
        self.feeds
            .insert(feed_url, bytes)
            .map(drop)
            .map_err(|e| self.sled_error("feeds", e))
    }

    /// Forgets a feed's failures so that it is polled again at once: clears
    /// the 410 Gone mark, the error count and the backoff. The validators
    /// and the history (last success, last error, hits) stay. Returns
    /// whether the feed had a state at all.
    pub fn reset_feed(&self, feed_url: &str) -> Result<bool, StoreError> {
        let Some(mut state) = self.feed_state(feed_url)? else {
            return Ok(false);
        };
        state.reset();
        self.put_feed_state(feed_url, &state)?;
        self.flush()?;
        Ok(true)
    }

    /// Every feed's state, ordered by URL.
    pub fn feed_states(&self) -> Result<Vec<(String, FeedState)>, StoreError> {
        self.feeds
            .iter()
            .map(|entry| {
                let (key, value) = entry.map_err(|e| self.sled_error("feeds", e))?;
                let url = decode_str_key(&self.path, "feeds", &key)?.to_string();
                let state = decode_json(&self.path, "feeds", &key, &value)?;
                Ok((url, state))
            })
            .collect()
    }
}
