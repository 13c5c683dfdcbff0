//! Delivery from the outbox: one worker per alert, so that a slow or failing
//! service never delays another.
//!
//! A worker's life: read its alert's pending entries, ask [`super::plan`]
//! what to do, do it (send, wait, or stop), and store the outcome. On
//! success the entries are removed (durably, before the next send); a
//! refusal, too many attempts or too great an age make an entry dead: it
//! stays in the outbox, visible to `alerts list`, until `alerts retry`.
//! Which entries go next, when, and how long a failure waits are decided
//! in [`super::plan`], which does no I/O.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::AlertSpec;
use super::followup;
use super::message::{HitSummary, Message};
use super::plan::{Next, Pace, Plan, Setback, plan, setback, tried};
use super::route::digest_id;
use super::{Event, Outgoing, SendError, Sink};
use crate::clock::SharedClock;
use crate::model::Hit;
use crate::store::{OutboxEntry, OutboxState, Store, StoreError, StoryThread};

/// How long a worker sleeps when nothing is pending and nobody wakes it:
/// a safety net for entries written without a wake-up (another process's
/// `alerts retry`).
const IDLE_RECHECK: Duration = Duration::from_secs(30);

/// A story thread untouched this long is forgotten: no hit joins a story
/// that has been quiet for far longer than the story window (72 hours by
/// default), so none would follow up on it.
const THREAD_KEEP: chrono::Duration = chrono::Duration::days(30);

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
    /// "Now" for due times, the rate limit and what the messages say.
    clock: SharedClock,
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
    pub fn new(
        store: Arc<Store>,
        specs: &[AlertSpec],
        clock: SharedClock,
    ) -> Result<Dispatcher, reqwest::Error> {
        let client = super::http_client()?;
        let workers: Vec<Worker> = specs
            .iter()
            .filter(|s| s.enabled)
            .map(|spec| Worker {
                sink: Arc::new(Sink::new(spec.clone(), client.clone()).with_clock(clock.clone())),
                wake: Arc::new(Notify::new()),
                counters: Arc::default(),
            })
            .collect();
        let dispatcher = Dispatcher {
            store,
            workers,
            clock,
        };
        dispatcher.warn_about_orphans();
        dispatcher.prune_threads();
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
                pace: Pace::new(w.sink.spec.rate_limit, self.clock.now()),
                clock: self.clock.clone(),
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

    /// Forgets the story threads older than [`THREAD_KEEP`] (at start: a
    /// service restarts often enough, and the threads are small).
    fn prune_threads(&self) {
        match self
            .store
            .prune_story_threads(self.clock.now() - THREAD_KEEP)
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!("forgot {n} story threads quiet for over 30 days"),
            Err(e) => tracing::warn!("cannot prune old story threads: {e}"),
        }
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
    pace: Pace,
    clock: SharedClock,
}

