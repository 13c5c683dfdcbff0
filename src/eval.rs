//! Precision and recall of the topic packs on labelled texts: the measure an
//! analyst tunes a pack by, and the test that keeps the default pack honest.
//!
//! Pure: labelled texts and a classifier in, counts and the misclassified
//! texts (with their explanations) out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::model::Classification;

/// The label of a text that is about technology espionage.
pub const POSITIVE: &str = "espionage";
/// The label of every other text.
pub const NEGATIVE: &str = "other";

/// One line of a labelled set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledText {
    pub id: String,
    /// The true language (ISO 639-1).
    pub lang: String,
    /// [`POSITIVE`] or [`NEGATIVE`].
    pub label: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// Marks a hard negative (shares the topic's vocabulary) or a subtle positive.
    #[serde(default)]
    pub hard: bool,
    /// A short tag for the kind of story (`apt`, `trade-secret`, `neg-fiction`...),
    /// by which `eval` also counts.
    #[serde(default)]
    pub category: Option<String>,
    /// Where the text came from; not used for scoring.
    #[serde(default)]
    pub source: Option<String>,
}

impl LabelledText {
    pub fn is_positive(&self) -> bool {
        self.label == POSITIVE
    }
}

/// Confusion counts and language-detection hits for a set of texts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub texts: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    /// Texts whose language was detected right, or as another language of
    /// a group the detector cannot separate (`lang::same_group`).
    pub language_correct: usize,
}

