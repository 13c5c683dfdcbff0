//! The service: wires the stages into tokio tasks. It decides *when* each
//! feed is polled and keeps the counts; *how* a feed is polled is
//! [`crate::pipeline`]'s business.
//!
//! Invariants: one feed's slowness or failure never delays another (each
//! poll is its own task, bounded only by the concurrency limits); on
//! shutdown no new poll starts, in-flight polls get a grace period, and the
//! store is flushed.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use crate::alert::{Dispatcher, DrainReport, Router};
use crate::classify::Classifier;
use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchError, Fetcher, HostLimits, schedule};
use crate::lang::{LangError, LanguageDetector};
use crate::pipeline::{PollContext, PollReport, PollStatus, poll_feed};
use crate::store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("language detector: {0}")]
    Lang(#[from] LangError),
    #[error("HTTP client: {0}")]
    Fetch(#[from] FetchError),
    #[error("HTTP client for alerts: {0}")]
    Alert(#[from] reqwest::Error),
}

/// Everything the service runs with, built from a validated configuration.
pub struct Service {
    pub ctx: PollContext,
    pub feeds: Vec<FeedConfig>,
    pub seen_retention: Duration,
    pub dispatcher: Arc<Dispatcher>,
}

impl Service {
    /// Opens the store and builds the stages. Fails fast: a service that
    /// cannot store or classify must not start polling.
    pub fn new(config: Config) -> Result<Service, StartError> {
        let settings = config.settings;
        let store = Store::open(&settings.store.path, settings.store.cache_bytes)?;
        let detector = LanguageDetector::new(&settings.languages)?;
        let store = Arc::new(store);
        let dispatcher = Arc::new(Dispatcher::new(store.clone(), &settings.alerts)?);
        let ctx = PollContext {
            fetcher: Fetcher::new(&settings.poll)?,
            limits: HostLimits::new(settings.poll.concurrency, settings.poll.per_host),
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            store,
            classifier: Arc::new(Classifier::new(detector, config.topics.matcher)),
            router: Arc::new(Router::new(&settings.alerts)),
            poll: settings.poll,
        };
        Ok(Service {
            ctx,
            feeds: config.feeds,
            seen_retention: settings.store.seen_retention,
            dispatcher,
        })
    }

    /// Polls every enabled feed once; see [`run_once`].
    pub async fn run_once(&self) -> CycleSummary {
        run_once(&self.ctx, &self.feeds, self.seen_retention).await
    }

    /// Delivers the alerts waiting in the outbox, waiting at most `limit`
    /// for retries (`run --once` after its poll).
    pub async fn deliver_pending(&self, limit: Duration) -> DrainReport {
        let report = self.dispatcher.drain(limit).await;
        if let Err(e) = self.ctx.store.flush() {
            tracing::error!("cannot flush the store: {e}");
        }
        report
    }

    /// The service loop until `shutdown`; see [`run`].
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        run(
            self.ctx,
            self.feeds,
            self.seen_retention,
            self.dispatcher,
            shutdown,
        )
        .await
    }
}

/// Counts over a set of polls: the `run --once` summary and the periodic log line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleSummary {
    pub ok: usize,
    pub not_modified: usize,
    pub failed: usize,
    pub gone: usize,
    pub new_items: usize,
    pub new_hits: usize,
}

impl CycleSummary {
    pub fn add(&mut self, r: &PollReport) {
        match r.status {
            PollStatus::Ok => self.ok += 1,
            PollStatus::NotModified => self.not_modified += 1,
            PollStatus::Failed => self.failed += 1,
            PollStatus::Gone => self.gone += 1,
        }
        self.new_items += r.new_items;
        self.new_hits += r.new_hits.len();
    }

    pub fn polls(&self) -> usize {
        self.ok + self.not_modified + self.failed + self.gone
    }
}

impl fmt::Display for CycleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "feeds: {} ok, {} not modified, {} failed",
            self.ok, self.not_modified, self.failed
        )?;
        if self.gone > 0 {
            write!(f, ", {} gone", self.gone)?;
        }
        write!(
            f,
            "; new items: {}; new hits: {}",
            self.new_items, self.new_hits
        )
    }
}

/// Grace period for in-flight polls on shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How often the service logs its one-line summary (when anything happened).
const SUMMARY_EVERY: Duration = Duration::from_secs(60);
/// How often `seen` marks past their retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(6 * 3600);

/// Polls every enabled feed once, concurrently, and returns the counts.
/// Feeds marked gone (HTTP 410) are skipped.
pub async fn run_once(
    ctx: &PollContext,
    feeds: &[FeedConfig],
    seen_retention: Duration,
) -> CycleSummary {
    prune_seen(ctx, seen_retention).await;
    let mut tasks = JoinSet::new();
    for feed in feeds.iter().filter(|f| f.enabled) {
        if is_gone(ctx, feed) {
            tracing::warn!(feed = %feed.name, "skipped: the server said 410 Gone; change its URL or remove it");
            continue;
        }
        let (ctx, feed) = (ctx.clone(), feed.clone());
        tasks.spawn(async move { poll_feed(&ctx, &feed, &mut fastrand::Rng::new()).await });
    }
    let mut summary = CycleSummary::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(report) => summary.add(&report),
            Err(e) => {
                tracing::error!("a poll task failed: {e}");
                summary.failed += 1;
            }
        }
    }
    if let Err(e) = ctx.store.flush() {
        tracing::error!("cannot flush the store: {e}");
    }
    summary
}

