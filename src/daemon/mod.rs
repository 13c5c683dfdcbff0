//! The service: wires the stages into tokio tasks. It decides *when* each
//! feed is polled and keeps the counts; *how* a feed is polled is
//! [`crate::pipeline`]'s business, and *how* an alert is delivered is
//! [`crate::alert`]'s.
//!
//! Around the poll loop it runs the alert dispatcher, the local API
//! ([`crate::api`]), systemd's notifications and watchdog ([`notify`]) and
//! reloads ([`reload`]), driven by [`Control`] messages (the command line
//! turns signals into them).
//!
//! Invariants: one feed's slowness or failure never delays another (each
//! poll is its own task, bounded only by the concurrency limits); on
//! shutdown no new poll starts, in-flight polls get a grace period, and the
//! store is flushed; a reload that fails validation changes nothing.

mod due;
pub mod notify;
mod reload;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::alert::{Dispatcher, DrainReport, Router};
use crate::api::{self, ApiError, ApiState, Live, ServiceRequest};
use crate::classify::Classifier;
use crate::clock::{self, SharedClock};
use crate::config::{Config, FeedConfig, Settings};
use crate::fetch::{FeedState, FetchError, Fetcher, HostLimits, schedule};
use crate::lang::{LangError, LanguageDetector};
use crate::metrics::Metrics;
use crate::pipeline::{PollContext, PollReport, PollStatus, poll_feed};
use crate::store::{HitQuery, Store, StoreError};
use crate::story;
use crate::story::group::{GroupSettings, Grouper, StoryItem};
use due::{DueMap, Unscheduled};
use notify::Notifier;

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
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// What the outside world asks of a running service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Stop gracefully (SIGTERM, SIGINT).
    Stop,
    /// Read the configuration again (SIGHUP).
    Reload,
}

/// Everything the service runs with, built from a validated configuration.
pub struct Service {
    pub ctx: PollContext,
    pub feeds: Vec<FeedConfig>,
    pub seen_retention: Duration,
    pub dispatcher: Arc<Dispatcher>,
    pub settings: Settings,
    pub metrics: Arc<Metrics>,
}

impl Service {
    /// Opens the store and builds the stages. Fails fast: a service that
    /// cannot store or classify must not start polling.
    pub fn new(config: Config) -> Result<Service, StartError> {
        Service::with_clock(config, clock::system())
    }

    /// [`Service::new`] on `clock` (tests drive time with a manual one).
    pub fn with_clock(config: Config, clock: SharedClock) -> Result<Service, StartError> {
        let settings = config.settings;
        let store = Store::open(&settings.store.path, settings.store.cache_bytes)?;
        let indexed = store.index_duplicate_keys(|hit| {
            story::duplicate_keys(&hit.feed_url, hit.url.as_deref(), &hit.title, &hit.summary)
        })?;
        if indexed > 0 {
            tracing::info!(
                hits = indexed,
                "recorded the duplicate keys of the stored hits (once, on the first start after an upgrade)"
            );
        }
        let stories = story_window(&store, &settings, clock.now())?;
        let detector = LanguageDetector::new(&settings.languages)?;
        let store = Arc::new(store);
        let dispatcher = Arc::new(Dispatcher::new(
            store.clone(),
            &settings.alerts,
            clock.clone(),
        )?);
        let ctx = PollContext {
            fetcher: Fetcher::new(&settings.poll, clock.clone())?,
            limits: HostLimits::new(settings.poll.concurrency, settings.poll.per_host),
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            store,
            classifier: Arc::new(Classifier::new(detector, config.topics.matcher)),
            router: Arc::new(Router::new(&settings.alerts)),
            stories: Arc::new(std::sync::Mutex::new(stories)),
            poll: settings.poll.clone(),
            clock,
        };
        Ok(Service {
            ctx,
            feeds: config.feeds,
            seen_retention: settings.store.seen_retention,
            dispatcher,
            settings,
            metrics: Arc::default(),
        })
    }

