//! The local HTTP API between the CLI and the running service: its wire
//! types (here), the service's side ([`server`]) and the CLI's
//! ([`client`]). The service serves it while it holds the store: on a Unix
//! socket for the CLI (`[api] socket`, mode 0660), and optionally on TCP
//! (`[api] listen`) for monitoring. The routes:
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/hits?since=&until=&language=&topic=&feed=&search=&story=&limit=` | hits, newest first (JSON) |
//! | `GET /v1/stories?` (the same filters) | stories among those hits, most recently active first; `limit` counts stories |
//! | `GET /v1/hits/{id}` | one hit by id or unique prefix; 404, 409 when ambiguous |
//! | `GET /v1/feeds/status` | every configured feed with its stored health |
//! | `GET /v1/alerts` | the outbox: pending and dead alerts |
//! | `POST /v1/alerts/retry` | `{"id": "…"}` or `{"all_dead": true}`: queue again (socket only) |
//! | `POST /v1/alerts/drop` | the same body, or `{"alert": "name"}`: remove for good (socket only) |
//! | `POST /v1/feeds/reset` | `{"name": "…"}`: forget a feed's failures (410 too), poll it now (socket only) |
//! | `GET /v1/stats` | store sizes, uptime, the status line |
//! | `GET /healthz` | `ok` while the store answers, else 503 |
//! | `GET /metrics` | Prometheus text |
//!
//! Neither side knows the daemon: the server reaches the service loop only
//! through [`ServiceRequest`]s, and the CLI only through the client.

pub mod client;
pub mod server;

use serde::{Deserialize, Serialize};

use crate::store::{MIN_PREFIX_CHARS, OutboxSelection};

pub use client::{ApiClient, ClientError};
pub use server::{Access, ApiError, ApiState, Live, bind_socket, bind_tcp, router};

/// What the API asks of the service loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceRequest {
    /// Poll this feed now and keep polling it (`feeds reset`, after its
    /// state was cleared): it may have left the schedule as gone.
    PollNow(String),
}

/// The body of `POST /v1/hits/detach`: the hit (id or unique prefix) to
/// take out of its story.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetachRequest {
    pub id: String,
}

/// The body of `POST /v1/alerts/retry` and `/v1/alerts/drop`: exactly one
/// of the three.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SelectionRequest {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub all_dead: bool,
    #[serde(default)]
    pub alert: Option<String>,
}

impl SelectionRequest {
    pub fn new(selection: &OutboxSelection) -> SelectionRequest {
        let mut req = SelectionRequest::default();
        match selection {
            OutboxSelection::AllDead => req.all_dead = true,
            OutboxSelection::Id(id) => req.id = Some(id.clone()),
            OutboxSelection::Alert(name) => req.alert = Some(name.clone()),
        }
        req
    }

    /// The selection asked for, or what is wrong with the request.
    pub fn selection(self) -> Result<OutboxSelection, String> {
        match (self.id, self.all_dead, self.alert) {
            (Some(id), false, None) if id.chars().count() >= MIN_PREFIX_CHARS => {
                Ok(OutboxSelection::Id(id))
            }
            (None, true, None) => Ok(OutboxSelection::AllDead),
            (None, false, Some(alert)) => Ok(OutboxSelection::Alert(alert)),
            _ => Err(format!(
                "give one of \"id\" (at least {MIN_PREFIX_CHARS} characters), \"all_dead\": true or \"alert\""
            )),
        }
    }
}

/// The answer of `POST /v1/alerts/retry` and `/v1/alerts/drop`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangedAnswer {
    pub changed: usize,
}

/// The body of `POST /v1/feeds/reset`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetRequest {
    pub name: String,
}

/// The answer of `POST /v1/feeds/reset`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetAnswer {
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_survives_the_wire() {
        for selection in [
            OutboxSelection::AllDead,
            OutboxSelection::Id("abcdef12".into()),
            OutboxSelection::Alert("team".into()),
        ] {
            let json = serde_json::to_string(&SelectionRequest::new(&selection)).unwrap();
            let back: SelectionRequest = serde_json::from_str(&json).unwrap();
            assert_eq!(back.selection(), Ok(selection));
        }
    }

    #[test]
    fn a_request_must_select_exactly_one_way() {
        let both = SelectionRequest {
            id: Some("abcdef12".into()),
            all_dead: true,
            alert: None,
        };
        assert!(both.selection().is_err());
        assert!(SelectionRequest::default().selection().is_err());
        let short = SelectionRequest {
            id: Some("ab".into()),
            ..SelectionRequest::default()
        };
        assert!(short.selection().unwrap_err().contains("at least"));
    }
}
