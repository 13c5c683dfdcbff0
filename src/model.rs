//! The records that flow through the pipeline: an [`Item`] from a feed, the
//! language and topic verdicts about it, and the [`Hit`] stored when it matches.
//!
//! These are plain data. Every stage takes and returns them; none of them does
//! I/O. Their serde shapes are contracts (`hits list --format json`,
//! `classify --json`), so fields are only ever added, never renamed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One feed entry, normalised to plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id: see [`crate::parse::stable_id`].
    pub id: String,
    /// The entry's own guid or id as the feed gives it (falls back to the link,
    /// then to title + published).
    pub entry_id: String,
    /// The configured name of the feed.
    pub feed: String,
    /// The URL the feed was fetched from.
    pub feed_url: String,
    /// Absolute link to the article, resolved against the feed URL.
    pub url: Option<String>,
    pub title: String,
    /// Plain-text summary (or the start of the content when there is none).
    pub summary: String,
    /// Plain-text body: the full content when the feed has it, else the summary.
    pub content: String,
    /// When the entry says it was published; the fetch time when it says nothing.
    pub published: DateTime<Utc>,
    pub fetched: DateTime<Utc>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// The language the feed or entry declares (ISO 639-1, lower case), a hint only.
    #[serde(default)]
    pub declared_language: Option<String>,
}

/// What the language detector decided about a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageGuess {
    /// ISO 639-1 code, or `"unknown"`.
    pub code: String,
    /// 0.0 ..= 1.0
    pub confidence: f64,
}

impl LanguageGuess {
    pub const UNKNOWN: &'static str = "unknown";

    pub fn unknown() -> Self {
        LanguageGuess {
            code: Self::UNKNOWN.to_string(),
            confidence: 0.0,
        }
    }
}

/// One term that fired, with how often and where it was first seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TermHit {
    /// The group of the topic pack the term belongs to.
    pub group: String,
    /// The term as written in the pack (`szpieg*`).
    pub term: String,
    /// The text it matched the first time (`szpiegostwo`).
    pub found: String,
    pub count: u32,
    /// Whether it was found in the title (`true`) or only in the body.
    #[serde(default)]
    pub in_title: bool,
    /// A short window of text around the first occurrence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub snippet: String,
    /// The word number of the first occurrence in its field (the title when
    /// `in_title`, else the body), counting from 0.
    #[serde(default)]
    pub position: u32,
    /// The group's weight per occurrence.
    #[serde(default)]
    pub weight: f64,
    /// What the term's counted occurrences add to the score, before the
    /// group's cap; negative for a negative group.
    #[serde(default)]
    pub points: f64,
}

/// What one group added to (or, negative, took from) a topic's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    pub group: String,
    /// After the group's cap; negative for a negative group.
    pub points: f64,
    /// Whether the cap cut the group's points.
    #[serde(default)]
    pub capped: bool,
}

/// A `[[pair]]` bonus that applied: a term of each of two groups near each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairHit {
    pub groups: [String; 2],
    /// The points added: the rule's bonus, or half of it when the two terms
    /// were only found one in the title and one in the body.
    pub bonus: f64,
    /// Words between the closest two occurrences, when they were in the same field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<u32>,
    /// The text of those two occurrences.
    pub found: [String; 2],
}

/// The verdict of one topic on one text: its score, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TopicResult {
    pub topic: String,
    pub score: f64,
    pub threshold: f64,
    pub matched: bool,
    pub terms: Vec<TermHit>,
    /// Why a topic did not match although it scored (a required group that did
    /// not fire, a veto). Empty when it matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The score, group by group: every group that fired.
    #[serde(default)]
    pub groups: Vec<GroupScore>,
    /// The pair bonuses in the score.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<PairHit>,
}

/// The detector's and matcher's verdict on one text: what `classify --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub language: String,
    pub language_confidence: f64,
    pub matched: bool,
    pub topics: Vec<TopicResult>,
}

