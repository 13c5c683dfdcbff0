//! Sending one request and reading the service's answer the way every chat
//! service means it: 2xx accepted; 408, 429 and 5xx (and no answer at all)
//! worth a retry, honouring `Retry-After` or the JSON `retry_after` fields
//! of Discord, Telegram and Matrix; any other status refused for good.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};

use super::{Accepted, SendContext, SendError};

/// Longest piece of a response body kept in an error.
const BODY_EXCERPT_CHARS: usize = 300;
/// The most of a response body read at all.
const BODY_READ_LIMIT: usize = 64 * 1024;

/// A response the service gave, body read (bounded).
pub(crate) struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: String,
}

/// Sends `request` with `timeout` and returns the answer, or a retryable
/// error when there was none. The URL is never part of the error (it may
/// hold a token).
pub(crate) async fn send(
    request: RequestBuilder,
    ctx: &SendContext<'_>,
) -> Result<Answer, SendError> {
    let response = request
        .timeout(ctx.timeout)
        .send()
        .await
        .map_err(|e| SendError::Retry {
            reason: describe(&e),
            after: None,
        })?;
    let status = response.status();
    let retry_after = crate::fetch::parse_retry_after(response.headers(), ctx.now);
    let body = read_bounded(response).await;
    let retry_after = retry_after.or_else(|| json_retry_after(&body));
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// The usual reading of an answer: 2xx is accepted.
pub(crate) fn judge(answer: Answer) -> Result<Accepted, SendError> {
    let status = answer.status;
    if status.is_success() {
        return Ok(Accepted::new(format!("HTTP {status}")));
    }
    let mut reason = format!("HTTP {status}");
    let excerpt = excerpt(&answer.body);
    if !excerpt.is_empty() {
        reason.push_str(": ");
        reason.push_str(&excerpt);
    }
    if is_retryable(status) {
        Err(SendError::Retry {
            reason,
            after: answer.retry_after,
        })
    } else {
        Err(SendError::Permanent { reason })
    }
}

/// Sends and judges in one step.
pub(crate) async fn deliver(
    request: RequestBuilder,
    ctx: &SendContext<'_>,
) -> Result<Accepted, SendError> {
    judge(send(request, ctx).await?)
}

pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// A reqwest error as a sentence, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    // The source chain says why (refused, DNS, TLS); `without_url` keeps
    // the token of a webhook URL out of it.
    let mut text = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn read_bounded(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= BODY_READ_LIMIT {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// `retry_after` as Discord (seconds, fractional), Telegram
/// (`parameters.retry_after`, seconds) and Matrix (`retry_after_ms`) send it.
fn json_retry_after(body: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let secs = v
        .get("retry_after")
        .and_then(|x| x.as_f64())
        .or_else(|| {
            v.pointer("/parameters/retry_after")
                .and_then(|x| x.as_f64())
        })
        .or_else(|| {
            v.get("retry_after_ms")
                .and_then(|x| x.as_f64())
                .map(|ms| ms / 1000.0)
        })?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn excerpt(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    super::markup::truncate(&line, BODY_EXCERPT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: json_retry_after(body),
            body: body.into(),
        }
    }

    #[test]
    fn statuses_are_judged_as_chat_services_mean_them() {
        assert!(judge(answer(200, "ok")).is_ok());
        assert!(judge(answer(204, "")).is_ok());
        for s in [408, 429, 500, 502, 503] {
            assert!(
                matches!(judge(answer(s, "")), Err(SendError::Retry { .. })),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 410, 413] {
            assert!(
                matches!(judge(answer(s, "")), Err(SendError::Permanent { .. })),
                "{s}"
            );
        }
        let e = judge(answer(400, "invalid_payload\n  more")).unwrap_err();
        assert_eq!(e.reason(), "HTTP 400 Bad Request: invalid_payload more");
    }

    #[test]
    fn json_retry_after_fields_of_each_service() {
        let d = |b: &str| json_retry_after(b);
        assert_eq!(
            d(r#"{"retry_after": 1.5, "global": false}"#),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            d(r#"{"ok":false,"error_code":429,"parameters":{"retry_after":3}}"#),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            d(r#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2000}"#),
            Some(Duration::from_secs(2))
        );
        assert_eq!(d("not json"), None);
        assert_eq!(d(r#"{"retry_after": -1}"#), None);
    }
}
