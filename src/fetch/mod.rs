//! Fetching feeds: the HTTP/file client with its limits and conditional
//! requests, the per-feed state and schedule, and the global and per-host concurrency
//! limits.

mod client;
mod feed_state;
mod limits;
pub mod schedule;

pub use client::{Document, FetchError, FetchOutcome, Fetcher, Validators, parse_retry_after};
pub use feed_state::FeedState;
pub use limits::HostLimits;
