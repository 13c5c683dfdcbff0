//! One story, told by five feeds in two languages over three polls, through
//! the real binary: `story = "first"` sends one alert, `story = "update"`
//! one alert and a follow-up per later member, and a SIGKILL of the daemon
//! between polls loses and repeats nothing (the receiver checks delivery ids).

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::process::{newshound_async, stderr};
use common::receiver::{Received, Receiver, Reply};
use common::{FeedServer, Route, TestConfig, WAIT};
use serde_json::Value;

/// (feed, guid, link, title, text, poll): one event, as a wire service, two
/// outlets' edited copies and two Polish outlets tell it, in the poll that
/// first carries it.
const TELLINGS: [(&str, &str, &str, &str, &str, usize); 5] = [
    (
        "Wire",
        "w-1",
        "http://wire.test/elbchip",
        "Engineer charged with espionage",
        "Prosecutors in Dresden charged a former engineer of Elbchip with espionage: \
         he passed production recipes to an officer of the SVR, who paid him 60,000 euros \
         over two years, according to the indictment.",
        1,
    ),
    (
        "Outlet",
        "o-9",
        "http://outlet.test/news/elbchip-case",
        "Elbchip engineer faces espionage trial",
        "Prosecutors in Dresden have charged a former engineer of Elbchip with espionage: \
         he passed production recipes to an officer of the SVR, who paid him 60,000 euros \
         over two years, according to the indictment seen by this newspaper.",
        2,
    ),
    (
        "Agency",
        "a-3",
        "http://agency.test/2026/elbchip-indictment",
        "Former Elbchip engineer accused of spying for Russia",
        "Prosecutors in Dresden on Tuesday charged a former engineer of Elbchip with espionage: \
         he passed production recipes to an officer of the SVR, who paid him 60,000 euros \
         over two years, the indictment says.",
        2,
    ),
    (
        "Gazeta",
        "p-3",
        "http://gazeta.test/elbchip",
        "Inżynier oskarżony o szpiegostwo",
        "Prokuratura w Dreźnie oskarżyła byłego inżyniera firmy Elbchip o szpiegostwo: \
         według aktu oskarżenia przekazał receptury oficerowi SVR, który zapłacił mu 60,000 euro.",
        3,
    ),
    (
        "Portal",
        "q-7",
        "http://portal.test/swiat/elbchip",
        "Szpiegostwo w Elbchip: akt oskarżenia",
        "Prokuratura w Dreźnie oskarżyła byłego inżyniera firmy Elbchip o szpiegostwo: \
         według aktu oskarżenia przekazał receptury oficerowi SVR, który zapłacił mu 60,000 euro \
         w ciągu dwóch lat.",
        3,
    ),
];

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <link>http://news.test/</link><description>d</description>{items}</channel></rss>"
    )
}

/// Every feed as it stands after `poll`: the tellings published by then,
/// dated today (a restarted service rebuilds its story window from the
/// hits published lately).
fn publish(server: &FeedServer, poll: usize) {
    let today = chrono::Utc::now().to_rfc2822();
    for (feed, guid, link, title, text, at) in TELLINGS {
        let item = if at <= poll {
            format!(
                "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>\
                 <pubDate>{today}</pubDate><description>{text}</description></item>"
            )
        } else {
            String::new()
        };
        server.serve(&format!("/{feed}.xml"), Route::feed(rss(&item)));
    }
}

fn config(server: &FeedServer, poll: &str) -> TestConfig {
    let feeds: Vec<(&str, String)> = TELLINGS
        .iter()
        .map(|t| (t.0, server.url(&format!("/{}.xml", t.0))))
        .collect();
    TestConfig::new(&feeds, poll)
}

fn webhook(name: &str, r: &Receiver, story: &str) -> String {
    format!(
        "[[alert]]\nname = {name:?}\nkind = \"webhook\"\nurl = {:?}\nstory = {story:?}\n\
         retry_min = \"50ms\"\nretry_max = \"400ms\"\ntimeout = \"3s\"\n",
        r.url("/hook")
    )
}

