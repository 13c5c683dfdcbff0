//! Exponential backoff with a cap: the one wait computation behind a
//! failing feed's next poll (`fetch::schedule`) and a failing alert's next
//! try (`alert::plan`). Each caller keeps its own figures: the first window,
//! the cap and how the wait is drawn within the window.
//!
//! Pure: a function of the failure count and a random source, so tests
//! control both.

use std::time::Duration;

/// How the wait is drawn from the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Anywhere in `[0, window]`: callers that fail together spread out the
    /// most (alerts, where the service's own `Retry-After` is a floor).
    Full,
    /// Half the window fixed, half random: still spread out, but the wait
    /// is sure to grow with each failure (feeds).
    Equal,
}

/// `base · 2^(failures−1)`, capped at `cap`, drawn with `jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub jitter: Jitter,
}

impl Backoff {
    /// The window after the `failures`-th consecutive failure (the first
    /// failure is 1; 0 counts as 1).
    pub fn window(&self, failures: u32) -> Duration {
        // 2^31 is the largest factor a u32 holds; any base grown that far
        // is long past every cap, and saturating_mul keeps it from wrapping.
        let exp = failures.saturating_sub(1).min(31);
        self.base.saturating_mul(1u32 << exp).min(self.cap)
    }

    /// How long to wait after the `failures`-th consecutive failure.
    pub fn delay(&self, failures: u32, rng: &mut fastrand::Rng) -> Duration {
        let window = self.window(failures);
        match self.jitter {
            Jitter::Full => window.mul_f64(rng.f64()),
            Jitter::Equal => window / 2 + (window / 2).mul_f64(rng.f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(jitter: Jitter) -> Backoff {
        Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(3600),
            jitter,
        }
    }

    #[test]
    fn the_window_doubles_from_the_base_up_to_the_cap() {
        let b = backoff(Jitter::Full);
        assert_eq!(b.window(0), Duration::from_secs(10));
        assert_eq!(b.window(1), Duration::from_secs(10));
        assert_eq!(b.window(2), Duration::from_secs(20));
        assert_eq!(b.window(9), Duration::from_secs(2560));
        assert_eq!(b.window(10), Duration::from_secs(3600));
        assert_eq!(b.window(u32::MAX), Duration::from_secs(3600));
        let uncapped = Backoff {
            cap: Duration::MAX,
            ..b
        };
        assert_eq!(uncapped.window(u32::MAX), Duration::from_secs(10 << 31));
    }

    #[test]
    fn full_jitter_spreads_over_the_whole_window() {
        let b = backoff(Jitter::Full);
        let mut rng = fastrand::Rng::with_seed(7);
        let draws: Vec<Duration> = (0..300).map(|_| b.delay(4, &mut rng)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(80)));
        assert!(draws.iter().any(|d| *d < Duration::from_secs(20)));
        assert!(draws.iter().any(|d| *d > Duration::from_secs(60)));
    }

    #[test]
    fn equal_jitter_keeps_half_the_window() {
        let b = backoff(Jitter::Equal);
        let mut rng = fastrand::Rng::with_seed(7);
        let draws: Vec<Duration> = (0..300).map(|_| b.delay(4, &mut rng)).collect();
        assert!(
            draws
                .iter()
                .all(|d| (Duration::from_secs(40)..=Duration::from_secs(80)).contains(d))
        );
        assert!(draws.iter().any(|d| *d < Duration::from_secs(50)));
        assert!(draws.iter().any(|d| *d > Duration::from_secs(70)));
    }
}
