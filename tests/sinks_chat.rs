//! The Discord, Mattermost, Teams and Matrix sinks against a loopback receiver.

mod common;

use std::time::Duration;

use common::alerting::{HOSTILE_TITLE, digest, hit, one, sink, spec};
use common::receiver::{Receiver, Reply};
use newshound::alert::discord::Discord;
use newshound::alert::matrix::Matrix;
use newshound::alert::mattermost::Mattermost;
use newshound::alert::teams::Teams;
use newshound::alert::{Outgoing, SendError, Sink};
use newshound::alert::{Secret, Target};
use serde_json::Value;

/// What hostile feed text must never reach a Markdown target as.
const RAW_MARKDOWN: [&str; 8] = [
    "@everyone",
    "@here",
    "@room",
    "<@123>",
    "**bold**",
    "_it_",
    "[link](http://evil)",
    "<b>",
];

/// Every string in a JSON document, so that no field escapes a check.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(strings).collect(),
        Value::Object(o) => o.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

fn assert_none_raw(texts: &[String], raws: &[&str]) {
    for text in texts {
        for raw in raws {
            assert!(!text.contains(raw), "{raw:?} arrived unescaped: {text}");
        }
    }
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// A hit whose title is 10,000 characters of what escaping doubles.
fn long_hit() -> newshound::model::Hit {
    let mut h = hit("long", &"*_[".repeat(3334));
    h.feed = "<Feed> ".repeat(100);
    h
}

/// Sends the longest hit there is, then a digest of twenty such hits whose
/// URLs are `url_len` characters long: what a sink must cut to its limits.
async fn send_oversized(s: &newshound::alert::Sink, url_len: usize) {
    s.send(&one("d1", long_hit())).await.expect("sent");
    let hits = (0..20)
        .map(|i| {
            let mut h = long_hit();
            // Twenty hits of twenty stories: a digest lists stories.
            h.id = format!("long{i}");
            h.url = Some(format!("https://news.example/{}?{i}", "p".repeat(url_len)));
            h
        })
        .collect();
    s.send(&digest("g1", hits)).await.expect("sent");
}

/// A 20-hit digest: 15 listed, 5 counted.
fn twenty() -> Outgoing {
    digest(
        "g1",
        (0..20)
            .map(|i| hit(&format!("h{i}"), &format!("Story {i}")))
            .collect(),
    )
}

/// 500 is worth a retry, 400 is not; the secret stays out of the reason
/// even when the service quotes it back.
async fn judged_without_secret(r: &Receiver, s: &Sink, secret: &str) {
    r.script([
        Reply::status(500).body(&format!("upstream failed for {secret}")),
        Reply::status(400).body(&format!("{{\"message\": \"bad request to {secret}\"}}")),
    ]);
    let out = one("d1", hit("h1", "t"));
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    assert!(!e.reason().contains(secret), "{}", e.reason());
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(e.reason().contains("400"), "{}", e.reason());
    assert!(!e.reason().contains(secret), "{}", e.reason());
}

// ---- Discord ----

fn discord(r: &Receiver, path: &str) -> Target {
    Target::Discord(Discord::new(Secret::new(r.url(path))))
}

const DISCORD_PATH: &str = "/api/webhooks/123/SECRETTOKEN";

#[tokio::test]
async fn discord_posts_one_embed_that_pings_nobody() {
    let r = Receiver::start().await;
    let s = sink(spec("team", discord(&r, DISCORD_PATH)));
    s.send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");

    let got = r.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, DISCORD_PATH);
    assert_eq!(req.query.as_deref(), Some("wait=true"));
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = req.json();
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    assert!(body.get("content").is_none(), "{body}");
    assert!(body.get("username").is_none(), "{body}");
    let embeds = body["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 1);
    let e = &embeds[0];
    assert_eq!(e["url"], "https://news.example/h1?a=1&b=2");
    assert!(
        e["title"].as_str().unwrap().contains("\\*\\*bold\\*\\*"),
        "{e}"
    );
    assert_none_raw(&strings(&body), &RAW_MARKDOWN);

    let names: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Feed", "Language", "Topic"]);
    assert_eq!(e["fields"][0]["value"], "Loopback \\<Feed\\> @\u{200B}here");
    assert_eq!(e["fields"][1]["value"], "en");
    assert_eq!(e["fields"][2]["value"], "watch 6.5");
    let description = e["description"].as_str().unwrap();
    assert!(description.contains("**Matched:** spying"), "{description}");
    assert!(
        description.contains("\n> …accused of spying"),
        "{description}"
    );
    assert!(description.contains("\\<chip\\>"), "{description}");
    assert_eq!(e["footer"]["text"], "newshound");
    let ts = e["timestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
}

#[tokio::test]
async fn discord_keeps_the_webhook_query_and_sets_the_username() {
    let r = Receiver::start().await;
    let mut spec = spec("team", discord(&r, "/api/webhooks/1/TOK?thread_id=42"));
    spec.username = Some("hound".into());
    sink(spec)
        .send(&one("d1", hit("h1", "t")))
        .await
        .expect("sent");
    let req = &r.received()[0];
    assert_eq!(req.query.as_deref(), Some("thread_id=42&wait=true"));
    assert_eq!(req.json()["username"], "hound");
}

#[tokio::test]
async fn discord_template_goes_to_content_beside_the_embed() {
    let r = Receiver::start().await;
    let mut spec = spec("team", discord(&r, DISCORD_PATH));
    spec.template = Some("NEW {{ title }} {{ score }}".into());
    sink(spec)
        .send(&one("d1", hit("h1", "@everyone **now**")))
        .await
        .expect("sent");
    let body = r.received()[0].json();
    assert_eq!(body["content"], "NEW @\u{200B}everyone \\*\\*now\\*\\* 6.5");
    assert_eq!(body["embeds"][0]["url"], "https://news.example/h1?a=1&b=2");
}

#[tokio::test]
async fn discord_digest_lists_fifteen_and_counts_the_rest() {
    let r = Receiver::start().await;
    sink(spec("team", discord(&r, DISCORD_PATH)))
        .send(&twenty())
        .await
        .expect("sent");
    let e = &r.received()[0].json()["embeds"][0];
    assert_eq!(e["title"], "20 new hits");
    let d = e["description"].as_str().unwrap();
    assert_eq!(d.matches("](https://news.example/h").count(), 15, "{d}");
    assert!(
        d.contains("[Story 14](https://news.example/h14?a=1&b=2)"),
        "{d}"
    );
    assert!(!d.contains("Story 15"), "{d}");
    assert!(d.contains("…and 5 more"), "{d}");
}

#[tokio::test]
async fn discord_stays_within_its_limits() {
    let r = Receiver::start().await;
    let mut spec = spec("team", discord(&r, DISCORD_PATH));
    spec.template = Some("{{ title }}".repeat(20));
    sink(spec).send(&one("d1", long_hit())).await.expect("sent");
    let body = r.received()[0].json();
    assert!(
        chars(&body["content"]) <= 2000,
        "{}",
        chars(&body["content"])
    );
    let e = &body["embeds"][0];
    assert!(chars(&e["title"]) <= 256, "{}", chars(&e["title"]));
    assert!(chars(&e["description"]) <= 4096);
    let mut total = chars(&e["title"]) + chars(&e["description"]) + chars(&e["footer"]["text"]);
    for f in e["fields"].as_array().unwrap() {
        assert!(
            chars(&f["name"]) <= 256 && chars(&f["value"]) <= 1024,
            "{f}"
        );
        total += chars(&f["name"]) + chars(&f["value"]);
    }
    assert!(total <= 6000, "{total}");
}

#[tokio::test]
async fn discord_answers_are_judged_without_the_token() {
    let r = Receiver::start().await;
    let s = sink(spec("team", discord(&r, DISCORD_PATH)));
    judged_without_secret(&r, &s, "SECRETTOKEN").await;

    // Discord's rate limit says how long to wait in its JSON body.
    r.script([Reply::status(429).body(r#"{"message": "rate limited", "retry_after": 1.5}"#)]);
    match s.send(&one("d1", hit("h1", "t"))).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_millis(1500))),
        other => panic!("{other:?}"),
    }
}

// ---- Mattermost ----

const MATTERMOST_PATH: &str = "/hooks/SECRETTOKENxyz";

fn mattermost(r: &Receiver) -> Target {
    Target::Mattermost(Mattermost::new(Secret::new(r.url(MATTERMOST_PATH))))
}

#[tokio::test]
async fn mattermost_posts_markdown_with_feed_text_escaped() {
    let r = Receiver::start().await;
    let mut spec = spec("team", mattermost(&r));
    spec.username = Some("hound".into());
    sink(spec)
        .send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");
    let req = &r.received()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, MATTERMOST_PATH);
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = req.json();
    assert_eq!(body["username"], "hound");
    let text = body["text"].as_str().unwrap();
    assert_none_raw(&[text.to_string()], &RAW_MARKDOWN);
    assert!(text.starts_with("**[@\u{200B}everyone"), "{text}");
    assert!(
        text.contains("](https://news.example/h1?a=1&b=2)**\n"),
        "{text}"
    );
    assert!(
        text.contains("Loopback \\<Feed\\> @\u{200B}here · en · watch 6.5"),
        "{text}"
    );
    assert!(text.contains("\nMatched: spying"), "{text}");
    assert!(
        text.contains("\n> …accused of spying on a \\<chip\\>"),
        "{text}"
    );
}

#[tokio::test]
async fn mattermost_digest_lists_fifteen_and_counts_the_rest() {
    let r = Receiver::start().await;
    sink(spec("team", mattermost(&r)))
        .send(&twenty())
        .await
        .expect("sent");
    let text = r.received()[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("20 new hits"), "{text}");
    assert_eq!(text.matches("\n- [Story ").count(), 15, "{text}");
    assert!(!text.contains("Story 15"), "{text}");
    assert!(text.contains("…and 5 more"), "{text}");
}

#[tokio::test]
async fn mattermost_stays_within_its_limit() {
    let r = Receiver::start().await;
    let mut spec = spec("team", mattermost(&r));
    spec.template = Some("{{ title }}".repeat(30));
    let s = sink(spec);
    send_oversized(&s, 2000).await;
    for req in r.received() {
        let text = req.json()["text"].as_str().unwrap().to_string();
        assert!(text.chars().count() <= 4000, "{}", text.chars().count());
    }
    let digest = r.received()[1].json()["text"].as_str().unwrap().to_string();
    assert!(
        digest.contains(" more"),
        "a digest cut short says so: {digest}"
    );
}

#[tokio::test]
async fn mattermost_answers_are_judged_without_the_token() {
    let r = Receiver::start().await;
    let s = sink(spec("team", mattermost(&r)));
    judged_without_secret(&r, &s, "SECRETTOKENxyz").await;
}

// ---- Teams ----

const TEAMS_PATH: &str = "/workflows/abc/triggers/manual/paths/invoke";

fn teams(r: &Receiver) -> Target {
    Target::Teams(Teams::new(Secret::new(
        r.url(&format!("{TEAMS_PATH}?api-version=1&sig=SECRETSIG")),
    )))
}

#[tokio::test]
async fn teams_posts_an_adaptive_card() {
    let r = Receiver::start().await;
    // Workflows accept before they post.
    r.script([Reply::status(202)]);
    let accepted = sink(spec("team", teams(&r)))
        .send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");
    assert!(accepted.answer.contains("202"), "{accepted:?}");

    let req = &r.received()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, TEAMS_PATH);
    assert_eq!(req.query.as_deref(), Some("api-version=1&sig=SECRETSIG"));
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = req.json();
    assert_eq!(body["type"], "message");
    let a = &body["attachments"][0];
    assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
    assert!(a["contentUrl"].is_null());
    let card = &a["content"];
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_none_raw(&strings(card), &RAW_MARKDOWN);

    let title = &card["body"][0];
    assert_eq!(title["type"], "TextBlock");
    assert_eq!(title["weight"], "Bolder");
    assert_eq!(title["size"], "Medium");
    assert_eq!(title["wrap"], true);
    let t = title["text"].as_str().unwrap();
    assert!(t.starts_with("[@\u{200B}everyone"), "{t}");
    assert!(t.ends_with("](https://news.example/h1?a=1&b=2)"), "{t}");

    let facts = &card["body"][1];
    assert_eq!(facts["type"], "FactSet");
    let facts: Vec<(&str, &str)> = facts["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["title"].as_str().unwrap(), f["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        facts,
        [
            ("Feed", "Loopback \\<Feed\\> @\u{200B}here"),
            ("Language", "en"),
            ("Topic", "watch"),
            ("Score", "6.5"),
            ("Matched", "spying"),
        ]
    );
    let snippet = &card["body"][2];
    assert_eq!(snippet["wrap"], true);
    assert!(snippet["text"].as_str().unwrap().contains("\\<chip\\>"));

    assert_eq!(
        card["actions"],
        serde_json::json!([{
            "type": "Action.OpenUrl",
            "title": "Open article",
            "url": "https://news.example/h1?a=1&b=2"
        }])
    );
}

