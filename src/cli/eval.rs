//! `newshound eval FILE.jsonl...`: precision and recall of the topic packs on
//! labelled texts, with every false positive and false negative explained.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{CmdResult, Failure, load_config_for_reading};
use crate::classify::Classifier;
use crate::eval::{Counts, LabelledText, Report, check_labels, evaluate};
use crate::lang::LanguageDetector;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// JSON lines {"id", "lang", "label": "espionage"|"other", "title", "text"};
    /// a directory stands for every *.jsonl file in it
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print the whole report as JSON
    #[arg(long)]
    json: bool,
    /// Exit 1 when a language's precision is below this (0.0 to 1.0)
    #[arg(long, value_name = "P")]
    min_precision: Option<f64>,
    /// Exit 1 when a language's recall is below this (0.0 to 1.0)
    #[arg(long, value_name = "R")]
    min_recall: Option<f64>,
    /// Apply --min-precision and --min-recall only to languages with at
    /// least this many texts (a language with two texts says little)
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_texts: usize,
    /// Also print every error with its full explanation
    #[arg(long)]
    details: bool,
    /// Exit 1 when the overall precision is below this (0.0 to 1.0)
    #[arg(long, value_name = "P")]
    min_overall_precision: Option<f64>,
    /// Exit 1 when the overall recall is below this (0.0 to 1.0)
    #[arg(long, value_name = "R")]
    min_overall_recall: Option<f64>,
}

pub fn eval(config_path: &Path, args: EvalArgs) -> CmdResult {
    let config = load_config_for_reading(config_path)?;
    let detector = LanguageDetector::new(&config.settings.languages).map_err(Failure::input)?;
    let classifier = Classifier::new(detector, config.topics.matcher);
    let texts = read_labelled(&args.files)?;
    let bad = check_labels(&texts);
    if !bad.is_empty() {
        return Err(Failure::input(anyhow::anyhow!("{}", bad.join("\n"))));
    }
    let report = evaluate(&classifier, &texts);
    if args.json {
        super::output::print_json(&report)?;
    } else {
        super::output::out(&render(&report, args.details))?;
    }
    let mut below: Vec<String> = report
        .by_language
        .iter()
        .filter(|(_, c)| c.texts >= args.min_texts)
        .filter_map(|(lang, c)| {
            let p = args.min_precision.is_some_and(|min| c.precision() < min);
            let r = args.min_recall.is_some_and(|min| c.recall() < min);
            (p || r).then(|| {
                format!(
                    "{lang}: precision {:.3}, recall {:.3}",
                    c.precision(),
                    c.recall()
                )
            })
        })
        .collect();
    let overall = &report.overall;
    if args
        .min_overall_precision
        .is_some_and(|min| overall.precision() < min)
        || args
            .min_overall_recall
            .is_some_and(|min| overall.recall() < min)
    {
        below.push(format!(
            "overall: precision {:.3}, recall {:.3}",
            overall.precision(),
            overall.recall()
        ));
    }
    if below.is_empty() {
        Ok(())
    } else {
        Err(Failure::input(anyhow::anyhow!(
            "below the required precision or recall:\n{}",
            below.join("\n")
        )))
    }
}

/// Reads every line of every file (directories: their `*.jsonl` files, in
/// name order). A broken line is an error naming the file and line.
pub fn read_labelled(paths: &[PathBuf]) -> Result<Vec<LabelledText>, Failure> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p)
                .map_err(|e| Failure::input(anyhow::anyhow!("cannot read {}: {e}", p.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    let mut texts = Vec::new();
    for file in files {
        let handle = std::fs::File::open(&file)
            .map_err(|e| Failure::input(anyhow::anyhow!("cannot read {}: {e}", file.display())))?;
        for (n, line) in std::io::BufReader::new(handle).lines().enumerate() {
            let at = || format!("{}:{}", file.display(), n + 1);
            let line = line.map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", at())))?;
            if line.trim().is_empty() {
                continue;
            }
            let text: LabelledText = serde_json::from_str(&line)
                .map_err(|e| Failure::input(anyhow::anyhow!("{}: {e}", at())))?;
            texts.push(text);
        }
    }
    Ok(texts)
}

fn row(name: &str, c: &Counts) -> String {
    format!(
        "{:<9} {:>5} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>8.3}\n",
        name,
        c.texts,
        c.true_positives,
        c.false_positives,
        c.false_negatives,
        c.precision(),
        c.recall(),
        c.language_accuracy()
    )
}

fn render(report: &Report, details: bool) -> String {
    let mut s = format!(
        "{:<9} {:>5} {:>4} {:>4} {:>4} {:>9} {:>7} {:>8}\n",
        "language", "texts", "tp", "fp", "fn", "precision", "recall", "lang-id"
    );
    for (lang, c) in &report.by_language {
        s.push_str(&row(lang, c));
    }
    s.push_str(&row("overall", &report.overall));
    if !report.by_category.is_empty() {
        s.push_str(&format!(
            "\n{:<14} {:>5} {:>4} {:>4} {:>4}\n",
            "category", "texts", "tp", "fp", "fn"
        ));
        for (category, c) in &report.by_category {
            s.push_str(&format!(
                "{:<14} {:>5} {:>4} {:>4} {:>4}\n",
                category, c.texts, c.true_positives, c.false_positives, c.false_negatives
            ));
        }
    }
    let mut kind = "";
    for p in &report.patterns {
        if p.kind != kind {
            kind = p.kind;
            s.push_str(&format!("\n{kind}s by reason:\n"));
        }
        s.push_str(&format!(
            "{:>4}  {}: {}\n",
            p.ids.len(),
            p.reason,
            p.ids.join(" ")
        ));
    }
    if !details {
        if !report.errors.is_empty() {
            s.push_str("\n(--details explains every error)\n");
        }
        return s;
    }
    for e in &report.errors {
        let kind = if e.expected {
            "false negative"
        } else {
            "false positive"
        };
        let category = e
            .category
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "\n{kind} {} ({}{category}, detected {}): {}\n",
            e.id, e.language, e.classification.language, e.title
        ));
        s.push_str(&super::classify::explain(&e.classification.topics));
    }
    s
}
