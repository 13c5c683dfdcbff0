//! Throughput of the per-item path: HTML → text, parse → normalise, detect +
//! match, and the whole chain over a 30-item feed. Figures are recorded in
//! docs/performance.md; run with `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::path::Path;

use chrono::Utc;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newshound::classify::Classifier;
use newshound::config::load_topics;
use newshound::lang::LanguageDetector;
use newshound::parse::{FeedSource, html, parse_feed};

const LANGS: [&str; 12] = [
    "en", "pl", "de", "fr", "es", "it", "nl", "cs", "ru", "uk", "zh", "ja",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An article of about 19 KB of HTML: paragraphs with links, entities,
/// a script and a style, as news sites send them.
fn article_html() -> String {
    let mut s = String::from("<style>p { color: red }</style><script>var tracking = 1;</script>");
    while s.len() < 19_000 {
        s.push_str(
            "<p>Investigators said the <a href=\"/x\">foreign intelligence</a> service had \
             recruited an engineer at the plant &mdash; one of several cases this year in which \
             design files for lithography equipment were copied &amp; sent abroad. \
             Prosecutors declined to comment on the company&rsquo;s role.</p>\n",
        );
    }
    s
}

/// A 30-item RSS feed with 2 KB bodies, in four languages.
fn feed_xml() -> String {
    let bodies = [
        "The company said intruders working for a foreign government copied chip designs over several months, a case of industrial espionage.",
        "Prokuratura twierdzi, że inżynier przekazywał obcemu wywiadowi plany zakładu; grozi mu dziesięć lat więzienia za szpiegostwo.",
        "Die Ermittler werfen dem Mann Wirtschaftsspionage vor: Er soll Konstruktionspläne an einen ausländischen Geheimdienst weitergegeben haben.",
        "Selon le parquet, l'ingénieur aurait transmis des plans à un service de renseignement étranger, une affaire d'espionnage industriel.",
    ];
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Bench</title><link>http://bench.test/</link><description>b</description>",
    );
    for i in 0..30 {
        let body = bodies[i % 4].repeat(14);
        s.push_str(&format!(
            "<item><title>Story {i}: {}</title><link>/s/{i}</link><guid>bench-{i}</guid>\
             <pubDate>Mon, 02 Nov 2026 09:15:00 GMT</pubDate><description><![CDATA[<p>{body}</p>]]></description></item>",
            bodies[i % 4].chars().take(40).collect::<String>()
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn classifier() -> Classifier {
    let langs: Vec<String> = LANGS.iter().map(|s| s.to_string()).collect();
    let topics =
        load_topics(&root().join("config/topics"), &langs).unwrap_or_else(|d| panic!("{d:?}"));
    Classifier::new(LanguageDetector::new(&langs).unwrap(), topics.matcher)
}

fn benches(c: &mut Criterion) {
    let article = article_html();
    let mut g = c.benchmark_group("html");
    g.throughput(Throughput::Bytes(article.len() as u64));
    g.bench_function("to_text_19KB", |b| {
        b.iter(|| html::to_text(black_box(&article)))
    });
    g.finish();

    let feed = feed_xml();
    let source = FeedSource {
        name: "bench",
        url: "http://bench.test/feed.xml",
        content_type: Some("application/rss+xml; charset=utf-8"),
        language: None,
        fetched: Utc::now(),
    };
    let items = parse_feed(feed.as_bytes(), &source).unwrap();
    assert_eq!(items.len(), 30);
    let classifier = classifier();

    let mut g = c.benchmark_group("item");
    g.throughput(Throughput::Elements(30));
    g.bench_function("parse_normalise_30", |b| {
        b.iter(|| parse_feed(black_box(feed.as_bytes()), &source).unwrap())
    });
    let detector =
        LanguageDetector::new(&LANGS.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    g.bench_function("detect_30", |b| {
        b.iter(|| {
            for item in &items {
                black_box(detector.detect(&item.content, None));
            }
        })
    });
    g.bench_function("detect_match_30", |b| {
        b.iter(|| {
            for item in &items {
                black_box(classifier.classify_item(item));
            }
        })
    });
    g.bench_function("whole_path_30", |b| {
        b.iter(|| {
            for item in parse_feed(black_box(feed.as_bytes()), &source).unwrap() {
                black_box(classifier.classify_item(&item));
            }
        })
    });
    g.finish();
}

/// Classification alone on ~3 KB news texts in the 12 default languages,
/// built from the labelled set (each text repeated to about 3,000 bytes):
/// detection + matching as `classify --batch` and `eval` run them, and the
/// service's path that skips detection for items no topic can match.
fn classification(c: &mut Criterion) {
    let dir = root().join("tests/fixtures/labelled");
    let mut texts: Vec<(String, String)> = Vec::new();
    for lang in LANGS {
        let body = std::fs::read_to_string(dir.join(format!("{lang}.jsonl"))).unwrap();
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let title = v["title"].as_str().unwrap_or_default().to_string();
            let one = v["text"].as_str().unwrap_or_default();
            let mut text = String::new();
            while text.len() < 3_000 {
                text.push_str(one);
                text.push(' ');
            }
            texts.push((title, text));
        }
    }
    let classifier = classifier();
    let mut g = c.benchmark_group("classify_3KB");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("detect_and_match", |b| {
        b.iter(|| {
            for (title, text) in &texts {
                black_box(classifier.classify(title, text, None));
            }
        })
    });
    g.finish();
}

criterion_group!(pipeline, benches, classification);
criterion_main!(pipeline);