/// Teams' clients show the backslash of an escape Teams does not need, so
/// only what its Markdown reads is escaped.
#[tokio::test]
async fn teams_escapes_only_what_teams_reads() {
    let r = Receiver::start().await;
    let mut h = hit("h1", "Spy ring (again): 3-2 win! *Really*");
    h.feed = "Feed: News-Wire (EN)!".into();
    sink(spec("team", teams(&r)))
        .send(&one("d1", h))
        .await
        .expect("sent");
    let card = &r.received()[0].json()["attachments"][0]["content"];
    let title = card["body"][0]["text"].as_str().unwrap();
    assert!(
        title.starts_with("[Spy ring (again): 3-2 win! \\*Really\\*]("),
        "{title}"
    );
    assert_eq!(
        card["body"][1]["facts"][0]["value"],
        "Feed: News-Wire (EN)!"
    );
}

#[tokio::test]
async fn teams_has_no_link_without_a_safe_url() {
    let r = Receiver::start().await;
    let mut h = hit("h1", "Title");
    h.url = Some("javascript:alert(1)".into());
    sink(spec("team", teams(&r)))
        .send(&one("d1", h))
        .await
        .expect("sent");
    let card = &r.received()[0].json()["attachments"][0]["content"];
    assert!(card.get("actions").is_none(), "{card}");
    assert_eq!(card["body"][0]["text"], "Title");
    assert!(!card.to_string().contains("javascript"), "{card}");
}

