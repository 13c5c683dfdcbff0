//! Every document of the shared feed corpus through `parse_feed`: none may
//! panic or hang; errors are allowed (the corpus holds broken documents on
//! purpose) and counted per directory.
//!
//! The corpus lives outside the repository, so the test is ignored by default:
//!
//! ```text
//! cargo test --release --test corpus -- --ignored --nocapture
//! ```
//!
//! It reads `$NEWSHOUND_CORPUS`, else `$CARGO_MANIFEST_DIR/../shared/corpus`,
//! and skips (passing) when neither exists. `NEWSHOUND_CORPUS_VERBOSE=1` also
//! prints every error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use newshound::Item;
use newshound::parse::{FeedSource, SUMMARY_CHARS, html, parse_feed};

/// Far above any honest parse (milliseconds): only a loop gets here.
const WATCHDOG: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Tally {
    parsed: usize,
    errors: usize,
    items: usize,
}

#[test]
#[ignore = "needs the shared corpus outside the repository"]
fn every_corpus_document_parses_or_fails_cleanly() {
    let root = std::env::var_os("NEWSHOUND_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if !root.is_dir() {
        println!("corpus: {} not found, skipping", root.display());
        return;
    }
    let verbose = std::env::var_os("NEWSHOUND_CORPUS_VERBOSE").is_some();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap_or(path);
        let dir = relative
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let name = relative.display().to_string();
        let tally = tallies.entry(dir).or_default();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                failures.push(format!("{name}: unreadable: {e}"));
                continue;
            }
        };
        match run_with_watchdog(&name, bytes) {
            Outcome::Parsed(items) => {
                tally.parsed += 1;
                tally.items += items.len();
                failures.extend(check_invariants(&name, &items));
            }
            Outcome::Error(message) => {
                tally.errors += 1;
                if verbose {
                    println!("  {name}: {message}");
                }
            }
            Outcome::Panicked(message) => failures.push(format!("{name}: panicked: {message}")),
            Outcome::Hung => failures.push(format!("{name}: still parsing after {WATCHDOG:?}")),
        }
    }

    println!("corpus: {} ({} files)", root.display(), files.len());
    println!(
        "{:<40} {:>7} {:>7} {:>7}",
        "directory", "parsed", "errors", "items"
    );
    let mut total = Tally::default();
    let mut top: BTreeMap<&str, Tally> = BTreeMap::new();
    for (dir, tally) in &tallies {
        println!(
            "{dir:<40} {:>7} {:>7} {:>7}",
            tally.parsed, tally.errors, tally.items
        );
        let first = dir.split('/').next().unwrap_or(dir);
        for sum in [&mut total, top.entry(first).or_default()] {
            sum.parsed += tally.parsed;
            sum.errors += tally.errors;
            sum.items += tally.items;
        }
    }
    for (dir, tally) in &top {
        println!(
            "{:<40} {:>7} {:>7} {:>7}",
            format!("{dir} (all)"),
            tally.parsed,
            tally.errors,
            tally.items
        );
    }
    println!(
        "{:<40} {:>7} {:>7} {:>7}",
        "total", total.parsed, total.errors, total.items
    );

    assert!(
        failures.is_empty(),
        "{} document(s) broke the parser's invariants:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

enum Outcome {
    Parsed(Vec<Item>),
    Error(String),
    Panicked(String),
    Hung,
}

/// Parses on a thread of its own so that a loop shows up as a timeout rather
/// than a test that never ends. (A hung thread cannot be killed; it is
/// abandoned and the test fails at the end.)
fn run_with_watchdog(name: &str, bytes: Vec<u8>) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let url = format!("http://corpus.test/{name}");
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                let content_type = declared_content_type(&bytes);
                let source = FeedSource {
                    name: "corpus",
                    url: &url,
                    content_type: content_type.as_deref(),
                    language: None,
                    fetched: Utc
                        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
                        .single()
                        .unwrap_or_default(),
                };
                // The HTML scanner sees raw documents too: more shapes of
                // broken markup than any summary will hold.
                let _ = html::to_text(&String::from_utf8_lossy(&bytes));
                parse_feed(&bytes, &source)
            });
            let _ = tx.send(match outcome {
                Ok(Ok(items)) => Outcome::Parsed(items),
                Ok(Err(e)) => Outcome::Error(e.to_string()),
                Err(panic) => Outcome::Panicked(
                    panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default(),
                ),
            });
        });
    if let Err(e) = spawned {
        return Outcome::Panicked(format!("could not start a thread: {e}"));
    }
    rx.recv_timeout(WATCHDOG).unwrap_or(Outcome::Hung)
}

/// feedparser's test documents state the HTTP headers they were served with
/// in a leading comment (`Header: Content-type: text/xml; charset=...`);
/// honouring it exercises the charset precedence the way a fetch would.
fn declared_content_type(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(bytes.get(..bytes.len().min(1024))?);
    head.lines().find_map(|line| {
        let header = line.trim().strip_prefix("Header:")?;
        let (name, value) = header.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_owned())
    })
}

/// What every item must look like, whatever the document.
fn check_invariants(name: &str, items: &[Item]) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let mut fail = |what: &str| problems.push(format!("{name}: item {n}: {what}"));
        if item.id.len() != 16 || !item.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            fail("id is not 16 hex digits");
        }
        for (field, text) in [
            ("title", &item.title),
            ("summary", &item.summary),
            ("content", &item.content),
        ] {
            if text.trim() != text.as_str() || text.contains("  ") {
                fail(&format!("{field} has untrimmed or doubled spaces"));
            }
        }
        if item.summary.chars().count() > SUMMARY_CHARS + 1 {
            fail("summary longer than the limit");
        }
        if item
            .declared_language
            .as_ref()
            .is_some_and(|l| l.len() != 2)
        {
            fail("declared language is not a 2-letter code");
        }
    }
    problems
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.file_name().is_some_and(|n| n != "LICENSE") {
            out.push(path);
        }
    }
}
