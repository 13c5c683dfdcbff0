//! The sled store: hits and their indexes, the seen set, per-feed state.
//!
//! This is the only module that knows sled. Trees (one `sled::Db`):
//! `hits` (id → Hit), `by_time` (published millis ‖ id → ()), `seen`
//! (item id → first-seen millis), `feeds` (feed url → FeedState), `outbox`
//! (sequence → pending alert; used from the alerting issue on), `meta`
//! (`schema_version`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Hit;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually the running service) holds the store.
    #[error("store {path} is in use by another process (is `newshound run` running?)")]
    Locked { path: PathBuf },
    #[error("store {path}: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store {path} has schema version {found}, this newshound understands {expected}")]
    Schema {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store: corrupt record in tree {tree}: {message}")]
    Corrupt { tree: &'static str, message: String },
}

/// What the scheduler remembers about a feed between polls and restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// Filters for [`Store::query_hits`]. All present filters must hold.
#[derive(Debug, Clone, Default)]
pub struct HitQuery {
    /// Published at or after.
    pub since: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Language code, exact.
    pub language: Option<String>,
    /// One of the hit's matched topics, exact.
    pub topic: Option<String>,
    /// Feed name, case-insensitive exact.
    pub feed: Option<String>,
    /// Case-insensitive substring of title, summary or URL.
    pub search: Option<String>,
    /// At most this many, newest (by published) first. `None`: all.
    pub limit: Option<usize>,
}

pub struct Store {}

impl Store {
    /// Opens (creating if needed) the store in directory `path`, with sled's page
    /// cache bounded to `cache_bytes`.
    pub fn open(_path: &Path, _cache_bytes: u64) -> Result<Store, StoreError> {
        todo!("store helper")
    }

    pub fn path(&self) -> &Path {
        todo!()
    }

    /// Whether the item id has been processed before.
    pub fn is_seen(&self, _item_id: &str) -> Result<bool, StoreError> {
        todo!()
    }

    /// Marks non-matching items as processed (one batch).
    pub fn mark_seen(&self, _item_ids: &[&str], _at: DateTime<Utc>) -> Result<(), StoreError> {
        todo!()
    }

    /// Stores a hit, its `by_time` entry and its `seen` mark in one transaction.
    /// Returns `false` (and writes nothing) when the id was already stored.
    pub fn insert_hit(&self, _hit: &Hit) -> Result<bool, StoreError> {
        todo!()
    }

    /// A hit by full id, or by a unique prefix of at least 6 characters.
    pub fn get_hit(&self, _id_or_prefix: &str) -> Result<Option<Hit>, StoreError> {
        todo!()
    }

    pub fn query_hits(&self, _query: &HitQuery) -> Result<Vec<Hit>, StoreError> {
        todo!()
    }

    pub fn hit_count(&self) -> usize {
        todo!()
    }

    pub fn feed_state(&self, _feed_url: &str) -> Result<Option<FeedState>, StoreError> {
        todo!()
    }

    pub fn put_feed_state(&self, _feed_url: &str, _state: &FeedState) -> Result<(), StoreError> {
        todo!()
    }

    pub fn feed_states(&self) -> Result<Vec<(String, FeedState)>, StoreError> {
        todo!()
    }

    /// Removes `seen` marks older than `before` (hits themselves are kept).
    /// Returns how many were removed.
    pub fn prune_seen(&self, _before: DateTime<Utc>) -> Result<usize, StoreError> {
        todo!()
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        todo!()
    }
}
