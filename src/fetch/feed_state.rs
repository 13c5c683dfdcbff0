//! What the scheduler remembers about a feed between polls and restarts,
//! and how each thing that can happen to a feed changes it.
//!
//! Every change of a feed's timing goes through one of the methods below
//! (a success, a 304, a failure, a 410, an operator's reset), so the rules
//! for the next due time live here and in [`super::schedule`]'s pure time
//! functions, nowhere else. The store persists the record; the pipeline
//! calls the method for what a poll found; the daemon reads
//! [`FeedState::due_at_start`] when it (re)builds its due map.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::schedule;

/// The per-feed record. Stored as JSON: fields added later carry
/// `#[serde(default)]` (the whole struct does), so older records still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Consecutive failures; 0 after a success.
    pub error_count: u32,
    /// When the feed is polled next; `None` before its first poll and after
    /// a 410 or a reset.
    pub next_due: Option<DateTime<Utc>>,
    /// Set when the server answered 410 Gone; the feed is not polled again
    /// until an operator resets it or its URL changes.
    pub gone: bool,
    /// Items seen in the last successful fetch that parsed.
    pub last_item_count: u32,
    pub total_hits: u64,
}

impl FeedState {
    /// A fetch at `at` that returned a document: its `items` were read and
    /// `new_hits` of them stored as hits. Due again one `interval` later.
    pub fn succeeded(
        &mut self,
        at: DateTime<Utc>,
        interval: Duration,
        items: usize,
        new_hits: usize,
    ) {
        // Healthy as after a 304, and with counts to record.
        self.not_modified(at, interval);
        self.last_item_count = u32::try_from(items).unwrap_or(u32::MAX);
        self.total_hits = self.total_hits.saturating_add(new_hits as u64);
    }

    /// A 304 at `at`: nothing new, the feed is healthy. Due again one
    /// `interval` later; the count of items read last time stays.
    pub fn not_modified(&mut self, at: DateTime<Utc>, interval: Duration) {
        self.last_success = Some(at);
        self.error_count = 0;
        self.next_due = Some(schedule::after_success(at, interval));
    }

    /// A failure at `at` (`error` is what the user is shown): backs off, or
    /// waits for the server's `Retry-After`, bounded by `cap`. Returns the
    /// next due time.
    pub fn failed(
        &mut self,
        at: DateTime<Utc>,
        error: String,
        retry_after: Option<Duration>,
        cap: Duration,
        rng: &mut fastrand::Rng,
    ) -> DateTime<Utc> {
        self.error_count = self.error_count.saturating_add(1);
        self.last_error = Some(error);
        self.last_error_at = Some(at);
        let next = schedule::after_failure(at, self.error_count, retry_after, cap, rng);
        self.next_due = Some(next);
        next
    }

    /// A 410 at `at`: the feed leaves the schedule until it is reset.
    pub fn went_away(&mut self, at: DateTime<Utc>, error: String) {
        self.gone = true;
        self.error_count = self.error_count.saturating_add(1);
        self.last_error = Some(error);
        self.last_error_at = Some(at);
        self.next_due = None;
    }

    /// An operator's `feeds reset`: forgets the 410 mark, the failures and
    /// the backoff, so the feed is polled again at once. The validators and
    /// the history (last success, last error, hits) stay.
    pub fn reset(&mut self) {
        self.gone = false;
        self.error_count = 0;
        self.next_due = None;
    }

    /// When a service that (re)builds its schedule at `now` should poll this
    /// feed, or `None` if it is gone. A stored due time survives restarts
    /// but never waits longer than one `interval` from now (the interval may
    /// have shrunk since); a feed with none is `unscheduled` (the caller
    /// decides: at once, or spread over the interval).
    pub fn due_at_start(
        &self,
        now: DateTime<Utc>,
        interval: Duration,
        unscheduled: impl FnOnce() -> DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if self.gone {
            return None;
        }
        Some(match self.next_due {
            Some(t) => t.min(schedule::later(now, interval)),
            None => unscheduled(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::clock::test_instant as t0;

    const MIN15: Duration = Duration::from_secs(900);

    #[test]
    fn success_clears_failures_and_waits_one_interval() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut s = FeedState::default();
        s.failed(t0(), "HTTP 500".into(), None, MIN15, &mut rng);
        s.failed(t0(), "HTTP 500".into(), None, MIN15, &mut rng);
        assert_eq!(s.error_count, 2);
        s.succeeded(t0(), MIN15, 30, 2);
        assert_eq!(s.error_count, 0);
        assert_eq!((s.last_item_count, s.total_hits), (30, 2));
        assert_eq!(s.next_due, Some(schedule::later(t0(), MIN15)));
        // The error is kept as history.
        assert_eq!(s.last_error.as_deref(), Some("HTTP 500"));
    }

    #[test]
    fn not_modified_is_healthy_and_keeps_the_item_count() {
        let mut s = FeedState {
            last_item_count: 12,
            error_count: 4,
            ..FeedState::default()
        };
        s.not_modified(t0(), MIN15);
        assert_eq!((s.error_count, s.last_item_count), (0, 12));
        assert_eq!(s.last_success, Some(t0()));
        assert_eq!(s.next_due, Some(schedule::later(t0(), MIN15)));
    }

    #[test]
    fn failures_back_off_and_honour_retry_after_within_the_cap() {
        let mut rng = fastrand::Rng::with_seed(9);
        let mut s = FeedState::default();
        let first = s.failed(t0(), "timeout".into(), None, MIN15, &mut rng);
        let wait = (first - t0()).num_seconds();
        assert!((30..=60).contains(&wait), "first backoff {wait}s");
        let asked = s.failed(
            t0(),
            "HTTP 429".into(),
            Some(Duration::from_secs(86_400)),
            MIN15,
            &mut rng,
        );
        assert_eq!((asked - t0()).num_seconds(), 900, "Retry-After capped");
        assert_eq!(s.next_due, Some(asked));
        assert_eq!(s.last_error_at, Some(t0()));
    }

    #[test]
    fn a_gone_feed_is_not_scheduled_until_reset() {
        let mut s = FeedState::default();
        s.went_away(t0(), "HTTP 410".into());
        assert!(s.gone && s.next_due.is_none());
        assert_eq!(s.due_at_start(t0(), MIN15, t0), None);
        s.reset();
        assert_eq!(s.error_count, 0);
        assert_eq!(s.due_at_start(t0(), MIN15, t0), Some(t0()));
    }

    #[test]
    fn a_stored_due_time_is_kept_but_never_beyond_one_interval() {
        let soon = schedule::later(t0(), Duration::from_secs(60));
        let late = schedule::later(t0(), Duration::from_secs(7200));
        let never = || panic!("a stored due time must be used");
        let s = FeedState {
            next_due: Some(soon),
            ..FeedState::default()
        };
        assert_eq!(s.due_at_start(t0(), MIN15, never), Some(soon));
        let s = FeedState {
            next_due: Some(late),
            ..FeedState::default()
        };
        assert_eq!(
            s.due_at_start(t0(), MIN15, never),
            Some(schedule::later(t0(), MIN15))
        );
    }
}
