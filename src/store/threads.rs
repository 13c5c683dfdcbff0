//! Story threads: for each story an alert has sent a message about, which
//! message that was (its delivery id, and the service's own id of it when
//! the service gives one) and what of the story the alert has sent since,
//! so that a later member can follow up on that message and say what is new.
//!
//! Tree `story_threads`: key `story ‖ 0 ‖ alert`, value a [`StoryThread`] as
//! JSON. A thread is written in the same transaction that removes the
//! delivered outbox entries it records ([`Store::complete_outbox`]): a crash
//! leaves both or neither, so a follow-up never waits for a reference that
//! was lost, and a delivered first message never loses its reference.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::outbox::StoryRole;
use super::records::{decode_json, encode_json};
use super::{Store, StoreError};

/// Most members a thread lists; a story larger than this is still counted.
pub const THREAD_MEMBERS_MAX: usize = 500;

/// One story's message to one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryThread {
    pub story: String,
    pub alert: String,
    /// The delivery id of the message the thread started with.
    pub first_delivery: String,
    /// The hit that message carried.
    pub first_hit: String,
    /// The service's id of that message (a Matrix event id, a Telegram
    /// message id, a Discord message id); `None` when the service gives
    /// none, the message was a digest, or the story's first message was
    /// never delivered (its follow-ups then stand alone).
    #[serde(default)]
    pub message_ref: Option<String>,
    /// The hits the alert has sent of this story, oldest first (at most
    /// [`THREAD_MEMBERS_MAX`]).
    #[serde(default)]
    pub members: Vec<ThreadMember>,
    /// How many hits the alert has sent of this story (members beyond the
    /// cap included).
    #[serde(default)]
    pub items: usize,
    /// Last written: threads untouched for long are pruned.
    pub updated: DateTime<Utc>,
}

/// One hit of a thread: what a follow-up's summary counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMember {
    pub hit: String,
    pub feed: String,
    pub language: String,
}

impl StoryThread {
    /// Adds a member (once), keeping the count.
    pub fn add(&mut self, member: ThreadMember) {
        if self.members.iter().any(|m| m.hit == member.hit) {
            return;
        }
        self.items += 1;
        if self.members.len() < THREAD_MEMBERS_MAX {
            self.members.push(member);
        }
    }
}

fn thread_key(story: &str, alert: &str) -> Vec<u8> {
    let mut key = story.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(alert.as_bytes());
    key
}

impl Store {
    /// The thread of `story` for `alert`, if it has one.
    pub fn story_thread(
        &self,
        story: &str,
        alert: &str,
    ) -> Result<Option<StoryThread>, StoreError> {
        let key = thread_key(story, alert);
        match self
            .story_threads
            .get(&key)
            .map_err(|e| self.sled_error("story_threads", e))?
        {
            None => Ok(None),
            Some(bytes) => decode_json(&self.path, "story_threads", &key, &bytes).map(Some),
        }
    }

    /// Whether `alert` has a message for `story`: a first message waiting
    /// in the outbox (pending or dead), or a thread of one delivered.
    ///
    /// The outbox is read before the threads: a delivery moves an entry
    /// from one to the other in one transaction, so reading in this order
    /// cannot miss both.
    pub fn story_opened(&self, story: &str, alert: &str) -> Result<bool, StoreError> {
        let needle = {
            let mut n = b"\"story\":".to_vec();
            n.extend_from_slice(&encode_json(&self.path, "outbox", &story)?);
            n
        };
        for kv in self.outbox.iter() {
            let (key, value) = kv.map_err(|e| self.sled_error("outbox", e))?;
            if !super::outbox::contains(&value, &needle) {
                continue;
            }
            let entry: super::OutboxEntry = decode_json(&self.path, "outbox", &key, &value)?;
            if entry.alert == alert
                && entry.role == StoryRole::First
                && entry.story.as_deref() == Some(story)
            {
                return Ok(true);
            }
        }
        Ok(self.story_thread(story, alert)?.is_some())
    }

