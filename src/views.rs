//! What the query commands show, computed from the store in one place: the
//! CLI prints these when it opens the store itself, and the running
//! service's local API serves the same values, so the output is the same
//! either way.

use serde::{Deserialize, Serialize};

use crate::config::FeedConfig;
use crate::store::{FeedState, OutboxEntry, Store, StoreError, StoreStats};

/// One feed with its stored health (`feeds status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedStatus {
    pub name: String,
    pub url: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub state: FeedState,
    /// Whether the server gave validators (ETag or Last-Modified), so that
    /// polls can be answered with 304. (Named apart from the state's own
    /// `etag`, the validator's value: one JSON object cannot hold both.)
    pub validators: bool,
}

/// One outbox entry with its hit's title (`alerts list`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    #[serde(flatten)]
    pub entry: OutboxEntry,
    /// `None` when the hit is no longer stored.
    pub title: Option<String>,
}

/// The store's figures and the service's (`/v1/stats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    #[serde(flatten)]
    pub store: StoreStats,
    /// Seconds since the service started; absent when read from the store directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_secs: Option<u64>,
    /// The service's one-line status (as in systemd's STATUS=).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

pub fn feed_status(store: &Store, feeds: &[FeedConfig]) -> Result<Vec<FeedStatus>, StoreError> {
    feeds
        .iter()
        .map(|f| {
            let state = store.feed_state(&f.url)?.unwrap_or_default();
            Ok(FeedStatus {
                name: f.name.clone(),
                url: f.url.clone(),
                enabled: f.enabled,
                validators: state.etag.is_some() || state.last_modified.is_some(),
                state,
            })
        })
        .collect()
}

pub fn outbox_rows(store: &Store) -> Result<Vec<OutboxRow>, StoreError> {
    store
        .outbox()?
        .into_iter()
        .map(|entry| {
            let title = store.hit(&entry.hit_id)?.map(|h| h.title);
            Ok(OutboxRow { entry, title })
        })
        .collect()
}
