//! When each feed is polled next: the interval after a success, exponential
//! backoff with jitter after a failure, the server's `Retry-After` when it
//! gave one, and a spread of first polls across the interval.
//!
//! Pure functions of the clock and a random source, so tests control both.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::backoff::{Backoff, Jitter};

/// The first delay after a failure; doubles with each further failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);

/// When a feed with no stored schedule is first polled: a uniform point in
/// `[now, now + interval)`, so that a service with hundreds of feeds does not
/// fetch them all in its first second.
pub fn first_due(now: DateTime<Utc>, interval: Duration, rng: &mut fastrand::Rng) -> DateTime<Utc> {
    later(now, interval.mul_f64(rng.f64()))
}

/// `t + d`, saturating at the end of time rather than panicking on a huge
/// configured duration.
pub fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating at the start of time.
pub fn earlier(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The next poll after a success (including 304).
pub fn after_success(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    later(now, interval)
}

/// The next poll after the `error_count`-th consecutive failure: the
/// server's `Retry-After` when it sent one (bounded by `cap`, so a hostile
/// server cannot park a feed forever), else `BACKOFF_BASE · 2^(n-1)` capped
/// at `cap`, with "equal jitter" (half fixed, half random) so that feeds
/// failing together do not retry together, while the wait still grows.
pub fn after_failure(
    now: DateTime<Utc>,
    error_count: u32,
    retry_after: Option<Duration>,
    cap: Duration,
    rng: &mut fastrand::Rng,
) -> DateTime<Utc> {
    if let Some(wait) = retry_after {
        return later(now, wait.min(cap).max(Duration::from_secs(1)));
    }
    later(now, backoff(error_count, cap, rng))
}

pub fn backoff(error_count: u32, cap: Duration, rng: &mut fastrand::Rng) -> Duration {
    Backoff {
        base: BACKOFF_BASE,
        cap,
        jitter: Jitter::Equal,
    }
    .delay(error_count, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn first_polls_spread_over_the_interval() {
        let mut rng = fastrand::Rng::with_seed(7);
        let interval = Duration::from_secs(900);
        let dues: Vec<i64> = (0..200)
            .map(|_| (first_due(t0(), interval, &mut rng) - t0()).num_seconds())
            .collect();
        assert!(dues.iter().all(|&s| (0..900).contains(&s)));
        assert!(dues.iter().any(|&s| s < 300) && dues.iter().any(|&s| s > 600));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut rng = fastrand::Rng::with_seed(1);
        let cap = Duration::from_secs(6 * 3600);
        for n in 1..40u32 {
            let d = backoff(n, cap, &mut rng);
            let full = BACKOFF_BASE.saturating_mul(1 << (n - 1).min(30)).min(cap);
            assert!(d >= full / 2 && d <= full, "n={n} d={d:?}");
        }
        assert!(backoff(40, cap, &mut rng) <= cap);
    }

    #[test]
    fn retry_after_wins_but_is_bounded() {
        let mut rng = fastrand::Rng::with_seed(1);
        let cap = Duration::from_secs(3600);
        let due = after_failure(t0(), 1, Some(Duration::from_secs(120)), cap, &mut rng);
        assert_eq!((due - t0()).num_seconds(), 120);
        let due = after_failure(
            t0(),
            1,
            Some(Duration::from_secs(86400 * 30)),
            cap,
            &mut rng,
        );
        assert_eq!((due - t0()).num_seconds(), 3600);
    }
}
