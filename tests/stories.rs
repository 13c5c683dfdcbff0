//! Stories through the real parts: loopback feeds that carry one article
//! several times, the real store in a temp dir, and a loopback webhook
//! receiver that counts the alerts.

mod common;

use std::time::Duration;

use common::receiver::Receiver;
use common::{FeedServer, Route, TestConfig, WAIT};
use newshound::store::HitQuery;

fn item(guid: &str, link: &str, title: &str, text: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>\
         <pubDate>Mon, 02 Nov 2026 09:15:00 GMT</pubDate><description>{text}</description></item>"
    )
}

fn rss(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\
         <link>http://news.test/</link><description>d</description>{}</channel></rss>",
        items.concat()
    )
}

const TITLE: &str = "Chip designer says state hackers ran an espionage campaign against its lab";
const TEXT: &str = "The company said intruders working for a foreign government copied \
    lithography recipes over several months, in what investigators call industrial espionage.";

#[tokio::test(flavor = "multi_thread")]
async fn one_article_under_several_guids_and_links_is_stored_and_alerted_once() {
    let server = FeedServer::start().await;
    // The outlet's own feed: the article, then the same entry re-published
    // under a new GUID with other tracking parameters, and a second story.
    server.serve(
        "/outlet.xml",
        Route::feed(rss(&[
            item(
                "o-1",
                "http://news.test/2026/spy-lab?utm_source=rss",
                TITLE,
                TEXT,
            ),
            item(
                "o-1-republished",
                "https://www.news.test/2026/spy-lab?utm_source=rss&amp;utm_medium=feed",
                TITLE,
                TEXT,
            ),
            item(
                "o-2",
                "http://news.test/2026/engineers",
                "Two engineers charged with economic espionage for a foreign ministry",
                "Prosecutors say the pair copied source code for a state laboratory.",
            ),
        ])),
    );
    // An aggregator linking the article's AMP edition with a click id, in its
    // own words: a different feed and text, the same article.
    server.serve(
        "/aggregator.xml",
        Route::feed(rss(&[item(
            "agg-77",
            "https://amp.news.test/2026/spy-lab/amp/?fbclid=IwAR0x",
            "Espionage campaign hit a chip lab, designer says",
            "Hackers working for a state spent months in the lab's network.",
        )])),
    );
    let receiver = Receiver::start().await;
    let cfg = TestConfig::new(
        &[
            ("Outlet", server.url("/outlet.xml")),
            ("Aggregator", server.url("/aggregator.xml")),
        ],
        "",
    );
    cfg.append(&format!(
        "[[alert]]\nname = \"hook\"\nkind = \"webhook\"\nurl = {:?}\n\
         retry_min = \"50ms\"\nretry_max = \"400ms\"\ntimeout = \"3s\"\n",
        receiver.url("/hook")
    ));

    let service = cfg.service();
    let summary = service.run_once().await;
    assert_eq!(
        (summary.new_items, summary.new_hits, summary.duplicates),
        (4, 2, 2),
        "{summary}"
    );
    assert!(summary.to_string().contains("2 duplicates"), "{summary}");
    let hits = service.ctx.store.query_hits(&HitQuery::default()).unwrap();
    let mut stored: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.feed.as_str(), h.entry_id.as_str()))
        .collect();
    stored.sort();
    // The first copy (in document order, feeds polled concurrently: either
    // feed's) holds the article; exactly one of the three is stored.
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.contains(&("Outlet", "o-2")), "{stored:?}");
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (2, 0, 0),
        "{report:?}"
    );
    assert_eq!(receiver.accepted().len(), 2);

    // Restarted (the keys are in the store, not in memory), the outlet
    // re-publishes the article once more under yet another GUID.
    drop(service);
    server.serve(
        "/outlet.xml",
        Route::feed(rss(&[item(
            "o-1-again",
            "http://m.news.test/2026/spy-lab#top",
            "Update: chip designer names the state it blames",
            TEXT,
        )])),
    );
    let service = reopen(&cfg).await;
    let summary = service.run_once().await;
    assert_eq!(
        (summary.new_items, summary.new_hits, summary.duplicates),
        (1, 0, 1),
        "{summary}"
    );
    let report = service.deliver_pending(Duration::from_millis(300)).await;
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(receiver.accepted().len(), 2, "no alert for a copy");

    // The copy is marked seen: the next poll does not weigh it again.
    let summary = service.run_once().await;
    assert_eq!((summary.new_items, summary.duplicates), (0, 0), "{summary}");
}

/// The service once the previous one has let go of the store (sled's
/// flusher may hold its lock a moment after the drop).
async fn reopen(cfg: &TestConfig) -> newshound::daemon::Service {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let config = newshound::config::Config::load(&cfg.path()).unwrap_or_else(|d| panic!("{d}"));
        match newshound::daemon::Service::new(config) {
            Ok(s) => return s,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}
