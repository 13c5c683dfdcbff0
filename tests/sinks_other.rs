//! The Telegram, ntfy, webhook and exec sinks, against a loopback receiver
//! or real child processes.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::alerting::{HOSTILE_TITLE, digest, hit, one, sink, spec};
use common::receiver::{Receiver, Reply};
use hmac::{Hmac, KeyInit, Mac};
use newshound::alert::exec::Exec;
use newshound::alert::ntfy::Ntfy;
use newshound::alert::telegram::Telegram;
use newshound::alert::webhook::Webhook;
use newshound::alert::{Event, SendError};
use newshound::alert::{Secret, Target};
use serde_json::json;
use sha2::Sha256;

const TOKEN: &str = "123456:SECRETTOKEN-abc";
const TELEGRAM_OK: &str = r#"{"ok":true,"result":{"message_id":7}}"#;

fn telegram(r: &Receiver, base: &str, chat_id: &str) -> Target {
    Target::Telegram(Telegram {
        api_url: url::Url::parse(&r.url(base)).unwrap(),
        token: Secret::new(TOKEN),
        chat_id: chat_id.to_string(),
    })
}

fn twenty() -> Vec<newshound::model::Hit> {
    (0..20)
        .map(|i| hit(&format!("h{i}"), &format!("Story {i}")))
        .collect()
}

// ---------------------------------------------------------------- telegram

#[tokio::test]
async fn telegram_posts_html_with_feed_text_escaped() {
    let r = Receiver::start().await;
    r.set_default(Reply::ok(TELEGRAM_OK));
    let s = sink(spec("tg", telegram(&r, "", "-1001234567890")));
    let accepted = s
        .send(&one("d1", hit("h1", HOSTILE_TITLE)))
        .await
        .expect("sent");
    assert!(accepted.answer.contains("200"), "{accepted:?}");

    let got = r.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, format!("/bot{TOKEN}/sendMessage"));
    let body = req.json();
    assert_eq!(body["chat_id"], json!(-1001234567890i64));
    assert_eq!(body["parse_mode"], "HTML");
    assert_eq!(body["link_preview_options"]["is_disabled"], true);
    let text = body["text"].as_str().unwrap().to_string();
    for raw in [
        "<b>html</b>",
        "<!channel>",
        "<@123>",
        "<chip>",
        "@everyone",
        "@here",
    ] {
        assert!(!text.contains(raw), "{raw:?} reached Telegram raw: {text}");
    }
    assert!(text.contains("&lt;b&gt;html&lt;/b&gt;"), "{text}");
    assert!(text.contains("&amp; &lt;@"), "{text}");
    assert!(
        text.contains("<a href=\"https://news.example/h1?a=1&amp;b=2\">"),
        "{text}"
    );
    assert!(text.contains("Loopback &lt;Feed&gt;"), "{text}");
    assert!(text.contains(" · en · watch 6.5"), "{text}");
    assert!(text.contains("Matched: spying"), "{text}");
    assert!(
        text.contains("<blockquote>…accused of spying on a &lt;chip&gt; maker"),
        "{text}"
    );
    assert!(text.encode_utf16().count() <= 4000);
}

#[tokio::test]
async fn telegram_keeps_the_api_url_path_and_sends_channel_names_as_strings() {
    let r = Receiver::start().await;
    r.set_default(Reply::ok(TELEGRAM_OK));
    for base in ["/tg", "/tg/"] {
        sink(spec("tg", telegram(&r, base, "@newsroom")))
            .send(&one("d1", hit("h1", "t")))
            .await
            .expect("sent");
    }
    let got = r.received();
    for req in &got {
        assert_eq!(req.path, format!("/tg/bot{TOKEN}/sendMessage"));
        assert_eq!(req.json()["chat_id"], "@newsroom");
    }
}

