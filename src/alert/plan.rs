//! What an alert's worker does next, and what an attempt's outcome does to
//! its entries: pure functions of the outbox entries, the worker's pace and
//! the clock, so that every rule can be tested without a store, a service
//! or a wait. The worker ([`super::dispatch`]) only carries them out.
//!
//! The rules: entries older than `max_age` die; after a retryable failure
//! the whole worker pauses (a service that is down gets one request per
//! backoff period, not one per waiting entry); with `rate_limit`, one token
//! per message, and when more entries are due than tokens are left they go
//! out as one digest; a digest once formed is always sent again as it was;
//! a story's follow-up waits while the story's first message is pending
//! and cannot go now (it needs that message's id), and goes with it when
//! both are folded into one digest.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::DeliveryPolicy;
use super::route::digest_id;
use crate::backoff::{Backoff, Jitter};
use crate::store::OutboxEntry;

/// Most entries folded into one digest; more wait for the next one.
pub const DIGEST_MAX: usize = 100;

/// A service's own `Retry-After` is obeyed up to this long.
const ASKED_MAX: Duration = Duration::from_secs(86_400);

/// How fast a worker may send: its rate limit and its pause after a failure.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    pub bucket: Option<TokenBucket>,
    /// After a retryable failure the service is left alone until then.
    pub paused_until: Option<DateTime<Utc>>,
}

impl Pace {
    pub fn new(rate_limit: Option<u32>, now: DateTime<Utc>) -> Pace {
        Pace {
            bucket: rate_limit.map(|n| TokenBucket::per_minute(n, now)),
            paused_until: None,
        }
    }

    /// A message went out: it spends a token and ends any pause.
    pub fn sent(&mut self, now: DateTime<Utc>) {
        if let Some(bucket) = &mut self.bucket {
            bucket.take(now);
        }
        self.paused_until = None;
    }
}

/// The next step, and the entries that expired on the way.
#[derive(Debug, PartialEq)]
pub struct Plan {
    /// Pending longer than `max_age`: to be marked dead.
    pub expired: Vec<OutboxEntry>,
    pub next: Next,
}

/// What to send next.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// One entry, or a digest formed earlier (the same entries, the same id).
    Send(Vec<OutboxEntry>),
    /// A new digest: these entries carry its id, which must be stored
    /// before the first attempt so that a retry sends the same grouping.
    Fold(Vec<OutboxEntry>),
    /// Nothing may go before this time.
    WaitUntil(DateTime<Utc>),
    Idle,
}

/// Decides the worker's next step from its alert's pending entries (oldest first).
pub fn plan(
    pending: Vec<OutboxEntry>,
    pace: &Pace,
    policy: &DeliveryPolicy,
    now: DateTime<Utc>,
) -> Plan {
    let (expired, alive): (Vec<_>, Vec<_>) = pending
        .into_iter()
        .partition(|e| age(e, now) > policy.max_age);
    Plan {
        expired,
        next: next(alive, pace, now),
    }
}

fn next(alive: Vec<OutboxEntry>, pace: &Pace, now: DateTime<Utc>) -> Next {
    if alive.is_empty() {
        return Next::Idle;
    }
    if let Some(t) = pace.paused_until.filter(|t| *t > now) {
        return Next::WaitUntil(t);
    }
    let held = held_stories(&alive, now);
    let alive: Vec<OutboxEntry> = alive.into_iter().filter(|e| !is_held(e, &held)).collect();
    let Some(first) = alive.iter().find(|e| e.next_attempt <= now) else {
        let soonest = alive.iter().map(|e| e.next_attempt).min().unwrap_or(now);
        return Next::WaitUntil(soonest);
    };
    let tokens = match &pace.bucket {
        Some(bucket) => match bucket.available(now) {
            0 => return Next::WaitUntil(bucket.next_token(now)),
            n => n,
        },
        None => usize::MAX,
    };
    if let Some(id) = first.digest.clone() {
        let group = alive
            .into_iter()
            .filter(|e| e.digest.as_deref() == Some(&id))
            .collect();
        return Next::Send(group);
    }
    let mut fresh: Vec<OutboxEntry> = alive
        .into_iter()
        .filter(|e| e.next_attempt <= now && e.digest.is_none())
        .collect();
    if fresh.len() <= tokens || fresh.len() == 1 {
        fresh.truncate(1);
        return Next::Send(fresh);
    }
    fresh.truncate(DIGEST_MAX);
    let ids: Vec<&str> = fresh.iter().map(|e| e.delivery_id.as_str()).collect();
    let id = digest_id(&ids);
    for e in &mut fresh {
        e.digest = Some(id.clone());
    }
    Next::Fold(fresh)
}

