//! The Slack sink against a loopback receiver.

mod common;

use common::alerting::{HOSTILE_TITLE, digest, hit, one, sink, spec};
use common::receiver::{Receiver, Reply};
use newshound::alert::SendError;
use newshound::alert::slack::Slack;
use newshound::alert::{Secret, Target};

fn slack(r: &Receiver, blocks: bool) -> Target {
    Target::Slack(Slack {
        url: Secret::new(r.url("/services/T000/B000/SECRETTOKEN")),
        blocks,
    })
}

#[tokio::test]
async fn posts_mrkdwn_text_with_feed_text_escaped() {
    let r = Receiver::start().await;
    let s = sink(spec("team", slack(&r, false)));
    let accepted = s
        .send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");
    assert!(accepted.answer.contains("200"), "{accepted:?}");

    let got = r.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/services/T000/B000/SECRETTOKEN");
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let text = req.json()["text"].as_str().unwrap().to_string();
    for raw in [
        "<!channel>",
        "@everyone",
        "@here",
        "<@123>",
        "<b>",
        "<chip>",
    ] {
        assert!(
            !text.contains(raw),
            "{raw:?} reached Slack unescaped: {text}"
        );
    }
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    // The title is a link to the article; the link's own `&` is escaped as Slack wants.
    assert!(text.contains("<https://news.example/h1?a=1&b=2|"), "{text}");
    assert!(text.contains("spying"), "{text}");
}

#[tokio::test]
async fn blocks_carry_a_fallback_text_and_a_section() {
    let r = Receiver::start().await;
    let s = sink(spec("team", slack(&r, true)));
    s.send(&one("d1", hit("h1", "Plain title")))
        .await
        .expect("sent");
    let body = r.received()[0].json();
    assert_eq!(body["text"], "Plain title");
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(body["blocks"][0]["text"]["type"], "mrkdwn");
    assert!(body["blocks"][0]["text"]["text"].as_str().unwrap().len() <= 3000);
}

#[tokio::test]
async fn a_digest_lists_its_hits() {
    let r = Receiver::start().await;
    let s = sink(spec("team", slack(&r, false)));
    let hits = (0..20)
        .map(|i| hit(&format!("h{i}"), &format!("Story {i}")))
        .collect();
    s.send(&digest("g1", hits)).await.expect("sent");
    let text = r.received()[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("20 new hits"), "{text}");
    assert!(
        text.contains("Story 0") && text.contains("…and 5 more"),
        "{text}"
    );
}

#[tokio::test]
async fn answers_are_judged_and_secrets_kept_out_of_errors() {
    let r = Receiver::start().await;
    r.script([
        Reply::status(429).header("retry-after", "7"),
        Reply::status(400).body("invalid_token for /services/T000/B000/SECRETTOKEN"),
        Reply::status(503),
    ]);
    let s = sink(spec("team", slack(&r, false)));
    let out = one("d1", hit("h1", "t"));
    match s.send(&out).await {
        Err(SendError::Retry { after, .. }) => {
            assert_eq!(after, Some(std::time::Duration::from_secs(7)))
        }
        other => panic!("{other:?}"),
    }
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(!e.reason().contains("SECRETTOKEN"), "{}", e.reason());
    assert!(matches!(s.send(&out).await, Err(SendError::Retry { .. })));

    // No answer at all: a retry, and the URL (with its token) is not in the reason.
    drop(r);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let s = sink(spec(
        "team",
        Target::Slack(Slack {
            url: Secret::new(format!("http://{addr}/services/SECRETTOKEN")),
            blocks: false,
        }),
    ));
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    assert!(!e.reason().contains("SECRETTOKEN"), "{}", e.reason());
}

#[tokio::test]
async fn a_template_replaces_the_text_and_is_escaped_too() {
    let r = Receiver::start().await;
    let mut spec = spec("team", slack(&r, false));
    spec.template = Some("NEW {{ title }} ({{ language }}, {{ score }}) {{ url }}".into());
    sink(spec)
        .send(&one("d1", hit("h1", "<!here> big news")))
        .await
        .expect("sent");
    let text = r.received()[0].json()["text"].as_str().unwrap().to_string();
    assert_eq!(
        text,
        "NEW &lt;!here&gt; big news (en, 6.5) https://news.example/h1?a=1&amp;b=2"
    );
}
