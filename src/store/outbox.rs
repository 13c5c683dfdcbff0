//! The outbox: alerts waiting to be delivered, written in the same
//! transaction as their hit (see `hits.rs`) and removed only once delivered.
//!
//! Key: a big-endian sequence number from sled's id generator, so the tree
//! reads oldest first. Value: an [`OutboxEntry`] as JSON. Dead entries stay
//! until an operator retries them (`alerts retry`); they are not deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::records::{corrupt, decode_json, encode_json};
use super::{Store, StoreError};
use crate::model::AlertStatus;

/// Whether an entry is still being tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    Pending,
    /// Given up on (too many attempts, too old, or refused for good).
    Dead,
}

/// What an entry sends of its hit's story (alerts with `story = "first"`
/// or `"update"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoryRole {
    /// The story's first message to this alert (and every entry written
    /// before stories, or of a `story = "every"` alert).
    #[default]
    First,
    /// A later member of a story this alert has a message for: it waits
    /// for that message's delivery, then follows up on it.
    FollowUp,
}

impl StoryRole {
    fn is_first(&self) -> bool {
        *self == StoryRole::First
    }
}

/// One hit's alert to one sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The key; assigned by the store when the entry is written (stored in
    /// the key, not the value; shown in listings).
    #[serde(default)]
    pub seq: u64,
    /// Stable id of this delivery (hit × alert): the same on every retry.
    pub delivery_id: String,
    /// The `[[alert]]` name.
    pub alert: String,
    pub hit_id: String,
    pub created: DateTime<Utc>,
    pub state: OutboxState,
    pub attempts: u32,
    /// Not to be tried before this.
    pub next_attempt: DateTime<Utc>,
    #[serde(default)]
    pub last_attempt: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Set when the entry was folded into a digest: a retry resends the
    /// same digest (same id), never a different grouping.
    #[serde(default)]
    pub digest: Option<String>,
    /// The hit's story, when the alert sends by story (`"first"`,
    /// `"update"`); absent for `"every"` and for entries written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
    /// Whether this opens the story for the alert or follows up on it.
    #[serde(default, skip_serializing_if = "StoryRole::is_first")]
    pub role: StoryRole,
}

impl OutboxEntry {
    /// A new pending entry, due now.
    pub fn new(delivery_id: String, alert: &str, hit_id: &str, now: DateTime<Utc>) -> OutboxEntry {
        OutboxEntry {
            seq: 0,
            delivery_id,
            alert: alert.to_string(),
            hit_id: hit_id.to_string(),
            created: now,
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt: now,
            last_attempt: None,
            last_error: None,
            digest: None,
            story: None,
            role: StoryRole::First,
        }
    }

    /// This entry, as `role` in `story`.
    pub fn in_story(self, story: &str, role: StoryRole) -> OutboxEntry {
        OutboxEntry {
            story: Some(story.to_string()),
            role,
            ..self
        }
    }

    /// Whether this is a follow-up on a story's first message.
    pub fn is_follow_up(&self) -> bool {
        self.role == StoryRole::FollowUp
    }
}

/// Which entries `alerts retry` brings back or `alerts drop` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxSelection {
    /// Every dead entry.
    AllDead,
    /// The entries whose delivery id or hit id starts with this (at least 6 characters).
    Id(String),
    /// Every entry of one alert (a renamed or removed one, say).
    Alert(String),
}

impl OutboxSelection {
    fn selects(&self, entry: &OutboxEntry) -> bool {
        match self {
            OutboxSelection::AllDead => entry.state == OutboxState::Dead,
            OutboxSelection::Id(prefix) => {
                entry.delivery_id.starts_with(prefix.as_str())
                    || entry.hit_id.starts_with(prefix.as_str())
            }
            OutboxSelection::Alert(name) => entry.alert == *name,
        }
    }
}

