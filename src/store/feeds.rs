//! Per-feed scheduling state, kept across polls and restarts.
//!
//! Invariant: one record per feed URL in the `feeds` tree, JSON-encoded so
//! fields can be added with `#[serde(default)]` without a schema bump.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::records::{decode_json, decode_str_key, encode_json};
use super::{Store, StoreError};

/// What the scheduler remembers about a feed between polls and restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Records written before a field existed must still load.
#[serde(default)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Consecutive failures; 0 after a success.
    pub error_count: u32,
    pub next_due: Option<DateTime<Utc>>,
    /// Set when the server answered 410 Gone; the feed is not polled again.
    pub gone: bool,
    /// Items seen in the last successful fetch that parsed.
    pub last_item_count: u32,
    pub total_hits: u64,
}

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
        state.gone = false;
        state.error_count = 0;
        state.next_due = None;
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