    /// The hits of the story window, read back from the store.
    pub fn story_window_len(&self) -> usize {
        self.ctx
            .stories
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
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

    /// The service until `shutdown` resolves, without systemd notifications.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
        let (tx, rx) = mpsc::channel(1);
        let stop = async move {
            shutdown.await;
            let _ = tx.send(Control::Stop).await;
        };
        let (_, result) = tokio::join!(stop, self.serve(rx, Notifier::disabled()));
        result
    }

    /// The service: serves the local API, tells systemd it is ready, polls
    /// each feed when it is due and delivers alerts, until [`Control::Stop`]
    /// (or the sender goes away); reloads on [`Control::Reload`].
    pub async fn serve(
        self,
        control: mpsc::Receiver<Control>,
        notifier: Notifier,
    ) -> Result<(), StartError> {
        Runner::start(self, notifier).await?.run(control).await;
        Ok(())
    }
}

/// The story window as it was when the service stopped: the stored hits
/// first seen within `[stories] window` before `now`, each in the story it
/// was given, in the order they arrived.
fn story_window(
    store: &Store,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Grouper, StoreError> {
    let window =
        chrono::Duration::from_std(settings.stories.window).unwrap_or(chrono::Duration::hours(72));
    let mut grouper = Grouper::new(GroupSettings {
        window,
        ..GroupSettings::default()
    });
    // A hit is published before it is first seen, but feeds backdate and
    // postdate entries: the published-time index is read with a day to spare.
    let since = now - window - chrono::Duration::days(1);
    let mut hits = store.query_hits(&HitQuery {
        since: Some(since),
        ..HitQuery::default()
    })?;
    hits.retain(|h| h.fetched >= now - window);
    hits.sort_by(|a, b| a.fetched.cmp(&b.fetched).then_with(|| a.id.cmp(&b.id)));
    for hit in &hits {
        grouper.restore(
            &StoryItem {
                id: &hit.id,
                language: &hit.language,
                at: hit.fetched,
                title: &hit.title,
                text: &hit.summary,
                topic_terms: &hit.found_terms(),
            },
            hit.story.as_deref().unwrap_or(&hit.id),
        );
    }
    Ok(grouper)
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
    /// Matching items that were a stored hit again under another id.
    pub duplicates: usize,
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
        self.duplicates += r.duplicates;
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
        )?;
        if self.duplicates > 0 {
            write!(f, " (and {} duplicates of stored hits)", self.duplicates)?;
        }
        Ok(())
    }
}

/// Grace period for in-flight polls and alert deliveries on shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How often the service logs its one-line summary.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);
/// How often the status line (systemd's `STATUS=`) is brought up to date
/// when polls have finished since.
const STATUS_EVERY: Duration = Duration::from_secs(2);
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
    let mut due = DueMap::default();
    due.replace(
        feeds.to_vec(),
        |feed| stored_state(ctx, feed),
        Unscheduled::Now,
        ctx.clock.now(),
        &mut fastrand::Rng::new(),
    );
    let mut tasks = JoinSet::new();
    for feed in due.feeds() {
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

/// The alert dispatcher running in its own task, and how to stop it.
struct AlertTask {
    dispatcher: Arc<Dispatcher>,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl AlertTask {
    fn start(dispatcher: Arc<Dispatcher>) -> AlertTask {
        let (stop, mut stopped) = watch::channel(false);
        let handle = {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move {
                let signal = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                dispatcher.run(signal, SHUTDOWN_GRACE).await;
            })
        };
        AlertTask {
            dispatcher,
            stop,
            handle,
        }
    }

    /// Asks the dispatcher to stop; a delivery in progress gets the grace period.
    async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.handle.await {
            tracing::error!("the alert task failed: {e}");
        }
    }
}

/// The running service's state: the poll schedule and everything a reload replaces.
struct Runner {
    ctx: PollContext,
    settings: Settings,
    seen_retention: Duration,
    metrics: Arc<Metrics>,
    notifier: Arc<Notifier>,
    live: Arc<RwLock<Live>>,
    alerts: Option<AlertTask>,
    /// When each feed is polled next.
    due: DueMap,
    api_stop: watch::Sender<bool>,
    api_tasks: JoinSet<()>,
    /// Requests from the API (`feeds reset`), beside the signals' ones.
    requests: mpsc::Receiver<ServiceRequest>,
    watchdog: Option<tokio::task::JoinHandle<()>>,
    rng: fastrand::Rng,
    /// Hits stored today (UTC): the day, and the count.
    hits_today: (chrono::NaiveDate, usize),
}

