//! `newshound classify`: the service's detector and matcher on a text, on
//! every entry of a feed file, or on a batch of JSON lines.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::Args;
use serde::{Deserialize, Serialize};

use super::{CmdResult, Failure, load_config_for_reading};
use crate::classify::Classifier;
use crate::lang::LanguageDetector;
use crate::model::{Classification, TopicResult};
use crate::parse::{FeedSource, parse_feed};

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A text file to classify, or `-` for standard input (the default when
    /// there is no --title either)
    #[arg(value_name = "FILE", conflicts_with_all = ["feed", "batch"])]
    input: Option<PathBuf>,
    /// The title of the text (titles weigh more than bodies)
    #[arg(long, conflicts_with_all = ["feed", "batch"])]
    title: Option<String>,
    /// Classify every entry of a feed file (RSS, Atom, JSON Feed); prints one line per entry
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    feed: Option<PathBuf>,
    /// Read JSON lines {"id", "title", "text"} on standard input, write one result line per input
    #[arg(long)]
    batch: bool,
    /// Print JSON instead of an explanation for people
    #[arg(long)]
    json: bool,
}

pub fn classify(config_path: &Path, args: ClassifyArgs) -> CmdResult {
    let config = load_config_for_reading(config_path)?;
    let detector = LanguageDetector::new(&config.settings.languages).map_err(Failure::input)?;
    let classifier = Classifier::new(detector, config.topics.matcher);
    if args.batch {
        return batch(&classifier);
    }
    if let Some(feed) = &args.feed {
        return feed_file(&classifier, feed, args.json);
    }
    let body = match (&args.input, &args.title) {
        (Some(p), _) if p.as_os_str() == "-" => read_stdin()?,
        (Some(p), _) => std::fs::read_to_string(p)
            .map_err(|e| Failure::input(anyhow::anyhow!("cannot read {}: {e}", p.display())))?,
        (None, Some(_)) => String::new(),
        (None, None) => read_stdin()?,
    };
    let title = args.title.unwrap_or_default();
    let class = classifier.classify(&title, &body, None);
    if args.json {
        super::output::print_json(&class)
    } else {
        super::output::out(&render(&class))
    }
}

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::input(anyhow::anyhow!("cannot read standard input: {e}")))?;
    Ok(text)
}

#[derive(Serialize)]
struct FeedEntryResult<'a> {
    id: &'a str,
    entry_id: &'a str,
    title: &'a str,
    url: Option<&'a str>,
    #[serde(flatten)]
    class: &'a Classification,
}

fn feed_file(classifier: &Classifier, path: &Path, json: bool) -> CmdResult {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::input(anyhow::anyhow!("cannot read {}: {e}", path.display())))?;
    let url = std::path::absolute(path)
        .ok()
        .and_then(|p| url::Url::from_file_path(p).ok())
        .map_or_else(|| path.display().to_string(), String::from);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = FeedSource {
        name: &name,
        url: &url,
        content_type: None,
        language: None,
        fetched: Utc::now(),
    };
    let items = parse_feed(&bytes, &source)
        .map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", path.display())))?;
    let mut out = std::io::stdout().lock();
    for item in &items {
        let class = classifier.classify_item(item);
        let line = if json {
            serde_json::to_string(&FeedEntryResult {
                id: &item.id,
                entry_id: &item.entry_id,
                title: &item.title,
                url: item.url.as_deref(),
                class: &class,
            })
            .map_err(Failure::runtime)?
        } else {
            let best = class.topics.iter().map(|t| t.score).fold(0.0, f64::max);
            format!(
                "{} {} {:>5.1} {}",
                if class.matched { "MATCH" } else { "-    " },
                super::output::fit(&class.language, 2),
                best,
                item.title
            )
        };
        writeln!(out, "{line}").map_err(Failure::runtime)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct BatchInput {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[derive(Serialize)]
struct BatchOutput<'a> {
    id: &'a serde_json::Value,
    #[serde(flatten)]
    class: &'a Classification,
}

/// One output line per input line, in order, so results pair with inputs
/// even when a line is broken (it gets an `error` line).
fn batch(classifier: &Classifier) -> CmdResult {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad = 0usize;
    for (n, line) in stdin.lines().enumerate() {
        let line = line
            .map_err(|e| Failure::input(anyhow::anyhow!("standard input, line {}: {e}", n + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        let text = match serde_json::from_str::<BatchInput>(&line) {
            Ok(input) => {
                let class = classifier.classify(&input.title, &input.text, None);
                serde_json::to_string(&BatchOutput {
                    id: &input.id,
                    class: &class,
                })
            }
            Err(e) => {
                bad += 1;
                serde_json::to_string(&serde_json::json!({
                    "id": null,
                    "error": format!("line {}: {e}", n + 1),
                }))
            }
        }
        .map_err(Failure::runtime)?;
        writeln!(out, "{text}").map_err(Failure::runtime)?;
    }
    out.flush().map_err(Failure::runtime)?;
    if bad > 0 {
        return Err(Failure::input(anyhow::anyhow!(
            "{bad} input lines were not JSON objects with id, title and text"
        )));
    }
    Ok(())
}

/// The human explanation of a classification.
pub fn render(class: &Classification) -> String {
    let mut s = format!(
        "language: {} (confidence {:.2})\nmatched:  {}\n",
        class.language,
        class.language_confidence,
        if class.matched { "yes" } else { "no" }
    );
    s.push_str(&explain(&class.topics));
    s
}

/// Each topic's verdict with the terms that fired: shared by `classify` and `hits show`.
pub fn explain(topics: &[TopicResult]) -> String {
    let mut s = String::new();
    for t in topics {
        s.push_str(&format!(
            "\ntopic {}: {} (score {:.1}, threshold {:.1})\n",
            t.topic,
            if t.matched { "MATCH" } else { "no match" },
            t.score,
            t.threshold
        ));
        for r in &t.reasons {
            s.push_str(&format!("  - {r}\n"));
        }
        if !t.groups.is_empty() || !t.pairs.is_empty() {
            let mut parts: Vec<String> = t
                .groups
                .iter()
                .map(|g| {
                    format!(
                        "{} {:+.1}{}",
                        g.group,
                        g.points,
                        if g.capped { " (capped)" } else { "" }
                    )
                })
                .collect();
            parts.extend(t.pairs.iter().map(|p| {
                let how = p.words.map_or_else(
                    || "title and body".to_string(),
                    |w| format!("{w} words apart"),
                );
                format!(
                    "{}+{} {:+.1} (\"{}\" / \"{}\", {how})",
                    p.groups[0], p.groups[1], p.bonus, p.found[0], p.found[1]
                )
            }));
            s.push_str(&format!("  score: {}\n", parts.join(", ")));
        }
        for term in &t.terms {
            s.push_str(&format!(
                "  {:<10} {} → \"{}\" ×{}{} {:+.1}\n",
                term.group,
                term.term,
                term.found,
                term.count,
                if term.in_title { " (title)" } else { "" },
                term.points
            ));
            if !term.snippet.is_empty() {
                s.push_str(&format!("             {}\n", term.snippet));
            }
        }
    }
    s
}
