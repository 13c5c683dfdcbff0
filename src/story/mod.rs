//! Stories: the hits that report one event.
//!
//! Job: decide when two items are one, and when two hits tell one story.
//! The first and cheapest case is the exact duplicate, one item under two
//! GUIDs: a feed that re-publishes an entry under a new id, or two feeds
//! linking one article with different tracking parameters or through its
//! AMP or mobile address. Such an item is stored once and alerted once
//! ([`duplicate_keys`]); the store records the keys of every hit and
//! refuses a second hit under a key it knows.
//!
//! Stories group distinct hits: edited copies of one wire report
//! ([`minhash`]: the text they share), rewrites and translations ([`names`]:
//! the specific names, codes and numbers they share). [`group`] decides,
//! hit by hit as they arrive, which earlier story a hit joins, and says why.
//!
//! This module is pure: it computes keys and decisions from a hit's fields
//! and knows nothing of the store or the pipeline that use them.

mod duplicate;
pub mod group;
pub mod minhash;
pub mod names;

pub use duplicate::{canonical_link, duplicate_keys};
