//! The service's one due map: which configured feed is polled when.
//!
//! The feed's own record ([`FeedState`]) says when it wants to be polled
//! and whether it is gone; this map holds the answer for every enabled feed
//! of the running configuration, so the poll loop, reloads, `feeds reset`
//! and the status line all read and change the same times. Nothing else
//! keeps a due time.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::FeedConfig;
use crate::fetch::{FeedState, schedule};

/// How a feed that is not in the map yet joins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unscheduled {
    /// At once: a reload, where the operator wants to see a new feed work,
    /// or `run --once`.
    Now,
    /// At its stored due time (capped at one interval), or, never polled,
    /// at a random point of its first interval: a start, where a thousand
    /// feeds must not all fire in the same second.
    Spread,
}

/// Feed name → (next due time, feed).
#[derive(Debug, Default)]
pub struct DueMap {
    due: BTreeMap<String, (DateTime<Utc>, FeedConfig)>,
}

impl DueMap {
    /// Replaces the map with the enabled feeds of `feeds`. A gone feed
    /// (410; `state` reads the stored record) is left out with a warning; a
    /// feed already in the map (same name, same URL) keeps its due time,
    /// capped at one interval from now; any other joins as `unscheduled`
    /// says.
    pub fn replace(
        &mut self,
        feeds: Vec<FeedConfig>,
        state: impl Fn(&FeedConfig) -> FeedState,
        unscheduled: Unscheduled,
        now: DateTime<Utc>,
        rng: &mut fastrand::Rng,
    ) {
        let mut due = BTreeMap::new();
        for feed in feeds.into_iter().filter(|f| f.enabled) {
            let stored = state(&feed);
            let known = self
                .due
                .get(&feed.name)
                .filter(|(_, old)| old.url == feed.url && !stored.gone)
                .map(|(when, _)| (*when).min(schedule::later(now, feed.interval)));
            let when = known.or_else(|| match unscheduled {
                Unscheduled::Now => (!stored.gone).then_some(now),
                Unscheduled::Spread => stored.due_at_start(now, feed.interval, || {
                    schedule::first_due(now, feed.interval, rng)
                }),
            });
            match when {
                Some(when) => {
                    due.insert(feed.name.clone(), (when, feed));
                }
                None => {
                    tracing::warn!(feed = %feed.name, "not polled: the server said 410 Gone; change its URL or run `newshound feeds reset`")
                }
            }
        }
        self.due = due;
    }

