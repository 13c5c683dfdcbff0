//! What an alert says, independent of where it goes: the facts of a hit cut
//! to sizes every chat service accepts. [`super::layout`] lays these out,
//! in each service's markup ([`super::markup`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::markup::{Escape, truncate};
use crate::model::Hit;

/// Longest title shown (Discord's embed title allows 256).
pub const TITLE_CHARS: usize = 200;
/// Longest snippet shown.
pub const SNIPPET_CHARS: usize = 300;
/// Most matched terms listed.
pub const MAX_TERMS: usize = 8;
/// Most hits listed one by one in a digest; the rest are counted.
pub const DIGEST_LISTED: usize = 15;

/// One hit, as a message shows it. Also the context of a user template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitSummary {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub feed: String,
    pub language: String,
    /// The best-scoring matched topic.
    pub topic: String,
    pub topics: Vec<String>,
    pub score: f64,
    /// The words that matched, as the text wrote them.
    pub terms: Vec<String>,
    pub snippet: String,
    pub published: DateTime<Utc>,
}

impl HitSummary {
    pub fn new(hit: &Hit) -> HitSummary {
        let best = hit.topics.iter().max_by(|a, b| a.score.total_cmp(&b.score));
        let mut terms: Vec<String> = Vec::new();
        for t in hit.topics.iter().flat_map(|t| &t.terms) {
            let found = t.found.trim().to_string();
            if !found.is_empty() && !terms.iter().any(|x| x.eq_ignore_ascii_case(&found)) {
                terms.push(found);
            }
        }
        terms.truncate(MAX_TERMS);
        // The snippet around the first body term says most about why the
        // item matched; the summary is the fallback.
        let snippet = best
            .and_then(|t| t.terms.iter().find(|t| !t.snippet.is_empty()))
            .map(|t| t.snippet.as_str())
            .unwrap_or(hit.summary.as_str());
        let title = if hit.title.trim().is_empty() {
            "(untitled)".to_string()
        } else {
            hit.title.trim().to_string()
        };
        HitSummary {
            id: hit.id.clone(),
            title: truncate(&one_line(&title), TITLE_CHARS),
            url: hit.url.clone(),
            feed: truncate(&one_line(&hit.feed), 100),
            language: hit.language.clone(),
            topic: best.map(|t| t.topic.clone()).unwrap_or_default(),
            topics: hit.topic_names().map(str::to_string).collect(),
            score: hit.score,
            terms,
            snippet: truncate(&one_line(snippet), SNIPPET_CHARS),
            published: hit.published,
        }
    }

    /// `tech-espionage 7.5` or `a, b 7.5`.
    pub fn topic_line(&self) -> String {
        format!("{} {:.1}", self.topics.join(", "), self.score)
    }

    /// `feed · language · topic score`, each part escaped with `escape`:
    /// the facts line of every built-in layout.
    pub fn facts(&self, escape: Escape) -> String {
        format!(
            "{} · {} · {}",
            escape(&self.feed),
            escape(&self.language),
            escape(&self.topic_line())
        )
    }

    /// `Matched: word, word`, escaped; `None` when no term is listed.
    pub fn matched(&self, escape: Escape) -> Option<String> {
        (!self.terms.is_empty()).then(|| format!("Matched: {}", escape(&self.terms.join(", "))))
    }
}

/// What one delivery carries: one hit, or several folded into a digest
/// because the alert's rate limit was reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    One(Box<HitSummary>),
    Digest(Vec<HitSummary>),
}

impl Message {
    pub fn hits(&self) -> &[HitSummary] {
        match self {
            Message::One(h) => std::slice::from_ref(h),
            Message::Digest(hs) => hs,
        }
    }

    /// A one-line heading, plain text (used as a title or fallback text).
    pub fn heading(&self) -> String {
        match self {
            Message::One(h) => h.title.clone(),
            Message::Digest(hs) => format!("{} new hits", hs.len()),
        }
    }

    /// The hits a digest lists one by one, and how many it only counts.
    pub fn listed(&self) -> (&[HitSummary], usize) {
        let hits = self.hits();
        let shown = hits.len().min(DIGEST_LISTED);
        (&hits[..shown], hits.len() - shown)
    }
}

/// Collapses line breaks and runs of white space: a message line stays one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TermHit, TopicResult};

    fn hit() -> Hit {
        Hit {
            id: "abc".into(),
            entry_id: "e".into(),
            feed: "Feed\nName".into(),
            feed_url: "https://f".into(),
            title: "  A\ntitle ".into(),
            url: Some("https://e/1".into()),
            published: Utc::now(),
            fetched: Utc::now(),
            language: "pl".into(),
            language_confidence: 0.9,
            topics: vec![TopicResult {
                topic: "t".into(),
                score: 4.0,
                threshold: 3.0,
                matched: true,
                terms: vec![
                    TermHit {
                        group: "act".into(),
                        term: "szpieg*".into(),
                        found: "szpiegostwo".into(),
                        count: 2,
                        in_title: false,
                        snippet: "…o szpiegostwo…".into(),
                        ..Default::default()
                    },
                    TermHit {
                        group: "act".into(),
                        term: "szpieg*".into(),
                        found: "Szpiegostwo".into(),
                        count: 1,
                        in_title: true,
                        snippet: String::new(),
                        ..Default::default()
                    },
                ],
                reasons: vec![],
                ..Default::default()
            }],
            score: 4.0,
            summary: "x".repeat(1000),
            authors: vec![],
            categories: vec![],
            alert_status: crate::model::AlertStatus::Pending,
            story: None,
            detached: None,
        }
    }

    #[test]
    fn summary_is_one_line_deduplicated_and_bounded() {
        let s = HitSummary::new(&hit());
        assert_eq!(s.title, "A title");
        assert_eq!(s.feed, "Feed Name");
        assert_eq!(s.terms, vec!["szpiegostwo"]);
        assert_eq!(s.snippet, "…o szpiegostwo…");
        assert_eq!(s.topic_line(), "t 4.0");
        let mut h = hit();
        h.topics[0].terms.clear();
        let s = HitSummary::new(&h);
        assert_eq!(s.snippet.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn a_digest_lists_some_and_counts_the_rest() {
        let s = HitSummary::new(&hit());
        let m = Message::Digest(vec![s; DIGEST_LISTED + 3]);
        let (listed, rest) = m.listed();
        assert_eq!((listed.len(), rest), (DIGEST_LISTED, 3));
        assert_eq!(m.heading(), format!("{} new hits", DIGEST_LISTED + 3));
    }
}
