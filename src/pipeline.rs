//! One feed, one poll: fetch → parse → dedup → classify → store (with the
//! hit's alerts queued in the same write), and the
//! feed's state (validators, health, next due time) brought up to date.
//!
//! This is the stage chain the daemon runs for every due feed; it knows
//! nothing of scheduling loops, signals or other feeds.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::alert::Router;
use crate::classify::Classifier;
use crate::clock::SharedClock;
use crate::config::{FeedConfig, PollSettings};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, HostLimits, Validators, schedule};
use crate::model::Hit;
use crate::parse::{FeedSource, ParseError, parse_feed};
use crate::store::{Inserted, Store, StoreError};
use crate::story;
use crate::story::group::{Grouper, Reason, StoryItem};

/// What the stages need, shared by every feed task.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Fetcher,
    pub limits: HostLimits,
    /// Slots for the CPU-bound part of a poll (parse, classify, store), one
    /// per core. Without it, a burst of fast fetches would start hundreds of
    /// blocking threads that only compete for the same cores and each grow
    /// their own allocator arena.
    pub cpu: Arc<tokio::sync::Semaphore>,
    pub store: Arc<Store>,
    pub classifier: Arc<Classifier>,
    /// Which alerts each new hit goes to; their outbox entries are stored with it.
    pub router: Arc<Router>,
    /// The story window: which story each new hit joins. One lock for all
    /// feed tasks, held from the decision to the hit's insert, so that two
    /// copies stored at once see each other.
    pub stories: Arc<Mutex<Grouper>>,
    pub poll: PollSettings,
    /// "Now" for fetch times and due times.
    pub clock: SharedClock,
}

/// How one poll of one feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStatus {
    Ok,
    NotModified,
    Failed,
    /// 410: the feed is disabled until its configuration changes.
    Gone,
}

#[derive(Debug, Clone)]
pub struct PollReport {
    pub feed: String,
    pub status: PollStatus,
    /// Entries in the document.
    pub items: usize,
    /// Entries not seen before.
    pub new_items: usize,
    pub new_hits: Vec<String>,
    /// New items that matched but were a stored hit again under another id.
    pub duplicates: usize,
    /// (topic, language) of each topic each new hit matched, for metrics.
    pub hit_labels: Vec<(String, String)>,
    /// How long the fetch itself took (None when it never started).
    pub fetch_time: Option<std::time::Duration>,
    pub error: Option<String>,
    /// When the feed is due again; `None` when it is gone (410).
    pub next_due: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Task(String),
}

/// Items found in one document, and what became of them.
#[derive(Debug, Default, Clone)]
pub struct IngestReport {
    pub items: usize,
    pub new_items: usize,
    pub new_hits: Vec<String>,
    /// (topic, language) of each matched topic of each new hit.
    pub hit_labels: Vec<(String, String)>,
    /// New items that matched but were a stored hit again under another id
    /// (`story::duplicate_keys`): not stored, not alerted.
    pub duplicates: usize,
}