impl Job {
    async fn run(mut self, mut until: Until) -> Result<(), StoreError> {
        loop {
            if let Until::Stopped(stop) = &until
                && *stop.borrow()
            {
                return Ok(());
            }
            let now = self.clock.now();
            let next = self.next(now).await?;
            let wait = match next {
                Next::Send(batch) | Next::Fold(batch) => {
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

    /// Reads the pending entries, buries the expired ones and stores a new
    /// digest's grouping before it is first sent.
    async fn next(&mut self, now: DateTime<Utc>) -> Result<Next, StoreError> {
        let store = self.store.clone();
        let name = self.sink.name().to_string();
        let pending = blocking(move || store.pending_for(&name)).await?;
        let Plan { expired, next } = plan(pending, &self.pace, &self.sink.spec.delivery, now);
        if !expired.is_empty() {
            let reason = format!(
                "not delivered within max_age {}",
                humantime::format_duration(self.sink.spec.delivery.max_age)
            );
            self.bury(expired, &reason).await?;
        }
        if let Next::Fold(group) = &next {
            self.save(group.clone()).await?;
        }
        Ok(next)
    }

    /// Sends one message for `batch` (one entry, or a digest) and records the outcome.
    async fn attempt(&mut self, batch: Vec<OutboxEntry>) -> Result<(), StoreError> {
        let now = self.clock.now();
        let (batch, hits) = self.load_hits(batch).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let stories = self.load_stories(&batch).await?;
        let out = outgoing(&batch, hits, &stories);
        let name = self.sink.name().to_string();
        match self.sink.send(&out).await {
            Ok(accepted) => {
                // A digest is no one story's message: nothing replies to it.
                let message_ref = match out.event {
                    Event::Digest => None,
                    _ => accepted.message_ref.clone(),
                };
                let threads = threads_after(&batch, &out.hits, stories, message_ref, now);
                let seqs: Vec<u64> = batch.iter().map(|e| e.seq).collect();
                let store = self.store.clone();
                blocking(move || store.complete_outbox(&seqs, &threads)).await?;
                self.counters
                    .sent
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                self.pace.sent(now);
                tracing::debug!(
                    alert = %name,
                    delivery = %out.delivery_id,
                    hits = batch.len(),
                    "alert delivered ({})",
                    accepted.answer
                );
            }
            Err(SendError::Permanent { reason }) => {
                tracing::error!(alert = %name, delivery = %out.delivery_id, "alert refused, not retried: {reason}");
                self.bury(tried(batch, now), &reason).await?;
            }
            Err(SendError::Retry { reason, after }) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                let Setback {
                    retry,
                    dead,
                    attempts,
                    wait,
                    until,
                } = setback(
                    batch,
                    &reason,
                    after,
                    &self.sink.spec.delivery,
                    now,
                    &mut fastrand::Rng::new(),
                );
                if !retry.is_empty() {
                    tracing::warn!(
                        alert = %name,
                        delivery = %out.delivery_id,
                        attempts,
                        "alert not delivered, retrying in {}: {reason}",
                        humantime::format_duration(round_secs(wait))
                    );
                    self.pace.paused_until = Some(until);
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

    /// For each story of `batch`: its thread for this alert, and its first
    /// hit (what a follow-up shows, and counts when there is no thread).
    async fn load_stories(&self, batch: &[OutboxEntry]) -> Result<Stories, StoreError> {
        let mut wanted: Vec<String> = batch.iter().filter_map(|e| e.story.clone()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(Stories::new());
        }
        let store = self.store.clone();
        let alert = self.sink.name().to_string();
        blocking(move || {
            let mut out = Stories::new();
            for story in wanted {
                let thread = store.story_thread(&story, &alert)?;
                let first_id = thread
                    .as_ref()
                    .map_or(story.as_str(), |t| t.first_hit.as_str());
                let first = store.hit(first_id)?;
                let story_first = if first_id == story {
                    first.clone()
                } else {
                    store.hit(&story)?
                };
                out.insert(
                    story,
                    StoryState {
                        thread,
                        first,
                        story_first,
                    },
                );
            }
            Ok(out)
        })
        .await
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

/// What the worker knows of one story while it sends.
struct StoryState {
    /// The story's thread for this alert, when its first message (or a
    /// follow-up in its place) was delivered.
    thread: Option<StoryThread>,
    /// The hit of the thread's first message (the story's first hit when
    /// there is no thread), when still stored.
    first: Option<Hit>,
    /// The story's own first hit, when still stored.
    story_first: Option<Hit>,
}

type Stories = HashMap<String, StoryState>;

/// The message for a batch: one hit, a follow-up on its story's message,
/// or a digest of several.
fn outgoing(batch: &[OutboxEntry], hits: Vec<Hit>, stories: &Stories) -> Outgoing {
    match (batch, hits.as_slice()) {
        ([entry], [hit]) if entry.digest.is_none() && entry.is_follow_up() => {
            let story = entry.story.as_deref().unwrap_or(&hit.id);
            let known = stories.get(story);
            let update = followup::update(
                story,
                hit,
                known.and_then(|s| s.thread.as_ref()),
                known.and_then(|s| s.first.as_ref()),
            );
            Outgoing {
                delivery_id: entry.delivery_id.clone(),
                event: Event::Update,
                message: Message::Update(Box::new(update)),
                hits,
            }
        }
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

/// The threads a delivered batch starts or extends, one per story.
fn threads_after(
    batch: &[OutboxEntry],
    hits: &[Hit],
    mut stories: Stories,
    message_ref: Option<String>,
    now: DateTime<Utc>,
) -> Vec<StoryThread> {
    let mut touched: Vec<String> = Vec::new();
    for (entry, hit) in batch.iter().zip(hits) {
        let Some(story) = entry.story.as_deref() else {
            continue;
        };
        let state = stories.entry(story.to_string()).or_insert(StoryState {
            thread: None,
            first: None,
            story_first: None,
        });
        state.thread = Some(followup::record(
            state.thread.take(),
            entry,
            story,
            hit,
            state.story_first.as_ref(),
            message_ref.clone(),
            now,
        ));
        if !touched.iter().any(|s| s == story) {
            touched.push(story.to_string());
        }
    }
    touched
        .iter()
        .filter_map(|s| stories.remove(s).and_then(|st| st.thread))
        .collect()
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
