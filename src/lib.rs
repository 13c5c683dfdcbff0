//! newshound: a multilingual news monitor for technology-espionage stories.
//!
//! The library holds every pipeline stage; the `newshound` binary is a thin
//! command-line layer over it. See `ARCHITECTURE.md` for the map.

pub mod alert;
pub mod api;
pub mod backoff;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod eval;
pub mod fetch;
pub mod lang;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod store;
pub mod story;
pub mod topic;
pub mod views;

/// How newshound names itself to the servers it talks to (feeds and chat
/// services alike), so their operators know who is asking: program, version
/// and where to read about it. `[poll] user_agent` overrides it for feeds.
pub const USER_AGENT: &str = concat!(
    "newshound/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/newshound/newshound)"
);

pub use model::{AlertStatus, Classification, Hit, Item, LanguageGuess, TermHit, TopicResult};
