//! Test support: a real HTTP feed server on loopback, and a temporary
//! newshound configuration that points at it.

#![allow(dead_code)] // each test binary uses a different part of it

pub mod alerting;
pub mod process;
pub mod receiver;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri};

/// A response the route gives once, before its normal behaviour.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
}

impl Scripted {
    pub fn status(status: u16) -> Scripted {
        Scripted {
            status,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Scripted {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// What a path serves: a document with validators, after its scripted answers.
#[derive(Clone, Debug, Default)]
pub struct Route {
    pub body: Vec<u8>,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub script: VecDeque<Scripted>,
    /// Send the body in chunks without a Content-Length.
    pub chunked: bool,
}

impl Route {
    pub fn feed(body: impl Into<Vec<u8>>) -> Route {
        Route {
            body: body.into(),
            content_type: "application/rss+xml".into(),
            ..Route::default()
        }
    }

    pub fn with_validators(mut self, etag: &str, last_modified: &str) -> Route {
        self.etag = Some(etag.into());
        self.last_modified = Some(last_modified.into());
        self
    }

    pub fn then(mut self, s: Scripted) -> Route {
        self.script.push_back(s);
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    log: Vec<SeenRequest>,
}

pub struct FeedServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let state = shared.clone();
            async move { respond(&state, &uri, &headers) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FeedServer { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn serve(&self, path: &str, route: Route) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), route);
    }

    pub fn requests(&self, path: &str) -> Vec<SeenRequest> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn respond(state: &Mutex<State>, uri: &Uri, headers: &HeaderMap) -> Response<Body> {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut state = state.lock().unwrap();
    let path = uri.path().to_string();
    let (status, response) = match state.routes.get_mut(&path) {
        None => (404, plain(404, Vec::new())),
        Some(route) => match route.script.pop_front() {
            Some(s) => {
                let mut r = plain(s.status, Vec::new());
                for (name, value) in &s.headers {
                    r.headers_mut()
                        .insert(*name, HeaderValue::from_str(value).unwrap());
                }
                (s.status, r)
            }
            None => {
                let fresh_etag = route.etag.is_some() && header("if-none-match") == route.etag;
                let fresh_lm = route.last_modified.is_some()
                    && header("if-modified-since") == route.last_modified;
                if fresh_etag || fresh_lm {
                    (304, plain(304, Vec::new()))
                } else {
                    let mut r = if route.chunked {
                        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = route
                            .body
                            .chunks(16 * 1024)
                            .map(|c| Ok(c.to_vec()))
                            .collect();
                        Response::new(Body::from_stream(futures_util::stream::iter(chunks)))
                    } else {
                        Response::new(Body::from(route.body.clone()))
                    };
                    let h = r.headers_mut();
                    h.insert(
                        "content-type",
                        HeaderValue::from_str(&route.content_type).unwrap(),
                    );
                    if let Some(e) = &route.etag {
                        h.insert("etag", HeaderValue::from_str(e).unwrap());
                    }
                    if let Some(lm) = &route.last_modified {
                        h.insert("last-modified", HeaderValue::from_str(lm).unwrap());
                    }
                    (200, r)
                }
            }
        },
    };
    state.log.push(SeenRequest {
        path,
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        user_agent: header("user-agent"),
        status,
    });
    response
}

fn plain(status: u16, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// A configuration in a temporary directory: `newshound.toml`, `feeds.toml`
/// and a store, with the tests' own topic pack.
pub struct TestConfig {
    pub dir: tempfile::TempDir,
}

impl TestConfig {
    /// `feeds`: (name, url) pairs; `poll_extra`: more lines for `[poll]`.
    pub fn new(feeds: &[(&str, String)], poll_extra: &str) -> TestConfig {
        let dir = tempfile::tempdir().unwrap();
        let topics = fixture("topics");
        std::fs::write(
            dir.path().join("newshound.toml"),
            format!(
                "[store]\npath = \"store\"\n[feeds]\nfile = \"feeds.toml\"\n[topics]\ndir = {topics:?}\n\
                 [languages]\nenabled = [\"en\", \"pl\", \"de\", \"fr\"]\n\
                 [poll]\nconnect_timeout = \"2s\"\ntimeout = \"5s\"\n{poll_extra}\n\
                 [api]\nsocket = \"api.sock\"\n"
            ),
        )
        .unwrap();
        let mut list = String::new();
        for (name, url) in feeds {
            list.push_str(&format!("[[feed]]\nname = {name:?}\nurl = {url:?}\n\n"));
        }
        std::fs::write(dir.path().join("feeds.toml"), list).unwrap();
        TestConfig { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("newshound.toml")
    }

    /// Appends `[[alert]]` tables (or anything else) to newshound.toml.
    pub fn append(&self, toml: &str) {
        let path = self.path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push('\n');
        text.push_str(toml);
        std::fs::write(path, text).unwrap();
    }

    pub fn service(&self) -> newshound::daemon::Service {
        self.service_with_clock(newshound::clock::system())
    }

    /// The service on `clock` (a manual one lets a test set "now").
    pub fn service_with_clock(
        &self,
        clock: newshound::clock::SharedClock,
    ) -> newshound::daemon::Service {
        let config =
            newshound::config::Config::load(&self.path()).unwrap_or_else(|d| panic!("{d}"));
        newshound::daemon::Service::with_clock(config, clock).unwrap()
    }
}

pub const WAIT: Duration = Duration::from_secs(20);