#[tokio::test]
async fn telegram_digest_lists_its_hits() {
    let r = Receiver::start().await;
    r.set_default(Reply::ok(TELEGRAM_OK));
    let s = sink(spec("tg", telegram(&r, "", "42")));
    s.send(&digest("g1", twenty())).await.expect("sent");
    let body = r.received()[0].json();
    assert_eq!(body["chat_id"], 42);
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("<b>20 new hits</b>"), "{text}");
    assert!(
        text.contains("<a href=\"https://news.example/h0?a=1&amp;b=2\">Story 0</a>"),
        "{text}"
    );
    assert!(
        text.contains("Story 14") && !text.contains("Story 15"),
        "{text}"
    );
    assert!(text.contains("…and 5 more"), "{text}");
}

#[tokio::test]
async fn telegram_answers_are_judged_by_ok_and_the_token_stays_out_of_errors() {
    let r = Receiver::start().await;
    r.script([
        Reply::ok(r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#),
        Reply::status(429).body(
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
        ),
        Reply::status(401).body(&format!(
            r#"{{"ok":false,"error_code":401,"description":"Unauthorized: no bot {TOKEN} at /bot{TOKEN}/sendMessage"}}"#
        )),
        Reply::ok(&format!(
            r#"{{"ok":false,"error_code":403,"description":"Forbidden for bot{TOKEN}"}}"#
        )),
        Reply::status(502).body("<html>Bad Gateway</html>"),
        Reply::ok("<html>a captive portal</html>"),
    ]);
    let s = sink(spec("tg", telegram(&r, "", "42")));
    let out = one("d1", hit("h1", "t"));

    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(e.reason().contains("chat not found"), "{}", e.reason());

    match s.send(&out).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(3))),
        other => panic!("{other:?}"),
    }

    for _ in 0..2 {
        let e = s.send(&out).await.unwrap_err();
        assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
        assert!(!e.reason().contains("SECRETTOKEN"), "{}", e.reason());
        assert!(!e.reason().contains(TOKEN), "{}", e.reason());
    }

    assert!(matches!(s.send(&out).await, Err(SendError::Retry { .. })));
    assert!(matches!(
        s.send(&out).await,
        Err(SendError::Permanent { .. })
    ));

    // No answer at all: a retry, and the URL with the token is not quoted.
    drop(r);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let s = sink(spec(
        "tg",
        Target::Telegram(Telegram {
            api_url: url::Url::parse(&format!("http://{addr}")).unwrap(),
            token: Secret::new(TOKEN),
            chat_id: "42".into(),
        }),
    ));
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    assert!(!e.reason().contains("SECRETTOKEN"), "{}", e.reason());
}

#[tokio::test]
async fn telegram_template_output_is_escaped_and_kept_within_the_limit() {
    let r = Receiver::start().await;
    r.set_default(Reply::ok(TELEGRAM_OK));
    let mut spec = spec("tg", telegram(&r, "", "42"));
    spec.template = Some(format!(
        "<b>{{{{ title }}}}</b> <i>{}{{{{ snippet }}}}</i>",
        "word ".repeat(900)
    ));
    sink(spec)
        .send(&one("d1", hit("h1", "<b>x</b> & y")))
        .await
        .expect("sent");
    let text = r.received()[0].json()["text"].as_str().unwrap().to_string();
    assert!(
        text.starts_with("<b>&lt;b&gt;x&lt;/b&gt; &amp; y</b>"),
        "{text}"
    );
    assert!(text.encode_utf16().count() <= 4000);
    assert!(text.ends_with("…</i>"), "the open tag is closed: {text}");
}

// -------------------------------------------------------------------- ntfy

fn ntfy(r: &Receiver, token: Option<&str>, priority: Option<u8>, tags: &[&str]) -> Target {
    Target::Ntfy(Ntfy {
        url: Secret::new(r.url("/newshound-SECRETTOPIC")),
        token: token.map(Secret::new),
        priority,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    })
}

