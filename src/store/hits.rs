//! Writing one hit (with its index entry and seen mark) and reading one back.
//!
//! Invariant: a hit is in `hits` if and only if its `by_time` entry is, and
//! then its id is in `seen`; the three are written by one sled transaction, so
//! a crash leaves all of them or none.

use std::convert::Infallible;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::outbox::OutboxEntry;
use super::records::{self, by_time_key, encode_json, encode_seen};
use super::{Store, StoreError};
use crate::model::{AlertStatus, Hit};

/// Shortest id prefix `get_hit` accepts: ids are hex hashes, and six hex
/// characters keep accidental collisions rare in a store of thousands of hits
/// (the `git` short-hash convention, one character shorter).
pub const MIN_PREFIX_CHARS: usize = 6;

impl Store {
    /// Stores a hit, its `by_time` entry, its `seen` mark and its alerts'
    /// outbox entries in one transaction: a crash leaves all of them or none.
    /// Returns `false` (and writes nothing) when the id was already stored.
    ///
    /// An existing `seen` mark is kept: it records when the item was *first*
    /// seen. The stored hit's `alert_status` is `pending` when it has alerts.
    pub fn insert_hit(&self, hit: &Hit, alerts: &[OutboxEntry]) -> Result<bool, StoreError> {
        // Encode outside the transaction: sled may run the closure more than
        // once on conflict, and encoding cannot conflict.
        let id = hit.id.as_bytes();
        let record = if alerts.is_empty() {
            encode_json(&self.path, "hits", hit)?
        } else {
            let mut pending = hit.clone();
            pending.alert_status = AlertStatus::Pending;
            encode_json(&self.path, "hits", &pending)?
        };
        let time_key = by_time_key(hit.published, &hit.id);
        let seen_at = encode_seen(hit.fetched);
        let entries = alerts
            .iter()
            .map(|e| encode_json(&self.path, "outbox", e))
            .collect::<Result<Vec<_>, _>>()?;

        let result: Result<bool, TransactionError<Infallible>> =
            (&self.hits, &self.by_time, &self.seen, &self.outbox).transaction(
                |(hits, by_time, seen, outbox)| {
                    if hits.get(id)?.is_some() {
                        return Ok(false);
                    }
                    hits.insert(id, record.as_slice())?;
                    by_time.insert(time_key.as_slice(), &[] as &[u8])?;
                    if seen.get(id)?.is_none() {
                        seen.insert(id, &seen_at)?;
                    }
                    for entry in &entries {
                        let seq = outbox.generate_id()?;
                        outbox.insert(&seq.to_be_bytes(), entry.as_slice())?;
                    }
                    Ok::<_, ConflictableTransactionError<Infallible>>(true)
                },
            );
        match result {
            Ok(inserted) => Ok(inserted),
            Err(TransactionError::Storage(e)) => {
                Err(self.sled_error("hits, by_time, seen, outbox", e))
            }
            Err(TransactionError::Abort(never)) => match never {},
        }
    }

    /// A hit by full id, or by a unique prefix of at least
    /// [`MIN_PREFIX_CHARS`] characters. A prefix shared by several hits is
    /// [`StoreError::Ambiguous`]; a shorter one that is not a full id finds nothing.
    pub fn get_hit(&self, id_or_prefix: &str) -> Result<Option<Hit>, StoreError> {
        let Some(hit) = self.find_hit(id_or_prefix)? else {
            return Ok(None);
        };
        let mut one = [hit];
        self.settle_alert_status(&mut one)?;
        let [hit] = one;
        Ok(Some(hit))
    }

    fn find_hit(&self, id_or_prefix: &str) -> Result<Option<Hit>, StoreError> {
        // The exact id wins, even when it is also a prefix of longer ids.
        if let Some(bytes) = self
            .hits
            .get(id_or_prefix)
            .map_err(|e| self.sled_error("hits", e))?
        {
            return records::decode_json(&self.path, "hits", id_or_prefix.as_bytes(), &bytes)
                .map(Some);
        }
        if id_or_prefix.chars().count() < MIN_PREFIX_CHARS {
            return Ok(None);
        }

        // Keep only the first match: the count is all that is needed of the rest.
        let mut first = None;
        let mut count = 0;
        for entry in self.hits.scan_prefix(id_or_prefix) {
            let (key, value) = entry.map_err(|e| self.sled_error("hits", e))?;
            count += 1;
            if first.is_none() {
                first = Some((key, value));
            }
        }
        match (first, count) {
            (None, _) => Ok(None),
            (Some((key, value)), 1) => {
                records::decode_json(&self.path, "hits", &key, &value).map(Some)
            }
            (Some(_), count) => Err(StoreError::Ambiguous {
                prefix: id_or_prefix.to_string(),
                count,
            }),
        }
    }

    /// The hit with exactly this id, its `alert_status` as stored.
    pub fn hit(&self, id: &str) -> Result<Option<Hit>, StoreError> {
        self.load_hit(id.as_bytes())
    }

    /// Loads the hit with this exact id (as raw key bytes, as found in an index).
    pub(super) fn load_hit(&self, id: &[u8]) -> Result<Option<Hit>, StoreError> {
        match self.hits.get(id).map_err(|e| self.sled_error("hits", e))? {
            None => Ok(None),
            Some(bytes) => records::decode_json(&self.path, "hits", id, &bytes).map(Some),
        }
    }
}
