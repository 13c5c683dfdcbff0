//! Writing one hit (with its index entry and seen mark) and reading one back.
//!
//! Invariant: a hit is in `hits` if and only if its `by_time` entry is, and
//! then its id is in `seen` and its duplicate keys point to it (unless an
//! earlier hit claimed them); they are written by one sled transaction, so a
//! crash leaves all of them or none.

use std::convert::Infallible;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::outbox::OutboxEntry;
use super::records::{self, by_time_key, encode_json, encode_seen};
use super::{DUPLICATES_INDEXED_KEY, Store, StoreError};
use crate::model::{AlertStatus, Hit};

/// Shortest id prefix `get_hit` accepts: ids are hex hashes, and six hex
/// characters keep accidental collisions rare in a store of thousands of hits
/// (the `git` short-hash convention, one character shorter).
pub const MIN_PREFIX_CHARS: usize = 6;

/// What [`Store::insert_new_hit`] did with a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored, with its index entries, keys and alerts.
    Stored,
    /// A hit with this id was already stored; nothing was written.
    AlreadyStored,
    /// One of its duplicate keys belongs to the stored hit with this id: only
    /// the new item's `seen` mark was written, so it is not processed again.
    DuplicateOf(String),
}

impl Store {
    /// Stores a hit, its `by_time` entry, its `seen` mark and its alerts'
    /// outbox entries in one transaction: a crash leaves all of them or none.
    /// Returns `false` (and writes nothing) when the id was already stored.
    ///
    /// An existing `seen` mark is kept: it records when the item was *first*
    /// seen. The stored hit's `alert_status` is `pending` when it has alerts.
    pub fn insert_hit(&self, hit: &Hit, alerts: &[OutboxEntry]) -> Result<bool, StoreError> {
        Ok(self.insert_new_hit(hit, alerts, &[])? == Inserted::Stored)
    }

    /// [`Store::insert_hit`], unless one of `keys` (opaque bytes, see
    /// `story::duplicate_keys`) is already the key of a stored hit: then the
    /// hit is a duplicate of that one and only its `seen` mark is written.
    /// The check and the writes are one transaction, so two copies of one
    /// item stored at once by two feed tasks still make one hit.
    pub fn insert_new_hit(
        &self,
        hit: &Hit,
        alerts: &[OutboxEntry],
        keys: &[Vec<u8>],
    ) -> Result<Inserted, StoreError> {
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

        let result: Result<Inserted, TransactionError<Infallible>> = (
            &self.hits,
            &self.by_time,
            &self.seen,
            &self.outbox,
            &self.duplicates,
        )
            .transaction(|(hits, by_time, seen, outbox, duplicates)| {
                if hits.get(id)?.is_some() {
                    return Ok(Inserted::AlreadyStored);
                }
                for key in keys {
                    if let Some(owner) = duplicates.get(key.as_slice())? {
                        if seen.get(id)?.is_none() {
                            seen.insert(id, &seen_at)?;
                        }
                        let owner = String::from_utf8_lossy(&owner).into_owned();
                        return Ok(Inserted::DuplicateOf(owner));
                    }
                }
                hits.insert(id, record.as_slice())?;
                by_time.insert(time_key.as_slice(), &[] as &[u8])?;
                if seen.get(id)?.is_none() {
                    seen.insert(id, &seen_at)?;
                }
                for key in keys {
                    duplicates.insert(key.as_slice(), id)?;
                }
                for entry in &entries {
                    let seq = outbox.generate_id()?;
                    outbox.insert(&seq.to_be_bytes(), entry.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<Infallible>>(Inserted::Stored)
            });
        match result {
            Ok(inserted) => Ok(inserted),
            Err(TransactionError::Storage(e)) => {
                Err(self.sled_error("hits, by_time, seen, outbox, duplicates", e))
            }
            Err(TransactionError::Abort(never)) => match never {},
        }
    }

    /// Records the duplicate keys of every stored hit, once per store: a
    /// store written before the keys existed gets them on its first start
    /// with this version, so a re-published copy of an old hit is still
    /// recognised. Later calls return at once. Returns how many hits were
    /// indexed.
    pub fn index_duplicate_keys(
        &self,
        keys_of: impl Fn(&Hit) -> Vec<Vec<u8>>,
    ) -> Result<usize, StoreError> {
        let done = self
            .meta
            .get(DUPLICATES_INDEXED_KEY)
            .map_err(|e| self.sled_error("meta", e))?;
        if done.is_some() {
            return Ok(0);
        }
        let mut indexed = 0;
        for entry in self.hits.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error("hits", e))?;
            let hit: Hit = records::decode_json(&self.path, "hits", &key, &value)?;
            for dup in keys_of(&hit) {
                // The first hit to claim a key keeps it, as when inserting.
                self.duplicates
                    .compare_and_swap(dup, None as Option<&[u8]>, Some(&key[..]))
                    .map_err(|e| self.sled_error("duplicates", e))?
                    .ok();
            }
            indexed += 1;
        }
        self.meta
            .insert(DUPLICATES_INDEXED_KEY, &[1u8])
            .map_err(|e| self.sled_error("meta", e))?;
        Ok(indexed)
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