impl Runner {
    /// Binds the API, starts alerts and the watchdog, schedules the feeds,
    /// and tells systemd the service is ready.
    async fn start(service: Service, notifier: Notifier) -> Result<Runner, StartError> {
        let Service {
            ctx,
            feeds,
            seen_retention,
            dispatcher,
            settings,
            metrics,
        } = service;
        let notifier = Arc::new(notifier);
        let live = Arc::new(RwLock::new(Live {
            feeds: feeds.clone(),
            dispatcher: dispatcher.clone(),
            status: "starting".into(),
        }));
        let (request_tx, requests) = mpsc::channel(16);
        let state = ApiState {
            store: ctx.store.clone(),
            metrics: metrics.clone(),
            live: live.clone(),
            started: Instant::now(),
            control: request_tx,
            clock: ctx.clock.clone(),
            stories: ctx.stories.clone(),
        };
        let (api_stop, api_stopped) = watch::channel(false);
        let mut api_tasks = JoinSet::new();
        let socket = api::bind_socket(&settings.api.socket).await?;
        tracing::info!(socket = %settings.api.socket.display(), "local API listening");
        spawn_server(
            &mut api_tasks,
            socket,
            api::router(state.clone(), api::Access::ReadWrite),
            api_stopped.clone(),
        );
        if let Some(addr) = &settings.api.listen {
            let tcp = api::bind_tcp(addr).await?;
            tracing::info!(%addr, "metrics and API listening on TCP");
            spawn_server(
                &mut api_tasks,
                tcp,
                api::router(state, api::Access::ReadOnly),
                api_stopped,
            );
        }
        let watchdog = notify::watchdog_interval()
            .filter(|_| notifier.is_enabled())
            .map(|every| spawn_watchdog(notifier.clone(), ctx.store.clone(), every));

        let today = ctx.clock.now().date_naive();
        let mut runner = Runner {
            ctx,
            settings,
            seen_retention,
            metrics,
            notifier,
            live,
            alerts: Some(AlertTask::start(dispatcher)),
            due: DueMap::default(),
            api_stop,
            api_tasks,
            requests,
            watchdog,
            rng: fastrand::Rng::new(),
            hits_today: (today, 0),
        };
        runner.hits_today.1 = runner.count_stored_today().await;
        runner.schedule(feeds, Unscheduled::Spread);
        match runner.due.last() {
            Some(last) => tracing::info!(
                feeds = runner.due.len(),
                "service started; every feed is polled by {} (first polls are spread over one interval)",
                last.with_timezone(&chrono::Local).format("%H:%M:%S")
            ),
            None => tracing::warn!(
                "service started with no feed to poll; add some to feeds.toml and send SIGHUP"
            ),
        }
        runner.update_status(None).await;
        runner.notifier.notify("READY=1");
        Ok(runner)
    }

    /// Replaces the schedule with `feeds` (see [`DueMap::replace`]).
    fn schedule(&mut self, feeds: Vec<FeedConfig>, unscheduled: Unscheduled) {
        let ctx = &self.ctx;
        self.due.replace(
            feeds,
            |feed| stored_state(ctx, feed),
            unscheduled,
            self.ctx.clock.now(),
            &mut self.rng,
        );
    }

