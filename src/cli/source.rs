//! Where the query commands read from: the running service's local API when
//! it answers on `[api] socket`, else the store itself. sled lets one
//! process open a store, so while the service runs the API is the only way
//! in; the answers are the same either way ([`crate::views`]).

use std::path::Path;

use super::{Failure, config_failure};
use crate::api::{
    ApiClient, ChangedAnswer, ClientError, DetachRequest, ResetAnswer, ResetRequest,
    SelectionRequest,
};
use crate::config::{Diagnostics, FeedConfig, Settings, load_settings_for_reading};
use crate::model::Hit;
use crate::store::{DetachOutcome, HitQuery, OutboxSelection, Store};
use crate::views::{self, FeedStatus, OutboxRow};

pub enum Source {
    Api(ApiClient),
    Store(Store, Box<Settings>),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        if e.is_input() {
            Failure::input(e)
        } else {
            Failure::runtime(e)
        }
    }
}

impl Source {
    /// The running service's API if it answers, else the store; a store
    /// held by a process that does not answer is a plain error. Reads only
    /// the main configuration file (`config_path`): feeds.toml only when a
    /// question needs it and the store answers, the topic packs never.
    pub fn open(config_path: &Path) -> Result<Source, Failure> {
        let settings = load_settings_for_reading(config_path)
            .map_err(|diags| config_failure(config_path, diags))?;
        let socket = settings.api.socket.clone();
        if let Some(client) = ApiClient::connect(&socket)? {
            return Ok(Source::Api(client));
        }
        match Store::open(&settings.store.path, settings.store.cache_bytes) {
            Ok(store) => Ok(Source::Store(store, Box::new(settings))),
            Err(e) => Err(super::store_failure(
                e,
                &format!(
                    ", and no newshound service answers on {}; if the service is starting or \
                     stopping, try again in a moment, otherwise check that its [api] socket is \
                     the one in {}",
                    socket.display(),
                    settings.file.display()
                ),
            )),
        }
    }

    pub fn hits(&self, query: &HitQuery) -> Result<Vec<Hit>, Failure> {
        match self {
            Source::Api(api) => Ok(api.get("/v1/hits", Some(query))?),
            Source::Store(store, _) => store.query_hits(query).map_err(Failure::runtime),
        }
    }

    /// The stories among the hits that pass `query` (`views::stories`).
    pub fn stories(&self, query: &HitQuery) -> Result<Vec<views::StoryRow>, Failure> {
        match self {
            Source::Api(api) => Ok(api.get("/v1/stories", Some(query))?),
            Source::Store(store, _) => views::stories(store, query).map_err(Failure::runtime),
        }
    }

    /// A hit by id or unique prefix; `None` when there is none. An
    /// ambiguous prefix is an input error.
    pub fn hit(&self, id: &str) -> Result<Option<Hit>, Failure> {
        match self {
            Source::Api(api) => Ok(api.get_optional("/v1/hits", id)?),
            Source::Store(store, _) => store
                .get_hit(id)
                .map_err(|e| Failure::input(anyhow::Error::new(e))),
        }
    }

    /// Takes a hit out of its story (`None`: no such hit). A running
    /// service also updates the window it groups new hits in; without one,
    /// the window is rebuilt from the store when the service starts.
    pub fn detach_hit(&self, id: &str) -> Result<Option<DetachOutcome>, Failure> {
        match self {
            Source::Api(api) => {
                Ok(api.post_optional("/v1/hits/detach", &DetachRequest { id: id.to_string() })?)
            }
            Source::Store(store, _) => store
                .detach_hit(id, chrono::Utc::now())
                .map_err(|e| Failure::input(anyhow::Error::new(e))),
        }
    }

    pub fn feed_status(&self) -> Result<Vec<FeedStatus>, Failure> {
        match self {
            Source::Api(api) => Ok(api.get::<_, ()>("/v1/feeds/status", None)?),
            Source::Store(store, settings) => {
                views::feed_status(store, &feeds(settings)?).map_err(Failure::runtime)
            }
        }
    }

    pub fn outbox(&self) -> Result<Vec<OutboxRow>, Failure> {
        match self {
            Source::Api(api) => Ok(api.get::<_, ()>("/v1/alerts", None)?),
            Source::Store(store, _) => views::outbox_rows(store).map_err(Failure::runtime),
        }
    }

    /// Removes alerts from the outbox for good.
    pub fn drop_alerts(&self, selection: &OutboxSelection) -> Result<usize, Failure> {
        match self {
            Source::Api(api) => Ok(api
                .post::<_, ChangedAnswer>("/v1/alerts/drop", &SelectionRequest::new(selection))?
                .changed),
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
                let answer: Option<ResetAnswer> = api.post_optional("/v1/feeds/reset", &request)?;
                Ok(answer.map(|a| a.url))
            }
            Source::Store(store, settings) => {
                let feeds = feeds(settings)?;
                let Some(feed) = feeds.iter().find(|f| f.name == name) else {
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
    pub fn retry(&self, selection: &OutboxSelection) -> Result<usize, Failure> {
        match self {
            Source::Api(api) => Ok(api
                .post::<_, ChangedAnswer>("/v1/alerts/retry", &SelectionRequest::new(selection))?
                .changed),
            Source::Store(store, _) => store
                .retry_outbox(selection, chrono::Utc::now())
                .map_err(Failure::runtime),
        }
    }
}

/// The feeds the settings name, for the answers the store gives without the
/// service (the service answers from the feeds it runs with).
fn feeds(settings: &Settings) -> Result<Vec<FeedConfig>, Failure> {
    settings
        .load_feeds()
        .map_err(|diags| config_failure(&settings.file, Diagnostics(diags)))
}
