//! The API's client side: blocking calls to the running service over its
//! Unix socket, for the CLI (which has no async runtime of its own).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long the client waits for the service to answer one request.
const API_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a probe of the socket may take before the client decides
/// nobody answers.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a call to the service failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot set up a client for {socket}: {cause}")]
    Setup { socket: String, cause: String },
    #[error("the service's API on {socket} did not answer: {cause}")]
    NoAnswer { socket: String, cause: String },
    #[error("reading the answer from {socket}: {cause}")]
    Read { socket: String, cause: String },
    #[error(
        "the service on {socket} answered something this newshound cannot read (is it another version?): {cause}"
    )]
    Unreadable { socket: String, cause: String },
    #[error("{path}: the service answered 404")]
    NotFound { path: String },
    /// A 4xx other than 404: the request's fault (an ambiguous prefix, a
    /// bad selection). The message is the service's own.
    #[error("{0}")]
    Rejected(String),
    #[error("the service on {socket} failed: {message}")]
    Failed { socket: String, message: String },
}

impl ClientError {
    /// Whether the caller's input caused it (rather than the service or
    /// the connection).
    pub fn is_input(&self) -> bool {
        matches!(self, ClientError::Rejected(_))
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
    pub fn connect(socket: &Path) -> Result<Option<ApiClient>, ClientError> {
        if !socket.exists() {
            return Ok(None);
        }
        let setup = |cause: String| ClientError::Setup {
            socket: socket.display().to_string(),
            cause,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(e.to_string()))?;
        // The connector needs the runtime it will run on.
        let entered = runtime.enter();
        let client = reqwest::Client::builder()
            .unix_socket(socket)
            .timeout(API_TIMEOUT)
            .build()
            .map_err(|e| setup(e.to_string()))?;
        let probe = runtime.block_on(client.get(url("/healthz")).timeout(PROBE_TIMEOUT).send());
        drop(entered);
        match probe {
            Ok(_) => Ok(Some(ApiClient {
                socket: socket.to_path_buf(),
                client,
                runtime,
            })),
            Err(_) => Ok(None),
        }
    }

    /// `GET path?query`; a 404 is an error.
    pub fn get<T: DeserializeOwned, Q: Serialize>(
        &self,
        path: &str,
        query: Option<&Q>,
    ) -> Result<T, ClientError> {
        let mut request = self.client.get(url(path));
        if let Some(q) = query {
            request = request.query(q);
        }
        self.call(request)?.ok_or_else(|| ClientError::NotFound {
            path: path.to_string(),
        })
    }

    /// `GET prefix/segment`, the segment (user input: a hit id or prefix)
    /// percent-encoded; `None` on 404.
    pub fn get_optional<T: DeserializeOwned>(
        &self,
        prefix: &str,
        segment: &str,
    ) -> Result<Option<T>, ClientError> {
        let path = format!("{prefix}/{}", encode(segment));
        self.call(self.client.get(url(&path)))
    }

    /// `POST path` with a JSON body; a 404 is an error.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.post_optional(path, body)?
            .ok_or_else(|| ClientError::NotFound {
                path: path.to_string(),
            })
    }

    /// `POST path` with a JSON body; `None` on 404 (the thing named in the
    /// body does not exist).
    pub fn post_optional<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Option<T>, ClientError> {
        self.call(self.client.post(url(path)).json(body))
    }

    /// Sends a request: `Some` on 2xx, `None` on 404, an error otherwise
    /// (4xx is the caller's input, the rest the service's trouble).
    fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, ClientError> {
        let socket = self.socket.display().to_string();
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|e| ClientError::NoAnswer {
                socket: socket.clone(),
                cause: e.to_string(),
            })?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| ClientError::Read {
                socket: socket.clone(),
                cause: e.to_string(),
            })?;
            if status.is_success() {
                return serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                    ClientError::Unreadable {
                        socket: socket.clone(),
                        cause: e.to_string(),
                    }
                });
            }
            if status == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error")?.as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            Err(if status.is_client_error() {
                ClientError::Rejected(message)
            } else {
                ClientError::Failed { socket, message }
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