/// The stories whose follow-ups must wait, with the digest their first
/// message belongs to: that message is pending and cannot go with them (it
/// is not due, or belongs to a digest formed earlier, which only its own
/// members join). Once it is delivered, dead or dropped, they go.
fn held_stories(alive: &[OutboxEntry], now: DateTime<Utc>) -> HashMap<String, Option<String>> {
    alive
        .iter()
        .filter(|e| !e.is_follow_up() && (e.next_attempt > now || e.digest.is_some()))
        .filter_map(|e| Some((e.story.clone()?, e.digest.clone())))
        .collect()
}

fn is_held(e: &OutboxEntry, held: &HashMap<String, Option<String>>) -> bool {
    let Some(first_digest) = e.story.as_ref().and_then(|s| held.get(s)) else {
        return false;
    };
    e.is_follow_up() && (first_digest.is_none() || *first_digest != e.digest)
}

/// The entries of a failed attempt, counted and stamped.
pub fn tried(batch: Vec<OutboxEntry>, now: DateTime<Utc>) -> Vec<OutboxEntry> {
    batch
        .into_iter()
        .map(|mut e| {
            e.attempts += 1;
            e.last_attempt = Some(now);
            e
        })
        .collect()
}

/// What a retryable failure does to a batch.
#[derive(Debug, PartialEq)]
pub struct Setback {
    /// Entries that wait until `until`; the worker pauses as long.
    pub retry: Vec<OutboxEntry>,
    /// Entries that reached `max_attempts`.
    pub dead: Vec<OutboxEntry>,
    /// The batch's attempt count (its most tried entry's).
    pub attempts: u32,
    pub wait: Duration,
    pub until: DateTime<Utc>,
}

/// Counts a retryable failure of `batch` (the service said `reason`, and
/// maybe how long to wait) and decides when it is tried again.
pub fn setback(
    batch: Vec<OutboxEntry>,
    reason: &str,
    asked: Option<Duration>,
    policy: &DeliveryPolicy,
    now: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> Setback {
    let (dead, mut retry): (Vec<_>, Vec<_>) = tried(batch, now)
        .into_iter()
        .map(|mut e| {
            e.last_error = Some(reason.to_string());
            e
        })
        .partition(|e| e.attempts >= policy.max_attempts);
    let attempts = retry
        .iter()
        .chain(&dead)
        .map(|e| e.attempts)
        .max()
        .unwrap_or(1);
    let wait = retry_delay(policy, attempts, asked, rng);
    let until = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    for e in &mut retry {
        e.next_attempt = until;
    }
    Setback {
        retry,
        dead,
        attempts,
        wait,
        until,
    }
}

/// How long to wait before attempt `attempts + 1`: full jitter over an
/// exponentially growing window (`retry_min` · 2^(attempts−1), capped at
/// `retry_max`), and never less than the service asked for.
pub fn retry_delay(
    policy: &DeliveryPolicy,
    attempts: u32,
    asked: Option<Duration>,
    rng: &mut fastrand::Rng,
) -> Duration {
    let backoff = Backoff {
        base: policy.retry_min,
        cap: policy.retry_max,
        jitter: Jitter::Full,
    };
    let jittered = backoff.delay(attempts, rng);
    match asked {
        Some(a) => jittered.max(a.min(ASKED_MAX)),
        None => jittered,
    }
}

fn age(e: &OutboxEntry, now: DateTime<Utc>) -> Duration {
    (now - e.created).to_std().unwrap_or(Duration::ZERO)
}

/// `rate_limit` messages a minute, refilled continuously.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    at: DateTime<Utc>,
}

impl TokenBucket {
    pub fn per_minute(n: u32, now: DateTime<Utc>) -> TokenBucket {
        let n = f64::from(n.max(1));
        TokenBucket {
            capacity: n,
            tokens: n,
            per_sec: n / 60.0,
            at: now,
        }
    }

    fn tokens_at(&self, now: DateTime<Utc>) -> f64 {
        let secs = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        (self.tokens + secs * self.per_sec).min(self.capacity)
    }