/// What an `update` alert's receiver must have got for the whole story:
/// one `hit` (the wire's), then one `update` per later telling, each naming
/// the story and the first alert's delivery id, counting up; every delivery
/// once.
fn assert_one_alert_and_follow_ups(got: &[Received]) {
    let ids: HashSet<String> = got
        .iter()
        .map(|q| q.header("x-newshound-delivery").unwrap())
        .collect();
    assert_eq!(ids.len(), got.len(), "a delivery came twice");
    let bodies: Vec<Value> = got.iter().map(Received::json).collect();
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["hit", "update", "update", "update", "update"],
        "{bodies:#?}"
    );
    let first = &bodies[0];
    assert_eq!(first["hit"]["title"], "Engineer charged with espionage");
    let story = first["hit"]["story"].as_str().unwrap();
    assert_eq!(story, first["hit"]["id"].as_str().unwrap());
    for (n, b) in bodies[1..].iter().enumerate() {
        assert_eq!(b["story"]["id"], story, "{b:#}");
        assert_eq!(b["hit"]["story"], story);
        assert_eq!(b["story"]["first_delivery_id"], first["delivery_id"]);
        assert_eq!(b["story"]["items"], n + 2, "{b:#}");
    }
    let last = &bodies[4]["story"];
    assert_eq!(last["sources"].as_array().unwrap().len(), 5, "{last:#}");
    assert_eq!(last["languages"], serde_json::json!(["en", "pl"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_story_in_five_feeds_over_three_runs_is_one_alert_or_one_alert_and_its_follow_ups() {
    let server = FeedServer::start().await;
    let first = Receiver::start().await;
    let update = Receiver::start().await;
    let cfg = config(&server, "");
    cfg.append(&webhook("first", &first, "first"));
    cfg.append(&webhook("update", &update, "update"));
    for poll in 1..=3 {
        publish(&server, poll);
        let out = newshound_async(&cfg.path(), &["run", "--once"]).await;
        assert!(out.status.success(), "poll {poll}: {}", stderr(&out));
    }
    let out = newshound_async(
        &cfg.path(),
        &["hits", "list", "--stories", "--format", "json"],
    )
    .await;
    let stories: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stories.as_array().unwrap().len(), 1, "{stories:#}");
    assert_eq!(stories[0]["hits"], 5);

    let got = first.accepted();
    assert_eq!(got.len(), 1, "story = \"first\": one alert");
    assert_eq!(got[0].json()["event"], "hit");
    assert_one_alert_and_follow_ups(&update.accepted());
    assert_eq!(update.received().len(), 5, "nothing was retried");
}

fn start(config: &Path) -> Child {
    common::process::start_service(config, &[], false)
}

fn sigkill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

async fn hits(cfg: &TestConfig) -> Vec<Value> {
    let out = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    if !out.status.success() {
        // The service is starting and its socket is not up yet.
        return Vec::new();
    }
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

/// Waits until the running service has stored `n` hits and `done` holds of them.
async fn wait_hits(cfg: &TestConfig, n: usize, what: &str, done: impl Fn(&[Value]) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let h = hits(cfg).await;
        if h.len() == n && done(&h) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting until {what}: {h:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_sent(h: &[Value]) -> bool {
    h.iter().all(|x| x["alert_status"] == "sent")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_between_polls_loses_and_repeats_no_follow_up() {
    let server = FeedServer::start().await;
    let r = Receiver::start().await;
    let cfg = config(&server, "interval = \"1s\"");
    cfg.append(&webhook("update", &r, "update"));

    // Poll 1: the wire's alert goes out.
    publish(&server, 1);
    let child = start(&cfg.path());
    r.wait_accepted(1, WAIT).await;
    wait_hits(&cfg, 1, "the first alert is settled", all_sent).await;

    // Poll 2, with the receiver down: the follow-ups wait in the outbox
    // when the service is killed.
    r.set_default(Reply::status(503));
    publish(&server, 2);
    wait_hits(&cfg, 3, "poll 2's hits are stored", |h| {
        h.iter().filter(|x| x["alert_status"] == "pending").count() == 2
    })
    .await;
    let deadline = Instant::now() + WAIT;
    while !r.received().iter().any(|q| q.status == 503) {
        assert!(Instant::now() < deadline, "no follow-up was tried");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    sigkill(child);

    // Restarted with the receiver up: the waiting follow-ups go out.
    r.set_default(Reply::ok("ok"));
    let child = start(&cfg.path());
    r.wait_accepted(3, WAIT).await;
    wait_hits(&cfg, 3, "the follow-ups are settled", all_sent).await;
    sigkill(child);

    // Poll 3 after another kill and restart.
    publish(&server, 3);
    let mut child = start(&cfg.path());
    r.wait_accepted(5, WAIT).await;
    wait_hits(&cfg, 5, "poll 3's follow-ups are settled", all_sent).await;
    // Give a repeat, were there one, the time to arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");

    assert_one_alert_and_follow_ups(&r.accepted());
}