    /// Removes delivered entries and writes the threads they start or
    /// extend, in one transaction made durable before returning.
    pub fn complete_outbox(&self, seqs: &[u64], threads: &[StoryThread]) -> Result<(), StoreError> {
        let records = threads
            .iter()
            .map(|t| {
                Ok((
                    thread_key(&t.story, &t.alert),
                    encode_json(&self.path, "story_threads", t)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let result: Result<(), TransactionError<Infallible>> = (&self.outbox, &self.story_threads)
            .transaction(|(outbox, story_threads)| {
                for seq in seqs {
                    outbox.remove(&seq.to_be_bytes())?;
                }
                for (key, value) in &records {
                    story_threads.insert(key.as_slice(), value.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<Infallible>>(())
            });
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => {
                return Err(self.sled_error("outbox, story_threads", e));
            }
            Err(TransactionError::Abort(never)) => match never {},
        }
        self.flush()
    }

    /// Removes the threads last written before `before`: a story that quiet
    /// has long left the story window. Returns how many were removed.
    pub fn prune_story_threads(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut old = Vec::new();
        for kv in self.story_threads.iter() {
            let (key, value) = kv.map_err(|e| self.sled_error("story_threads", e))?;
            // A record that does not decode is left for an operator to see,
            // not deleted unseen.
            if let Ok(thread) =
                decode_json::<StoryThread>(&self.path, "story_threads", &key, &value)
                && thread.updated < before
            {
                old.push(key);
            }
        }
        for key in &old {
            self.story_threads
                .remove(key)
                .map_err(|e| self.sled_error("story_threads", e))?;
        }
        Ok(old.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxEntry;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store"), 1 << 20).unwrap();
        (dir, store)
    }

    fn thread(story: &str, alert: &str) -> StoryThread {
        StoryThread {
            story: story.into(),
            alert: alert.into(),
            first_delivery: "d1".into(),
            first_hit: story.into(),
            message_ref: Some("$e".into()),
            members: vec![],
            items: 1,
            updated: Utc::now(),
        }
    }

    #[test]
    fn a_story_is_opened_by_a_waiting_first_message_or_a_delivered_one() {
        let (_dir, store) = store();
        let now = Utc::now();
        let hit = crate::alert::template::sample_hit();
        let first =
            OutboxEntry::new("d1".into(), "a", &hit.id, now).in_story("s", StoryRole::First);
        let follow =
            OutboxEntry::new("d2".into(), "b", &hit.id, now).in_story("s", StoryRole::FollowUp);
        assert!(store.insert_hit(&hit, &[first, follow]).unwrap());
        assert!(store.story_opened("s", "a").unwrap());
        // A follow-up opens nothing; another story or alert is not opened.
        assert!(!store.story_opened("s", "b").unwrap());
        assert!(!store.story_opened("t", "a").unwrap());

        // Delivered: the entry leaves and the thread arrives, in one step.
        let seq = store.outbox().unwrap()[0].seq;
        store.complete_outbox(&[seq], &[thread("s", "a")]).unwrap();
        assert_eq!(store.outbox().unwrap().len(), 1);
        assert!(store.story_opened("s", "a").unwrap());
        let got = store.story_thread("s", "a").unwrap().unwrap();
        assert_eq!(got.message_ref.as_deref(), Some("$e"));
        assert!(store.story_thread("s", "b").unwrap().is_none());
    }

    #[test]
    fn quiet_threads_are_pruned() {
        let (_dir, store) = store();
        let mut old = thread("old", "a");
        old.updated = Utc::now() - chrono::Duration::days(40);
        store
            .complete_outbox(&[], &[old, thread("new", "a")])
            .unwrap();
        let removed = store
            .prune_story_threads(Utc::now() - chrono::Duration::days(30))
            .unwrap();
        assert_eq!(removed, 1);
        assert!(store.story_thread("old", "a").unwrap().is_none());
        assert!(store.story_thread("new", "a").unwrap().is_some());
    }
}