/// Decodes a header of RFC 2047 `B` encoded-words as ntfy does (Go's
/// `mime.WordDecoder.DecodeHeader`): white space between words is dropped.
fn decode_words(value: &str) -> String {
    let mut bytes = Vec::new();
    for word in value.split_whitespace() {
        let b64 = word
            .strip_prefix("=?UTF-8?B?")
            .and_then(|w| w.strip_suffix("?="))
            .unwrap_or_else(|| panic!("not an encoded-word: {word}"));
        bytes.extend(base64_decode(b64));
    }
    String::from_utf8(bytes).expect("UTF-8")
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim_end_matches('=').chars() {
        bits = (bits << 6) | ALPHABET.find(c).expect("base64") as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[tokio::test]
async fn ntfy_posts_plain_text_with_title_tags_click_priority_and_token() {
    let r = Receiver::start().await;
    let s = sink(spec(
        "phone",
        ntfy(&r, Some("tk_SECRET"), Some(4), &["warning", "spy"]),
    ));
    let accepted = s
        .send(&one("d1", hit("h1", "Chip maker accused of spying")))
        .await
        .expect("sent");
    assert!(accepted.answer.contains("200"), "{accepted:?}");

    let req = &r.received()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/newshound-SECRETTOPIC");
    assert_eq!(req.header("title").unwrap(), "Chip maker accused of spying");
    assert_eq!(req.header("tags").unwrap(), "warning,spy");
    assert_eq!(
        req.header("click").unwrap(),
        "https://news.example/h1?a=1&b=2"
    );
    assert_eq!(req.header("x-priority").unwrap(), "4");
    assert_eq!(req.header("authorization").unwrap(), "Bearer tk_SECRET");
    let text = req.text();
    assert!(
        text.contains("Loopback <Feed> @\u{200B}here · en · watch 6.5"),
        "{text}"
    );
    assert!(text.contains("Matched: spying"), "{text}");
    assert!(
        text.contains("…accused of spying on a <chip> maker @\u{200B}everyone…"),
        "{text}"
    );
    assert!(text.ends_with("https://news.example/h1?a=1&b=2"), "{text}");
    assert!(
        !text.contains("@everyone") && !text.contains("@here"),
        "{text}"
    );
}

#[tokio::test]
async fn ntfy_encodes_a_non_ascii_title_and_defaults_its_tags() {
    let r = Receiver::start().await;
    let s = sink(spec("phone", ntfy(&r, None, None, &[])));
    let title = "Szpiegostwo przemysłowe: zażółć gęślą jaźń — 中国 «espionnage» ".repeat(3);
    s.send(&one("d1", hit("h1", &title))).await.expect("sent");

    let req = &r.received()[0];
    let header = req.header("title").expect("an ASCII Title header");
    assert!(header.starts_with("=?UTF-8?B?"), "{header}");
    assert_eq!(decode_words(&header), title.trim());
    assert_eq!(req.header("tags").unwrap(), "newspaper");
    assert!(req.header("authorization").is_none());
    assert!(req.header("x-priority").is_none());
}

#[tokio::test]
async fn ntfy_digest_lists_titles_with_their_links() {
    let r = Receiver::start().await;
    let s = sink(spec("phone", ntfy(&r, None, None, &[])));
    s.send(&digest("g1", twenty())).await.expect("sent");
    let req = &r.received()[0];
    assert_eq!(req.header("title").unwrap(), "20 new hits");
    assert!(req.header("click").is_none());
    let text = req.text();
    assert!(text.contains("• Story 0\n"), "{text}");
    assert!(text.contains("https://news.example/h0?a=1&b=2"), "{text}");
    assert!(text.contains("…and 5 more"), "{text}");
    assert!(text.len() <= 4000);
}

#[tokio::test]
async fn ntfy_failures_are_judged_and_keep_the_topic_secret() {
    let r = Receiver::start().await;
    r.script([
        Reply::status(429).header("retry-after", "9"),
        Reply::status(403).body(r#"{"code":40301,"error":"forbidden for /newshound-SECRETTOPIC"}"#),
    ]);
    let s = sink(spec("phone", ntfy(&r, Some("tk_SECRET"), None, &[])));
    let out = one("d1", hit("h1", "t"));
    match s.send(&out).await {
        Err(SendError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(9))),
        other => panic!("{other:?}"),
    }
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(!e.reason().contains("SECRETTOPIC"), "{}", e.reason());
}

// ----------------------------------------------------------------- webhook

fn webhook(r: &Receiver, secret: Option<&str>) -> Target {
    Target::Webhook(Webhook {
        url: Secret::new(r.url("/hooks/SECRETHOOK")),
        secret: secret.map(Secret::new),
    })
}

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn webhook_posts_the_hit_as_stored_and_signs_the_exact_body() {
    let r = Receiver::start().await;
    // sent_at is the service's clock, not the machine's.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-03T12:00:00.250Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let s = sink(spec("hook", webhook(&r, Some("s3cret-key"))))
        .with_clock(newshound::clock::ManualClock::new(at));
    let h = hit("h1", HOSTILE_TITLE);
    s.send(&one("d1", h.clone())).await.expect("sent");

    let req = &r.received()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hooks/SECRETHOOK");
    assert_eq!(req.header("content-type").unwrap(), "application/json");
    assert_eq!(req.header("x-newshound-event").unwrap(), "hit");
    assert_eq!(req.header("x-newshound-delivery").unwrap(), "d1");
    assert_eq!(
        req.header("x-newshound-signature").unwrap(),
        format!("sha256={}", hmac_hex("s3cret-key", &req.body))
    );

    let body = req.json();
    assert_eq!(body["event"], "hit");
    assert_eq!(body["delivery_id"], "d1");
    assert_eq!(body["alert"], "hook");
    assert_eq!(body["sent_at"], "2026-11-03T12:00:00.250Z");
    assert!(body.get("hits").is_none(), "{body}");
    // Exactly as `hits show --format json` prints the stored hit.
    assert_eq!(body["hit"], serde_json::to_value(&h).unwrap());
    let hit = &body["hit"];
    assert_eq!(hit["id"], "h1");
    assert_eq!(hit["entry_id"], "entry-h1");
    assert_eq!(hit["feed"], "Loopback <Feed> @here");
    assert_eq!(hit["title"], HOSTILE_TITLE);
    assert_eq!(hit["url"], "https://news.example/h1?a=1&b=2");
    assert_eq!(hit["language"], "en");
    assert_eq!(hit["topics"][0]["topic"], "watch");
    assert_eq!(hit["topics"][0]["terms"][0]["found"], "spying");
    assert_eq!(hit["score"], 6.5);
    let published =
        chrono::DateTime::parse_from_rfc3339(hit["published"].as_str().unwrap()).expect("RFC 3339");
    assert_eq!(published, h.published);
}

#[tokio::test]
async fn webhook_without_a_secret_is_not_signed_and_a_digest_carries_all_hits() {
    let r = Receiver::start().await;
    let s = sink(spec("hook", webhook(&r, None)));
    let hits = twenty();
    s.send(&digest("g1", hits.clone())).await.expect("sent");
    let req = &r.received()[0];
    assert!(req.header("x-newshound-signature").is_none());
    assert_eq!(req.header("x-newshound-event").unwrap(), "digest");
    let body = req.json();
    assert_eq!(body["event"], "digest");
    assert!(body.get("hit").is_none(), "{body}");
    assert_eq!(body["hits"], serde_json::to_value(&hits).unwrap());
    assert_eq!(body["stories"], 20, "twenty hits of twenty stories");
}

#[tokio::test]
async fn webhook_test_event_carries_its_hit_and_failures_are_judged() {
    let r = Receiver::start().await;
    r.script([
        Reply::status(202),
        Reply::status(503),
        Reply::status(410).body("gone: /hooks/SECRETHOOK"),
    ]);
    let s = sink(spec("hook", webhook(&r, Some("k"))));
    let mut out = one("t1", hit("h1", "t"));
    out.event = Event::Test;
    s.send(&out).await.expect("202 accepts");
    let body = r.received()[0].json();
    assert_eq!(body["event"], "test");
    assert_eq!(body["hit"]["id"], "h1");
    assert!(matches!(s.send(&out).await, Err(SendError::Retry { .. })));
    let e = s.send(&out).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(!e.reason().contains("SECRETHOOK"), "{}", e.reason());
}

// -------------------------------------------------------------------- exec

fn exec(script: &str, dir: &Path) -> Target {
    Target::Exec(Exec {
        command: vec![
            "sh".into(),
            "-c".into(),
            script.into(),
            "sh".into(),
            dir.display().to_string(),
        ],
    })
}

/// Writes its standard input and each NEWSHOUND_ variable to files in `$1`.
const RECORD: &str = r#"cat > "$1/stdin.json"
for v in EVENT DELIVERY_ID ALERT HIT_ID TITLE URL FEED LANGUAGE TOPICS SCORE TEXT COUNT; do
  printenv "NEWSHOUND_$v" > "$1/$v"
done"#;

fn recorded(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

#[tokio::test]
async fn exec_gives_the_command_the_json_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(spec("cmd", exec(RECORD, dir.path())));
    let h = hit("h1", HOSTILE_TITLE);
    let accepted = s.send(&one("d1", h.clone())).await.expect("ran");
    assert_eq!(accepted.answer, "exit 0");

    let stdin: serde_json::Value =
        serde_json::from_str(&recorded(dir.path(), "stdin.json")).unwrap();
    assert_eq!(stdin["event"], "hit");
    assert_eq!(stdin["delivery_id"], "d1");
    assert_eq!(stdin["alert"], "cmd");
    assert_eq!(stdin["hit"], serde_json::to_value(&h).unwrap());

    let env = |name| recorded(dir.path(), name);
    assert_eq!(env("EVENT"), "hit");
    assert_eq!(env("DELIVERY_ID"), "d1");
    assert_eq!(env("ALERT"), "cmd");
    assert_eq!(env("HIT_ID"), "h1");
    assert_eq!(env("TITLE"), HOSTILE_TITLE);
    assert_eq!(env("URL"), "https://news.example/h1?a=1&b=2");
    assert_eq!(env("FEED"), "Loopback <Feed> @here");
    assert_eq!(env("LANGUAGE"), "en");
    assert_eq!(env("TOPICS"), "watch");
    assert_eq!(env("SCORE"), "6.5");
    assert_eq!(env("COUNT"), "1");
    let text = env("TEXT");
    assert!(text.starts_with("@\u{200B}everyone <!channel>"), "{text}");
    assert!(
        text.contains("watch 6.5") && text.contains("Matched: spying"),
        "{text}"
    );
    assert!(text.contains("https://news.example/h1?a=1&b=2"), "{text}");
}

#[tokio::test]
async fn exec_digest_passes_every_hit() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(spec("cmd", exec(RECORD, dir.path())));
    let hits = twenty();
    s.send(&digest("g1", hits.clone())).await.expect("ran");
    let stdin: serde_json::Value =
        serde_json::from_str(&recorded(dir.path(), "stdin.json")).unwrap();
    assert_eq!(stdin["event"], "digest");
    assert_eq!(stdin["hits"], serde_json::to_value(&hits).unwrap());
    assert_eq!(recorded(dir.path(), "EVENT"), "digest");
    assert_eq!(recorded(dir.path(), "COUNT"), "20");
    assert_eq!(recorded(dir.path(), "HIT_ID"), "h0");
    let text = recorded(dir.path(), "TEXT");
    assert!(text.starts_with("20 new hits\n"), "{text}");
    assert!(text.contains("…and 5 more"), "{text}");
}

#[tokio::test]
async fn exec_failures_retry_with_the_end_of_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(spec(
        "cmd",
        exec(
            "cat >/dev/null; echo 'cannot reach the pager' >&2; exit 3",
            dir.path(),
        ),
    ));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    match &e {
        SendError::Retry { reason, after } => {
            assert_eq!(reason, "exit 3: cannot reach the pager");
            assert_eq!(*after, None);
        }
        other => panic!("{other:?}"),
    }

    // Only the end of a long error output is kept.
    let s = sink(spec(
        "cmd",
        exec(
            "i=0; while [ $i -lt 500 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1",
            dir.path(),
        ),
    ));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(e.reason().ends_with("line 499"), "{}", e.reason());
    assert!(e.reason().chars().count() < 320, "{}", e.reason());

    let s = sink(spec("cmd", exec("kill -9 $$", dir.path())));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    assert!(e.reason().contains("signal 9"), "{}", e.reason());
}