    /// The feeds due at `now` that are not `busy` (a poll of theirs is
    /// still running).
    pub fn due_now<'a>(
        &'a self,
        now: DateTime<Utc>,
        busy: &'a HashSet<String>,
    ) -> impl Iterator<Item = &'a FeedConfig> + 'a {
        self.due
            .iter()
            .filter(move |(name, (when, _))| *when <= now && !busy.contains(*name))
            .map(|(_, (_, feed))| feed)
    }

    /// How long from `now` until the next feed that is not `busy` is due
    /// (zero if one is overdue); `None` when none is waiting.
    pub fn next_wake(&self, now: DateTime<Utc>, busy: &HashSet<String>) -> Option<Duration> {
        self.due
            .iter()
            .filter(|(name, _)| !busy.contains(*name))
            .map(|(_, (when, _))| *when)
            .min()
            .map(|t| (t - now).to_std().unwrap_or(Duration::ZERO))
    }

    /// Records the outcome of a poll of `feed`: due at `next`, or, when
    /// `None` (gone), out of the map. A feed removed by a reload while its
    /// poll ran stays out.
    pub fn polled(&mut self, feed: &str, next: Option<DateTime<Utc>>) {
        match next {
            Some(next) => {
                if let Some(entry) = self.due.get_mut(feed) {
                    entry.0 = next;
                }
            }
            None => {
                self.due.remove(feed);
            }
        }
    }

    /// Puts `feed` in the map, due at `now` (`feeds reset`).
    pub fn poll_now(&mut self, feed: FeedConfig, now: DateTime<Utc>) {
        self.due.insert(feed.name.clone(), (now, feed));
    }

    pub fn len(&self) -> usize {
        self.due.len()
    }

    pub fn contains(&self, feed: &str) -> bool {
        self.due.contains_key(feed)
    }

    /// The feeds in the map, by name.
    pub fn feeds(&self) -> impl Iterator<Item = &FeedConfig> {
        self.due.values().map(|(_, feed)| feed)
    }

    /// The latest due time in the map (when every feed will have been
    /// polled once).
    pub fn last(&self) -> Option<DateTime<Utc>> {
        self.due.values().map(|(when, _)| *when).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::clock::test_instant as t0;

    fn feed(name: &str, secs: u64) -> FeedConfig {
        FeedConfig {
            name: name.into(),
            url: format!("https://example.org/{name}.xml"),
            interval: Duration::from_secs(secs),
            own_interval: false,
            language: None,
            enabled: true,
        }
    }

    fn at(secs: u64) -> DateTime<Utc> {
        schedule::later(t0(), Duration::from_secs(secs))
    }

    #[test]
    fn a_start_spreads_new_feeds_and_keeps_stored_times() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut map = DueMap::default();
        let stored = |f: &FeedConfig| FeedState {
            next_due: (f.name == "old").then(|| at(120)),
            gone: f.name == "dead",
            ..FeedState::default()
        };
        let mut off = feed("off", 900);
        off.enabled = false;
        let feeds = vec![feed("old", 900), feed("new", 900), feed("dead", 900), off];
        map.replace(feeds, stored, Unscheduled::Spread, t0(), &mut rng);
        assert_eq!(map.len(), 2, "the gone and the disabled feed are left out");
        let busy = HashSet::new();
        assert_eq!(
            map.next_wake(t0(), &busy)
                .map(|d| d <= Duration::from_secs(900)),
            Some(true)
        );
        let due: Vec<&str> = map
            .due_now(at(900), &busy)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(due, ["new", "old"], "everything due within one interval");
        assert_eq!(
            map.due_now(at(119), &busy)
                .filter(|f| f.name == "old")
                .count(),
            0
        );
    }

    #[test]
    fn a_reload_keeps_known_times_and_polls_new_feeds_at_once() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut map = DueMap::default();
        let none = |_: &FeedConfig| FeedState::default();
        map.replace(vec![feed("a", 900)], none, Unscheduled::Now, t0(), &mut rng);
        map.polled("a", Some(at(600)));
        map.replace(
            vec![feed("a", 300), feed("b", 900)],
            none,
            Unscheduled::Now,
            t0(),
            &mut rng,
        );
        let busy = HashSet::new();
        let due: Vec<&str> = map.due_now(t0(), &busy).map(|f| f.name.as_str()).collect();
        assert_eq!(due, ["b"]);
        // "a" kept its time, capped by its new, shorter interval.
        assert_eq!(
            map.next_wake(at(1), &HashSet::from(["b".to_string()])),
            Some(Duration::from_secs(299))
        );
    }

    #[test]
    fn a_reload_polls_a_feed_new_to_the_map_at_once_whatever_it_stored() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut map = DueMap::default();
        let stored = |f: &FeedConfig| FeedState {
            next_due: Some(at(600)),
            gone: f.name == "dead",
            ..FeedState::default()
        };
        map.replace(
            vec![feed("back", 900), feed("dead", 900)],
            stored,
            Unscheduled::Now,
            t0(),
            &mut rng,
        );
        let busy = HashSet::new();
        let due: Vec<&str> = map.due_now(t0(), &busy).map(|f| f.name.as_str()).collect();
        assert_eq!(due, ["back"], "a gone feed stays out even on a reload");
    }

    #[test]
    fn a_gone_feed_leaves_and_a_reset_brings_it_back() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut map = DueMap::default();
        let none = |_: &FeedConfig| FeedState::default();
        map.replace(vec![feed("a", 900)], none, Unscheduled::Now, t0(), &mut rng);
        map.polled("a", None);
        assert_eq!(map.len(), 0);
        map.polled("a", Some(at(5)));
        assert_eq!(map.len(), 0, "a late report does not bring a feed back");
        map.poll_now(feed("a", 900), t0());
        assert!(map.contains("a"));
        let busy = HashSet::from(["a".to_string()]);
        assert_eq!(
            map.due_now(t0(), &busy).count(),
            0,
            "a feed being polled is not due twice"
        );
        assert_eq!(map.next_wake(t0(), &busy), None);
    }
}
