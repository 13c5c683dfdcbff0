//! Which alerts want a hit: each `[[alert]]`'s filters, and the delivery id
//! that names one hit's alert to one sink for good.

use sha2::{Digest, Sha256};

use super::{AlertFilter, AlertSpec, StoryAlerts};
use crate::model::Hit;

/// The enabled alerts and their filters. Pure: no I/O, cheap to share.
#[derive(Debug, Clone, Default)]
pub struct Router {
    alerts: Vec<(String, AlertFilter, StoryAlerts)>,
}

impl Router {
    pub fn new(specs: &[AlertSpec]) -> Router {
        Router {
            alerts: specs
                .iter()
                .filter(|s| s.enabled)
                .map(|s| (s.name.clone(), s.filter.clone(), s.story))
                .collect(),
        }
    }

    /// The names of the alerts this hit goes to, in configuration order.
    /// A hit that joined an earlier hit's story goes only to the alerts
    /// with `story = "every"`.
    pub fn route<'a>(&'a self, hit: &Hit) -> Vec<&'a str> {
        let joined = hit.story.as_deref().is_some_and(|s| s != hit.id);
        self.alerts
            .iter()
            .filter(|(_, f, story)| wants(f, hit) && (!joined || *story == StoryAlerts::Every))
            .map(|(name, _, _)| name.as_str())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}

/// Whether a filter takes a hit. Empty lists accept anything; `min_score`
/// applies to the best of the topics the filter names (or of all topics).
fn wants(filter: &AlertFilter, hit: &Hit) -> bool {
    let topics: Vec<_> = hit
        .topics
        .iter()
        .filter(|t| filter.topics.is_empty() || filter.topics.contains(&t.topic))
        .collect();
    if topics.is_empty() {
        return false;
    }
    if !filter.languages.is_empty() && !filter.languages.contains(&hit.language) {
        return false;
    }
    if !filter.feeds.is_empty() && !filter.feeds.contains(&hit.feed) {
        return false;
    }
    match filter.min_score {
        Some(min) => topics.iter().any(|t| t.score >= min),
        None => true,
    }
}

/// The id of one hit's delivery to one alert: the same on every retry and
/// after every restart, so a receiver can drop duplicates by it.
pub fn delivery_id(hit_id: &str, alert: &str) -> String {
    let mut h = Sha256::new();
    h.update(hit_id.as_bytes());
    h.update([0]);
    h.update(alert.as_bytes());
    hex(&h.finalize()[..16])
}

/// The id of a digest: a hash of the deliveries it folds together.
pub fn digest_id(delivery_ids: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"digest");
    for id in delivery_ids {
        h.update([0]);
        h.update(id.as_bytes());
    }
    hex(&h.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TopicResult;

    fn hit(topic: &str, score: f64, lang: &str, feed: &str) -> Hit {
        let mut h: Hit = serde_json::from_value(serde_json::json!({
            "id": "h1", "entry_id": "e", "feed": feed, "feed_url": "u", "title": "t",
            "url": null, "published": "2026-01-01T00:00:00Z", "fetched": "2026-01-01T00:00:00Z",
            "language": lang, "language_confidence": 1.0, "topics": [], "score": score,
            "summary": ""
        }))
        .unwrap();
        h.topics.push(TopicResult {
            topic: topic.into(),
            score,
            threshold: 1.0,
            matched: true,
            terms: vec![],
            reasons: vec![],
            ..Default::default()
        });
        h
    }

    fn filter(topics: &[&str], langs: &[&str], feeds: &[&str], min: Option<f64>) -> AlertFilter {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        AlertFilter {
            topics: v(topics),
            languages: v(langs),
            feeds: v(feeds),
            min_score: min,
        }
    }

    #[test]
    fn each_filter_narrows() {
        let h = hit("spy", 5.0, "pl", "PAP");
        assert!(wants(&filter(&[], &[], &[], None), &h));
        assert!(wants(&filter(&["spy"], &["pl"], &["PAP"], Some(5.0)), &h));
        assert!(!wants(&filter(&["other"], &[], &[], None), &h));
        assert!(!wants(&filter(&[], &["de"], &[], None), &h));
        assert!(!wants(&filter(&[], &[], &["BBC"], None), &h));
        assert!(!wants(&filter(&[], &[], &[], Some(5.1)), &h));
    }

    #[test]
    fn delivery_ids_are_stable_and_distinct() {
        assert_eq!(delivery_id("h1", "a"), delivery_id("h1", "a"));
        assert_ne!(delivery_id("h1", "a"), delivery_id("h1", "b"));
        assert_ne!(delivery_id("h1a", ""), delivery_id("h1", "a"));
        assert_eq!(delivery_id("h1", "a").len(), 32);
        assert_ne!(digest_id(&["a", "b"]), digest_id(&["ab"]));
    }
}
