//! The detector and the matcher together: one text or item in, one
//! [`Classification`] out. The daemon and the `classify` command share it, so
//! an analyst's `classify` shows exactly what the service would decide.

use crate::lang::LanguageDetector;
use crate::model::{Classification, Item};
use crate::topic::TopicMatcher;

pub struct Classifier {
    detector: LanguageDetector,
    matcher: TopicMatcher,
}

impl Classifier {
    pub fn new(detector: LanguageDetector, matcher: TopicMatcher) -> Classifier {
        Classifier { detector, matcher }
    }

    /// Classifies a title and a body; `hint` is a declared language.
    pub fn classify(&self, title: &str, body: &str, hint: Option<&str>) -> Classification {
        // The title alone is often too short to tell the language; the start
        // of the body settles it (the detector reads ~1,000 characters).
        let sample = match (title.is_empty(), body.is_empty()) {
            (_, true) => title.to_string(),
            (true, false) => body.to_string(),
            (false, false) => {
                let head: String = body.chars().take(1200).collect();
                format!("{title}. {head}")
            }
        };
        let language = self.detector.detect(&sample, hint);
        let topics = self.matcher.classify(&language.code, title, body);
        Classification {
            matched: topics.iter().any(|t| t.matched),
            language: language.code,
            language_confidence: language.confidence,
            topics,
        }
    }

    pub fn classify_item(&self, item: &Item) -> Classification {
        self.classify(
            &item.title,
            &item.content,
            item.declared_language.as_deref(),
        )
    }
}
