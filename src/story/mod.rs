//! Stories: the hits that report one event.
//!
//! Job: decide when two items are one. The first and cheapest case is the
//! exact duplicate, one item under two GUIDs: a feed that re-publishes an
//! entry under a new id, or two feeds linking one article with different
//! tracking parameters or through its AMP or mobile address. Such an item is
//! stored once and alerted once ([`duplicate_keys`]); the store records the
//! keys of every hit and refuses a second hit under a key it knows.
//!
//! This module is pure: it computes keys from a hit's fields and knows
//! nothing of the store or the pipeline that use them.

mod duplicate;

pub use duplicate::{canonical_link, duplicate_keys};