/// A stored match: the item and the verdicts, as `hits list --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub entry_id: String,
    pub feed: String,
    pub feed_url: String,
    pub title: String,
    pub url: Option<String>,
    pub published: DateTime<Utc>,
    pub fetched: DateTime<Utc>,
    pub language: String,
    pub language_confidence: f64,
    /// The topics that matched, with their explanations.
    pub topics: Vec<TopicResult>,
    /// The highest score among the matched topics.
    pub score: f64,
    pub summary: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// Where the hit's alerts stand (see [`AlertStatus`]).
    #[serde(default)]
    pub alert_status: AlertStatus,
    /// The story the hit belongs to: the id of the story's first hit (its
    /// own id when it started the story); `None` for hits stored before
    /// stories existed. How big a story is, is computed when asked.
    #[serde(default)]
    pub story: Option<String>,
    /// Set when an analyst took the hit out of the story it was grouped
    /// into (`hits detach`): it is then a story of its own, and stays so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detached: Option<Detachment>,
}

/// An analyst's correction of the story grouping: which story the hit was
/// taken out of, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detachment {
    pub from: String,
    pub at: DateTime<Utc>,
}

/// Where a hit's alerts stand. In JSON: `"none"`, `"pending"`, `"sent"`,
/// `"dead"` or `"dropped"`.
///
/// The outbox is the one source of truth while alerts wait: a stored hit
/// only records that it had alerts (`Pending`) and, as a tombstone, that an
/// operator dropped one (`Dropped`); `Sent` and `Dead` are what the store
/// reads off the outbox when it answers (`Store::get_hit`, queries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// No alert wanted the hit.
    #[default]
    None,
    /// At least one of its alerts waits to be delivered.
    Pending,
    /// Every alert was delivered.
    Sent,
    /// One of its alerts was given up on (`alerts retry` brings it back).
    Dead,
    /// An operator removed one of its alerts (`alerts drop`).
    Dropped,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::None => "none",
            AlertStatus::Pending => "pending",
            AlertStatus::Sent => "sent",
            AlertStatus::Dead => "dead",
            AlertStatus::Dropped => "dropped",
        }
    }
}

impl std::fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Hit {
    /// Builds a hit from an item and a matching classification. Only the topics
    /// that matched are kept; `score` is the best of them.
    pub fn new(item: &Item, class: &Classification) -> Hit {
        let topics: Vec<TopicResult> = class.topics.iter().filter(|t| t.matched).cloned().collect();
        let score = topics.iter().map(|t| t.score).fold(0.0, f64::max);
        Hit {
            id: item.id.clone(),
            entry_id: item.entry_id.clone(),
            feed: item.feed.clone(),
            feed_url: item.feed_url.clone(),
            title: item.title.clone(),
            url: item.url.clone(),
            published: item.published,
            fetched: item.fetched,
            language: class.language.clone(),
            language_confidence: class.language_confidence,
            topics,
            score,
            summary: item.summary.clone(),
            authors: item.authors.clone(),
            categories: item.categories.clone(),
            alert_status: AlertStatus::None,
            story: None,
            detached: None,
        }
    }

    /// The text every matched term found, over all matched topics (what
    /// the story grouping takes for the topic's vocabulary).
    pub fn found_terms(&self) -> Vec<&str> {
        self.topics
            .iter()
            .flat_map(|t| t.terms.iter().map(|term| term.found.as_str()))
            .collect()
    }

    pub fn topic_names(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.topic.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_status_keeps_its_json_strings() {
        // `hits list --format json` and stored records carry these strings.
        for (status, text) in [
            (AlertStatus::None, "none"),
            (AlertStatus::Pending, "pending"),
            (AlertStatus::Sent, "sent"),
            (AlertStatus::Dead, "dead"),
            (AlertStatus::Dropped, "dropped"),
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(status.to_string(), text);
            assert_eq!(serde_json::from_str::<AlertStatus>(&json).unwrap(), status);
        }
    }
}
