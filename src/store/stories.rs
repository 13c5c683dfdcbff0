//! Correcting the story grouping: taking a hit out of its story.
//!
//! A story is the set of hits whose `story` field names it, and its id is
//! the id of its first hit. Taking out a later member only changes that
//! member; taking out the first hit leaves the others without the hit their
//! story is named after, so they move to a story named after the earliest
//! of them. Every change is one transaction.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::records::{self, encode_json};
use super::{Store, StoreError};
use crate::model::{Detachment, Hit};

/// What [`Store::detach_hit`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DetachOutcome {
    /// The hit left the story `from` and is now a story of its own.
    Detached {
        hit: String,
        from: String,
        /// When the hit was the story's first: the story the other members
        /// moved to (the id of the earliest of them), and how many moved.
        rest: Option<MovedStory>,
    },
    /// The hit is the only member of its story: nothing to take it out of.
    Alone { hit: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedStory {
    pub story: String,
    pub members: usize,
}

impl Store {
    /// Takes the hit with this id (or unique prefix, as `get_hit` takes it)
    /// out of its story; `None` when there is no such hit. The hit records
    /// which story it left and when, so the grouping can say so; a service
    /// that groups new hits must update its window the same way (see
    /// `story::Grouper::detach`).
    pub fn detach_hit(
        &self,
        id_or_prefix: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DetachOutcome>, StoreError> {
        let Some(hit) = self.get_hit(id_or_prefix)? else {
            return Ok(None);
        };
        let story = hit.story.clone().unwrap_or_else(|| hit.id.clone());
        let mut changed: Vec<Hit> = Vec::new();
        let mut rest = None;
        if story == hit.id {
            // The first hit: the others need a new name for their story.
            let mut others = self.story_members(&story, &hit.id)?;
            if others.is_empty() {
                return Ok(Some(DetachOutcome::Alone { hit: hit.id }));
            }
            others.sort_by(|a, b| a.fetched.cmp(&b.fetched).then_with(|| a.id.cmp(&b.id)));
            let new_story = others[0].id.clone();
            rest = Some(MovedStory {
                story: new_story.clone(),
                members: others.len(),
            });
            for mut other in others {
                other.story = Some(new_story.clone());
                changed.push(other);
            }
        }
        let mut detached = self.hit(&hit.id)?.ok_or_else(|| self.vanished(&hit.id))?;
        detached.story = Some(detached.id.clone());
        detached.detached = Some(Detachment {
            from: story.clone(),
            at: now,
        });
        changed.push(detached);
        self.rewrite_hits(&changed)?;
        Ok(Some(DetachOutcome::Detached {
            hit: hit.id,
            from: story,
            rest,
        }))
    }

    /// The stored hits of `story` other than `except`, as stored.
    fn story_members(&self, story: &str, except: &str) -> Result<Vec<Hit>, StoreError> {
        let mut members = Vec::new();
        for entry in self.hits.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error("hits", e))?;
            let hit: Hit = records::decode_json(&self.path, "hits", &key, &value)?;
            if hit.id != except && hit.story.as_deref() == Some(story) {
                members.push(hit);
            }
        }
        Ok(members)
    }

    /// Writes back hits that are already stored (their ids, times and
    /// indexes unchanged), in one transaction.
    fn rewrite_hits(&self, hits: &[Hit]) -> Result<(), StoreError> {
        let records = hits
            .iter()
            .map(|h| Ok((h.id.as_bytes(), encode_json(&self.path, "hits", h)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let result: Result<(), TransactionError<Infallible>> = self.hits.transaction(|tree| {
            for (id, record) in &records {
                tree.insert(*id, record.as_slice())?;
            }
            Ok::<_, ConflictableTransactionError<Infallible>>(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Storage(e)) => Err(self.sled_error("hits", e)),
            Err(TransactionError::Abort(never)) => match never {},
        }
    }

    fn vanished(&self, id: &str) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            tree: "hits",
            key: id.to_string(),
            message: "the hit disappeared while it was being detached".into(),
        }
    }
}