/// Parses a document and runs every unseen item through detection, matching
/// and the store. Synchronous and CPU-bound: call it off the async threads.
pub fn ingest(
    body: &[u8],
    source: &FeedSource<'_>,
    classifier: &Classifier,
    router: &Router,
    store: &Store,
    stories: &Mutex<Grouper>,
) -> Result<IngestReport, PollError> {
    let items = parse_feed(body, source)?;
    let mut report = IngestReport {
        items: items.len(),
        ..IngestReport::default()
    };
    let mut in_this_document = HashSet::new();
    let mut not_matched = Vec::new();
    for item in &items {
        if !in_this_document.insert(item.id.as_str()) || store.is_seen(&item.id)? {
            continue;
        }
        report.new_items += 1;
        match classifier.classify_candidate(item) {
            Some(class) if class.matched => {
                let mut hit = Hit::new(item, &class);
                // A poisoned lock only means another feed task panicked
                // while holding it; the window itself is never left half
                // updated (a decision is remembered in one call).
                let mut stories = stories.lock().unwrap_or_else(PoisonError::into_inner);
                let found = hit.found_terms();
                let decision = stories.decide(&StoryItem {
                    id: &hit.id,
                    language: &hit.language,
                    at: source.fetched,
                    title: &hit.title,
                    text: &hit.summary,
                    topic_terms: &found,
                });
                hit.story = Some(decision.assignment.story.clone());
                let alerts = router.entries(&hit, store, source.fetched)?;
                let keys = story::duplicate_keys(
                    &item.feed_url,
                    item.url.as_deref(),
                    &item.title,
                    &item.summary,
                );
                match store.insert_new_hit(&hit, &alerts, &keys)? {
                    Inserted::Stored => {
                        log_story(source.name, &hit.id, &decision.assignment);
                        stories.remember(decision);
                        report.new_hits.push(item.id.clone());
                        for topic in hit.topic_names() {
                            report
                                .hit_labels
                                .push((topic.to_string(), hit.language.clone()));
                        }
                    }
                    Inserted::AlreadyStored => {}
                    Inserted::DuplicateOf(original) => {
                        tracing::debug!(
                            feed = %source.name,
                            item = %item.id,
                            duplicate_of = %original,
                            "the same item as a stored hit, under another id: not stored again"
                        );
                        report.duplicates += 1;
                    }
                }
            }
            _ => not_matched.push(item.id.as_str()),
        }
    }
    store.mark_seen(&not_matched, source.fetched)?;
    Ok(report)
}

/// One debug line per hit that joined a story, saying why.
fn log_story(feed: &str, hit: &str, assignment: &story::group::Assignment) {
    let Some(link) = &assignment.link else {
        return;
    };
    match &link.reason {
        Reason::Copy { similarity } => tracing::debug!(
            feed, hit, story = %assignment.story, with = %link.with, similarity,
            "joined a story: a copy of an earlier hit"
        ),
        Reason::Names { shared, weight } => tracing::debug!(
            feed, hit, story = %assignment.story, with = %link.with, names = %shared.join(", "), weight,
            "joined a story: names shared with an earlier hit"
        ),
    }
}

