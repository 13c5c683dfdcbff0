//! Delivery from the outbox: one worker per alert, so that a slow or failing
//! service never delays another.
//!
//! A worker sends its alert's due entries oldest first, one message at a
//! time. On success the entries are removed (durably, before the next send);
//! on a retryable failure the entry's attempt count grows, it waits with
//! exponential backoff and full jitter (or as long as the service asked),
//! and the whole worker pauses with it, so a service that is down gets one
//! request per backoff period rather than one per waiting alert. A refusal,
//! too many attempts or too great an age make an entry dead: it stays in
//! the outbox, visible to `alerts list`, until `alerts retry`.
//!
//! With `rate_limit`, a worker spends one token per message; when more
//! entries are due than tokens are left, they go out together as one digest.
//! A digest's grouping is stored on its entries before the first attempt,
//! so a retry sends the same digest under the same delivery id.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::message::{HitSummary, Message};
use super::route::digest_id;
use super::{Event, Outgoing, SendError, Sink};
use crate::config::{AlertSpec, DeliveryPolicy};
use crate::model::Hit;
use crate::store::{OutboxEntry, OutboxState, Store, StoreError};

/// Most entries folded into one digest; more wait for the next one.
const DIGEST_MAX: usize = 100;
/// How long a worker sleeps when nothing is pending and nobody wakes it:
/// a safety net for entries written without a wake-up (another process's
/// `alerts retry`).
const IDLE_RECHECK: Duration = Duration::from_secs(30);

/// Counts per alert since start, for logs and metrics.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// Entries delivered (each hit of a digest counts).
    pub sent: AtomicU64,
    /// Attempts that failed and will be retried.
    pub failed: AtomicU64,
    /// Entries that became dead.
    pub dead: AtomicU64,
}

/// What a bounded drain (`run --once`) achieved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    /// Entries still waiting (their next attempt falls after the deadline).
    pub pending: usize,
    /// Dead entries in the outbox, old and new.
    pub dead: usize,
}

impl std::fmt::Display for DrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "alerts: {} sent, {} pending, {} dead",
            self.sent, self.pending, self.dead
        )
    }
}

/// The delivery workers of every enabled alert.
pub struct Dispatcher {
    store: Arc<Store>,
    workers: Vec<Worker>,
}

struct Worker {
    sink: Arc<Sink>,
    wake: Arc<Notify>,
    counters: Arc<SinkCounters>,
}

/// When a worker stops.
#[derive(Clone)]
enum Until {
    /// When the flag turns true (service shutdown).
    Stopped(watch::Receiver<bool>),
    /// When nothing is due before this instant (`run --once`).
    Drained(tokio::time::Instant),
}

impl Dispatcher {
    /// Workers for the enabled alerts of `specs`. Entries of alerts that are
    /// not configured (renamed, removed, disabled) are left alone, with a warning.
    pub fn new(store: Arc<Store>, specs: &[AlertSpec]) -> Result<Dispatcher, reqwest::Error> {
        let client = super::http_client()?;
        let workers: Vec<Worker> = specs
            .iter()
            .filter(|s| s.enabled)
            .map(|spec| Worker {
                sink: Arc::new(Sink::new(spec.clone(), client.clone())),
                wake: Arc::new(Notify::new()),
                counters: Arc::default(),
            })
            .collect();
        let dispatcher = Dispatcher { store, workers };
        dispatcher.warn_about_orphans();
        Ok(dispatcher)
    }

    /// Tells every worker to look at the outbox now (new hits were stored).
    pub fn wake(&self) {
        for w in &self.workers {
            w.wake.notify_one();
        }
    }

    /// Per-alert counters since start, in configuration order.
    pub fn counters(&self) -> Vec<(String, Arc<SinkCounters>)> {
        self.workers
            .iter()
            .map(|w| (w.sink.name().to_string(), w.counters.clone()))
            .collect()
    }

