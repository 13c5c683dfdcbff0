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

/// One story among the hits of a query (`hits list --stories`): computed
/// from its members when asked, so nothing stored about it goes stale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryRow {
    /// The story's id: the id of its first hit.
    pub story: String,
    /// When its earliest member among the hits was first seen.
    pub first_seen: chrono::DateTime<chrono::Utc>,
    /// When its latest member was first seen.
    pub last_seen: chrono::DateTime<chrono::Utc>,
    /// Members among the hits.
    pub hits: usize,
    /// Distinct feeds (outlets) that carried it, sorted.
    pub feeds: Vec<String>,
    /// Distinct languages, sorted.
    pub languages: Vec<String>,
    /// The title of its earliest member.
    pub title: String,
}

/// The stories among the hits that pass `query` (`hits list --stories`,
/// `/v1/stories`), at most `query.limit` of them: every matching hit is
/// read, and the limit counts stories.
pub fn stories(store: &Store, query: &crate::store::HitQuery) -> Result<Vec<StoryRow>, StoreError> {
    let hits = store.query_hits(&crate::store::HitQuery {
        limit: None,
        ..query.clone()
    })?;
    let mut rows = story_rows(&hits);
    if let Some(limit) = query.limit {
        rows.truncate(limit);
    }
    Ok(rows)
}

/// The stories of a set of hits, the most recently active first. A hit
/// stored before stories existed is a story of its own.
pub fn story_rows(hits: &[crate::model::Hit]) -> Vec<StoryRow> {
    use std::collections::BTreeMap;
    let mut by_story: BTreeMap<&str, Vec<&crate::model::Hit>> = BTreeMap::new();
    for hit in hits {
        by_story
            .entry(hit.story.as_deref().unwrap_or(&hit.id))
            .or_default()
            .push(hit);
    }
    let mut rows: Vec<StoryRow> = by_story
        .into_iter()
        .filter_map(|(story, mut members)| {
            members.sort_by(|a, b| a.fetched.cmp(&b.fetched).then_with(|| a.id.cmp(&b.id)));
            let first = members.first()?;
            let last = members.last()?;
            let mut feeds: Vec<String> = members.iter().map(|h| h.feed.clone()).collect();
            feeds.sort();
            feeds.dedup();
            let mut languages: Vec<String> = members.iter().map(|h| h.language.clone()).collect();
            languages.sort();
            languages.dedup();
            Some(StoryRow {
                story: story.to_string(),
                first_seen: first.fetched,
                last_seen: last.fetched,
                hits: members.len(),
                feeds,
                languages,
                title: first.title.clone(),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.last_seen
            .cmp(&a.last_seen)
            .then_with(|| a.story.cmp(&b.story))
    });
    rows
}