#[tokio::test]
async fn exec_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec("cmd", exec("sleep 10", dir.path()));
    spec.delivery.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let e = sink(spec)
        .send(&one("d1", hit("h1", "t")))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    assert!(
        e.reason().starts_with("timed out after 1s"),
        "{}",
        e.reason()
    );
}

/// What the command started goes with it at the timeout: a notifier stuck in
/// a child process must not pile up one process per retry.
#[tokio::test]
async fn exec_timeout_kills_what_the_command_started() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(
        "cmd",
        exec("sleep 30 & echo $! > \"$1/pid\"; wait", dir.path()),
    );
    spec.delivery.timeout = Duration::from_secs(1);
    let e = sink(spec)
        .send(&one("d1", hit("h1", "t")))
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Retry { .. }), "{e:?}");
    let pid = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    let pid = pid.trim();
    // A killed child may linger as a zombie of its reaper for a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        if matches!(state, None | Some("Z")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sleep {pid} is still running: {stat}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn exec_of_a_missing_or_unrunnable_program_fails_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-notifier");
    let s = sink(spec(
        "cmd",
        Target::Exec(Exec {
            command: vec![missing.display().to_string(), "--quiet".into()],
        }),
    ));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(e.reason().contains("no-such-notifier"), "{}", e.reason());

    // A file without the execute bit.
    let plain = dir.path().join("notes.txt");
    std::fs::write(&plain, "not a program").unwrap();
    let s = sink(spec(
        "cmd",
        Target::Exec(Exec {
            command: vec![plain.display().to_string()],
        }),
    ));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(e.reason().contains("notes.txt"), "{}", e.reason());

    let s = sink(spec(
        "cmd",
        Target::Exec(Exec {
            command: vec!["newshound-no-such-program-in-path".into()],
        }),
    ));
    let e = s.send(&one("d1", hit("h1", "t"))).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
    assert!(
        e.reason().contains("newshound-no-such-program-in-path"),
        "{}",
        e.reason()
    );
}

#[tokio::test]
async fn exec_of_a_command_that_ignores_its_input_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    // A digest far larger than a pipe's buffer: the write meets a closed pipe.
    let many: Vec<_> = (0..300).map(|i| hit(&format!("h{i}"), "Story")).collect();
    for script in ["exit 0", "sleep 0.2; touch \"$1/done\""] {
        let s = sink(spec("cmd", exec(script, dir.path())));
        let accepted = s.send(&digest("g1", many.clone())).await.expect("ran");
        assert_eq!(accepted.answer, "exit 0");
    }
    assert!(dir.path().join("done").exists());
}

#[tokio::test]
async fn exec_does_not_wait_for_a_background_process_holding_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(spec(
        "cmd",
        exec("sleep 10 & echo started; exit 0", dir.path()),
    ));
    let started = Instant::now();
    let accepted = s.send(&one("d1", hit("h1", "t"))).await.expect("ran");
    assert_eq!(accepted.answer, "exit 0");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}
