//! The seen set: every item id the pipeline has processed, matched or not,
//! with the time it was first seen; and its retention.
//!
//! Invariants: a mark, once written, keeps its first-seen time (later marks of
//! the same id do not overwrite it); pruning never removes the mark of an id
//! that is a stored hit, so a hit is never processed (and alerted) twice.

use std::convert::Infallible;

use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::records::{ceil_millis, decode_seen, encode_seen};
use super::{Store, StoreError};

/// How many removals `prune_seen` commits per transaction: bounds its memory
/// (the keys of one batch) whatever the size of the seen set.
const PRUNE_BATCH: usize = 1024;

impl Store {
    /// Whether the item id has been processed before.
    pub fn is_seen(&self, item_id: &str) -> Result<bool, StoreError> {
        self.seen
            .contains_key(item_id)
            .map_err(|e| self.sled_error("seen", e))
    }

    /// Marks items as processed (one batch), keeping the first-seen time of
    /// those already marked.
    pub fn mark_seen(&self, item_ids: &[&str], at: DateTime<Utc>) -> Result<(), StoreError> {
        let value = encode_seen(at);
        for id in item_ids {
            // Insert only if absent, atomically. A failed comparison just means
            // the id was already marked: nothing to do.
            self.seen
                .compare_and_swap(id, None as Option<&[u8]>, Some(&value[..]))
                .map_err(|e| self.sled_error("seen", e))?
                .ok();
        }
        Ok(())
    }

    /// Removes `seen` marks older than `before` (hits themselves are kept, and
    /// so are the marks of hit ids). Returns how many were removed.
    pub fn prune_seen(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // Marks are whole milliseconds: m < before  <=>  m < ceil(before).
        let cutoff = ceil_millis(before);
        let mut removed = 0;
        let mut candidates = Vec::with_capacity(PRUNE_BATCH);
        // sled iterators tolerate concurrent removals, so batches are removed
        // while walking rather than after collecting every key.
        for entry in self.seen.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error("seen", e))?;
            if decode_seen(&self.path, &key, &value)? < cutoff {
                candidates.push(key);
            }
            if candidates.len() == PRUNE_BATCH {
                removed += self.remove_seen_unless_hit(&candidates)?;
                candidates.clear();
            }
        }
        if !candidates.is_empty() {
            removed += self.remove_seen_unless_hit(&candidates)?;
        }
        Ok(removed)
    }

    /// Removes these seen marks, except those of stored hits, in one
    /// transaction over (`hits`, `seen`): a hit inserted while pruning runs
    /// either is seen by the check or commits after the removal and writes its
    /// own mark, so no hit is ever left without one.
    fn remove_seen_unless_hit(&self, keys: &[sled::IVec]) -> Result<usize, StoreError> {
        let result: Result<usize, TransactionError<Infallible>> = (&self.hits, &self.seen)
            .transaction(|(hits, seen)| {
                let mut removed = 0;
                for key in keys {
                    if hits.get(key)?.is_none() && seen.remove(key)?.is_some() {
                        removed += 1;
                    }
                }
                Ok::<_, ConflictableTransactionError<Infallible>>(removed)
            });
        match result {
            Ok(removed) => Ok(removed),
            Err(TransactionError::Storage(e)) => Err(self.sled_error("hits, seen", e)),
            Err(TransactionError::Abort(never)) => match never {},
        }
    }
}
