//! The sled store: hits and their indexes, the seen set, per-feed state.
//!
//! This is the only module that knows sled. Trees (one `sled::Db`):
//! `hits` (id → Hit as JSON), `by_time` (published millis ‖ id → ()), `seen`
//! (item id → first-seen millis), `feeds` (feed url → FeedState as JSON),
//! `outbox` (sequence → alert waiting for delivery, or dead),
//! `duplicates` (duplicate key → the hit id that holds it: an item whose key
//! is there is that hit again, see `story::duplicate_keys`),
//! `story_threads` (story ‖ alert → the story's message to that alert, see
//! `threads.rs`),
//! `meta` (`schema_version`, `duplicates_indexed`).
//!
//! Invariants: every id in `hits` has its `by_time` entry and its `seen` mark
//! (they are written in one transaction, and `prune_seen` never removes a hit's
//! mark); nothing read from disk is trusted, a record that does not decode is
//! a [`StoreError::Corrupt`] naming the tree and key, never a panic. Only one
//! process may open a store (sled's file lock); a second one gets
//! [`StoreError::Locked`].
//!
//! Layout: this file opens the store and owns the errors; [`records`] holds the
//! byte encodings, `hits.rs` writing and reading single hits, `query.rs` the
//! time-ordered listing, `seen.rs` the seen set and its retention, `feeds.rs`
//! the per-feed state, `outbox.rs` the alerts waiting for delivery,
//! `stories.rs` an analyst's corrections of the story grouping,
//! `threads.rs` what each alert has sent of each story.

mod feeds;
mod hits;
mod outbox;
mod query;
mod records;
mod seen;
mod stories;
mod threads;

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use feeds::FeedState;
pub use hits::{Inserted, MIN_PREFIX_CHARS};
pub use outbox::{OutboxEntry, OutboxSelection, OutboxState, StoryRole};
pub use query::HitQuery;
pub use stories::{DetachOutcome, MovedStory};
pub use threads::{StoryThread, THREAD_MEMBERS_MAX, ThreadMember};

/// The on-disk layout this code reads and writes. Bump it (and add a
/// migration) whenever a tree's key or value encoding changes.
pub const SCHEMA_VERSION: u32 = 1;

const SCHEMA_KEY: &[u8] = b"schema_version";

/// Set in `meta` once every stored hit's duplicate keys are in `duplicates`
/// (stores written before that tree existed get them on their next start).
const DUPLICATES_INDEXED_KEY: &[u8] = b"duplicates_indexed";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually the running service) holds the store.
    /// The message states the fact only: what to do depends on the command
    /// (the CLI adds it, `cli::store_failure`).
    #[error("store {path} is in use by another process")]
    Locked { path: PathBuf },
    #[error("store {path}: cannot open: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store {path} has schema version {found}, this newshound understands {expected}")]
    Schema {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// sled failed while reading or writing a tree (I/O error, internal corruption).
    #[error("store {path}, tree {tree}: {source}")]
    Sled {
        path: PathBuf,
        tree: &'static str,
        source: sled::Error,
    },
    /// A record on disk does not decode: its key is shown as text or hex.
    #[error("store {path}: corrupt record in tree {tree} at key {key}: {message}")]
    Corrupt {
        path: PathBuf,
        tree: &'static str,
        key: String,
        message: String,
    },
    /// A record could not be serialised (not expected with the record types we store).
    #[error("store {path}: cannot encode a record for tree {tree}: {message}")]
    Encode {
        path: PathBuf,
        tree: &'static str,
        message: String,
    },
    /// `get_hit` was given an id prefix that more than one hit starts with.
    #[error(
        "id prefix \"{prefix}\" is ambiguous: {count} hits in tree hits start with it; give more characters"
    )]
    Ambiguous { prefix: String, count: usize },
}

/// Sizes of the store, for `feeds status`, metrics and the health endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoreStats {
    pub hits: usize,
    pub seen: usize,
    pub feeds: usize,
    /// Outbox entries still being tried.
    pub alerts_pending: usize,
    /// Outbox entries given up on, waiting for `alerts retry`.
    pub alerts_dead: usize,
    /// Bytes of sled's files on disk (sled's own accounting).
    pub size_on_disk: u64,
}

/// An open store. Cheap to share behind an `Arc`: sled trees are thread-safe.
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    hits: sled::Tree,
    by_time: sled::Tree,
    seen: sled::Tree,
    feeds: sled::Tree,
    outbox: sled::Tree,
    duplicates: sled::Tree,
    story_threads: sled::Tree,
    meta: sled::Tree,
}

