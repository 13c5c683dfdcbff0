//! Listing hits newest first, with filters: what `hits list` runs.
//!
//! Invariant: the time range is applied through the `by_time` key bounds, so a
//! query over a day reads that day's index entries only, not the whole store;
//! the other filters need the record and are applied to each loaded hit. An
//! index entry whose hit is gone is skipped with a warning, never a failure.

use std::ops::Bound;

use chrono::{DateTime, Utc};

use super::records::{
    TIME_PREFIX_LEN, ceil_millis, encode_millis, floor_millis, show_key, split_by_time_key,
};
use super::{Store, StoreError};
use crate::model::Hit;

/// Filters for [`Store::query_hits`]. All present filters must hold.
/// Also the query string of the local API's `/v1/hits`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
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
    /// The story, exact (a hit stored before stories existed is its own).
    pub story: Option<String>,
    /// At most this many, newest (by published) first. `None`: all.
    pub limit: Option<usize>,
}

impl Store {
    /// The hits that pass every filter of `query`, newest published first
    /// (hits published in the same millisecond: by id, descending).
    pub fn query_hits(&self, query: &HitQuery) -> Result<Vec<Hit>, StoreError> {
        let limit = query.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        if let (Some(since), Some(until)) = (query.since, query.until)
            && since >= until
        {
            return Ok(Vec::new());
        }
        let filter = Filter::new(query);

        // Keys are millisecond-granular. Widen the bounds to whole milliseconds
        // (so no hit in range is missed) and let `Filter` check the exact
        // instants. A bare 8-byte prefix sorts before every key of its own
        // millisecond, which makes both bounds land on millisecond boundaries.
        let lower = match query.since {
            Some(t) => Bound::Included(encode_millis(floor_millis(t))),
            None => Bound::Unbounded,
        };
        let upper = match query.until {
            Some(t) => Bound::Excluded(encode_millis(ceil_millis(t))),
            None => Bound::Unbounded,
        };

        let mut found = Vec::new();
        for entry in self
            .by_time
            .range::<[u8; TIME_PREFIX_LEN], _>((lower, upper))
            .rev()
        {
            let (key, _) = entry.map_err(|e| self.sled_error("by_time", e))?;
            let (_, id) = split_by_time_key(&self.path, &key)?;
            let Some(hit) = self.load_hit(id)? else {
                tracing::warn!(
                    store = %self.path.display(),
                    id = %show_key(id),
                    "by_time index entry without its hit in tree hits; skipped"
                );
                continue;
            };
            if filter.accepts(&hit) {
                found.push(hit);
                if found.len() == limit {
                    break;
                }
            }
        }
        self.settle_alert_status(&mut found)?;
        Ok(found)
    }
}

/// A [`HitQuery`] with its case-insensitive needles folded once, not per hit.
struct Filter<'q> {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    language: Option<&'q str>,
    topic: Option<&'q str>,
    feed: Option<String>,
    search: Option<String>,
    story: Option<&'q str>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q HitQuery) -> Self {
        Filter {
            since: query.since,
            until: query.until,
            language: query.language.as_deref(),
            topic: query.topic.as_deref(),
            feed: query.feed.as_deref().map(str::to_lowercase),
            search: query.search.as_deref().map(str::to_lowercase),
            story: query.story.as_deref(),
        }
    }

    fn accepts(&self, hit: &Hit) -> bool {
        self.since.is_none_or(|t| hit.published >= t)
            && self.until.is_none_or(|t| hit.published < t)
            && self.language.is_none_or(|l| hit.language == l)
            && self
                .story
                .is_none_or(|s| hit.story.as_deref().unwrap_or(&hit.id) == s)
            && self.topic.is_none_or(|t| hit.topic_names().any(|n| n == t))
            && self
                .feed
                .as_deref()
                .is_none_or(|f| hit.feed.to_lowercase() == f)
            && self.search.as_deref().is_none_or(|s| {
                hit.title.to_lowercase().contains(s)
                    || hit.summary.to_lowercase().contains(s)
                    || hit
                        .url
                        .as_deref()
                        .is_some_and(|u| u.to_lowercase().contains(s))
            })
    }
}
