//! Alert delivery through the real parts: a loopback feed server, the real
//! store in a temp dir, the dispatcher, and loopback chat receivers that
//! fail on purpose.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::receiver::{Receiver, Reply};
use common::{FeedServer, Route, TestConfig, WAIT};
use newshound::AlertStatus;
use newshound::store::{OutboxSelection, OutboxState, Store};

/// A feed of `n` items that the tests' topic pack matches, each with a
/// hostile title. Each tells an event of its own (different words, places
/// and numbers), so that story grouping leaves every hit its own alert.
fn espionage_feed(n: usize, tag: &str) -> String {
    const EVENTS: [&str; 8] = [
        "Investigators describe spying on a chip lab in Dresden run by Elbchip since 2019.",
        "A ministry in Oslo found espionage tools on 140 laptops of its trade department.",
        "Prosecutors in Lyon say a Vantor engineer sold turbine drawings to a foreign agency.",
        "Police in Gdynia arrested two men spying on the Baltport crane software for money.",
        "An audit at Kestrel Motors traced stolen battery research to a server in Minsk.",
        "Customs officers in Antwerp seized modems hiding a second radio, with 730 units sold.",
        "The Tallinn court heard how a Nordwave contractor copied radar specifications.",
        "A satellite maker in Bremen said intruders read its launch plans for eleven weeks.",
    ];
    let mut items = String::new();
    for i in 0..n {
        // Feeds of other tags start elsewhere in the list, so that a later
        // feed's first item is not a copy of an earlier feed's first item.
        let offset: usize = tag.bytes().map(usize::from).sum();
        let event = EVENTS[(offset + i) % EVENTS.len()];
        items.push_str(&format!(
            "<item><title>@everyone &lt;!channel&gt; **{tag} {i}** espionage &lt;b&gt;case&lt;/b&gt;</title>\
             <link>http://wire.test/{tag}/{i}</link><guid>{tag}-{i}</guid>\
             <description>{event}</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <link>http://wire.test/</link><description>d</description>{items}</channel></rss>"
    )
}

/// A configuration with one feed of `n` matching items and the given alerts.
async fn setup(n: usize, alerts: &str) -> (FeedServer, TestConfig) {
    setup_polling(n, alerts, "").await
}

async fn setup_polling(n: usize, alerts: &str, poll: &str) -> (FeedServer, TestConfig) {
    let server = FeedServer::start().await;
    server.serve("/feed.xml", Route::feed(espionage_feed(n, "story")));
    let cfg = TestConfig::new(&[("Loopback", server.url("/feed.xml"))], poll);
    cfg.append(alerts);
    (server, cfg)
}

fn webhook(name: &str, url: &str, extra: &str) -> String {
    format!(
        "[[alert]]\nname = {name:?}\nkind = \"webhook\"\nurl = {url:?}\n\
         retry_min = \"50ms\"\nretry_max = \"400ms\"\ntimeout = \"3s\"\n{extra}\n"
    )
}

/// Delivery ids of the requests a receiver accepted, with how often each came.
fn delivery_counts(r: &Receiver) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for req in r.accepted() {
        let id = req
            .header("x-newshound-delivery")
            .expect("delivery id header");
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

fn open_store(cfg: &TestConfig) -> Store {
    let path = cfg.dir.path().join("store");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        // sled's flusher may hold the lock for a moment after the service is dropped.
        match Store::open(&path, 8 << 20) {
            Ok(s) => return s,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_then_success_deliver_every_alert_exactly_once() {
    let r = Receiver::start().await;
    r.script([
        Reply::status(500),
        Reply::status(500),
        Reply::status(500),
        Reply::status(429).header("retry-after", "1"),
    ]);
    let (_server, cfg) = setup(3, &webhook("hook", &r.url("/hook"), "")).await;
    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!(summary.new_hits, 3);

    let started = std::time::Instant::now();
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (3, 0, 0),
        "{report:?}"
    );
    // Retry-After: 1 was obeyed before the next attempt.
    assert!(started.elapsed() >= Duration::from_secs(1));

    let counts = delivery_counts(&r);
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    assert_eq!(r.received().len(), 3 + 4, "4 failed attempts, 3 deliveries");
    // While the service failed, the other alerts waited instead of piling on.
    let statuses: Vec<u16> = r.received().iter().map(|q| q.status).collect();
    assert_eq!(statuses, [500, 500, 500, 429, 200, 200, 200]);

    // Delivered alerts leave the outbox, and the hits say so.
    drop(service);
    let store = open_store(&cfg);
    assert!(store.outbox().unwrap().is_empty());
    let hits = store
        .query_hits(&newshound::store::HitQuery::default())
        .unwrap();
    assert!(
        hits.iter().all(|h| h.alert_status == AlertStatus::Sent),
        "{hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_that_is_down_at_first_gets_everything_when_it_comes_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = port.local_addr().unwrap();
    drop(port);
    let url = format!("http://{addr}/hook");
    let (_server, cfg) = setup(2, &webhook("hook", &url, "")).await;
    let service = cfg.service();
    service.run_once().await;

    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        Receiver::start_on(addr).await
    });
    let report = service.deliver_pending(WAIT).await;
    let r = late.await.unwrap();
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (2, 0, 0),
        "{report:?}"
    );
    let counts = delivery_counts(&r);
    assert_eq!(counts.len(), 2);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_is_dead_after_one_try_and_retry_brings_it_back() {
    let r = Receiver::start().await;
    r.script([Reply::status(400).body("bad payload")]);
    let (_server, cfg) = setup(1, &webhook("hook", &r.url("/hook"), "")).await;
    let service = cfg.service();
    service.run_once().await;
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(r.received().len(), 1, "a 400 is not retried");
    drop(service);

    let store = open_store(&cfg);
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, OutboxState::Dead);
    assert_eq!(outbox[0].attempts, 1);
    assert!(
        outbox[0].last_error.as_deref().unwrap().contains("400"),
        "{outbox:?}"
    );
    let hits = store
        .query_hits(&newshound::store::HitQuery::default())
        .unwrap();
    assert_eq!(hits[0].alert_status, AlertStatus::Dead);

    assert_eq!(
        store
            .retry_outbox(&OutboxSelection::AllDead, chrono::Utc::now())
            .unwrap(),
        1
    );
    drop(store);
    let service = cfg.service();
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (1, 0, 0),
        "{report:?}"
    );
    assert_eq!(r.accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_attempts_make_an_entry_dead() {
    let r = Receiver::start().await;
    r.set_default(Reply::status(503));
    let (_server, cfg) = setup(1, &webhook("hook", &r.url("/hook"), "max_attempts = 3")).await;
    let service = cfg.service();
    service.run_once().await;
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(r.received().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_folds_a_burst_into_one_digest() {
    let r = Receiver::start().await;
    let (server, cfg) = setup(6, &webhook("hook", &r.url("/hook"), "rate_limit = 2")).await;
    let service = cfg.service();
    service.run_once().await;
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(report.sent, 6, "{report:?}");
    let got = r.accepted();
    assert_eq!(got.len(), 1, "six hits over a limit of two: one digest");
    let body = got[0].json();
    assert_eq!(body["event"], "digest");
    assert_eq!(body["hits"].as_array().unwrap().len(), 6);

    // The next hit alone goes out as itself.
    server.serve("/feed.xml", Route::feed(espionage_feed(1, "later")));
    service.run_once().await;
    service.deliver_pending(WAIT).await;
    let got = r.accepted();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["event"], "hit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_sink_does_not_delay_a_fast_one() {
    let slow = Receiver::start().await;
    slow.set_default(Reply::ok("ok").delay(Duration::from_secs(2)));
    let fast = Receiver::start().await;
    let alerts = format!(
        "{}{}",
        webhook("slow", &slow.url("/hook"), ""),
        webhook("fast", &fast.url("/hook"), "")
    );
    let (_server, cfg) = setup(3, &alerts).await;
    let service = std::sync::Arc::new(cfg.service());
    service.run_once().await;
    let drain = {
        let service = service.clone();
        tokio::spawn(async move { service.deliver_pending(WAIT).await })
    };
    fast.wait_accepted(3, Duration::from_secs(3)).await;
    assert!(
        slow.accepted().len() <= 1,
        "the fast sink finished while the slow one was on its first or second message"
    );
    let report = drain.await.unwrap();
    assert_eq!(report.sent, 6, "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_pick_the_alerts_a_hit_goes_to() {
    let r = Receiver::start().await;
    let alerts = format!(
        "{}{}{}",
        webhook("all", &r.url("/all"), ""),
        webhook("polish", &r.url("/pl"), "languages = [\"pl\"]"),
        webhook("high", &r.url("/high"), "min_score = 100.0"),
    );
    let (_server, cfg) = setup(2, &alerts).await;
    let service = cfg.service();
    service.run_once().await;
    service.deliver_pending(WAIT).await;
    let paths: Vec<String> = r.accepted().iter().map(|q| q.path.clone()).collect();
    assert_eq!(paths, ["/all", "/all"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_loop_delivers_alerts_as_hits_arrive() {
    let r = Receiver::start().await;
    // A short interval: the first polls are spread over one interval.
    let (_server, cfg) = setup_polling(
        2,
        &webhook("hook", &r.url("/hook"), ""),
        "interval = \"1s\"",
    )
    .await;
    let service = cfg.service();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));
    r.wait_accepted(2, WAIT).await;
    stop.send(()).unwrap();
    tokio::time::timeout(WAIT, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(delivery_counts(&r).len(), 2);
}