/// Polls one feed now and records the outcome in its stored state. Never
/// fails: every problem becomes a `Failed` report and a backoff.
pub async fn poll_feed(
    ctx: &PollContext,
    feed: &FeedConfig,
    rng: &mut fastrand::Rng,
) -> PollReport {
    let now = ctx.clock.now();
    // Feed state is one small record: sled serves it from its page cache in
    // microseconds, so it is read and written in place rather than on a
    // blocking thread (a thousand feeds starting together would otherwise
    // start a thousand threads).
    let mut state = match ctx
        .store
        .feed_state(&feed.url)
        .map(Option::unwrap_or_default)
    {
        Ok(s) => s,
        Err(e) => return failed_without_state(feed, now, e.into()),
    };
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    // The slot is held until the document is processed, not only fetched:
    // the limit then also bounds the documents held in memory, which would
    // otherwise pile up while they wait for a core.
    let _slot = ctx.limits.acquire(&feed.url).await;
    let fetch_started = std::time::Instant::now();
    let fetched = ctx.fetcher.fetch(&feed.url, &validators).await;
    let fetch_time = Some(fetch_started.elapsed());
    let fetched_at = ctx.clock.now();
    state.last_poll = Some(fetched_at);
    let result = match fetched {
        Ok(FetchOutcome::NotModified) => Ok((PollStatus::NotModified, IngestReport::default())),
        Ok(FetchOutcome::Fetched(doc)) => {
            let (ctx2, feed2) = (ctx.clone(), feed.clone());
            let validators = doc.validators.clone();
            // The semaphore is never closed, so acquiring cannot fail.
            let cpu = ctx
                .cpu
                .clone()
                .acquire_owned()
                .await
                .expect("cpu semaphore is never closed");
            let ingested = tokio::task::spawn_blocking(move || {
                let _cpu = cpu;
                // The configured URL, not the one after redirects, is the
                // base of item ids: a feed that starts redirecting must not
                // look all new. Relative links resolve against it too, which
                // is only wrong for a feed moved to another directory.
                let source = FeedSource {
                    name: &feed2.name,
                    url: &feed2.url,
                    content_type: doc.content_type.as_deref(),
                    language: feed2.language.as_deref(),
                    fetched: fetched_at,
                };
                ingest(
                    &doc.body,
                    &source,
                    &ctx2.classifier,
                    &ctx2.router,
                    &ctx2.store,
                    &ctx2.stories,
                )
            })
            .await
            .map_err(|e| PollError::Task(e.to_string()))
            .and_then(|r| r);
            ingested.map(|report| {
                state.etag = validators.etag;
                state.last_modified = validators.last_modified;
                (PollStatus::Ok, report)
            })
        }
        Err(e) => Err(PollError::Fetch(e)),
    };

    let (status, report, error) = match result {
        Ok((PollStatus::NotModified, report)) => {
            state.not_modified(fetched_at, feed.interval);
            (PollStatus::NotModified, report, None)
        }
        Ok((status, report)) => {
            state.succeeded(
                fetched_at,
                feed.interval,
                report.items,
                report.new_hits.len(),
            );
            (status, report, None)
        }
        Err(PollError::Fetch(FetchError::Gone)) => {
            state.went_away(fetched_at, FetchError::Gone.to_string());
            tracing::warn!(feed = %feed.name, url = %feed.url, "feed is gone (HTTP 410); it will not be polled again until its URL changes in feeds.toml or `newshound feeds reset` clears it");
            (
                PollStatus::Gone,
                IngestReport::default(),
                Some(FetchError::Gone.to_string()),
            )
        }
        Err(e) => {
            let retry_after = match &e {
                PollError::Fetch(f) => f.retry_after(),
                _ => None,
            };
            let next = state.failed(
                fetched_at,
                e.to_string(),
                retry_after,
                ctx.poll.backoff_max,
                rng,
            );
            let wait = (next - fetched_at).to_std().unwrap_or_default();
            tracing::warn!(
                feed = %feed.name,
                errors = state.error_count,
                "feed {:?}: {e}; retrying in {}",
                feed.name,
                humantime::format_duration(std::time::Duration::from_secs(wait.as_secs()))
            );
            (
                PollStatus::Failed,
                IngestReport::default(),
                Some(e.to_string()),
            )
        }
    };
    if let Err(e) = ctx.store.put_feed_state(&feed.url, &state) {
        tracing::error!(feed = %feed.name, "cannot save feed state: {e}");
    }
    tracing::debug!(
        feed = %feed.name,
        status = ?status,
        items = report.items,
        new_items = report.new_items,
        new_hits = report.new_hits.len(),
        duplicates = report.duplicates,
        "polled"
    );
    PollReport {
        feed: feed.name.clone(),
        status,
        items: report.items,
        new_items: report.new_items,
        new_hits: report.new_hits,
        duplicates: report.duplicates,
        hit_labels: report.hit_labels,
        fetch_time,
        error,
        next_due: state.next_due,
    }
}

fn failed_without_state(feed: &FeedConfig, now: DateTime<Utc>, e: PollError) -> PollReport {
    tracing::error!(feed = %feed.name, "cannot read feed state: {e}");
    PollReport {
        feed: feed.name.clone(),
        status: PollStatus::Failed,
        items: 0,
        new_items: 0,
        duplicates: 0,
        hit_labels: Vec::new(),
        fetch_time: None,
        new_hits: Vec::new(),
        error: Some(e.to_string()),
        next_due: Some(schedule::later(now, std::time::Duration::from_secs(60))),
    }
}
