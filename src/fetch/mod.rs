//! Fetching feeds: the HTTP/file client with its limits and conditional
//! requests, the per-feed schedule, and the global and per-host concurrency
//! limits.

mod client;
mod limits;
pub mod schedule;

pub use client::{Document, FetchError, FetchOutcome, Fetcher, Validators, parse_retry_after};
pub use limits::HostLimits;