    async fn run(mut self, mut control: mpsc::Receiver<Control>) {
        let mut in_flight: HashSet<String> = HashSet::new();
        let mut tasks: JoinSet<PollReport> = JoinSet::new();
        let mut summary = CycleSummary::default();
        let mut summary_tick = tokio::time::interval(SUMMARY_EVERY);
        let mut status_tick = tokio::time::interval(STATUS_EVERY);
        let mut polled_since_status = false;
        let mut prune_tick = tokio::time::interval(PRUNE_EVERY);

        loop {
            let now = self.ctx.clock.now();
            let starting: Vec<FeedConfig> = self.due.due_now(now, &in_flight).cloned().collect();
            for feed in starting {
                in_flight.insert(feed.name.clone());
                let ctx = self.ctx.clone();
                let seed = self.rng.u64(..);
                tasks.spawn(async move {
                    poll_feed(&ctx, &feed, &mut fastrand::Rng::with_seed(seed)).await
                });
            }
            let next_wake = self
                .due
                .next_wake(now, &in_flight)
                .unwrap_or(Duration::from_secs(3600));

            tokio::select! {
                message = control.recv() => match message {
                    Some(Control::Reload) => self.reload().await,
                    Some(Control::Stop) | None => break,
                },
                Some(ServiceRequest::PollNow(name)) = self.requests.recv() => self.poll_now(&name),
                Some(joined) = tasks.join_next() => match joined {
                    Ok(report) => {
                        in_flight.remove(&report.feed);
                        self.metrics.record_poll(&report);
                        polled_since_status = true;
                        self.count_new_hits(report.new_hits.len());
                        if !report.new_hits.is_empty()
                            && let Some(alerts) = &self.alerts
                        {
                            alerts.dispatcher.wake();
                        }
                        summary.add(&report);
                        self.due.polled(&report.feed, report.next_due);
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
                _ = status_tick.tick() => {
                    if polled_since_status {
                        polled_since_status = false;
                        self.update_status(None).await;
                    }
                }
                _ = prune_tick.tick() => prune_seen(&self.ctx, self.seen_retention).await,
            }
        }

        self.notifier.notify("STOPPING=1");
        tracing::info!(
            in_flight = tasks.len(),
            "stopping: no new polls; waiting for in-flight ones"
        );
        // Alerts and polls wind down together, each within the grace period.
        let alerts = self.alerts.take();
        let stop_alerts = async {
            if let Some(a) = alerts {
                a.stop().await;
            }
        };
        let drain = async {
            let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
                while let Some(joined) = tasks.join_next().await {
                    if let Ok(report) = joined {
                        summary.add(&report);
                    }
                }
            })
            .await;
            if finished.is_err() {
                tracing::warn!(
                    "in-flight polls did not finish within {SHUTDOWN_GRACE:?}; abandoning them"
                );
                tasks.abort_all();
            }
        };
        tokio::join!(stop_alerts, drain);
        if summary.polls() > 0 {
            tracing::info!("poll cycle: {summary}");
        }
        let _ = self.api_stop.send(true);
        while self.api_tasks.join_next().await.is_some() {}
        if let Some(w) = self.watchdog.take() {
            w.abort();
        }
        let _ = std::fs::remove_file(&self.settings.api.socket);
        if let Err(e) = self.ctx.store.flush() {
            tracing::error!("cannot flush the store: {e}");
        }
        tracing::info!("stopped");
    }

    /// Puts a configured feed back on the schedule, due now.
    fn poll_now(&mut self, name: &str) {
        let feed = read_live(&self.live)
            .feeds
            .iter()
            .find(|f| f.name == name && f.enabled)
            .cloned();
        match feed {
            Some(feed) => {
                tracing::info!(feed = %name, "polled now, on request");
                self.due.poll_now(feed, self.ctx.clock.now());
            }
            None => {
                tracing::warn!(feed = %name, "asked to poll a feed that is not configured or is disabled")
            }
        }
    }

    /// Hits stored since midnight (UTC), read from the store at start: the
    /// index is by publication time, so this reads the hits published in the
    /// last two days and counts those fetched today (an item published
    /// earlier and first fetched today is missed; the running count is exact).
    async fn count_stored_today(&self) -> usize {
        let store = self.ctx.store.clone();
        let midnight = midnight_utc(self.ctx.clock.now());
        let counted = tokio::task::spawn_blocking(move || {
            store.query_hits(&HitQuery {
                since: Some(midnight - chrono::Duration::days(2)),
                ..HitQuery::default()
            })
        })
        .await;
        match counted {
            Ok(Ok(hits)) => hits.iter().filter(|h| h.fetched >= midnight).count(),
            _ => 0,
        }
    }