impl Store {
    /// Opens (creating if needed) the store in directory `path`, with sled's page
    /// cache bounded to `cache_bytes`.
    ///
    /// Fails with [`StoreError::Locked`] at once (no waiting) when another
    /// process, or another `Store` in this process, has it open.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .open()
            .map_err(|e| open_error(path, e))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| open_error(path, e));
        let store = Store {
            path: path.to_path_buf(),
            hits: tree("hits")?,
            by_time: tree("by_time")?,
            seen: tree("seen")?,
            feeds: tree("feeds")?,
            outbox: tree("outbox")?,
            duplicates: tree("duplicates")?,
            story_threads: tree("story_threads")?,
            meta: tree("meta")?,
            db,
        };
        store.check_schema()?;
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of stored hits. Walks the `hits` tree (sled keeps no count).
    pub fn hit_count(&self) -> usize {
        self.hits.len()
    }

    /// Number of `seen` marks. Walks the `seen` tree (sled keeps no count).
    pub fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// Counts of every tree that matters to an operator, and the disk usage.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let (pending, dead) = self.outbox_counts()?;
        Ok(StoreStats {
            hits: self.hit_count(),
            seen: self.seen_count(),
            feeds: self.feeds.len(),
            alerts_pending: pending,
            alerts_dead: dead,
            size_on_disk: self
                .db
                .size_on_disk()
                .map_err(|e| self.sled_error("(all)", e))?,
        })
    }

    /// A read of one small record: whether the store answers at all (the
    /// health check and the watchdog).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.meta
            .get(SCHEMA_KEY)
            .map(drop)
            .map_err(|e| self.sled_error("meta", e))
    }

    /// Writes everything to disk. sled also flushes in the background (every
    /// 500 ms by default) and when the store is dropped; this is for the moments
    /// that must not lose a write, such as shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db
            .flush()
            .map(drop)
            .map_err(|e| self.sled_error("(all)", e))
    }

    /// Writes the schema version into a new store, refuses a store written by
    /// an incompatible version.
    fn check_schema(&self) -> Result<(), StoreError> {
        let current = self
            .meta
            .get(SCHEMA_KEY)
            .map_err(|e| self.sled_error("meta", e))?;
        match current {
            None => {
                self.meta
                    .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| self.sled_error("meta", e))?;
                Ok(())
            }
            Some(bytes) => {
                let found = records::decode_u32(&self.path, "meta", SCHEMA_KEY, &bytes)?;
                if found == SCHEMA_VERSION {
                    Ok(())
                } else {
                    Err(StoreError::Schema {
                        path: self.path.clone(),
                        found,
                        expected: SCHEMA_VERSION,
                    })
                }
            }
        }
    }

    fn sled_error(&self, tree: &'static str, source: sled::Error) -> StoreError {
        StoreError::Sled {
            path: self.path.clone(),
            tree,
            source,
        }
    }
}

/// sled reports a held lock as a plain `io::Error` of kind `Other` with this
/// text (sled 0.34 `Config::try_lock`); it is the only way to tell it apart
/// from other I/O failures, and the service relies on telling them apart (the
/// CLI then talks to the running daemon instead).
fn open_error(path: &Path, source: sled::Error) -> StoreError {
    match &source {
        sled::Error::Io(e)
            if e.kind() == io::ErrorKind::Other
                && e.to_string().contains("could not acquire lock") =>
        {
            StoreError::Locked {
                path: path.to_path_buf(),
            }
        }
        _ => StoreError::Open {
            path: path.to_path_buf(),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sleds_lock_message_maps_to_locked() {
        let p = Path::new("/var/lib/newshound");
        let lock = sled::Error::Io(io::Error::other(
            "could not acquire lock on \"/var/lib/newshound/db\": Os { code: 11 }",
        ));
        assert!(matches!(open_error(p, lock), StoreError::Locked { .. }));

        let denied = sled::Error::Io(io::Error::new(io::ErrorKind::PermissionDenied, "denied"));
        assert!(matches!(open_error(p, denied), StoreError::Open { .. }));
        let other = sled::Error::Io(io::Error::other("disk on fire"));
        assert!(matches!(open_error(p, other), StoreError::Open { .. }));
        let unsupported = sled::Error::Unsupported("segment_size".into());
        assert!(matches!(
            open_error(p, unsupported),
            StoreError::Open { .. }
        ));
    }
}
