//! The API's server side: the routes over the store and the running
//! service's live state, on the Unix socket (read and write) and on TCP
//! (read only). Every answer is computed from the store the way the CLI
//! computes it when it opens the store itself ([`crate::views`]), so the
//! output is the same.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::{
    ChangedAnswer, DetachRequest, ResetAnswer, ResetRequest, SelectionRequest, ServiceRequest,
};
use crate::alert::Dispatcher;
use crate::clock::SharedClock;
use crate::config::FeedConfig;
use crate::metrics::{AlertFigures, Metrics, Snapshot};
use crate::store::{DetachOutcome, HitQuery, OutboxState, Store, StoreError};
use crate::story::group::Grouper;
use crate::views::{self, Stats};

/// What the API reads: the store, the counters, and what changes on reload.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    pub live: Arc<RwLock<Live>>,
    pub started: Instant,
    /// Requests to the service loop (`feeds reset` puts a feed back on the schedule).
    pub control: tokio::sync::mpsc::Sender<ServiceRequest>,
    /// When a retried alert is due (now).
    pub clock: SharedClock,
    /// The story window new hits are grouped in: a correction of the
    /// grouping (`hits detach`) changes it with the store.
    pub stories: Arc<Mutex<Grouper>>,
}

/// The parts of the running service a reload replaces.
pub struct Live {
    pub feeds: Vec<FeedConfig>,
    pub dispatcher: Arc<Dispatcher>,
    /// The one-line status, as sent to systemd.
    pub status: String,
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "local API socket {path}: another process answers on it; is another newshound running with this [api] socket?"
    )]
    SocketInUse { path: PathBuf },
    #[error(
        "local API socket {path}: {source}; check [api] socket and its directory's permissions"
    )]
    Socket { path: PathBuf, source: io::Error },
    #[error("local API listener {addr}: {source}; check [api] listen")]
    Tcp { addr: String, source: io::Error },
}

/// Who may change something through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The Unix socket: its mode (0660) already limits it to the service's group.
    ReadWrite,
    /// The TCP listener has no authentication: it reads, it never changes.
    ReadOnly,
}

/// The API's routes over `state`.
pub fn router(state: ApiState, access: Access) -> Router {
    let mut router = Router::new()
        .route("/v1/hits", get(hits))
        .route("/v1/hits/{id}", get(hit))
        .route("/v1/stories", get(stories))
        .route("/v1/feeds/status", get(feed_status))
        .route("/v1/alerts", get(alerts))
        .route("/v1/stats", get(stats))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    if access == Access::ReadWrite {
        router = router
            .route("/v1/alerts/retry", post(retry))
            .route("/v1/alerts/drop", post(drop_alerts))
            .route("/v1/feeds/reset", post(reset_feed))
            .route("/v1/hits/detach", post(detach_hit));
    }
    router.with_state(state)
}

/// Binds the Unix socket: a stale file (no process answers) is replaced;
/// the socket is made group-writable (0660) so analysts in the service's
/// group can use the CLI.
pub async fn bind_socket(path: &Path) -> Result<tokio::net::UnixListener, ApiError> {
    let err = |source| ApiError::Socket {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(ApiError::SocketInUse {
                path: path.to_path_buf(),
            });
        }
        std::fs::remove_file(path).map_err(err)?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(err)?;
    Ok(listener)
}

pub async fn bind_tcp(addr: &str) -> Result<tokio::net::TcpListener, ApiError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ApiError::Tcp {
            addr: addr.to_string(),
            source,
        })
}