/// The service loop: polls each feed when it is due until `shutdown`
/// resolves, then drains in-flight polls for up to `SHUTDOWN_GRACE`.
pub async fn run(
    ctx: PollContext,
    feeds: Vec<FeedConfig>,
    seen_retention: Duration,
    dispatcher: Arc<Dispatcher>,
    shutdown: impl Future<Output = ()>,
) {
    let mut rng = fastrand::Rng::new();
    let now = Utc::now();
    let mut due: BTreeMap<String, (DateTime<Utc>, FeedConfig)> = BTreeMap::new();
    for feed in feeds.into_iter().filter(|f| f.enabled) {
        let state = ctx
            .store
            .feed_state(&feed.url)
            .ok()
            .flatten()
            .unwrap_or_default();
        if state.gone {
            tracing::warn!(feed = %feed.name, "not polled: the server said 410 Gone; change its URL or remove it");
            continue;
        }
        let interval = feed.interval.unwrap_or(ctx.poll.interval);
        let when = match state.next_due {
            // A stored schedule survives restarts, but never waits longer
            // than one interval from now (the interval may have shrunk).
            Some(t) => t.min(schedule::later(now, interval)),
            None => schedule::first_due(now, interval, &mut rng),
        };
        due.insert(feed.name.clone(), (when, feed));
    }
    tracing::info!(feeds = due.len(), "service started");

    // Alerts are delivered beside the polls, and stopped together with them.
    let (stop_alerts, alerts_stopped) = tokio::sync::watch::channel(false);
    let alerts = {
        let dispatcher = dispatcher.clone();
        let mut stopped = alerts_stopped;
        tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            dispatcher.run(signal, SHUTDOWN_GRACE).await;
        })
    };

    let mut in_flight: HashSet<String> = HashSet::new();
    let mut tasks: JoinSet<PollReport> = JoinSet::new();
    let mut summary = CycleSummary::default();
    let mut summary_tick = tokio::time::interval(SUMMARY_EVERY);
    let mut prune_tick = tokio::time::interval(PRUNE_EVERY);
    tokio::pin!(shutdown);

    loop {
        let now = Utc::now();
        for (name, (when, feed)) in &due {
            if *when <= now && !in_flight.contains(name) {
                in_flight.insert(name.clone());
                let (ctx, feed) = (ctx.clone(), feed.clone());
                let seed = rng.u64(..);
                tasks.spawn(async move {
                    poll_feed(&ctx, &feed, &mut fastrand::Rng::with_seed(seed)).await
                });
            }
        }
        let next_wake = due
            .iter()
            .filter(|(name, _)| !in_flight.contains(*name))
            .map(|(_, (when, _))| *when)
            .min()
            .map(|t| (t - now).to_std().unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(3600));

        tokio::select! {
            () = &mut shutdown => break,
            Some(joined) = tasks.join_next() => match joined {
                Ok(report) => {
                    in_flight.remove(&report.feed);
                    if !report.new_hits.is_empty() {
                        dispatcher.wake();
                    }
                    summary.add(&report);
                    if report.status == PollStatus::Gone {
                        due.remove(&report.feed);
                    } else if let Some(entry) = due.get_mut(&report.feed) {
                        entry.0 = report.next_due;
                    }
                }
                Err(e) => tracing::error!("a poll task failed: {e}"),
            },
            () = tokio::time::sleep(next_wake) => {}
            _ = summary_tick.tick() => {
                if summary.polls() > 0 {
                    tracing::info!("poll cycle: {summary}");
                    summary = CycleSummary::default();
                }
            }
            _ = prune_tick.tick() => prune_seen(&ctx, seen_retention).await,
        }
    }

    tracing::info!(
        in_flight = tasks.len(),
        "stopping: no new polls; waiting for in-flight ones"
    );
    let _ = stop_alerts.send(true);
    let drain = async {
        while let Some(joined) = tasks.join_next().await {
            if let Ok(report) = joined {
                summary.add(&report);
            }
        }
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!("in-flight polls did not finish within {SHUTDOWN_GRACE:?}; abandoning them");
        tasks.abort_all();
    }
    if summary.polls() > 0 {
        tracing::info!("poll cycle: {summary}");
    }
    if let Err(e) = alerts.await {
        tracing::error!("the alert task failed: {e}");
    }
    if let Err(e) = ctx.store.flush() {
        tracing::error!("cannot flush the store: {e}");
    }
    tracing::info!("stopped");
}

/// Whether the server said 410 Gone for this feed (a small sled read, no I/O wait).
fn is_gone(ctx: &PollContext, feed: &FeedConfig) -> bool {
    ctx.store
        .feed_state(&feed.url)
        .ok()
        .flatten()
        .is_some_and(|s| s.gone)
}

async fn prune_seen(ctx: &PollContext, retention: Duration) {
    let store = ctx.store.clone();
    let before = schedule::earlier(Utc::now(), retention);
    match tokio::task::spawn_blocking(move || store.prune_seen(before)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(removed = n, "pruned seen marks past their retention"),
        Ok(Err(e)) => tracing::error!("cannot prune seen marks: {e}"),
        Err(e) => tracing::error!("prune task failed: {e}"),
    }
}