    /// Delivers until `shutdown` resolves. A message being sent then is given
    /// `grace` to finish; one cut off stays pending and goes out after restart.
    pub async fn run(&self, shutdown: impl Future<Output = ()>, grace: Duration) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = self.spawn(Until::Stopped(stop_rx));
        tokio::pin!(shutdown);
        tokio::select! {
            () = &mut shutdown => {}
            // Workers only end on their own when a store error stopped them.
            () = async { while tasks.join_next().await.is_some() {} } => return,
        }
        let _ = stop_tx.send(true);
        let finish = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, finish).await.is_err() {
            tracing::warn!(
                "alert deliveries still running after {grace:?}; they stay pending and are sent after restart"
            );
            tasks.abort_all();
        }
    }

    /// Delivers what is due, waiting for retries that fall within `limit`,
    /// then reports what is left (`run --once`).
    pub async fn drain(&self, limit: Duration) -> DrainReport {
        let deadline = tokio::time::Instant::now() + limit;
        let before: u64 = self.sent_total();
        let mut tasks = self.spawn(Until::Drained(deadline));
        while tasks.join_next().await.is_some() {}
        let mut report = DrainReport {
            sent: (self.sent_total() - before) as usize,
            ..DrainReport::default()
        };
        match self.store.outbox() {
            Ok(entries) => {
                for e in entries {
                    match e.state {
                        OutboxState::Pending => report.pending += 1,
                        OutboxState::Dead => report.dead += 1,
                    }
                }
            }
            Err(e) => tracing::error!("cannot read the alert outbox: {e}"),
        }
        report
    }

    fn sent_total(&self) -> u64 {
        self.workers
            .iter()
            .map(|w| w.counters.sent.load(Ordering::Relaxed))
            .sum()
    }

    fn spawn(&self, until: Until) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for w in &self.workers {
            let job = Job {
                store: self.store.clone(),
                sink: w.sink.clone(),
                wake: w.wake.clone(),
                counters: w.counters.clone(),
                bucket: w.sink.spec.rate_limit.map(TokenBucket::per_minute),
                pause_until: None,
            };
            let until = until.clone();
            tasks.spawn(async move {
                let name = job.sink.name().to_string();
                if let Err(e) = job.run(until).await {
                    tracing::error!(alert = %name, "alert delivery stopped: {e}");
                }
            });
        }
        tasks
    }

    fn warn_about_orphans(&self) {
        let configured: HashSet<&str> = self.workers.iter().map(|w| w.sink.name()).collect();
        let Ok(entries) = self.store.outbox() else {
            return;
        };
        let mut orphans: Vec<&str> = entries
            .iter()
            .filter(|e| e.state == OutboxState::Pending && !configured.contains(e.alert.as_str()))
            .map(|e| e.alert.as_str())
            .collect();
        orphans.sort_unstable();
        orphans.dedup();
        for name in orphans {
            tracing::warn!(
                alert = %name,
                "the outbox holds alerts for {name:?}, which is not configured or is disabled; they wait until it is back"
            );
        }
    }
}

/// One worker's state while it runs.
struct Job {
    store: Arc<Store>,
    sink: Arc<Sink>,
    wake: Arc<Notify>,
    counters: Arc<SinkCounters>,
    bucket: Option<TokenBucket>,
    /// After a retryable failure the service is left alone until then.
    pause_until: Option<DateTime<Utc>>,
}

/// What to send next.
enum Next {
    Send(Vec<OutboxEntry>),
    /// Nothing is due before this time.
    WaitUntil(DateTime<Utc>),
    Idle,
}