/// An error answer: a status and `{"error": "..."}`.
struct Problem(StatusCode, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        (self.0, Json(Body { error: self.1 })).into_response()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match e {
            StoreError::Ambiguous { .. } => Problem(StatusCode::CONFLICT, e.to_string()),
            other => Problem(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

/// Runs a store call on a blocking thread (sled reads are synchronous).
async fn on_store<T: Send + 'static>(
    state: &ApiState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(result) => result.map_err(Problem::from),
        Err(e) => Err(Problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

async fn hits(State(state): State<ApiState>, Query(query): Query<HitQuery>) -> Response {
    match on_store(&state, move |s| s.query_hits(&query)).await {
        Ok(hits) => Json(hits).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn stories(State(state): State<ApiState>, Query(query): Query<HitQuery>) -> Response {
    match on_store(&state, move |s| views::stories(s, &query)).await {
        Ok(rows) => Json(rows).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn hit(State(state): State<ApiState>, UrlPath(id): UrlPath<String>) -> Response {
    let wanted = id.clone();
    match on_store(&state, move |s| s.get_hit(&wanted)).await {
        Ok(Some(hit)) => Json(hit).into_response(),
        Ok(None) => {
            Problem(StatusCode::NOT_FOUND, format!("no hit with id {id:?}")).into_response()
        }
        Err(p) => p.into_response(),
    }
}

async fn detach_hit(State(state): State<ApiState>, Json(req): Json<DetachRequest>) -> Response {
    let now = state.clock.now();
    let stories = state.stories.clone();
    let wanted = req.id.clone();
    // The window's lock is held across the store's change, as the poll
    // holds it from a hit's grouping to its storing: no hit is grouped
    // against a window that disagrees with the store.
    let result = on_store(&state, move |store| {
        let mut window = stories.lock().unwrap_or_else(PoisonError::into_inner);
        let outcome = store.detach_hit(&wanted, now)?;
        if let Some(DetachOutcome::Detached { hit, from, rest }) = &outcome {
            window.detach(hit, from, rest.as_ref().map(|r| r.story.as_str()));
        }
        Ok(outcome)
    })
    .await;
    match result {
        Ok(Some(outcome)) => Json(outcome).into_response(),
        Ok(None) => Problem(
            StatusCode::NOT_FOUND,
            format!("no hit with id {:?}", req.id),
        )
        .into_response(),
        Err(p) => p.into_response(),
    }
}

async fn feed_status(State(state): State<ApiState>) -> Response {
    let feeds = read(&state.live).feeds.clone();
    match on_store(&state, move |s| views::feed_status(s, &feeds)).await {
        Ok(rows) => Json(rows).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn alerts(State(state): State<ApiState>) -> Response {
    match on_store(&state, views::outbox_rows).await {
        Ok(rows) => Json(rows).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn retry(State(state): State<ApiState>, Json(req): Json<SelectionRequest>) -> Response {
    let selection = match req.selection() {
        Ok(s) => s,
        Err(e) => return Problem(StatusCode::BAD_REQUEST, e).into_response(),
    };
    let now = state.clock.now();
    let result = on_store(&state, move |s| s.retry_outbox(&selection, now)).await;
    match result {
        Ok(changed) => {
            read(&state.live).dispatcher.wake();
            Json(ChangedAnswer { changed }).into_response()
        }
        Err(p) => p.into_response(),
    }
}

async fn drop_alerts(State(state): State<ApiState>, Json(req): Json<SelectionRequest>) -> Response {
    let selection = match req.selection() {
        Ok(s) => s,
        Err(e) => return Problem(StatusCode::BAD_REQUEST, e).into_response(),
    };
    match on_store(&state, move |s| s.drop_outbox(&selection)).await {
        Ok(changed) => Json(ChangedAnswer { changed }).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn reset_feed(State(state): State<ApiState>, Json(req): Json<ResetRequest>) -> Response {
    let feed = read(&state.live)
        .feeds
        .iter()
        .find(|f| f.name == req.name)
        .cloned();
    let Some(feed) = feed else {
        return Problem(
            StatusCode::NOT_FOUND,
            format!("the service polls no feed named {:?}", req.name),
        )
        .into_response();
    };
    let url = feed.url.clone();
    if let Err(p) = on_store(&state, move |s| s.reset_feed(&url)).await {
        return p.into_response();
    }
    let _ = state
        .control
        .send(ServiceRequest::PollNow(feed.name.clone()))
        .await;
    Json(ResetAnswer { url: feed.url }).into_response()
}

async fn stats(State(state): State<ApiState>) -> Response {
    let status = read(&state.live).status.clone();
    let uptime = state.started.elapsed().as_secs();
    match on_store(&state, |s| s.stats()).await {
        Ok(store) => Json(Stats {
            store,
            uptime_secs: Some(uptime),
            status: Some(status),
        })
        .into_response(),
        Err(p) => p.into_response(),
    }
}

async fn healthz(State(state): State<ApiState>) -> Response {
    match on_store(&state, |s| s.ping()).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(p) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {}\n", p.1)).into_response(),
    }
}

async fn metrics(State(state): State<ApiState>) -> Response {
    let (feeds, dispatcher) = {
        let live = read(&state.live);
        (
            live.feeds.iter().filter(|f| f.enabled).count(),
            live.dispatcher.clone(),
        )
    };
    let gauges = on_store(&state, |s| Ok((s.stats()?, s.outbox()?))).await;
    let (store, outbox) = match gauges {
        Ok((stats, outbox)) => (Some(stats), outbox),
        Err(_) => (None, Vec::new()),
    };
    let alerts = dispatcher
        .counters()
        .into_iter()
        .map(|(alert, c)| {
            use std::sync::atomic::Ordering::Relaxed;
            let pending = outbox
                .iter()
                .filter(|e| e.alert == alert && e.state == OutboxState::Pending)
                .count() as u64;
            AlertFigures {
                sent: c.sent.load(Relaxed),
                failed: c.failed.load(Relaxed),
                dead_total: c.dead.load(Relaxed),
                pending,
                alert,
            }
        })
        .collect();
    let text = state.metrics.render(&Snapshot {
        store,
        feeds,
        alerts,
        uptime: state.started.elapsed(),
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

fn read(live: &RwLock<Live>) -> std::sync::RwLockReadGuard<'_, Live> {
    // A panic while holding the lock cannot leave `Live` half-replaced
    // (it is swapped field by field); serve what is there.
    live.read().unwrap_or_else(|e| e.into_inner())
}
