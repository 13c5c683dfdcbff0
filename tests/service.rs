//! The whole poll path against a real HTTP server on loopback: fetch with
//! validators, parse, classify, store, and the per-feed failure handling.

mod common;

use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{FeedServer, Route, Scripted, TestConfig, read_fixture};
use newshound::clock::ManualClock;
use newshound::pipeline::{PollStatus, poll_feed};
use newshound::store::HitQuery;

const LM: &str = "Mon, 02 Nov 2026 10:00:00 GMT";

fn all_hits(service: &newshound::daemon::Service) -> Vec<newshound::Hit> {
    service.ctx.store.query_hits(&HitQuery::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_poll_stores_hits_and_the_second_gets_304_and_adds_nothing() {
    let server = FeedServer::start().await;
    server.serve(
        "/wire.xml",
        Route::feed(read_fixture("feeds/wire-en.xml")).with_validators("\"v1\"", LM),
    );
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "");
    let service = cfg.service();

    let first = service.run_once().await;
    assert_eq!(
        (first.ok, first.failed, first.new_items, first.new_hits),
        (1, 0, 3, 2),
        "{first}"
    );
    let hits = all_hits(&service);
    let titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(hits.len(), 2, "{titles:?}");
    // Newest first; relative links resolved against the feed URL.
    assert!(hits[0].title.starts_with("Two engineers charged"));
    let chip = &hits[1];
    assert_eq!(chip.entry_id, "wire-1001");
    assert_eq!(
        chip.url.as_deref(),
        Some(server.url("/stories/chip-lab").as_str())
    );
    assert_eq!(chip.language, "en");
    assert_eq!(chip.feed, "Wire");
    assert!(chip.topics.iter().any(|t| t.topic == "watch" && t.matched));

    let second = service.run_once().await;
    assert_eq!(
        (
            second.ok,
            second.not_modified,
            second.new_items,
            second.new_hits
        ),
        (0, 1, 0, 0),
        "{second}"
    );
    let requests = server.requests("/wire.xml");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].if_none_match, None);
    assert_eq!(requests[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(requests[1].if_modified_since.as_deref(), Some(LM));
    assert_eq!(requests[1].status, 304);
    let ua = requests[0].user_agent.clone().unwrap_or_default();
    assert!(
        ua.starts_with(&format!("newshound/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    assert_eq!(all_hits(&service).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_feed_with_the_same_items_adds_no_duplicates() {
    let server = FeedServer::start().await;
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "");
    let service = cfg.service();
    assert_eq!(service.run_once().await.new_hits, 2);
    // No validators: the server sends the whole document again.
    let again = service.run_once().await;
    assert_eq!(
        (again.ok, again.new_items, again.new_hits),
        (1, 0, 0),
        "{again}"
    );
    assert_eq!(all_hits(&service).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_feed_backs_off_then_recovers() {
    let server = FeedServer::start().await;
    server.serve(
        "/flaky.xml",
        Route::feed(read_fixture("feeds/wire-en.xml"))
            .then(Scripted::status(500))
            .then(Scripted::status(502)),
    );
    let cfg = TestConfig::new(&[("Flaky", server.url("/flaky.xml"))], "");
    // Time stands still between polls, so the due times are exact.
    let t0 = Utc.with_ymd_and_hms(2026, 11, 3, 12, 0, 0).unwrap();
    let clock = ManualClock::new(t0);
    let service = cfg.service_with_clock(clock.clone());
    let feed = &service.feeds[0];
    let mut rng = fastrand::Rng::with_seed(3);
    let state = || service.ctx.store.feed_state(&feed.url).unwrap().unwrap();

    let r1 = poll_feed(&service.ctx, feed, &mut rng).await;
    assert_eq!(r1.status, PollStatus::Failed);
    assert!(
        r1.error.as_deref().unwrap().contains("HTTP 500"),
        "{:?}",
        r1.error
    );
    let s1 = state();
    assert_eq!((s1.error_count, s1.last_poll), (1, Some(t0)));
    assert_eq!(r1.next_due, s1.next_due);
    // First backoff: 30..60 s (half fixed, half jitter of one minute).
    let wait1 = (s1.next_due.unwrap() - t0).num_seconds();
    assert!((30..=60).contains(&wait1), "{wait1}");

    clock.set(s1.next_due.unwrap());
    let r2 = poll_feed(&service.ctx, feed, &mut rng).await;
    assert_eq!(r2.status, PollStatus::Failed);
    let s2 = state();
    assert_eq!(s2.error_count, 2);
    let wait2 = (s2.next_due.unwrap() - s1.next_due.unwrap()).num_seconds();
    assert!(
        (60..=120).contains(&wait2),
        "second backoff doubles: {wait2}"
    );

    clock.set(s2.next_due.unwrap());
    let r3 = poll_feed(&service.ctx, feed, &mut rng).await;
    assert_eq!(r3.status, PollStatus::Ok);
    assert_eq!(r3.new_hits.len(), 2);
    let s3 = state();
    assert_eq!(s3.error_count, 0, "a success resets the backoff");
    assert_eq!(s3.last_success, s2.next_due);
    assert_eq!(
        (s3.next_due.unwrap() - s2.next_due.unwrap()).num_seconds(),
        900,
        "back to the 15 min interval"
    );
    assert_eq!(
        s3.last_error.as_deref(),
        Some("HTTP 502"),
        "kept as history"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_date_counts_from_the_services_clock() {
    let server = FeedServer::start().await;
    server.serve(
        "/busy.xml",
        Route::feed(Vec::new()).then(
            Scripted::status(503).with_header("retry-after", "Tue, 03 Nov 2026 12:10:00 GMT"),
        ),
    );
    let cfg = TestConfig::new(&[("Busy", server.url("/busy.xml"))], "");
    let t0 = Utc.with_ymd_and_hms(2026, 11, 3, 12, 0, 0).unwrap();
    let service = cfg.service_with_clock(ManualClock::new(t0));
    let report = poll_feed(&service.ctx, &service.feeds[0], &mut fastrand::Rng::new()).await;
    assert_eq!(report.status, PollStatus::Failed);
    assert_eq!((report.next_due.unwrap() - t0).num_seconds(), 600);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured_for_that_feed_only() {
    let server = FeedServer::start().await;
    server.serve(
        "/busy.xml",
        Route::feed(read_fixture("feeds/wire-en.xml"))
            .then(Scripted::status(429).with_header("retry-after", "120"))
            .then(
                Scripted::status(503).with_header("retry-after", "Fri, 01 Jan 2100 00:00:00 GMT"),
            ),
    );
    server.serve("/calm.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    let cfg = TestConfig::new(
        &[
            ("Busy", server.url("/busy.xml")),
            ("Calm", server.url("/calm.xml")),
        ],
        "backoff_max = \"2h\"",
    );
    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!((summary.ok, summary.failed), (1, 1), "{summary}");

    let busy = service
        .ctx
        .store
        .feed_state(&server.url("/busy.xml"))
        .unwrap()
        .unwrap();
    let wait = (busy.next_due.unwrap() - busy.last_poll.unwrap()).num_seconds();
    assert_eq!(wait, 120, "Retry-After: 120");
    assert!(busy.last_error.unwrap().contains("429"));
    let calm = service
        .ctx
        .store
        .feed_state(&server.url("/calm.xml"))
        .unwrap()
        .unwrap();
    assert_eq!(calm.error_count, 0);

    // A far-future Retry-After date is bounded by backoff_max.
    let mut rng = fastrand::Rng::with_seed(1);
    poll_feed(&service.ctx, &service.feeds[0], &mut rng).await;
    let busy = service
        .ctx
        .store
        .feed_state(&server.url("/busy.xml"))
        .unwrap()
        .unwrap();
    let wait = (busy.next_due.unwrap() - busy.last_poll.unwrap()).num_seconds();
    assert_eq!(wait, 7200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_and_malformed_xml_fail_their_feed_alone() {
    let server = FeedServer::start().await;
    let mut big = read_fixture("feeds/wire-en.xml");
    big.extend(std::iter::repeat_n(b' ', 300 * 1024));
    server.serve("/big.xml", Route::feed(big.clone()));
    server.serve(
        "/big-chunked.xml",
        Route {
            chunked: true,
            ..Route::feed(big)
        },
    );
    server.serve(
        "/broken.xml",
        Route::feed(read_fixture("feeds/malformed.xml")),
    );
    server.serve("/good.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    let cfg = TestConfig::new(
        &[
            ("Big", server.url("/big.xml")),
            ("Chunked", server.url("/big-chunked.xml")),
            ("Broken", server.url("/broken.xml")),
            ("Good", server.url("/good.xml")),
        ],
        "max_body = \"256KiB\"",
    );
    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!(
        (summary.ok, summary.failed, summary.new_hits),
        (1, 3, 2),
        "{summary}"
    );

    let error = |path: &str| {
        service
            .ctx
            .store
            .feed_state(&server.url(path))
            .unwrap()
            .unwrap()
            .last_error
            .unwrap_or_default()
    };
    assert!(
        error("/big.xml").contains("262144-byte limit"),
        "{}",
        error("/big.xml")
    );
    assert!(
        error("/big-chunked.xml").contains("262144-byte limit"),
        "{}",
        error("/big-chunked.xml")
    );
    let broken = error("/broken.xml");
    assert!(!broken.is_empty());
    assert!(!broken.contains("panic"), "{broken}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_iso_8859_2_feed_decodes_to_correct_polish() {
    let server = FeedServer::start().await;
    let body = read_fixture("feeds/pl-latin2.xml");
    // The second copy links elsewhere: the same article twice would be one hit.
    // (A byte-wise replacement: the body is ISO-8859-2, not UTF-8.)
    let (from, to) = (b"wiadomosci.test/".as_slice(), b"gazeta.test/".as_slice());
    let mut elsewhere = Vec::with_capacity(body.len());
    let mut rest = body.as_slice();
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        elsewhere.extend_from_slice(&rest[..at]);
        elsewhere.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    elsewhere.extend_from_slice(rest);
    assert_ne!(body, elsewhere);
    // Once with the charset in Content-Type, once with only the XML declaration.
    server.serve(
        "/header.xml",
        Route {
            content_type: "application/rss+xml; charset=ISO-8859-2".into(),
            ..Route::feed(body.clone())
        },
    );
    server.serve(
        "/decl.xml",
        Route {
            content_type: "text/xml".into(),
            ..Route::feed(elsewhere)
        },
    );
    let cfg = TestConfig::new(
        &[
            ("Nagłówek", server.url("/header.xml")),
            ("Deklaracja", server.url("/decl.xml")),
        ],
        "",
    );
    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!((summary.ok, summary.new_hits), (2, 2), "{summary}");
    for hit in all_hits(&service) {
        assert_eq!(
            hit.title,
            "Służby specjalne zatrzymały inżyniera podejrzanego o szpiegostwo"
        );
        assert_eq!(hit.language, "pl");
        assert!(hit.summary.contains("półprzewodniki"), "{}", hit.summary);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gone_feed_is_disabled_with_a_warning_and_not_polled_again() {
    let server = FeedServer::start().await;
    server.serve(
        "/gone.xml",
        Route::feed(Vec::new()).then(Scripted::status(410)),
    );
    let cfg = TestConfig::new(&[("Gone", server.url("/gone.xml"))], "");
    let service = cfg.service();
    let first = service.run_once().await;
    assert_eq!(first.gone, 1, "{first}");
    let state = service
        .ctx
        .store
        .feed_state(&server.url("/gone.xml"))
        .unwrap()
        .unwrap();
    assert!(state.gone);
    let second = service.run_once().await;
    assert_eq!(second.polls(), 0, "{second}");
    assert_eq!(server.requests("/gone.xml").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_loop_polls_due_feeds_and_stops_on_shutdown() {
    let server = FeedServer::start().await;
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    // A one-second interval: the first poll falls within a second of start.
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "interval = \"1s\"");
    let service = cfg.service();
    let store = service.ctx.store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(service.run(async {
        stopped.await.ok();
    }));
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.requests("/wire.xml").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the loop did not poll twice"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(12), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(store.hit_count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_followed_up_to_the_limit() {
    let server = FeedServer::start().await;
    let mut looping = Route::feed(read_fixture("feeds/wire-en.xml"));
    for _ in 0..6 {
        looping = looping.then(Scripted::status(302).with_header("location", "/loop.xml"));
    }
    server.serve("/loop.xml", looping);
    let moved = Route::feed(read_fixture("feeds/wire-en.xml"))
        .then(Scripted::status(301).with_header("location", "/moved.xml"))
        .then(Scripted::status(302).with_header("location", "/moved.xml"));
    server.serve("/moved.xml", moved);
    let cfg = TestConfig::new(
        &[
            ("Loop", server.url("/loop.xml")),
            ("Moved", server.url("/moved.xml")),
        ],
        "",
    );
    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!(
        (summary.ok, summary.failed, summary.new_hits),
        (1, 1, 2),
        "{summary}"
    );
    let looped = service
        .ctx
        .store
        .feed_state(&server.url("/loop.xml"))
        .unwrap()
        .unwrap();
    assert!(looped.last_error.unwrap().contains("too many redirects"));
    assert_eq!(
        server.requests("/loop.xml").len(),
        6,
        "the first request and five redirects"
    );
}