impl Counts {
    /// Share of matches that were right; 1.0 when nothing matched.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Share of positives that matched; 1.0 when there were none.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn language_accuracy(&self) -> f64 {
        ratio(self.language_correct, self.texts)
    }

    fn add(&mut self, outcome: &Outcome) {
        self.texts += 1;
        match (outcome.expected, outcome.classification.matched) {
            (true, true) => self.true_positives += 1,
            (false, true) => self.false_positives += 1,
            (true, false) => self.false_negatives += 1,
            (false, false) => self.true_negatives += 1,
        }
        if crate::lang::same_group(&outcome.classification.language, &outcome.language) {
            self.language_correct += 1;
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// The verdict on one text.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    /// The true language.
    pub language: String,
    /// Whether the text is labelled as espionage.
    pub expected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub classification: Classification,
}

impl Outcome {
    pub fn is_error(&self) -> bool {
        self.expected != self.classification.matched
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub overall: Counts,
    pub by_language: BTreeMap<String, Counts>,
    /// Per `category`, for the texts that have one.
    pub by_category: BTreeMap<String, Counts>,
    /// The errors grouped by why they happened, most frequent first.
    pub patterns: Vec<Pattern>,
    /// The false positives and false negatives, in input order.
    pub errors: Vec<Outcome>,
}

/// Errors of one kind that share a reason: what a pack author fixes at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pattern {
    /// `"false negative"` or `"false positive"`.
    pub kind: &'static str,
    pub reason: String,
    pub ids: Vec<String>,
}

impl Outcome {
    /// Why this error happened, in words that errors of the same cause share:
    /// a wrong language, a veto, a missing required group, a negative group
    /// that outweighed the evidence, or which groups fired (too little for a
    /// miss, enough for a false alarm).
    pub fn reason(&self) -> String {
        let class = &self.classification;
        if !crate::lang::same_group(&class.language, &self.language) {
            return format!("language {} detected as {}", self.language, class.language);
        }
        let fired = |t: &crate::model::TopicResult| {
            let mut names: Vec<&str> = t
                .groups
                .iter()
                .filter(|g| g.points > 0.0)
                .map(|g| g.group.as_str())
                .collect();
            names.sort_unstable();
            names.join("+")
        };
        if class.matched {
            let on: Vec<String> = class
                .topics
                .iter()
                .filter(|t| t.matched)
                .map(|t| {
                    let pairs = if t.pairs.is_empty() {
                        ""
                    } else {
                        ", with a pair bonus"
                    };
                    format!("{}: {}{pairs}", t.topic, fired(t))
                })
                .collect();
            return format!("matched on {}", on.join("; "));
        }
        let Some(best) = class
            .topics
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
        else {
            return "no topic".into();
        };
        if let Some(r) = best
            .reasons
            .iter()
            .find(|r| r.starts_with("vetoed") || r.starts_with("required"))
        {
            return r.clone();
        }
        let negative = best
            .groups
            .iter()
            .filter(|g| g.points < 0.0)
            .min_by(|a, b| a.points.total_cmp(&b.points));
        let taken: f64 = best
            .groups
            .iter()
            .filter(|g| g.points < 0.0)
            .map(|g| -g.points)
            .sum();
        if let Some(n) = negative
            && best.score + taken >= best.threshold
        {
            return format!("negative group {:?} outweighed the evidence", n.group);
        }
        let groups = fired(best);
        if groups.is_empty() {
            "nothing fired".into()
        } else {
            format!("too little evidence: {groups}")
        }
    }
}

/// Classifies every text and counts. Labels other than the two known ones
/// are the caller's to reject (see [`check_labels`]).
pub fn evaluate(classifier: &Classifier, texts: &[LabelledText]) -> Report {
    let mut overall = Counts::default();
    let mut by_language: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_category: BTreeMap<String, Counts> = BTreeMap::new();
    let mut errors = Vec::new();
    for t in texts {
        let outcome = Outcome {
            id: t.id.clone(),
            title: t.title.clone(),
            language: t.lang.clone(),
            expected: t.is_positive(),
            category: t.category.clone(),
            classification: classifier.classify(&t.title, &t.text, None),
        };
        overall.add(&outcome);
        by_language.entry(t.lang.clone()).or_default().add(&outcome);
        if let Some(category) = &t.category {
            by_category
                .entry(category.clone())
                .or_default()
                .add(&outcome);
        }
        if outcome.is_error() {
            errors.push(outcome);
        }
    }
    Report {
        overall,
        by_language,
        by_category,
        patterns: patterns(&errors),
        errors,
    }
}

/// Groups errors by kind and [`Outcome::reason`], the largest group first.
fn patterns(errors: &[Outcome]) -> Vec<Pattern> {
    let mut groups: BTreeMap<(&'static str, String), Vec<String>> = BTreeMap::new();
    for e in errors {
        let kind = if e.expected {
            "false negative"
        } else {
            "false positive"
        };
        groups
            .entry((kind, e.reason()))
            .or_default()
            .push(e.id.clone());
    }
    let mut out: Vec<Pattern> = groups
        .into_iter()
        .map(|((kind, reason), ids)| Pattern { kind, reason, ids })
        .collect();
    // Stable: within a kind, the largest group first, then by reason.
    out.sort_by(|a, b| a.kind.cmp(b.kind).then(b.ids.len().cmp(&a.ids.len())));
    out
}

/// The ids of texts whose label is neither [`POSITIVE`] nor [`NEGATIVE`].
pub fn check_labels(texts: &[LabelledText]) -> Vec<String> {
    texts
        .iter()
        .filter(|t| t.label != POSITIVE && t.label != NEGATIVE)
        .map(|t| {
            format!(
                "{}: label {:?} (use {POSITIVE:?} or {NEGATIVE:?})",
                t.id, t.label
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TopicResult;

    fn outcome(expected: bool, language: &str, topic: TopicResult) -> Outcome {
        Outcome {
            id: "x".into(),
            title: String::new(),
            language: "en".into(),
            expected,
            category: None,
            classification: Classification {
                language: language.into(),
                language_confidence: 1.0,
                matched: topic.matched,
                topics: vec![topic],
            },
        }
    }

    fn group(name: &str, points: f64) -> crate::model::GroupScore {
        crate::model::GroupScore {
            group: name.into(),
            points,
            capped: false,
        }
    }

    #[test]
    fn errors_are_explained_by_their_cause() {
        let failed = |groups| TopicResult {
            topic: "t".into(),
            score: 3.0,
            threshold: 5.0,
            groups,
            reasons: vec!["score 3.0 below threshold 5.0".into()],
            ..Default::default()
        };
        // Without the fiction group's 3 points the story would have passed.
        let o = outcome(
            true,
            "en",
            failed(vec![
                group("act", 4.0),
                group("actor", 2.0),
                group("fiction", -3.0),
            ]),
        );
        assert_eq!(
            o.reason(),
            "negative group \"fiction\" outweighed the evidence"
        );
        // Too little: the groups that fired, sorted, negatives left out.
        let o = outcome(
            true,
            "en",
            failed(vec![
                group("intrusion", 2.0),
                group("actor", 1.0),
                group("crime", -0.5),
            ]),
        );
        assert_eq!(o.reason(), "too little evidence: actor+intrusion");
        // A wrong language comes first; one inside a group does not count.
        assert_eq!(
            outcome(true, "de", failed(vec![])).reason(),
            "language en detected as de"
        );
        let mut nb = outcome(true, "nb", failed(vec![]));
        nb.language = "nn".into();
        assert_eq!(nb.reason(), "nothing fired");
        // A false alarm says what it matched on.
        let matched = TopicResult {
            topic: "t".into(),
            score: 6.0,
            threshold: 5.0,
            matched: true,
            groups: vec![group("company", 1.0), group("act", 5.0)],
            ..Default::default()
        };
        assert_eq!(
            outcome(false, "en", matched).reason(),
            "matched on t: act+company"
        );
    }

    #[test]
    fn empty_denominators_count_as_perfect() {
        let c = Counts::default();
        assert_eq!(
            (c.precision(), c.recall(), c.language_accuracy()),
            (1.0, 1.0, 1.0)
        );
        let c = Counts {
            texts: 4,
            true_positives: 3,
            false_positives: 1,
            false_negatives: 2,
            true_negatives: 0,
            language_correct: 4,
        };
        assert_eq!(c.precision(), 0.75);
        assert_eq!(c.recall(), 0.6);
    }
}
