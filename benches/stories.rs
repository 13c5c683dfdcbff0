//! Cost of the story window: how long one new hit takes to find its story
//! with N hits in the window, and how much memory the window holds.
//!
//! The hits are synthetic: texts of ~90 words drawn from a vocabulary of
//! common words, with five names each drawn from 20,000 (so that names
//! recur across hits as they do in news) and a number. Figures are
//! recorded in docs/stories.md; run with `cargo bench --bench stories`.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use newshound::story::group::{GroupSettings, Grouper, StoryItem};

const WORDS: &[&str] = &[
    "the",
    "said",
    "on",
    "in",
    "of",
    "a",
    "to",
    "and",
    "that",
    "its",
    "with",
    "network",
    "investigators",
    "company",
    "officials",
    "government",
    "hackers",
    "data",
    "systems",
    "months",
    "ministry",
    "state",
    "security",
    "report",
    "according",
    "agency",
    "after",
    "access",
    "engineer",
    "files",
    "charged",
    "court",
    "foreign",
    "intelligence",
    "service",
    "attack",
    "campaign",
    "targets",
    "defence",
    "technology",
    "chip",
    "designs",
    "police",
];

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .filter_map(|a| a.parse().ok())
        .collect::<Vec<_>>();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!(
        "| hits in the window | build (s) | RSS added (MiB) | per 10,000 hits (MiB) | one hit, median (µs) | one hit, p99 (µs) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        measure(n);
    }
}

fn measure(n: usize) {
    let mut rng = fastrand::Rng::with_seed(7);
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let texts: Vec<(String, String)> = (0..n + 1000).map(|_| text(&mut rng)).collect();
    let ids: Vec<String> = (0..n + 1000).map(|i| format!("{i:016x}")).collect();
    let before = rss_kib();
    let built = Instant::now();
    // Every hit within the window: 100,000 hits over 72 hours is ~23 a minute.
    let mut grouper = Grouper::new(GroupSettings::default());
    let step = Duration::hours(70).num_milliseconds() / (n as i64 + 1000);
    let item = |i: usize| StoryItem {
        id: &ids[i],
        language: "en",
        at: start + Duration::milliseconds(step * i as i64),
        title: &texts[i].0,
        text: &texts[i].1,
        topic_terms: &[],
    };
    for i in 0..n {
        grouper.assign(&item(i));
    }
    let build = built.elapsed().as_secs_f64();
    let added = rss_kib().saturating_sub(before) as f64 / 1024.0;
    let mut times = Vec::with_capacity(1000);
    for i in n..n + 1000 {
        let hit = item(i);
        let t = Instant::now();
        std::hint::black_box(grouper.assign(&hit));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "| {n} | {build:.1} | {added:.0} | {:.1} | {:.0} | {:.0} |",
        added / (n as f64 / 10_000.0),
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

fn text(rng: &mut fastrand::Rng) -> (String, String) {
    let name = |rng: &mut fastrand::Rng| {
        let k = rng.usize(0..20_000);
        format!("Name{}x{}", (b'A' + (k % 26) as u8) as char, k)
    };
    let title = format!(
        "{} {} {}",
        name(rng),
        WORDS[rng.usize(0..WORDS.len())],
        name(rng)
    );
    let mut body = String::new();
    for w in 0..90 {
        if w % 18 == 5 {
            body.push_str(&name(rng));
        } else if w == 40 {
            body.push_str(&rng.u32(100..100_000).to_string());
        } else {
            body.push_str(WORDS[rng.usize(0..WORDS.len())]);
        }
        body.push(if w % 15 == 14 { '.' } else { ' ' });
    }
    (title, body)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
