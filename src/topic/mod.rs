//! Topic rules: the pack file format, the compiler, the matcher, the explanation.
//!
//! A topic is weighted groups of terms per language (see `docs/topics.md`):
//! an item matches when every required group fired, no veto group fired and
//! its score reaches the threshold. Every term of every topic is compiled into
//! one pattern index over normalised text, so classifying an item is one
//! pass over its title and one over its body, whatever the number of rules.
//!
//! Layout: [`pack`] is the file format and its validation, `fold` the
//! text folding shared by terms and texts, `scanner` the pattern index
//! and its search, `compile` the builder of the index and the term table,
//! `matcher` the scoring and explanation.
//!
//! Invariants: a pack that validates always compiles; `classify` never panics
//! and returns one result per topic, in pack order, each explaining itself.

use std::path::{Path, PathBuf};

mod compile;
mod fold;
mod matcher;
pub mod pack;
mod scanner;

pub use fold::MAX_SCAN_BYTES;
pub(crate) use fold::fold;
pub use pack::{PairRule, TermGroup, TopicPack};

use crate::model::TopicResult;

/// One semantic problem in a topic pack.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("topic {topic:?}: {field}: {message}")]
pub struct TopicError {
    pub topic: String,
    /// Dotted path of the offending field inside the pack (`group[2].terms.pl[0]`).
    pub field: String,
    pub message: String,
}

/// Why [`load_pack`] could not produce a valid pack.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Syntax, a wrong type or an unknown key; the message carries line and column.
    #[error("{}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{}: {}", path.display(), join(errors))]
    Invalid {
        path: PathBuf,
        errors: Vec<TopicError>,
    },
}

fn join(errors: &[TopicError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads, parses and validates one pack file. A convenience for tests and
/// tools; the configuration loader does the same with its own error reporting.
pub fn load_pack(path: &Path) -> Result<TopicPack, PackError> {
    let text = std::fs::read_to_string(path).map_err(|source| PackError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let pack = TopicPack::from_toml(&text).map_err(|source| PackError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let errors = pack.validate();
    if errors.is_empty() {
        Ok(pack)
    } else {
        Err(PackError::Invalid {
            path: path.to_path_buf(),
            errors,
        })
    }
}

/// The term occurrences found in one title and body, before any language
/// is applied; opaque outside this module.
pub struct TopicScan(matcher::Scan);

/// Every topic pack compiled into one pattern index and its term table.
#[derive(Debug)]
pub struct TopicMatcher {
    compiled: compile::Compiled,
}

impl TopicMatcher {
    /// Validates and compiles `packs`. Terms of languages not in
    /// `enabled_languages` are left out (an empty list keeps them all).
    /// Fails with every error of every pack, and on duplicate topic names.
    pub fn compile(
        packs: &[TopicPack],
        enabled_languages: &[String],
    ) -> Result<Self, Vec<TopicError>> {
        compile::compile(packs, enabled_languages).map(|compiled| TopicMatcher { compiled })
    }

    /// Scores `title` and `body` (plain text, language `lang`) against every topic.
    ///
    /// Terms listed under `lang` and under `any` apply; when `lang` is empty or
    /// `"unknown"`, every language's terms apply. One result per topic, in pack order.
    pub fn classify(&self, lang: &str, title: &str, body: &str) -> Vec<TopicResult> {
        self.classify_scanned(lang, title, body, self.scan(title, body))
    }

    /// The one pass over a text that [`TopicMatcher::could_match_scanned`]
    /// and [`TopicMatcher::classify_scanned`] share, so that a caller asking
    /// both questions reads the text once.
    pub fn scan(&self, title: &str, body: &str) -> TopicScan {
        TopicScan(matcher::scan(&self.compiled, title, body))
    }

    /// [`TopicMatcher::classify`] of a scan made by [`TopicMatcher::scan`]
    /// from the same `title` and `body`.
    pub fn classify_scanned(
        &self,
        lang: &str,
        title: &str,
        body: &str,
        scan: TopicScan,
    ) -> Vec<TopicResult> {
        matcher::classify(&self.compiled, lang, title, body, scan.0)
    }

    /// `false` when no topic can match the text in any language (a required
    /// group has no term in it), so the caller may skip language detection.
    /// Never `false` for a text that [`TopicMatcher::classify`] would match.
    pub fn could_match(&self, title: &str, body: &str) -> bool {
        self.could_match_scanned(&self.scan(title, body))
    }

    /// [`TopicMatcher::could_match`] of a scan.
    pub fn could_match_scanned(&self, scan: &TopicScan) -> bool {
        matcher::could_match(&self.compiled, &scan.0)
    }

    /// Soft problems found while compiling: an enabled language for which a
    /// required group has no terms (and no `any` terms), so items in it can
    /// never match; terms of languages that are not enabled.
    pub fn coverage_warnings(&self) -> Vec<String> {
        self.compiled.warnings.clone()
    }

    /// The topic names, in pack order.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.compiled.topics.iter().map(|t| t.name.as_str())
    }

    /// How many terms were compiled (after dropping disabled languages).
    pub fn term_count(&self) -> usize {
        self.compiled.terms.len()
    }
}