impl Store {
    /// Every outbox entry, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        for kv in self.outbox.iter() {
            let (key, value) = kv.map_err(|e| self.sled_error("outbox", e))?;
            out.push(self.decode_outbox(&key, &value)?);
        }
        Ok(out)
    }

    /// How many outbox entries are pending and how many dead. Reads the
    /// outbox only, unlike [`Store::stats`], which walks every tree: the
    /// status line asks this every few seconds.
    pub fn outbox_counts(&self) -> Result<(usize, usize), StoreError> {
        let entries = self.outbox()?;
        let dead = entries
            .iter()
            .filter(|e| e.state == OutboxState::Dead)
            .count();
        Ok((entries.len() - dead, dead))
    }

    /// The pending entries of one alert, oldest first.
    ///
    /// Each worker asks this before every message, and a long outage can
    /// leave thousands of entries: records are matched on their JSON bytes
    /// first (`"alert":"name"` and `"state":"pending"` cannot occur inside a
    /// JSON string, whose quotes are escaped) and only the matches decoded.
    pub fn pending_for(&self, alert: &str) -> Result<Vec<OutboxEntry>, StoreError> {
        let name = encode_json(&self.path, "outbox", &alert)?;
        let mut wanted = b"\"alert\":".to_vec();
        wanted.extend_from_slice(&name);
        let pending = br#""state":"pending""#;
        let mut out = Vec::new();
        for kv in self.outbox.iter() {
            let (key, value) = kv.map_err(|e| self.sled_error("outbox", e))?;
            if !contains(&value, &wanted) || !contains(&value, pending) {
                continue;
            }
            let entry = self.decode_outbox(&key, &value)?;
            if entry.state == OutboxState::Pending && entry.alert == alert {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Rewrites entries (after an attempt). An entry no longer in the
    /// outbox (delivered by a digest, or removed meanwhile) is not revived.
    pub fn update_outbox(&self, entries: &[OutboxEntry]) -> Result<(), StoreError> {
        for entry in entries {
            let key = entry.seq.to_be_bytes();
            let value = encode_json(&self.path, "outbox", entry)?;
            // Replace only what is there: `fetch_and_update` leaves an
            // absent key absent.
            self.outbox
                .fetch_and_update(key, |current| current.map(|_| value.clone()))
                .map_err(|e| self.sled_error("outbox", e))?;
        }
        Ok(())
    }

    /// Removes delivered entries and makes the removal durable before
    /// returning: a crash right after a service accepted an alert must not
    /// send it again.
    pub fn remove_outbox(&self, seqs: &[u64]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for seq in seqs {
            batch.remove(&seq.to_be_bytes());
        }
        self.outbox
            .apply_batch(batch)
            .map_err(|e| self.sled_error("outbox", e))?;
        self.outbox
            .flush()
            .map(drop)
            .map_err(|e| self.sled_error("outbox", e))
    }

    /// Makes the selected entries pending and due now, with their attempt
    /// count reset. Returns how many were changed.
    pub fn retry_outbox(
        &self,
        selection: &OutboxSelection,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut changed = Vec::new();
        for mut entry in self.outbox()? {
            if selection.selects(&entry) {
                entry.state = OutboxState::Pending;
                entry.attempts = 0;
                entry.next_attempt = now;
                entry.digest = None;
                changed.push(entry);
            }
        }
        for entry in &changed {
            let value = encode_json(&self.path, "outbox", entry)?;
            self.outbox
                .insert(entry.seq.to_be_bytes(), value)
                .map_err(|e| self.sled_error("outbox", e))?;
        }
        self.flush()?;
        Ok(changed.len())
    }

    /// Removes the selected entries for good: those alerts are never sent,
    /// and their hits say `dropped` rather than `sent` from now on.
    /// Returns how many were removed.
    pub fn drop_outbox(&self, selection: &OutboxSelection) -> Result<usize, StoreError> {
        let chosen: Vec<OutboxEntry> = self
            .outbox()?
            .into_iter()
            .filter(|e| selection.selects(e))
            .collect();
        for entry in &chosen {
            if let Some(mut hit) = self.hit(&entry.hit_id)? {
                hit.alert_status = AlertStatus::Dropped;
                let record = encode_json(&self.path, "hits", &hit)?;
                self.hits
                    .insert(hit.id.as_bytes(), record)
                    .map_err(|e| self.sled_error("hits", e))?;
            }
        }
        let seqs: Vec<u64> = chosen.iter().map(|e| e.seq).collect();
        self.remove_outbox(&seqs)?;
        Ok(seqs.len())
    }

    fn decode_outbox(&self, key: &[u8], value: &[u8]) -> Result<OutboxEntry, StoreError> {
        let seq: [u8; 8] = key
            .try_into()
            .map_err(|_| corrupt(&self.path, "outbox", key, "key is not an 8-byte sequence"))?;
        let mut entry: OutboxEntry = decode_json(&self.path, "outbox", key, value)?;
        entry.seq = u64::from_be_bytes(seq);
        Ok(entry)
    }
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl Store {
    /// Brings each hit's `alert_status` up to date with the outbox: a hit
    /// stored as `pending` (or `dropped`) is `dead` while one of its entries
    /// is dead, `pending` while one waits, and once none is left `sent`
    /// (or `dropped`, when an operator removed one of its alerts).
    pub(super) fn settle_alert_status(
        &self,
        hits: &mut [crate::model::Hit],
    ) -> Result<(), StoreError> {
        let unsettled = |h: &crate::model::Hit| {
            matches!(h.alert_status, AlertStatus::Pending | AlertStatus::Dropped)
        };
        if !hits.iter().any(unsettled) {
            return Ok(());
        }
        let mut states: std::collections::HashMap<String, OutboxState> = Default::default();
        for entry in self.outbox()? {
            let state = states.entry(entry.hit_id).or_insert(entry.state);
            if entry.state == OutboxState::Dead {
                *state = OutboxState::Dead;
            }
        }
        for hit in hits.iter_mut().filter(|h| unsettled(h)) {
            hit.alert_status = match states.get(&hit.id) {
                Some(OutboxState::Dead) => AlertStatus::Dead,
                Some(OutboxState::Pending) => AlertStatus::Pending,
                None if hit.alert_status == AlertStatus::Dropped => AlertStatus::Dropped,
                None => AlertStatus::Sent,
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_written_before_stories_reads_as_a_first_message_of_no_story() {
        let old = r#"{"delivery_id":"d","alert":"a","hit_id":"h","created":"2026-01-01T00:00:00Z",
            "state":"pending","attempts":0,"next_attempt":"2026-01-01T00:00:00Z"}"#;
        let entry: OutboxEntry = serde_json::from_str(old).unwrap();
        assert_eq!((entry.story, entry.role), (None, StoryRole::First));
        // And a first message writes no more than it did.
        let json =
            serde_json::to_string(&OutboxEntry::new("d".into(), "a", "h", Utc::now())).unwrap();
        assert!(!json.contains("story") && !json.contains("role"), "{json}");
    }
}
