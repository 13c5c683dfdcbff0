//! One conditional GET: HTTP(S) through reqwest, or a local `file://` read.
//!
//! Invariants: a body is never held beyond `max_body_bytes`; a response is
//! never trusted for more than its status, validators and bytes; every error
//! says what happened in words an operator can act on.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};

use crate::clock::SharedClock;
use crate::config::PollSettings;

/// The validators remembered from the last successful fetch.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful answer.
#[derive(Debug)]
pub enum FetchOutcome {
    /// A new document.
    Fetched(Document),
    /// 304, or an unchanged local file: nothing to parse.
    NotModified,
}

#[derive(Debug)]
pub struct Document {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// The URL after redirects (base for relative links).
    pub final_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (server asks to retry after {})", humantime::format_duration(d))).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("HTTP 410 Gone: the feed was removed; delete it from feeds.toml or fix its URL")]
    Gone,
    #[error("the body is larger than the {limit}-byte limit ([poll] max_body)")]
    TooLarge { limit: u64 },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("too many redirects (limit {0}, [poll] max_redirects)")]
    Redirects(usize),
    #[error("HTTP error: {0}")]
    Http(String),
    #[error("cannot read {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid URL {0}")]
    Url(String),
}

impl FetchError {
    /// The delay the server asked for, if any (429/503 `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Fetches feeds; cheap to clone (reqwest's client is shared).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// What a `Retry-After` date is measured from.
    clock: SharedClock,
    max_body_bytes: u64,
    max_redirects: usize,
}

impl Fetcher {
    pub fn new(settings: &PollSettings, clock: SharedClock) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(settings.max_redirects))
            // A feed poller talks to each host every few minutes; idle
            // connections would only hold sockets open.
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(2)
            .build()
            .map_err(|e| FetchError::Http(e.to_string()))?;
        Ok(Fetcher {
            client,
            clock,
            max_body_bytes: settings.max_body_bytes,
            max_redirects: settings.max_redirects,
        })
    }

    /// Fetches `url`, sending `validators` so an unchanged feed costs a 304.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let parsed = url::Url::parse(url).map_err(|e| FetchError::Url(format!("{url}: {e}")))?;
        if parsed.scheme() == "file" {
            return self.fetch_file(&parsed, validators).await;
        }
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut response = request.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if status == StatusCode::GONE {
            return Err(FetchError::Gone);
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    parse_retry_after(response.headers(), self.clock.now())
                }
                _ => None,
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes)
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let headers = response.headers();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = text(header::CONTENT_TYPE);
        let validators = Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        };
        let final_url = response.url().to_string();
        let mut body = Vec::with_capacity(
            response
                .content_length()
                .unwrap_or(64 * 1024)
                .min(self.max_body_bytes) as usize,
        );
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    limit: self.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(Document {
            body,
            content_type,
            validators,
            final_url,
        }))
    }

    /// A local file: its modification time stands in for `Last-Modified`, so
    /// an unchanged file is "not modified" just as over HTTP.
    async fn fetch_file(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let path = url
            .to_file_path()
            .map_err(|()| FetchError::Url(format!("{url} is not a local file path")))?;
        let io = |source| FetchError::File {
            path: path.clone(),
            source,
        };
        let meta = tokio::fs::metadata(&path).await.map_err(io)?;
        let stamp = meta.modified().ok().map(|t| {
            format!(
                "{}-{}",
                DateTime::<Utc>::from(t).timestamp_nanos_opt().unwrap_or(0),
                meta.len()
            )
        });
        if stamp.is_some() && stamp == validators.last_modified {
            return Ok(FetchOutcome::NotModified);
        }
        if meta.len() > self.max_body_bytes {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let body = tokio::fs::read(&path).await.map_err(io)?;
        Ok(FetchOutcome::Fetched(Document {
            body,
            content_type: None,
            validators: Validators {
                etag: None,
                last_modified: stamp,
            },
            final_url: url.to_string(),
        }))
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        // reqwest's Display is terse ("error sending request"); the source
        // chain holds the reason (DNS, refused, TLS).
        let detail = error_chain(&e);
        if e.is_timeout() {
            FetchError::Timeout(detail)
        } else if e.is_redirect() {
            FetchError::Redirects(self.max_redirects)
        } else if e.is_connect() {
            FetchError::Connect(detail)
        } else {
            FetchError::Http(detail)
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// `Retry-After` as seconds or an HTTP date; a date in the past means "now".
pub fn parse_retry_after(headers: &HeaderMap<HeaderValue>, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after(&headers("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(&headers("Thu, 01 Jan 2026 00:01:30 GMT"), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after(&headers("Wed, 31 Dec 2025 00:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&headers("soon"), now), None);
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }
}
