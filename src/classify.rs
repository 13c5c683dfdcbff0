//! The detector and the matcher together: one text or item in, one
//! [`Classification`] out. The daemon and the `classify` command share it, so
//! an analyst's `classify` shows exactly what the service would decide.

use std::borrow::Cow;
use std::sync::Arc;

use crate::lang::{LanguageDetector, MAX_DETECT_CHARS};
use crate::model::{Classification, Item};
use crate::topic::{TopicMatcher, TopicScan};

pub struct Classifier {
    /// Shared, so that a reload with new topic packs but the same languages
    /// does not load the language models again.
    detector: Arc<LanguageDetector>,
    matcher: TopicMatcher,
}

impl Classifier {
    pub fn new(detector: LanguageDetector, matcher: TopicMatcher) -> Classifier {
        Classifier {
            detector: Arc::new(detector),
            matcher,
        }
    }

    /// A classifier with other topic packs and this one's language detector.
    pub fn with_matcher(&self, matcher: TopicMatcher) -> Classifier {
        Classifier {
            detector: self.detector.clone(),
            matcher,
        }
    }

    /// Classifies a title and a body; `hint` is a declared language.
    pub fn classify(&self, title: &str, body: &str, hint: Option<&str>) -> Classification {
        let scan = self.matcher.scan(title, body);
        self.finish(title, body, hint, scan)
    }

    pub fn classify_item(&self, item: &Item) -> Classification {
        self.classify(
            &item.title,
            &item.content,
            item.declared_language.as_deref(),
        )
    }

    /// The classification of an item that could match, or `None` for one
    /// that no topic can match in any language. Most news is not about
    /// espionage, and detecting the language is the dearest step, so the
    /// service asks the cheap question first (on the same single scan).
    pub fn classify_candidate(&self, item: &Item) -> Option<Classification> {
        let scan = self.matcher.scan(&item.title, &item.content);
        self.matcher.could_match_scanned(&scan).then(|| {
            self.finish(
                &item.title,
                &item.content,
                item.declared_language.as_deref(),
                scan,
            )
        })
    }

    /// Detects the language and scores the scan for it.
    fn finish(
        &self,
        title: &str,
        body: &str,
        hint: Option<&str>,
        scan: TopicScan,
    ) -> Classification {
        // The title alone is often too short to tell the language; the start
        // of the body settles it (the detector reads only the first
        // MAX_DETECT_CHARS characters, so no more is copied).
        let sample: Cow<'_, str> = match (title.is_empty(), body.is_empty()) {
            (_, true) => Cow::Borrowed(title),
            (true, false) => Cow::Borrowed(body),
            (false, false) => {
                let head: String = body.chars().take(MAX_DETECT_CHARS).collect();
                Cow::Owned(format!("{title}. {head}"))
            }
        };
        let language = self.detector.detect(&sample, hint);
        let topics = self
            .matcher
            .classify_scanned(&language.code, title, body, scan);
        Classification {
            matched: topics.iter().any(|t| t.matched),
            language: language.code,
            language_confidence: language.confidence,
            topics,
        }
    }
}
