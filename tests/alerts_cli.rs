//! Alerts through the real binary: `run --once`, `run` killed with SIGKILL
//! and started again, `alerts list|retry|test`, and `check` on alert entries.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::process::{newshound, newshound_async, stderr, stdout};
use common::receiver::{Receiver, Reply};
use common::{FeedServer, Route, TestConfig, WAIT, read_fixture};

fn start_service(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_newshound"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env_remove("RUST_LOG")
        .env_remove("NEWSHOUND_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

fn webhook(url: &str) -> String {
    format!(
        "[[alert]]\nname = \"hook\"\nkind = \"webhook\"\nurl = {url:?}\n\
         retry_min = \"50ms\"\nretry_max = \"300ms\"\ntimeout = \"3s\"\n"
    )
}

fn wire(server: &FeedServer, poll: &str) -> TestConfig {
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    TestConfig::new(&[("Wire", server.url("/wire.xml"))], poll)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_once_delivers_and_says_so() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    let cfg = wire(&server, "");
    cfg.append(&webhook(&r.url("/hook")));
    let run = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        stdout(&run).trim(),
        "feeds: 1 ok, 0 not modified, 0 failed; new items: 3; new hits: 2; \
         alerts: 2 sent, 0 pending, 0 dead"
    );
    assert_eq!(r.accepted().len(), 2);

    let list = newshound_async(&cfg.path(), &["alerts", "list"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(
        stdout(&list).trim(),
        "No alerts are waiting and none is dead."
    );
}

/// SIGKILL while alerts are pending loses none of them, and an alert the
/// receiver already acknowledged is not sent again after the restart.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_with_alerts_pending_loses_nothing_and_repeats_nothing() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    // The first alert is accepted, then the service fails until it is killed.
    r.script([Reply::ok("ok")]);
    r.set_default(Reply::status(500));
    let cfg = wire(&server, "interval = \"1s\"");
    cfg.append(&webhook(&r.url("/hook")));

    let mut service = start_service(&cfg.path());
    wait_until("one alert is accepted and a later one fails", || {
        let got = r.received();
        got.iter().any(|q| q.status == 200) && got.iter().any(|q| q.status == 500)
    })
    .await;
    service.kill().unwrap(); // SIGKILL
    service.wait().unwrap();
    let acknowledged = r.accepted()[0].header("x-newshound-delivery").unwrap();

    // The pending alert survived the kill.
    let list = newshound_async(&cfg.path(), &["alerts", "list", "--format", "json"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    let pending: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["state"], "pending");
    assert_ne!(pending[0]["delivery_id"], acknowledged.as_str());

    r.set_default(Reply::ok("ok"));
    let mut service = start_service(&cfg.path());
    r.wait_accepted(2, WAIT).await;
    // Give a duplicate, if there were one, the time to arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    service.kill().unwrap();
    service.wait().unwrap();

    let mut counts: HashMap<String, usize> = HashMap::new();
    for q in r.accepted() {
        *counts
            .entry(q.header("x-newshound-delivery").unwrap())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_alerts_are_listed_and_retried() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    r.set_default(Reply::status(403).body("forbidden"));
    let cfg = wire(&server, "");
    cfg.append(&webhook(&r.url("/hook")));
    let run = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(
        stdout(&run).contains("alerts: 0 sent, 0 pending, 2 dead"),
        "{}",
        stdout(&run)
    );

    let list = newshound_async(&cfg.path(), &["alerts", "list"]).await;
    let table = stdout(&list);
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(
        table.lines().skip(1).all(|l| l.starts_with("dead")),
        "{table}"
    );
    assert!(table.contains("HTTP 403"), "{table}");

    let hits = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    let hits: Vec<serde_json::Value> = serde_json::from_slice(&hits.stdout).unwrap();
    assert!(hits.iter().all(|h| h["alert_status"] == "dead"), "{hits:?}");

    let short = newshound_async(&cfg.path(), &["alerts", "retry", "abc"]).await;
    assert_eq!(short.status.code(), Some(1));
    let none = newshound_async(&cfg.path(), &["alerts", "retry", "ffffffffff"]).await;
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));

    let retry = newshound_async(&cfg.path(), &["alerts", "retry", "--all-dead"]).await;
    assert!(retry.status.success(), "{}", stderr(&retry));
    assert!(
        stdout(&retry).starts_with("2 alerts queued again"),
        "{}",
        stdout(&retry)
    );

    r.set_default(Reply::ok("ok"));
    let run = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(
        stdout(&run).contains("alerts: 2 sent, 0 pending, 0 dead"),
        "{}",
        stdout(&run)
    );
    let hits = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    let hits: Vec<serde_json::Value> = serde_json::from_slice(&hits.stdout).unwrap();
    assert!(hits.iter().all(|h| h["alert_status"] == "sent"), "{hits:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_test_reports_the_services_answer() {
    let r = Receiver::start().await;
    r.script([Reply::ok("ok"), Reply::status(404).body("no such hook")]);
    let cfg = TestConfig::new(&[], "");
    cfg.append(&webhook(&r.url("/hook")));

    let ok = newshound_async(&cfg.path(), &["alerts", "test", "hook"]).await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(
        stdout(&ok).trim(),
        "alert \"hook\" (webhook): accepted: HTTP 200 OK"
    );
    let sent = r.received()[0].json();
    assert_eq!(sent["event"], "test");
    assert!(
        sent["hit"]["title"]
            .as_str()
            .unwrap()
            .contains("Test alert")
    );

    let refused = newshound_async(&cfg.path(), &["alerts", "test", "hook"]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused)
            .contains("refused (would not be retried): HTTP 404 Not Found: no such hook"),
        "{}",
        stderr(&refused)
    );

    let unknown = newshound_async(&cfg.path(), &["alerts", "test", "nope"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("configured: hook"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn check_reports_alert_problems_without_showing_secrets() {
    let cfg = TestConfig::new(&[], "");
    let secret_file = cfg.dir.path().join("hook-url");
    std::fs::write(&secret_file, "https://hooks.example/T0/SECRETFROMFILE\n").unwrap();
    cfg.append(
        "[[alert]]\nname = \"a\"\nkind = \"slack\"\nurl = \"${NH_TEST_HOOK}\"\nroom = \"!x:y\"\n\n\
         [[alert]]\nname = \"b\"\nkind = \"matrix\"\nhomeserver = \"https://m.example\"\n\n\
         [[alert]]\nname = \"c\"\nkind = \"webhook\"\nurl_file = \"hook-url\"\ntemplate = \"{{ titel }}\"\n\n\
         [[alert]]\nname = \"d\"\nkind = \"discord\"\nurl = \"https://d.example/x\"\ntopics = [\"nope\"]\nrate_limit = 0\n\n\
         [[alert]]\nname = \"e\"\nkind = \"carrier-pigeon\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_newshound"))
        .args([
            "--config".as_ref(),
            cfg.path().as_os_str(),
            "check".as_ref(),
        ])
        .env("NH_TEST_HOOK", "not-a-url-SECRETFROMENV")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "alert[0].room: not used by kind \"slack\"",
        "alert[0].url: is not an http:// or https:// URL",
        "alert[1].room: is required for kind \"matrix\"",
        "alert[1].token: is required for kind \"matrix\"",
        "alert[2].template: template error: undefined value",
        "alert[3].rate_limit: must be at least 1",
        "alert[4].kind: \"carrier-pigeon\" is not a kind",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!err.contains("SECRETFROM"), "a secret leaked:\n{err}");

    // Fixed, the same file checks clean and `check` names alerts by kind only.
    let cfg = TestConfig::new(&[], "");
    std::fs::write(
        cfg.dir.path().join("hook-url"),
        "https://hooks.example/T0/SECRETFROMFILE\n",
    )
    .unwrap();
    cfg.append(
        "[[alert]]\nname = \"c\"\nkind = \"webhook\"\nurl_file = \"hook-url\"\n\
         template = \"{{ title }}\"\ntopics = [\"watch\"]\n",
    );
    let out = newshound(&cfg.path(), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("alerts: c (webhook)"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("SECRET") && !stderr(&out).contains("SECRET"));
}

#[test]
fn an_unknown_topic_in_an_alert_is_an_error() {
    let cfg = TestConfig::new(&[], "");
    cfg.append(
        "[[alert]]\nname = \"d\"\nkind = \"discord\"\nurl = \"https://d.example/x\"\n\
         topics = [\"nope\"]\nlanguages = [\"xx\"]\nfeeds = [\"Nowhere\"]\n",
    );
    let out = newshound(&cfg.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("alert[0].topics: topic \"nope\" is not defined; known: watch"),
        "{err}"
    );
    assert!(
        err.contains("alert[0].feeds: feed \"Nowhere\" is not defined"),
        "{err}"
    );
    assert!(
        err.contains("alert[0].languages: language \"xx\" is not defined"),
        "{err}"
    );
}

/// An analyst has neither the service's environment nor its secret files:
/// the commands that only read must work without them; `check` (run by the
/// administrator, with the secrets) still insists.
#[test]
fn reading_commands_need_no_alert_secrets() {
    let cfg = TestConfig::new(&[], "");
    cfg.append(
        "[[alert]]\nname = \"a\"\nkind = \"slack\"\nurl = \"${NH_TEST_UNSET_SECRET}\"\n\n\
         [[alert]]\nname = \"b\"\nkind = \"webhook\"\nurl_file = \"/nonexistent/secret\"\n",
    );
    for args in [
        &["hits", "list"][..],
        &["feeds", "list"],
        &["feeds", "status"],
        &["alerts", "list"],
        &["classify", "--title", "spying on a lab", "-"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_newshound"))
            .arg("--config")
            .arg(cfg.path())
            .args(args)
            .env_remove("NH_TEST_UNSET_SECRET")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let check = newshound(&cfg.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    let err = stderr(&check);
    assert!(err.contains("NH_TEST_UNSET_SECRET is not set"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_of_a_removed_alert_can_be_dropped() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    r.set_default(Reply::status(403));
    let cfg = wire(&server, "");
    cfg.append(&webhook(&r.url("/hook")));
    let run = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(stdout(&run).contains("2 dead"), "{}", stdout(&run));

    // The alert is removed from the configuration; its entries stay.
    let text = std::fs::read_to_string(cfg.path()).unwrap();
    let cut = text.find("[[alert]]").unwrap();
    std::fs::write(cfg.path(), &text[..cut]).unwrap();
    let list = newshound_async(&cfg.path(), &["alerts", "list", "--format", "json"]).await;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.len(), 2);

    let both = newshound_async(
        &cfg.path(),
        &["alerts", "drop", "--all-dead", "--alert", "hook"],
    )
    .await;
    assert_eq!(
        both.status.code(),
        Some(2),
        "clap refuses two selections: {}",
        stderr(&both)
    );
    let none = newshound_async(&cfg.path(), &["alerts", "drop", "--alert", "other"]).await;
    assert_eq!(stdout(&none).trim(), "No alerts of \"other\" to drop.");
    let dropped = newshound_async(&cfg.path(), &["alerts", "drop", "--alert", "hook"]).await;
    assert!(dropped.status.success(), "{}", stderr(&dropped));
    assert_eq!(
        stdout(&dropped).trim(),
        "2 alerts dropped; they will not be sent."
    );
    let list = newshound_async(&cfg.path(), &["alerts", "list"]).await;
    assert_eq!(
        stdout(&list).trim(),
        "No alerts are waiting and none is dead."
    );
    // The hits say so: dropped, not sent.
    let hits = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    let hits: Vec<serde_json::Value> = serde_json::from_slice(&hits.stdout).unwrap();
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter().all(|h| h["alert_status"] == "dropped"),
        "{hits:?}"
    );
}