impl Job {
    async fn run(mut self, mut until: Until) -> Result<(), StoreError> {
        loop {
            if let Until::Stopped(stop) = &until
                && *stop.borrow()
            {
                return Ok(());
            }
            let now = Utc::now();
            let next = self.next(now).await?;
            let wait = match next {
                Next::Send(batch) => {
                    self.attempt(batch).await?;
                    continue;
                }
                Next::WaitUntil(t) => (t - now).to_std().unwrap_or(Duration::ZERO),
                Next::Idle => match until {
                    Until::Drained(_) => return Ok(()),
                    Until::Stopped(_) => IDLE_RECHECK,
                },
            };
            match &mut until {
                Until::Drained(deadline) => {
                    if tokio::time::Instant::now() + wait > *deadline {
                        return Ok(());
                    }
                    tokio::time::sleep(wait).await;
                }
                Until::Stopped(stop) => {
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// Picks the next message: expires old entries, honours the pause and
    /// the rate limit, keeps a started digest together.
    async fn next(&mut self, now: DateTime<Utc>) -> Result<Next, StoreError> {
        let store = self.store.clone();
        let name = self.sink.name().to_string();
        let mut pending = blocking(move || store.pending_for(&name)).await?;
        let policy = &self.sink.spec.delivery;
        let (expired, alive): (Vec<_>, Vec<_>) = pending
            .drain(..)
            .partition(|e| age(e, now) > policy.max_age);
        if !expired.is_empty() {
            let reason = format!(
                "not delivered within max_age {}",
                humantime::format_duration(policy.max_age)
            );
            self.bury(expired, &reason).await?;
        }
        if alive.is_empty() {
            return Ok(Next::Idle);
        }
        if let Some(t) = self.pause_until.filter(|t| *t > now) {
            return Ok(Next::WaitUntil(t));
        }
        let ready: Vec<OutboxEntry> = alive
            .iter()
            .filter(|e| e.next_attempt <= now)
            .cloned()
            .collect();
        let Some(first) = ready.first() else {
            let soonest = alive.iter().map(|e| e.next_attempt).min().unwrap_or(now);
            return Ok(Next::WaitUntil(soonest));
        };
        let tokens = match &mut self.bucket {
            Some(bucket) => {
                let tokens = bucket.available(now);
                if tokens == 0 {
                    return Ok(Next::WaitUntil(bucket.next_token(now)));
                }
                tokens
            }
            None => usize::MAX,
        };
        // A digest that was tried before goes out again as it was.
        if let Some(id) = &first.digest {
            let group = alive
                .iter()
                .filter(|e| e.digest.as_deref() == Some(id))
                .cloned()
                .collect();
            return Ok(Next::Send(group));
        }
        let fresh: Vec<OutboxEntry> = ready.into_iter().filter(|e| e.digest.is_none()).collect();
        if fresh.len() <= tokens || fresh.len() == 1 {
            return Ok(Next::Send(vec![fresh[0].clone()]));
        }
        let mut group: Vec<OutboxEntry> = fresh.into_iter().take(DIGEST_MAX).collect();
        let ids: Vec<&str> = group.iter().map(|e| e.delivery_id.as_str()).collect();
        let id = digest_id(&ids);
        for e in &mut group {
            e.digest = Some(id.clone());
        }
        self.save(group.clone()).await?;
        Ok(Next::Send(group))
    }

    /// Sends one message for `batch` (one entry, or a digest) and records the outcome.
    async fn attempt(&mut self, batch: Vec<OutboxEntry>) -> Result<(), StoreError> {
        let now = Utc::now();
        let (batch, hits) = self.load_hits(batch).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let out = outgoing(&batch, hits);
        let name = self.sink.name().to_string();
        match self.sink.send(&out).await {
            Ok(accepted) => {
                let seqs: Vec<u64> = batch.iter().map(|e| e.seq).collect();
                let store = self.store.clone();
                blocking(move || store.remove_outbox(&seqs)).await?;
                self.counters
                    .sent
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                if let Some(bucket) = &mut self.bucket {
                    bucket.take(now);
                }
                self.pause_until = None;
                tracing::debug!(
                    alert = %name,
                    delivery = %out.delivery_id,
                    hits = batch.len(),
                    "alert delivered ({})",
                    accepted.0
                );
            }
            Err(SendError::Permanent { reason }) => {
                tracing::error!(alert = %name, delivery = %out.delivery_id, "alert refused, not retried: {reason}");
                let tried = batch
                    .into_iter()
                    .map(|mut e| {
                        e.attempts += 1;
                        e.last_attempt = Some(now);
                        e
                    })
                    .collect();
                self.bury(tried, &reason).await?;
            }
            Err(SendError::Retry { reason, after }) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                let policy = self.sink.spec.delivery.clone();
                let mut retry = Vec::new();
                let mut dead = Vec::new();
                for mut e in batch {
                    e.attempts += 1;
                    e.last_attempt = Some(now);
                    e.last_error = Some(reason.clone());
                    if e.attempts >= policy.max_attempts {
                        dead.push(e);
                    } else {
                        retry.push(e);
                    }
                }
                let attempts = retry
                    .iter()
                    .chain(&dead)
                    .map(|e| e.attempts)
                    .max()
                    .unwrap_or(1);
                let wait = retry_delay(&policy, attempts, after, &mut fastrand::Rng::new());
                let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                for e in &mut retry {
                    e.next_attempt = next;
                }
                if !retry.is_empty() {
                    tracing::warn!(
                        alert = %name,
                        delivery = %out.delivery_id,
                        attempts,
                        "alert not delivered, retrying in {}: {reason}",
                        humantime::format_duration(round_secs(wait))
                    );
                    self.pause_until = Some(next);
                    self.save(retry).await?;
                }
                if !dead.is_empty() {
                    let why = format!("gave up after {attempts} attempts: {reason}");
                    tracing::error!(alert = %name, delivery = %out.delivery_id, "{why}");
                    self.bury(dead, &why).await?;
                }
            }
        }
        Ok(())
    }

    /// The hits of `batch`; an entry whose hit is gone is buried (it can never be sent).
    async fn load_hits(
        &mut self,
        batch: Vec<OutboxEntry>,
    ) -> Result<(Vec<OutboxEntry>, Vec<Hit>), StoreError> {
        let store = self.store.clone();
        let ids: Vec<String> = batch.iter().map(|e| e.hit_id.clone()).collect();
        let found = blocking(move || {
            ids.iter()
                .map(|id| store.hit(id))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
        let mut keep = Vec::new();
        let mut hits = Vec::new();
        let mut lost = Vec::new();
        for (entry, hit) in batch.into_iter().zip(found) {
            match hit {
                Some(h) => {
                    keep.push(entry);
                    hits.push(h);
                }
                None => lost.push(entry),
            }
        }
        if !lost.is_empty() {
            self.bury(lost, "its hit is no longer in the store").await?;
        }
        Ok((keep, hits))
    }

    /// Marks entries dead with `reason`.
    async fn bury(
        &mut self,
        mut entries: Vec<OutboxEntry>,
        reason: &str,
    ) -> Result<(), StoreError> {
        for e in &mut entries {
            e.state = OutboxState::Dead;
            e.last_error = Some(reason.to_string());
        }
        self.counters
            .dead
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        self.save(entries).await
    }

    async fn save(&self, entries: Vec<OutboxEntry>) -> Result<(), StoreError> {
        let store = self.store.clone();
        blocking(move || store.update_outbox(&entries)).await
    }
}

/// The message for a batch: one hit, or a digest of several.
fn outgoing(batch: &[OutboxEntry], hits: Vec<Hit>) -> Outgoing {
    match (batch, hits.as_slice()) {
        ([entry], [hit]) if entry.digest.is_none() => Outgoing {
            delivery_id: entry.delivery_id.clone(),
            event: Event::Hit,
            message: Message::One(Box::new(HitSummary::new(hit))),
            hits,
        },
        _ => Outgoing {
            delivery_id: batch
                .iter()
                .find_map(|e| e.digest.clone())
                .unwrap_or_else(|| {
                    digest_id(
                        &batch
                            .iter()
                            .map(|e| e.delivery_id.as_str())
                            .collect::<Vec<_>>(),
                    )
                }),
            event: Event::Digest,
            message: Message::Digest(hits.iter().map(HitSummary::new).collect()),
            hits,
        },
    }
}

fn age(e: &OutboxEntry, now: DateTime<Utc>) -> Duration {
    (now - e.created).to_std().unwrap_or(Duration::ZERO)
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
    let exp = attempts.saturating_sub(1).min(32);
    let window = policy
        .retry_min
        .saturating_mul(1u32 << exp.min(31))
        .min(policy.retry_max);
    let jittered = window.mul_f64(rng.f64());
    match asked {
        // A service's own Retry-After is obeyed, up to a day.
        Some(a) => jittered.max(a.min(Duration::from_secs(86_400))),
        None => jittered,
    }
}

fn round_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().max(if d.is_zero() { 0 } else { 1 }))
}

/// Runs a store call off the async threads (removals fsync).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        // Only a panic inside the store call gets here; let it surface.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// `rate_limit` messages a minute, refilled continuously.
#[derive(Debug, Clone)]
struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    at: DateTime<Utc>,
}

impl TokenBucket {
    fn per_minute(n: u32) -> TokenBucket {
        let n = f64::from(n.max(1));
        TokenBucket {
            capacity: n,
            tokens: n,
            per_sec: n / 60.0,
            at: Utc::now(),
        }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        let secs = (now - self.at).num_milliseconds().max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + secs * self.per_sec).min(self.capacity);
        self.at = now;
    }

    fn available(&mut self, now: DateTime<Utc>) -> usize {
        self.refill(now);
        self.tokens.floor() as usize
    }

    fn take(&mut self, now: DateTime<Utc>) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    fn next_token(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.refill(now);
        let missing = (1.0 - self.tokens).max(0.0);
        now + chrono::Duration::milliseconds((missing / self.per_sec * 1000.0).ceil() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut b = TokenBucket::per_minute(2);
        b.at = t0;
        assert_eq!(b.available(t0), 2);
        b.take(t0);
        b.take(t0);
        assert_eq!(b.available(t0), 0);
        let next = b.next_token(t0);
        assert_eq!((next - t0).num_seconds(), 30);
        assert_eq!(b.available(t0 + chrono::Duration::seconds(30)), 1);
        assert_eq!(b.available(t0 + chrono::Duration::seconds(600)), 2);
    }
}