    fn count_new_hits(&mut self, n: usize) {
        let today = self.ctx.clock.now().date_naive();
        if self.hits_today.0 != today {
            self.hits_today = (today, 0);
        }
        self.hits_today.1 += n;
    }

    /// Sets the one-line status (systemd's `STATUS=`, `/v1/stats`):
    /// feeds and how many fail, hits stored today, alerts waiting; with
    /// `note` (a failed reload) in front.
    async fn update_status(&mut self, note: Option<&str>) {
        self.count_new_hits(0);
        let store = self.ctx.store.clone();
        let urls: Vec<String> = self.due.feeds().map(|f| f.url.clone()).collect();
        let counted = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let failing = urls
                .iter()
                .filter(|u| {
                    store
                        .feed_state(u)
                        .ok()
                        .flatten()
                        .is_some_and(|s| s.error_count > 0)
                })
                .count();
            Ok((failing, store.outbox_counts()?.0))
        })
        .await;
        let line = match counted {
            Ok(Ok((failing, pending))) => format!(
                "feeds: {} ({failing} failing); hits today (UTC): {}; alerts pending: {pending}",
                self.due.len(),
                self.hits_today.1
            ),
            Ok(Err(e)) => format!("store error: {e}"),
            Err(e) => format!("status task failed: {e}"),
        };
        let line = match note {
            Some(n) => format!("{n}; {line}"),
            None => line,
        };
        self.notifier.status(&line);
        write(&self.live).status = line;
    }
}

fn midnight_utc(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(now, |t| t.and_utc())
}

/// Serves `router` on `listener` until `stop` turns true.
fn spawn_server<L>(
    tasks: &mut JoinSet<()>,
    listener: L,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) where
    L: axum::serve::Listener,
    L::Addr: fmt::Debug,
{
    tasks.spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("local API stopped: {e}");
        }
    });
}

/// Sends `WATCHDOG=1` every `every`, but only after the store answered: a
/// service whose store hangs is restarted by systemd rather than kept alive.
fn spawn_watchdog(
    notifier: Arc<Notifier>,
    store: Arc<Store>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let store = store.clone();
            let ping = tokio::task::spawn_blocking(move || store.ping());
            match tokio::time::timeout(every, ping).await {
                Ok(Ok(Ok(()))) => notifier.notify("WATCHDOG=1"),
                Ok(Ok(Err(e))) => tracing::error!("watchdog: the store does not answer: {e}"),
                Ok(Err(e)) => tracing::error!("watchdog: the store check failed: {e}"),
                Err(_) => tracing::error!("watchdog: the store did not answer within {every:?}"),
            }
        }
    })
}

fn write(live: &RwLock<Live>) -> std::sync::RwLockWriteGuard<'_, Live> {
    live.write().unwrap_or_else(|e| e.into_inner())
}

fn read_live(live: &RwLock<Live>) -> std::sync::RwLockReadGuard<'_, Live> {
    live.read().unwrap_or_else(|e| e.into_inner())
}

/// A feed's stored state (a small sled read, no I/O wait); a feed never
/// polled, or one whose record cannot be read, starts afresh.
fn stored_state(ctx: &PollContext, feed: &FeedConfig) -> FeedState {
    match ctx.store.feed_state(&feed.url) {
        Ok(state) => state.unwrap_or_default(),
        Err(e) => {
            tracing::error!(feed = %feed.name, "cannot read feed state: {e}");
            FeedState::default()
        }
    }
}

async fn prune_seen(ctx: &PollContext, retention: Duration) {
    let store = ctx.store.clone();
    let before = schedule::earlier(ctx.clock.now(), retention);
    match tokio::task::spawn_blocking(move || store.prune_seen(before)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(removed = n, "pruned seen marks past their retention"),
        Ok(Err(e)) => tracing::error!("cannot prune seen marks: {e}"),
        Err(e) => tracing::error!("prune task failed: {e}"),
    }
}
