//! The default topic pack against the labelled set in
//! `tests/fixtures/labelled/`: every default language, 20 or 25 texts each
//! (40 % espionage stories; at least half of the others are hard look-alikes,
//! marked `"hard": true`: spy fiction and history, cybercrime and fraud,
//! privacy fines, security products, business news about companies the pack
//! names, "intelligence" in another sense), written for the project in its
//! own words.

use std::path::Path;

use newshound::classify::Classifier;
use newshound::config::load_topics;
use newshound::eval::{LabelledText, check_labels, evaluate};
use newshound::lang::LanguageDetector;

use newshound::lang::DEFAULT_LANGUAGES as LANGUAGES;

/// Per language, the floor the pack must hold on this set.
const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.95;

fn read_set() -> Vec<LabelledText> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/labelled");
    let mut texts = Vec::new();
    for lang in LANGUAGES {
        let path = dir.join(format!("{lang}.jsonl"));
        let body =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, line) in body
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let t: LabelledText = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
            assert_eq!(
                t.lang,
                lang,
                "{}: {} is in the wrong file",
                path.display(),
                t.id
            );
            texts.push(t);
        }
    }
    texts
}

#[test]
fn the_labelled_set_is_large_and_balanced_enough() {
    let texts = read_set();
    assert!(
        check_labels(&texts).is_empty(),
        "{:?}",
        check_labels(&texts)
    );
    assert!(texts.len() >= 20 * LANGUAGES.len(), "{} texts", texts.len());
    for lang in LANGUAGES {
        let of_lang: Vec<&LabelledText> = texts.iter().filter(|t| t.lang == lang).collect();
        let n = of_lang.len();
        let positives = of_lang.iter().filter(|t| t.is_positive()).count();
        let negatives = n - positives;
        let hard = of_lang
            .iter()
            .filter(|t| !t.is_positive() && t.hard)
            .count();
        assert!(
            n >= 20,
            "{lang}: {n} texts; every default language needs 20"
        );
        assert!(
            positives * 10 >= n * 4,
            "{lang}: {positives} espionage stories of {n}; at least 40 % are needed"
        );
        assert!(
            hard * 2 >= negatives,
            "{lang}: {hard} hard look-alikes among {negatives} negatives; at least half are needed"
        );
    }
    let positives = texts.iter().filter(|t| t.is_positive()).count();
    let share = positives as f64 / texts.len() as f64;
    assert!(
        (0.35..=0.45).contains(&share),
        "{positives} positives of {}",
        texts.len()
    );
}

#[test]
fn the_default_pack_holds_its_precision_and_recall_in_every_language() {
    let languages: Vec<String> = LANGUAGES.iter().map(|s| s.to_string()).collect();
    let topics_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/topics");
    let topics = load_topics(&topics_dir, &languages).unwrap_or_else(|d| panic!("{d:?}"));
    let classifier = Classifier::new(LanguageDetector::new(&languages).unwrap(), topics.matcher);
    let report = evaluate(&classifier, &read_set());
    let mut failures = Vec::new();
    for (lang, c) in &report.by_language {
        if c.precision() < MIN_PRECISION || c.recall() < MIN_RECALL || c.language_accuracy() < 1.0 {
            failures.push(format!(
                "{lang}: precision {:.3}, recall {:.3}, language {:.3}",
                c.precision(),
                c.recall(),
                c.language_accuracy()
            ));
        }
    }
    let errors: Vec<String> = report
        .errors
        .iter()
        .map(|e| {
            format!(
                "{} {}: {}",
                if e.expected { "missed" } else { "false alarm" },
                e.id,
                e.title
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{}\n\nerrors (newshound eval tests/fixtures/labelled explains each):\n{}",
        failures.join("\n"),
        errors.join("\n")
    );
}
