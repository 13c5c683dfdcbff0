//! Topic rules: the pack file format, the compiler, the matcher, the explanation.

use serde::Deserialize;

use crate::model::TopicResult;

/// A topic pack as written in `config/topics/*.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicPack {
    pub name: String,
}

impl TopicPack {
    pub fn validate(&self) -> Vec<TopicError> {
        todo!()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("topic {topic:?}: {field}: {message}")]
pub struct TopicError {
    pub topic: String,
    /// Dotted path of the offending field inside the pack (`group[2].terms.pl[0]`).
    pub field: String,
    pub message: String,
}

/// Every topic pack compiled into one automaton.
pub struct TopicMatcher {}

impl TopicMatcher {
    pub fn compile(
        _packs: &[TopicPack],
        _enabled_languages: &[String],
    ) -> Result<Self, Vec<TopicError>> {
        todo!("topic helper")
    }

    pub fn coverage_warnings(&self) -> Vec<String> {
        todo!()
    }

    /// Scores `title` and `body` (plain text, language `lang`) against every topic.
    pub fn classify(&self, _lang: &str, _title: &str, _body: &str) -> Vec<TopicResult> {
        todo!("topic helper")
    }
}