#[tokio::test]
async fn teams_digest_lists_fifteen_and_counts_the_rest() {
    let r = Receiver::start().await;
    sink(spec("team", teams(&r)))
        .send(&twenty())
        .await
        .expect("sent");
    let card = &r.received()[0].json()["attachments"][0]["content"];
    let blocks = card["body"].as_array().unwrap();
    assert!(
        blocks[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("20 new hits")
    );
    let links = blocks
        .iter()
        .filter(|b| b["text"].as_str().unwrap().starts_with("[Story "))
        .count();
    assert_eq!(links, 15);
    assert!(!card.to_string().contains("Story 15"));
    assert!(
        blocks.last().unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("…and 5 more"),
        "{card}"
    );
    assert!(card.get("actions").is_none());
}

#[tokio::test]
async fn teams_stays_small() {
    let r = Receiver::start().await;
    let s = sink(spec("team", teams(&r)));
    send_oversized(&s, 4000).await;
    for req in r.received() {
        // Teams refuses a message of more than about 28 KB.
        assert!(req.body.len() < 28_000, "{}", req.body.len());
    }
    let card = &r.received()[1].json()["attachments"][0]["content"];
    assert!(
        card.to_string().contains(" more"),
        "a digest cut short says so"
    );
}

#[tokio::test]
async fn teams_answers_are_judged_without_the_signature() {
    let r = Receiver::start().await;
    let s = sink(spec("team", teams(&r)));
    judged_without_secret(&r, &s, "SECRETSIG").await;
}

// ---- Matrix ----

const ROOM_PATH: &str = "/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message";
const TOKEN: &str = "syt_SECRETTOKEN_abc";

fn matrix(r: &Receiver, prefix: &str) -> Target {
    Target::Matrix(Matrix {
        homeserver: url::Url::parse(&r.url(prefix)).unwrap(),
        room: "!abc:example.org".into(),
        token: Secret::new(TOKEN),
    })
}

#[tokio::test]
async fn matrix_puts_an_html_message_that_mentions_nobody() {
    let r = Receiver::start().await;
    r.script([Reply::ok(r#"{"event_id": "$ev1"}"#)]);
    let accepted = sink(spec("team", matrix(&r, "")))
        .send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");
    assert!(accepted.answer.contains("$ev1"), "{accepted:?}");

    let req = &r.received()[0];
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, format!("{ROOM_PATH}/newshound-d1"));
    assert_eq!(
        req.header("authorization").unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert!(
        req.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = req.json();
    assert_eq!(body["msgtype"], "m.text");
    assert_eq!(body["format"], "org.matrix.custom.html");
    assert_eq!(body["m.mentions"], serde_json::json!({}));

    let html = body["formatted_body"].as_str().unwrap();
    assert_none_raw(
        &[html.to_string()],
        &["@everyone", "@room", "@here", "<@123>", "<b>", "<chip>"],
    );
    assert!(
        html.contains("<a href=\"https://news.example/h1?a=1&amp;b=2\">@\u{200B}everyone"),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;html&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("Loopback &lt;Feed&gt; @\u{200B}here · en · watch 6.5"),
        "{html}"
    );
    assert!(html.contains("Matched: spying"), "{html}");
    assert!(
        html.contains("<blockquote>…accused of spying on a &lt;chip&gt;"),
        "{html}"
    );

    let plain = body["body"].as_str().unwrap();
    assert_none_raw(&[plain.to_string()], &["@everyone", "@room", "@here"]);
    assert!(
        plain.contains("\nhttps://news.example/h1?a=1&b=2\n"),
        "{plain}"
    );
    assert!(plain.contains("watch 6.5"), "{plain}");
    assert!(plain.contains("Matched: spying"), "{plain}");
}

#[tokio::test]
async fn matrix_retries_reuse_the_transaction_id() {
    let r = Receiver::start().await;
    r.script([Reply::status(502)]);
    let s = sink(spec("team", matrix(&r, "")));
    let out = one("delivery-42", hit("h1", "t"));
    assert!(matches!(s.send(&out).await, Err(SendError::Retry { .. })));
    s.send(&out).await.expect("sent");
    let got = r.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].path, got[1].path);
    assert!(
        got[0].path.ends_with("/newshound-delivery-42"),
        "{}",
        got[0].path
    );
    // A different delivery is a different transaction.
    s.send(&one("delivery-43", hit("h1", "t")))
        .await
        .expect("sent");
    assert_ne!(r.received()[2].path, got[0].path);
}

#[tokio::test]
async fn matrix_homeserver_may_have_a_slash_or_a_path_prefix() {
    let r = Receiver::start().await;
    for prefix in ["/", "/matrix", "/matrix/"] {
        sink(spec("team", matrix(&r, prefix)))
            .send(&one("d1", hit("h1", "t")))
            .await
            .expect("sent");
    }
    let paths: Vec<String> = r.received().into_iter().map(|q| q.path).collect();
    assert_eq!(
        paths,
        [
            format!("{ROOM_PATH}/newshound-d1"),
            format!("/matrix{ROOM_PATH}/newshound-d1"),
            format!("/matrix{ROOM_PATH}/newshound-d1"),
        ]
    );
}

#[tokio::test]
async fn matrix_template_is_the_formatted_body() {
    let r = Receiver::start().await;
    let mut spec = spec("team", matrix(&r, ""));
    spec.template = Some("<em>{{ title }}</em> {{ score }}".into());
    sink(spec)
        .send(&one("d1", hit("h1", "<b>@room</b>")))
        .await
        .expect("sent");
    let body = r.received()[0].json();
    assert_eq!(
        body["formatted_body"],
        "<em>&lt;b&gt;@\u{200B}room&lt;/b&gt;</em> 6.5"
    );
    let plain = body["body"].as_str().unwrap();
    assert!(
        plain.starts_with("<b>@\u{200B}room</b>\nhttps://"),
        "{plain}"
    );
}

#[tokio::test]
async fn matrix_digest_lists_fifteen_and_counts_the_rest() {
    let r = Receiver::start().await;
    sink(spec("team", matrix(&r, "")))
        .send(&twenty())
        .await
        .expect("sent");
    let body = r.received()[0].json();
    let html = body["formatted_body"].as_str().unwrap();
    assert!(html.contains("20 new hits"), "{html}");
    assert_eq!(html.matches("<li><a href=").count(), 15, "{html}");
    assert!(!html.contains("Story 15"), "{html}");
    assert!(html.contains("…and 5 more"), "{html}");
    let plain = body["body"].as_str().unwrap();
    assert_eq!(plain.matches("\n• Story ").count(), 15, "{plain}");
    assert!(plain.contains("…and 5 more"), "{plain}");
}

#[tokio::test]
async fn matrix_event_stays_within_its_limit() {
    let r = Receiver::start().await;
    let mut spec = spec("team", matrix(&r, ""));
    spec.template = Some("{{ title }}".repeat(100));
    let s = sink(spec);
    send_oversized(&s, 4000).await;
    for req in r.received() {
        // The whole event, content and envelope, may take 65,536 bytes.
        assert!(req.body.len() < 60_000, "{}", req.body.len());
    }
    let html = r.received()[1].json()["formatted_body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(html.contains(" more"), "a digest cut short says so");
}

#[tokio::test]
async fn matrix_answers_are_judged_without_the_token() {
    let r = Receiver::start().await;
    let s = sink(spec("team", matrix(&r, "")));
    judged_without_secret(&r, &s, TOKEN).await;

    r.script([
        Reply::status(429).body(r#"{"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2000}"#)
    ]);
    match s.send(&one("d1", hit("h1", "t"))).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(2))),
        other => panic!("{other:?}"),
    }
    r.script([Reply::status(401).body(&format!(
        r#"{{"errcode": "M_UNKNOWN_TOKEN", "error": "Unrecognised access token {TOKEN}"}}"#
    ))]);
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(e.reason().contains("M_UNKNOWN_TOKEN"), "{}", e.reason());
    assert!(!e.reason().contains(TOKEN), "{}", e.reason());
}
