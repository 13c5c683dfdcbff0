//! The service as systemd runs it: the real binary as a process, with
//! `NOTIFY_SOCKET` pointed at a datagram socket the test owns, real
//! signals, the CLI querying it through its local API while it runs, and
//! `/metrics` over TCP.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{newshound_async, stderr, stdout};
use common::receiver::Receiver;
use common::{FeedServer, Route, TestConfig, WAIT, read_fixture};

/// The notifications the service sent, in order.
struct NotifySocket {
    path: PathBuf,
    got: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl NotifySocket {
    fn bind() -> NotifySocket {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        let got: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = got.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        NotifySocket {
            path,
            got,
            _dir: dir,
        }
    }

    fn messages(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }

    async fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} notification; got {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn start(config: &Path, envs: &[(&str, &str)]) -> Child {
    common::process::start_service(config, envs, true)
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} failed");
}

/// Waits for the process to end; returns its exit code and standard error.
async fn wait_exit(child: Child, within: Duration) -> (Option<i32>, String) {
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < within,
        "took {:?} to exit",
        started.elapsed()
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn wire_config(server: &FeedServer) -> TestConfig {
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    TestConfig::new(&[("Wire", server.url("/wire.xml"))], "interval = \"1s\"")
}

async fn hits_json(cfg: &TestConfig) -> Vec<serde_json::Value> {
    let out = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn systemd_hears_ready_status_watchdog_and_stopping() {
    let server = FeedServer::start().await;
    let cfg = wire_config(&server);
    let notify = NotifySocket::bind();
    let child = start(
        &cfg.path(),
        &[
            ("NOTIFY_SOCKET", notify.path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    notify.wait_for("READY=1", |m| m == "READY=1").await;
    let status = notify
        .wait_for("STATUS=", |m| m.starts_with("STATUS="))
        .await;
    assert!(status.contains("feeds: 1"), "{status}");
    // READY only after the store is open: a query through the API works now.
    assert!(cfg.dir.path().join("api.sock").exists());
    // Half of WATCHDOG_USEC: several pings within a second.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let pings = notify
        .messages()
        .iter()
        .filter(|m| *m == "WATCHDOG=1")
        .count();
    assert!(pings >= 3, "{:?}", notify.messages());
    // The status is updated as feeds are polled.
    notify
        .wait_for("a status with the hits", |m| {
            m.contains("hits today (UTC): 2")
        })
        .await;

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(notify.messages().iter().any(|m| m == "STOPPING=1"));
    assert!(
        !cfg.dir.path().join("api.sock").exists(),
        "the socket is removed on exit"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_go_through_the_socket_while_it_runs_and_the_store_after() {
    let server = FeedServer::start().await;
    let cfg = wire_config(&server);
    let child = start(&cfg.path(), &[]);
    wait_until("the feed is polled", || {
        !server.requests("/wire.xml").is_empty()
    })
    .await;

    // Through the API (the store is locked by the service).
    let mut live = Vec::new();
    for _ in 0..100 {
        live = hits_json(&cfg).await;
        if live.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(live.len(), 2);
    let id = live[0]["id"].as_str().unwrap().to_string();
    let show = newshound_async(&cfg.path(), &["hits", "show", &id[..8], "--format", "json"]).await;
    assert!(show.status.success(), "{}", stderr(&show));
    let shown: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown, live[0]);
    let missing = newshound_async(&cfg.path(), &["hits", "show", "ffffffffffff"]).await;
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
    let table = newshound_async(&cfg.path(), &["hits", "list"]).await;
    let stories_live = newshound_async(
        &cfg.path(),
        &["hits", "list", "--stories", "--format", "json"],
    )
    .await;
    assert!(stories_live.status.success(), "{}", stderr(&stories_live));
    let rows: serde_json::Value = serde_json::from_slice(&stories_live.stdout).unwrap();
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(2),
        "two distinct stories: {rows}"
    );
    let status_live = newshound_async(&cfg.path(), &["feeds", "status", "--format", "json"]).await;
    assert!(status_live.status.success(), "{}", stderr(&status_live));
    let alerts_live = newshound_async(&cfg.path(), &["alerts", "list", "--format", "json"]).await;
    assert!(alerts_live.status.success(), "{}", stderr(&alerts_live));
    let drop_live = newshound_async(&cfg.path(), &["alerts", "drop", "--all-dead"]).await;
    assert_eq!(
        stdout(&drop_live).trim(),
        "No dead alerts to drop.",
        "{}",
        stderr(&drop_live)
    );

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");

    // The same commands read the store directly now, and say the same.
    assert_eq!(hits_json(&cfg).await, live);
    let table_after = newshound_async(&cfg.path(), &["hits", "list"]).await;
    assert_eq!(stdout(&table_after), stdout(&table));
    let stories_after = newshound_async(
        &cfg.path(),
        &["hits", "list", "--stories", "--format", "json"],
    )
    .await;
    assert_eq!(stdout(&stories_after), stdout(&stories_live));
    let alerts_after = newshound_async(&cfg.path(), &["alerts", "list", "--format", "json"]).await;
    assert_eq!(stdout(&alerts_after), stdout(&alerts_live));
    let status_after = newshound_async(&cfg.path(), &["feeds", "status", "--format", "json"]).await;
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&status_live.stdout).unwrap(),
        serde_json::from_slice(&status_after.stdout).unwrap(),
    );
    // Polls may have happened in between; the feeds and their identity match.
    assert_eq!(a[0]["name"], b[0]["name"]);
    assert_eq!(a[0]["url"], b[0]["url"]);
    assert_eq!(b[0]["total_hits"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_applies_a_new_feed_and_refuses_a_broken_config() {
    let server = FeedServer::start().await;
    let cfg = wire_config(&server);
    let notify = NotifySocket::bind();
    let child = start(
        &cfg.path(),
        &[("NOTIFY_SOCKET", notify.path.to_str().unwrap())],
    );
    notify.wait_for("READY=1", |m| m == "READY=1").await;

    // A second feed, then SIGHUP: it is polled without a restart.
    server.serve(
        "/polish.xml",
        Route::feed(read_fixture("feeds/pl-latin2.xml")).with_validators("\"p1\"", "x"),
    );
    let feeds = cfg.dir.path().join("feeds.toml");
    let mut list = std::fs::read_to_string(&feeds).unwrap();
    list.push_str(&format!(
        "[[feed]]\nname = \"Polish\"\nurl = {:?}\n",
        server.url("/polish.xml")
    ));
    std::fs::write(&feeds, &list).unwrap();
    let good_feeds = list.clone();
    signal(&child, "HUP");
    wait_until("the new feed is polled", || {
        !server.requests("/polish.xml").is_empty()
    })
    .await;
    notify
        .wait_for("RELOADING=1", |m| {
            m.starts_with("RELOADING=1\nMONOTONIC_USEC=")
        })
        .await;
    notify
        .wait_for("two feeds", |m| m.contains("feeds: 2"))
        .await;

    // A broken configuration is refused; the service goes on with the old one.
    std::fs::write(
        &feeds,
        "[[feed]]\nname = \"Broken\"\nurl = \"ftp://nope\"\n",
    )
    .unwrap();
    signal(&child, "HUP");
    let status = notify
        .wait_for("the refusal", |m| m.contains("reload refused"))
        .await;
    assert!(
        status.starts_with("STATUS=reload refused (1 problem"),
        "{status}"
    );
    let before = server.requests("/polish.xml").len();
    wait_until("the old feeds are still polled", || {
        server.requests("/polish.xml").len() > before
    })
    .await;
    // The CLI reads the configuration too: mend it before querying.
    std::fs::write(&feeds, &good_feeds).unwrap();
    let hits = hits_json(&cfg).await;
    assert!(!hits.is_empty());

    // Other signals do not stop it.
    signal(&child, "USR1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hits_json(&cfg).await.len(), hits.len());

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("reload refused"), "{err}");
    assert!(err.contains("feed[0].url"), "the log says why: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigterm_exits_at_once() {
    // A feed that takes long to answer keeps a poll in flight.
    let slow = Receiver::start().await;
    slow.set_default(common::receiver::Reply::ok("<rss/>").delay(Duration::from_secs(30)));
    // The poll in flight waits for the fetch timeout (5 s) before it ends.
    let cfg = TestConfig::new(&[("Slow", slow.url("/feed.xml"))], "interval = \"1s\"");
    let notify = NotifySocket::bind();
    let child = start(
        &cfg.path(),
        &[("NOTIFY_SOCKET", notify.path.to_str().unwrap())],
    );
    notify.wait_for("READY=1", |m| m == "READY=1").await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // the slow poll is in flight
    signal(&child, "TERM");
    notify.wait_for("STOPPING=1", |m| m == "STOPPING=1").await;
    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(5)).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("exiting at once"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_cycle_then_restart_loses_and_repeats_nothing() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    let cfg = wire_config(&server);
    cfg.append(&format!(
        "[[alert]]\nname = \"hook\"\nkind = \"webhook\"\nurl = {:?}\nretry_min = \"50ms\"\n",
        r.url("/hook")
    ));
    let child = start(&cfg.path(), &[]);
    r.wait_accepted(2, WAIT).await;
    // Between a service's "accepted" and the outbox's flush, a crash may
    // repeat an alert (ARCHITECTURE.md says so and gives receivers the
    // delivery id for it); this test is about a kill at any other moment,
    // so it waits until the running service reports both alerts sent.
    let deadline = Instant::now() + WAIT;
    while !hits_json(&cfg)
        .await
        .iter()
        .all(|h| h["alert_status"] == "sent")
    {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the alerts to be settled"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut child = child;
    child.kill().unwrap(); // SIGKILL, while polls repeat every second
    child.wait().unwrap();
    let hits_before = hits_json(&cfg).await;
    assert_eq!(hits_before.len(), 2);

    let child = start(&cfg.path(), &[]);
    let before = server.requests("/wire.xml").len();
    wait_until("the restarted service polls again", || {
        server.requests("/wire.xml").len() > before + 1
    })
    .await;
    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");

    let hits_after = hits_json(&cfg).await;
    let ids = |h: &[serde_json::Value]| {
        let mut v: Vec<String> = h.iter().map(|x| x["id"].to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&hits_after), ids(&hits_before), "no hit lost or added");
    let deliveries: std::collections::HashSet<String> = r
        .accepted()
        .iter()
        .map(|q| q.header("x-newshound-delivery").unwrap())
        .collect();
    assert_eq!(r.accepted().len(), 2, "no alert sent twice");
    assert_eq!(deliveries.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_as_prometheus_text_and_move_after_a_poll() {
    let server = FeedServer::start().await;
    let cfg = wire_config(&server);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    cfg.append(&format!("listen = \"127.0.0.1:{port}\"\n"));
    let child = start(&cfg.path(), &[]);
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    let mut text = String::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(r) = client.get(format!("{url}/metrics")).send().await {
            text = r.text().await.unwrap();
            if sample(&text, "newshound_polls_total{result=\"ok\"}").unwrap_or(0.0) >= 1.0 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the poll counter never moved:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    parse_prometheus(&text);
    assert_eq!(
        sample(
            &text,
            "newshound_hits_total{topic=\"watch\",language=\"en\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert!(sample(&text, "newshound_items_new_total").unwrap() >= 3.0);
    assert!(sample(&text, "newshound_fetch_duration_seconds_count").unwrap() >= 1.0);
    assert!(sample(&text, "newshound_store_size_bytes").unwrap() > 0.0);
    let health = client.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // Over TCP nothing can be changed: there is no authentication there.
    let retry = client
        .post(format!("{url}/v1/alerts/retry"))
        .json(&serde_json::json!({"all_dead": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 404);
    let first = sample(&text, "newshound_polls_total{result=\"ok\"}").unwrap()
        + sample(&text, "newshound_polls_total{result=\"not_modified\"}").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let second = sample(&later, "newshound_polls_total{result=\"ok\"}").unwrap()
        + sample(&later, "newshound_polls_total{result=\"not_modified\"}").unwrap();
    assert!(second > first, "{first} then {second}");

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");
}

/// The value of the sample whose name and labels are `series`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// Checks the exposition format line by line: comments are HELP or TYPE,
/// every sample is `name{labels} value` of a declared family.
fn parse_prometheus(text: &str) {
    let mut families: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            let kind = parts.next().unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            families.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
        }
        assert!(
            families.iter().any(|f| name == f
                || name
                    .strip_prefix(f.as_str())
                    .is_some_and(|s| { ["_bucket", "_sum", "_count"].contains(&s) })),
            "sample of an undeclared family: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_object_a_line() {
    let server = FeedServer::start().await;
    let cfg = TestConfig::new(&[("Missing", server.url("/missing.xml"))], "");
    let out = newshound_async(&cfg.path(), &["run", "--once", "--log-format", "json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty(), "the failing feed is logged");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
    }
    assert!(err.contains("Missing"), "the feed is named: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_reset_brings_a_gone_feed_back() {
    let server = FeedServer::start().await;
    server.serve(
        "/wire.xml",
        Route::feed(read_fixture("feeds/wire-en.xml")).then(common::Scripted::status(410)),
    );
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "interval = \"1s\"");
    let child = start(&cfg.path(), &[]);
    wait_until("the feed answers 410", || {
        !server.requests("/wire.xml").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        server.requests("/wire.xml").len(),
        1,
        "a gone feed is not polled again"
    );

    let unknown = newshound_async(&cfg.path(), &["feeds", "reset", "Nope"]).await;
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    let reset = newshound_async(&cfg.path(), &["feeds", "reset", "Wire"]).await;
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(
        stdout(&reset).contains("the service polls it now"),
        "{}",
        stdout(&reset)
    );
    wait_until("the feed is polled again", || {
        server.requests("/wire.xml").len() >= 2
    })
    .await;
    let mut hits = Vec::new();
    for _ in 0..100 {
        hits = hits_json(&cfg).await;
        if hits.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hits.len(), 2);

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");
    let status = newshound_async(&cfg.path(), &["feeds", "status", "--format", "json"]).await;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(rows[0]["gone"], false);
    assert_eq!(rows[0]["error_count"], 0);
}

fn rss_item(guid: &str, title: &str, text: &str) -> String {
    format!(
        "<item><title>{title}</title><link>http://news.test/{guid}</link>\
         <guid isPermaLink=\"false\">{guid}</guid>\
         <pubDate>Mon, 02 Nov 2026 09:15:00 GMT</pubDate><description>{text}</description></item>"
    )
}

fn rss_feed(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <link>http://news.test/</link><description>d</description>{}</channel></rss>",
        items.concat()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hits_detach_through_the_socket_changes_how_the_running_service_groups() {
    // Two different Elbchip events that share their names: grouped as one
    // story by the names, which an analyst corrects.
    let trial = rss_item(
        "trial",
        "Elbchip engineer charged with espionage",
        "Prosecutors in Dresden charged a former engineer of Elbchip with espionage: he \
         passed production recipes to an officer of the SVR, who paid him 60,000 euros.",
    );
    let audit = "Elbchip ordered an audit of every contractor in Dresden after the espionage \
        case: the chipmaker fears the SVR recruited more staff, and spent 60,000 euros on \
        counter-intelligence advice this spring, its chief executive told shareholders.";
    let server = FeedServer::start().await;
    server.serve(
        "/wire.xml",
        Route::feed(rss_feed(&[
            trial.clone(),
            rss_item("audit", "Elbchip audits its contractors", audit),
        ])),
    );
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "interval = \"1s\"");
    let child = start(&cfg.path(), &[]);
    wait_until("the feed is polled", || {
        !server.requests("/wire.xml").is_empty()
    })
    .await;
    let mut hits = Vec::new();
    wait_until_async("both items are stored", async || {
        hits = hits_json(&cfg).await;
        hits.len() == 2
    })
    .await;
    let id_of = |hits: &[serde_json::Value], guid: &str| {
        hits.iter()
            .find(|h| h["entry_id"] == guid)
            .map(|h| h["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (trial_id, audit_id) = (id_of(&hits, "trial"), id_of(&hits, "audit"));
    assert!(
        hits.iter().all(|h| h["story"] == trial_id.as_str()),
        "grouped by their names: {hits:#?}"
    );

    let out = newshound_async(
        &cfg.path(),
        &["hits", "detach", &audit_id[..8], "--format", "json"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["outcome"], "detached", "{outcome}");
    assert_eq!(outcome["from"], trial_id.as_str());

    // A rewrite of the audit story now joins the detached hit's story, in
    // the service's window as in the store.
    let rewrite = "Elbchip has ordered an audit of all its contractors in Dresden after the \
        espionage case: the chipmaker fears the SVR recruited more staff, and spent 60,000 \
        euros on counter-intelligence advice this spring, its chief executive told shareholders.";
    server.serve(
        "/wire.xml",
        Route::feed(rss_feed(&[
            trial,
            rss_item("audit", "Elbchip audits its contractors", audit),
            rss_item("rewrite", "Elbchip orders contractor audit", rewrite),
        ])),
    );
    wait_until_async("the rewrite is stored", async || {
        hits = hits_json(&cfg).await;
        hits.len() == 3
    })
    .await;
    let rewrite_id = id_of(&hits, "rewrite");
    let story_of = |id: &str| {
        hits.iter()
            .find(|h| h["id"] == id)
            .map(|h| h["story"].clone())
            .unwrap()
    };
    assert_eq!(story_of(&rewrite_id), audit_id.as_str(), "{hits:#?}");
    assert_eq!(story_of(&audit_id), audit_id.as_str());
    assert_eq!(
        hits.iter().find(|h| h["id"] == audit_id.as_str()).unwrap()["detached"]["from"],
        trial_id.as_str()
    );

    signal(&child, "TERM");
    let (code, err) = wait_exit(child, Duration::from_secs(12)).await;
    assert_eq!(code, Some(0), "{err}");
    // From the store: the hit says where it came from; the trial's story is
    // the trial alone now, with nothing to detach.
    let show = newshound_async(&cfg.path(), &["hits", "show", &audit_id]).await;
    assert!(
        stdout(&show).contains(&format!("detached:   from story {trial_id}")),
        "{}",
        stdout(&show)
    );
    let again = newshound_async(&cfg.path(), &["hits", "detach", &trial_id]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("only hit of its story"),
        "{}",
        stdout(&again)
    );
    let missing = newshound_async(&cfg.path(), &["hits", "detach", "ffffffffffff"]).await;
    assert_eq!(
        missing.status.code(),
        Some(1),
        "{} {}",
        stdout(&missing),
        stderr(&missing)
    );
}

/// Like `wait_until`, with a condition that awaits.
async fn wait_until_async(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
