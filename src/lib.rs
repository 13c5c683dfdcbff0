//! newshound: a multilingual news monitor for technology-espionage stories.
//!
//! The library holds every pipeline stage; the `newshound` binary is a thin
//! command-line layer over it. See `ARCHITECTURE.md` for the map.

pub mod alert;
pub mod backoff;
pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod eval;
pub mod fetch;
pub mod lang;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod store;
pub mod topic;
pub mod views;

pub use model::{Classification, Hit, Item, LanguageGuess, TermHit, TopicResult};
