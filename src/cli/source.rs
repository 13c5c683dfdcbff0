//! Where the query commands read from: the running service's local API when
//! it answers on `[api] socket`, else the store itself. sled lets one
//! process open a store, so while the service runs the API is the only way
//! in; the answers are the same either way ([`crate::views`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Failure;
use crate::config::Config;
use crate::daemon::api::{ResetAnswer, ResetRequest, RetryAnswer, RetryRequest};
use crate::model::Hit;
use crate::store::{HitQuery, RetrySelection, Store, StoreError};
use crate::views::{self, FeedStatus, OutboxRow};

/// How long the CLI waits for the service to answer one request.
const API_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a probe of the socket may take before the CLI decides nobody answers.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub enum Source {
    Api(ApiClient),
    Store(Store, Box<Config>),
}

impl Source {
    /// The running service's API if it answers, else the store; a store
    /// held by a process that does not answer is a plain error.
    pub fn open(config: Config) -> Result<Source, Failure> {
        let socket = config.settings.api.socket.clone();
        if let Some(client) = ApiClient::connect(&socket)? {
            return Ok(Source::Api(client));
        }
        match Store::open(
            &config.settings.store.path,
            config.settings.store.cache_bytes,
        ) {
            Ok(store) => Ok(Source::Store(store, Box::new(config))),
            Err(StoreError::Locked { path }) => Err(Failure::runtime(anyhow::anyhow!(
                "store {} is in use by another process, and no newshound service answers on {}; \
                 if the service is starting or stopping, try again in a moment, otherwise check \
                 that its [api] socket is the one in {}",
                path.display(),
                socket.display(),
                config.settings.file.display()
            ))),
            Err(other) => Err(super::store_failure(other, &config.settings.store.path)),
        }
    }

    pub fn hits(&self, query: &HitQuery) -> Result<Vec<Hit>, Failure> {
        match self {
            Source::Api(api) => api.get("/v1/hits", Some(query)),
            Source::Store(store, _) => store.query_hits(query).map_err(Failure::runtime),
        }
    }

    /// A hit by id or unique prefix; `None` when there is none. An
    /// ambiguous prefix is an input error.
    pub fn hit(&self, id: &str) -> Result<Option<Hit>, Failure> {
        match self {
            Source::Api(api) => api.get_optional(&format!("/v1/hits/{}", encode(id))),
            Source::Store(store, _) => store
                .get_hit(id)
                .map_err(|e| Failure::input(anyhow::Error::new(e))),
        }
    }

    pub fn feed_status(&self) -> Result<Vec<FeedStatus>, Failure> {
        match self {
            Source::Api(api) => api.get::<_, ()>("/v1/feeds/status", None),
            Source::Store(store, config) => {
                views::feed_status(store, &config.feeds).map_err(Failure::runtime)
            }
        }
    }

    pub fn outbox(&self) -> Result<Vec<OutboxRow>, Failure> {
        match self {
            Source::Api(api) => api.get::<_, ()>("/v1/alerts", None),
            Source::Store(store, _) => views::outbox_rows(store).map_err(Failure::runtime),
        }
    }

    /// Removes alerts from the outbox for good.
    pub fn drop_alerts(&self, selection: &RetrySelection) -> Result<usize, Failure> {
        match self {
            Source::Api(api) => api
                .post::<_, RetryAnswer>("/v1/alerts/drop", &RetryRequest::new(selection))
                .map(|a| a.changed),
            Source::Store(store, _) => store.drop_outbox(selection).map_err(Failure::runtime),
        }
    }

    /// Forgets a feed's failures (a 410 Gone too); a running service polls
    /// it at once. `None` when no feed has that name.
    pub fn reset_feed(&self, name: &str) -> Result<Option<String>, Failure> {
        match self {
            Source::Api(api) => {
                let request = ResetRequest {
                    name: name.to_string(),
                };
                let answer: Option<ResetAnswer> =
                    api.call(api.client.post(url("/v1/feeds/reset")).json(&request))?;
                Ok(answer.map(|a| a.url))
            }
            Source::Store(store, config) => {
                let Some(feed) = config.feeds.iter().find(|f| f.name == name) else {
                    return Ok(None);
                };
                store.reset_feed(&feed.url).map_err(Failure::runtime)?;
                Ok(Some(feed.url.clone()))
            }
        }
    }

    /// Whether a running service answers (rather than the store directly).
    pub fn is_service(&self) -> bool {
        matches!(self, Source::Api(_))
    }

    /// Queues alerts again; the running service sends them at once.
    pub fn retry(&self, selection: &RetrySelection) -> Result<usize, Failure> {
        match self {
            Source::Api(api) => api
                .post::<_, RetryAnswer>("/v1/alerts/retry", &RetryRequest::new(selection))
                .map(|a| a.changed),
            Source::Store(store, _) => store
                .retry_outbox(selection, chrono::Utc::now())
                .map_err(Failure::runtime),
        }
    }
}

/// An HTTP client of the local API over its Unix socket.
pub struct ApiClient {
    socket: PathBuf,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl ApiClient {
    /// A client when a service answers on `socket`; `None` when the socket
    /// does not exist or nobody answers (a file left by a killed service).
    pub fn connect(socket: &Path) -> Result<Option<ApiClient>, Failure> {
        if !socket.exists() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Failure::runtime)?;
        // The connector needs the runtime it will run on.
        let _entered = runtime.enter();
        let client = reqwest::Client::builder()
            .unix_socket(socket)
            .timeout(API_TIMEOUT)
            .build()
            .map_err(Failure::runtime)?;
        let probe = runtime.block_on(client.get(url("/healthz")).timeout(PROBE_TIMEOUT).send());
        drop(_entered);
        match probe {
            Ok(_) => Ok(Some(ApiClient {
                socket: socket.to_path_buf(),
                client,
                runtime,
            })),
            Err(_) => Ok(None),
        }
    }

    fn get<T: DeserializeOwned, Q: Serialize>(
        &self,
        path: &str,
        query: Option<&Q>,
    ) -> Result<T, Failure> {
        let mut request = self.client.get(url(path));
        if let Some(q) = query {
            request = request.query(q);
        }
        self.call(request)?
            .ok_or_else(|| Failure::runtime(anyhow::anyhow!("{path}: the service answered 404")))
    }

    fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, Failure> {
        self.call(self.client.get(url(path)))
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, Failure> {
        self.call(self.client.post(url(path)).json(body))?
            .ok_or_else(|| Failure::runtime(anyhow::anyhow!("{path}: the service answered 404")))
    }

    /// Sends a request: `Some` on 2xx, `None` on 404, an error otherwise
    /// (409 and 400 are the caller's input, the rest the service's trouble).
    fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, Failure> {
        let socket = self.socket.display().to_string();
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| {
                Failure::runtime(anyhow::anyhow!(
                    "the service's API on {socket} did not answer: {e}"
                ))
            })?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| {
                Failure::runtime(anyhow::anyhow!("reading the answer from {socket}: {e}"))
            })?;
            if status.is_success() {
                return serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                    Failure::runtime(anyhow::anyhow!(
                        "the service on {socket} answered something this newshound cannot read \
                         (is it another version?): {e}"
                    ))
                });
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error")?.as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            let error = anyhow::anyhow!("{message}");
            Err(if status.is_client_error() {
                Failure::input(error)
            } else {
                Failure::runtime(error.context(format!("the service on {socket} failed")))
            })
        })
    }
}

/// The host part is ignored over a Unix socket; it only has to be valid.
fn url(path: &str) -> String {
    format!("http://newshound{path}")
}

/// A path segment from user input (a hit id or prefix).
fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}