    pub fn available(&self, now: DateTime<Utc>) -> usize {
        self.tokens_at(now).floor() as usize
    }

    pub fn take(&mut self, now: DateTime<Utc>) {
        self.tokens = (self.tokens_at(now) - 1.0).max(0.0);
        self.at = now;
    }

    pub fn next_token(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let missing = (1.0 - self.tokens_at(now)).max(0.0);
        now + chrono::Duration::milliseconds((missing / self.per_sec * 1000.0).ceil() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxState;

    /// A fixed start, so that every time in a test is exact.
    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_777_636_800, 0).expect("in range")
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    fn entry(n: u64, created: DateTime<Utc>) -> OutboxEntry {
        let mut e = OutboxEntry::new(format!("d{n}"), "a", &format!("h{n}"), created);
        e.seq = n;
        e
    }

    fn sent(next: &Next) -> Vec<u64> {
        match next {
            Next::Send(b) | Next::Fold(b) => b.iter().map(|e| e.seq).collect(),
            other => panic!("not a send: {other:?}"),
        }
    }

    #[test]
    fn retry_delays_grow_within_bounds_and_obey_the_service() {
        let policy = DeliveryPolicy {
            retry_min: Duration::from_secs(10),
            retry_max: Duration::from_secs(60),
            ..DeliveryPolicy::default()
        };
        let mut rng = fastrand::Rng::with_seed(7);
        for attempts in 1..40 {
            let d = retry_delay(&policy, attempts, None, &mut rng);
            let window = (10u64 << (attempts - 1).min(20)).min(60);
            assert!(d <= Duration::from_secs(window), "{attempts}: {d:?}");
        }
        let d = retry_delay(&policy, 1, Some(Duration::from_secs(30)), &mut rng);
        assert!(d >= Duration::from_secs(30), "{d:?}");
        // Full jitter: over many draws the delays spread across the window.
        let draws: Vec<_> = (0..200)
            .map(|_| retry_delay(&policy, 3, None, &mut rng))
            .collect();
        assert!(draws.iter().any(|d| *d < Duration::from_secs(10)));
        assert!(draws.iter().any(|d| *d > Duration::from_secs(30)));
    }

    #[test]
    fn the_bucket_refills_over_a_minute() {
        let t0 = Utc::now();
        let mut b = TokenBucket::per_minute(2, t0);
        assert_eq!(b.available(t0), 2);
        b.take(t0);
        b.take(t0);
        assert_eq!(b.available(t0), 0);
        let next = b.next_token(t0);
        assert_eq!((next - t0).num_seconds(), 30);
        assert_eq!(b.available(t0 + chrono::Duration::seconds(30)), 1);
        assert_eq!(b.available(t0 + chrono::Duration::seconds(600)), 2);
    }

    #[test]
    fn old_entries_expire_and_the_oldest_due_one_goes_first() {
        let policy = DeliveryPolicy::default();
        let now = t0() + secs(48 * 3600);
        let pending = vec![entry(1, t0()), entry(2, now - secs(5)), entry(3, now)];
        let p = plan(pending, &Pace::default(), &policy, now);
        assert_eq!(p.expired.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(sent(&p.next), [2]);
        let p = plan(Vec::new(), &Pace::default(), &policy, now);
        assert_eq!(p.next, Next::Idle);
    }

    #[test]
    fn a_pause_or_a_later_attempt_is_waited_for() {
        let policy = DeliveryPolicy::default();
        let pace = Pace {
            paused_until: Some(t0() + secs(60)),
            ..Pace::default()
        };
        let p = plan(vec![entry(1, t0())], &pace, &policy, t0());
        assert_eq!(p.next, Next::WaitUntil(t0() + secs(60)));
        let mut later = entry(1, t0());
        later.next_attempt = t0() + secs(90);
        let mut soon = entry(2, t0());
        soon.next_attempt = t0() + secs(30);
        let p = plan(vec![later, soon], &Pace::default(), &policy, t0());
        assert_eq!(p.next, Next::WaitUntil(t0() + secs(30)));
    }

    #[test]
    fn more_due_entries_than_tokens_fold_into_one_digest() {
        let policy = DeliveryPolicy::default();
        let mut pace = Pace::new(Some(2), t0());
        let pending: Vec<_> = (1..=3).map(|n| entry(n, t0())).collect();
        let p = plan(pending.clone(), &pace, &policy, t0());
        let Next::Fold(group) = &p.next else {
            panic!("{:?}", p.next)
        };
        assert_eq!(sent(&p.next), [1, 2, 3]);
        let id = group[0].digest.clone().expect("a digest id");
        assert!(group.iter().all(|e| e.digest.as_deref() == Some(&id)));
        // Within the limit, one message each.
        let p = plan(pending[..2].to_vec(), &pace, &policy, t0());
        assert_eq!(sent(&p.next), [1]);
        // No token left: wait for the next one.
        pace.sent(t0());
        pace.sent(t0());
        let p = plan(pending, &pace, &policy, t0());
        assert_eq!(p.next, Next::WaitUntil(t0() + secs(30)));
    }

    #[test]
    fn a_digest_once_formed_is_sent_again_as_it_was() {
        let policy = DeliveryPolicy::default();
        let mut pending: Vec<_> = (1..=4).map(|n| entry(n, t0())).collect();
        for e in &mut pending[..2] {
            e.digest = Some("g".into());
        }
        let p = plan(pending, &Pace::default(), &policy, t0());
        assert_eq!(p.next, {
            let mut group: Vec<_> = (1..=2).map(|n| entry(n, t0())).collect();
            for e in &mut group {
                e.digest = Some("g".into());
            }
            Next::Send(group)
        });
    }

    fn in_story(n: u64, story: &str, role: crate::store::StoryRole) -> OutboxEntry {
        entry(n, t0()).in_story(story, role)
    }

    #[test]
    fn a_follow_up_waits_for_its_first_message_and_others_do_not() {
        use crate::store::StoryRole::{First, FollowUp};
        let policy = DeliveryPolicy::default();
        let mut first = in_story(1, "s", First);
        first.next_attempt = t0() + secs(60);
        let follow = in_story(2, "s", FollowUp);
        let other = in_story(3, "t", FollowUp);
        let p = plan(
            vec![first.clone(), follow.clone(), other.clone()],
            &Pace::default(),
            &policy,
            t0(),
        );
        // The first message of "s" waits for its retry; "t" has none pending.
        assert_eq!(sent(&p.next), [3]);
        let p = plan(
            vec![first.clone(), follow.clone()],
            &Pace::default(),
            &policy,
            t0(),
        );
        assert_eq!(p.next, Next::WaitUntil(t0() + secs(60)));
        // Due together, the first goes first; folded, they go as one.
        first.next_attempt = t0();
        let p = plan(
            vec![first.clone(), follow.clone()],
            &Pace::default(),
            &policy,
            t0(),
        );
        assert_eq!(sent(&p.next), [1]);
        let p = plan(
            vec![first, follow, other],
            &Pace::new(Some(1), t0()),
            &policy,
            t0(),
        );
        assert!(matches!(p.next, Next::Fold(_)), "{:?}", p.next);
        assert_eq!(sent(&p.next), [1, 2, 3]);
        // A digest formed with both is sent again whole.
        let Next::Fold(group) = p.next else {
            unreachable!()
        };
        let p = plan(group, &Pace::default(), &policy, t0());
        assert_eq!(sent(&p.next), [1, 2, 3]);
        // A first message that is not pending (delivered, dead) holds nothing.
        let p = plan(
            vec![in_story(2, "s", FollowUp)],
            &Pace::default(),
            &policy,
            t0(),
        );
        assert_eq!(sent(&p.next), [2]);
    }

    #[test]
    fn a_setback_counts_the_attempt_and_buries_at_the_limit() {
        let policy = DeliveryPolicy {
            max_attempts: 3,
            ..DeliveryPolicy::default()
        };
        let mut worn = entry(1, t0());
        worn.attempts = 2;
        let fresh = entry(2, t0());
        let mut rng = fastrand::Rng::with_seed(1);
        let s = setback(
            vec![worn, fresh],
            "HTTP 503",
            Some(Duration::from_secs(120)),
            &policy,
            t0(),
            &mut rng,
        );
        assert_eq!(s.attempts, 3);
        assert_eq!(s.dead.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(s.retry.len(), 1);
        let r = &s.retry[0];
        assert_eq!((r.attempts, r.last_attempt), (1, Some(t0())));
        assert_eq!(r.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(r.next_attempt, s.until);
        assert_eq!(r.state, OutboxState::Pending);
        assert!(s.wait >= Duration::from_secs(120), "{:?}", s.wait);
    }
}
