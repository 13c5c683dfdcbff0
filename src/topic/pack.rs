//! The topic pack file format (`config/topics/*.toml`) and its semantic checks.
//!
//! Job: describe a topic as weighted groups of terms per language, exactly as
//! an analyst writes it, and say precisely what is wrong with a pack before
//! anything is compiled from it.
//!
//! Invariant: serde rejects unknown keys (a typo never silently disables a
//! rule); [`TopicPack::validate`] reports *every* problem at once, each with a
//! dotted field path (`group[2].terms.pl[0]`), and a pack it accepts always
//! compiles.

use std::collections::{BTreeMap, HashSet};

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::TopicError;
use super::fold::{self, is_cjk};

/// A topic pack as written in `config/topics/*.toml`. See `docs/topics.md`.
///
/// ```toml
/// name = "tech-espionage"
/// threshold = 3.0
/// [[group]]
/// name = "actor"
/// required = true
/// [group.terms]
/// en = ["Huawei", "intelligence service*"]
/// pl = ["szpieg*"]
/// any = ["APT41"]
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicPack {
    /// The topic's name, as alerts and `hits list --topic` refer to it.
    pub name: String,
    /// What the topic is about, for humans.
    #[serde(default)]
    pub description: String,
    /// The score an item must reach (with every required group fired, no veto).
    pub threshold: f64,
    /// Multiplier for occurrences found in the title. Default 1.5.
    #[serde(default = "default_title_weight")]
    pub title_weight: f64,
    /// Fold diacritics in terms and text (`sluzby` matches `służby`). Default true.
    #[serde(default = "default_true")]
    pub fold_diacritics: bool,
    /// Two occurrences at most this many words apart are *near* (for
    /// `[[pair]]` bonuses and the `distant` share of negative groups). Default 12.
    #[serde(default = "default_window")]
    pub window: u32,
    /// The term groups, in the order the explanation lists them.
    #[serde(rename = "group", default)]
    pub groups: Vec<TermGroup>,
    /// Bonuses for two groups whose terms stand near each other.
    #[serde(rename = "pair", default)]
    pub pairs: Vec<PairRule>,
}

/// A bonus for evidence that only counts together: a term of one group near a
/// term of another (`[[pair]]` in a pack).
///
/// ```toml
/// [[pair]]
/// groups = ["actor", "intrusion"]
/// bonus = 2.0
/// within = 12          # words; default: the pack's `window`
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairRule {
    /// Exactly two names of positive groups of the same pack.
    pub groups: Vec<String>,
    /// Points added once when an occurrence of each group lies within
    /// `within` words of the other in the same field (title or body); half of
    /// it when one is in the title and the other only in the body.
    pub bonus: f64,
    /// Words apart; `None`: the pack's `window`.
    #[serde(default)]
    pub within: Option<u32>,
}

/// One weighted group of terms inside a [`TopicPack`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermGroup {
    /// Unique within the pack; shown in explanations.
    pub name: String,
    /// Points per (capped) occurrence; 0 makes a mask group (see `docs/topics.md`). Default 1.0.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// The item must hit at least one term of this group. Default false.
    #[serde(default)]
    pub required: bool,
    /// Hits subtract `weight` per occurrence instead of adding. Default false.
    #[serde(default)]
    pub negative: bool,
    /// Any hit rejects the item for this topic. Default false.
    #[serde(default)]
    pub veto: bool,
    /// Occurrences of one term counted at most this many times. Default 3.
    #[serde(default = "default_max_count")]
    pub max_count: u32,
    /// The most points the whole group adds (or, when negative, subtracts),
    /// however many of its terms fire: generic evidence that must not reach
    /// the threshold on its own. Default: no cap.
    #[serde(default)]
    pub cap: Option<f64>,
    /// Negative groups only: the share of `weight` that a body occurrence
    /// counts when it lies more than `window` words from every occurrence of
    /// a positive group (a passing mention, not what the text is about).
    /// Default 1.0 (every occurrence counts fully).
    #[serde(default)]
    pub distant: Option<f64>,
    /// Terms per ISO 639-1 language code, plus `any` for every language.
    #[serde(default)]
    pub terms: BTreeMap<String, Vec<String>>,
}

pub const DEFAULT_TITLE_WEIGHT: f64 = 1.5;
pub const DEFAULT_WEIGHT: f64 = 1.0;
pub const DEFAULT_MAX_COUNT: u32 = 3;
pub const DEFAULT_WINDOW: u32 = 12;
/// The language key whose terms apply whatever the item's language.
pub const ANY_LANGUAGE: &str = "any";
/// A wildcard stem shorter than this (in letters) would match a large share of
/// all words of a language; CJK stems are exempt (one Han character is a word).
const MIN_WILDCARD_STEM: usize = 3;

fn default_title_weight() -> f64 {
    DEFAULT_TITLE_WEIGHT
}
fn default_weight() -> f64 {
    DEFAULT_WEIGHT
}
fn default_max_count() -> u32 {
    DEFAULT_MAX_COUNT
}
fn default_window() -> u32 {
    DEFAULT_WINDOW
}
fn default_true() -> bool {
    true
}

impl TopicPack {
    /// Parses a pack from TOML text (syntax and unknown keys only; call
    /// [`TopicPack::validate`] for the semantic checks).
    pub fn from_toml(text: &str) -> Result<TopicPack, toml::de::Error> {
        toml::from_str(text)
    }

    /// Every semantic problem of the pack, each with its field path. Empty when
    /// the pack is good.
    pub fn validate(&self) -> Vec<TopicError> {
        self.validate_patterns(&mut Vec::new())
    }

    /// [`TopicPack::validate`], handing over each term's pattern and `*` flag
    /// ([`term_pattern`]) in the order of groups, languages and terms: the
    /// compiler takes them instead of folding every term a second time.
    pub(crate) fn validate_patterns(&self, patterns: &mut Vec<(String, bool)>) -> Vec<TopicError> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| {
            errors.push(TopicError {
                topic: self.name.clone(),
                field,
                message,
            })
        };
        if self.name.trim().is_empty() {
            err("name".into(), "must not be empty".into());
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            err(
                "threshold".into(),
                format!("must be a number above 0, not {}", self.threshold),
            );
        }
        if !(self.title_weight.is_finite() && self.title_weight > 0.0) {
            err(
                "title_weight".into(),
                format!("must be a number above 0, not {}", self.title_weight),
            );
        }
        if self.groups.is_empty() {
            err(
                "group".into(),
                "a pack needs at least one [[group]] of terms".into(),
            );
        }
        let mut names = HashSet::new();
        for (g, group) in self.groups.iter().enumerate() {
            let at = |field: &str| format!("group[{g}].{field}");
            if group.name.trim().is_empty() {
                err(at("name"), "must not be empty".into());
            } else if !names.insert(group.name.as_str()) {
                err(at("name"), format!("duplicate group name {:?}", group.name));
            }
            if !(group.weight.is_finite() && group.weight >= 0.0) {
                err(
                    at("weight"),
                    format!(
                        "must be a finite number of at least 0, not {} (use `negative = true` to subtract)",
                        group.weight
                    ),
                );
            }
            if group.negative && group.veto {
                err(
                    at("veto"),
                    "a group is either negative or veto, not both".into(),
                );
            }
            if group.required && (group.negative || group.veto) {
                err(
                    at("required"),
                    "a negative or veto group cannot be required".into(),
                );
            }
            if group.max_count == 0 {
                err(
                    at("max_count"),
                    "must be at least 1 (0 would ignore every hit)".into(),
                );
            }
            if let Some(cap) = group.cap
                && !(cap.is_finite() && cap > 0.0)
            {
                err(at("cap"), format!("must be a number above 0, not {cap}"));
            }
            if let Some(distant) = group.distant {
                if !group.negative {
                    err(
                        at("distant"),
                        "only a negative group has a `distant` share".into(),
                    );
                } else if !(0.0..=1.0).contains(&distant) {
                    err(
                        at("distant"),
                        format!("must be between 0.0 and 1.0, not {distant}"),
                    );
                }
            }
            if group.terms.values().all(Vec::is_empty) {
                err(at("terms"), "the group has no terms".into());
            }
            for (lang, terms) in &group.terms {
                if !is_language_key(lang) {
                    err(
                        at(&format!("terms.{lang}")),
                        "language keys are 2-letter ISO 639-1 codes in lower case, or \"any\""
                            .into(),
                    );
                }
                let mut seen = FxHashSet::default();
                for (t, term) in terms.iter().enumerate() {
                    // The field path is written only for an error: a pack
                    // holds tens of thousands of terms.
                    let field = || at(&format!("terms.{lang}[{t}]"));
                    let key = term_pattern(term, self.fold_diacritics);
                    if let Err(message) = check_term(term, &key.0) {
                        err(field(), message);
                    } else if !seen.insert(key.clone()) {
                        // Two identical terms would count the same words twice.
                        err(
                            field(),
                            format!("duplicate term {term:?} (after normalisation)"),
                        );
                    }
                    patterns.push(key);
                }
            }
        }
        if self.window == 0 {
            err("window".into(), "must be at least 1 word".into());
        }
        for (p, pair) in self.pairs.iter().enumerate() {
            let at = |field: &str| format!("pair[{p}].{field}");
            if pair.groups.len() != 2 {
                err(
                    at("groups"),
                    format!(
                        "names exactly two groups, not {} (a bonus is for two kinds of evidence together)",
                        pair.groups.len()
                    ),
                );
            } else if pair.groups[0] == pair.groups[1] {
                err(
                    at("groups"),
                    format!(
                        "names group {:?} twice; name two different groups",
                        pair.groups[0]
                    ),
                );
            }
            for (i, name) in pair.groups.iter().enumerate() {
                match self.groups.iter().find(|g| &g.name == name) {
                    None => err(
                        at(&format!("groups[{i}]")),
                        format!("no group is named {name:?}"),
                    ),
                    Some(g) if g.negative || g.veto || g.weight == 0.0 => err(
                        at(&format!("groups[{i}]")),
                        format!(
                            "group {name:?} adds no points (negative, veto or mask); a pair joins positive groups"
                        ),
                    ),
                    Some(_) => {}
                }
            }
            if !(pair.bonus.is_finite() && pair.bonus >= 0.0) {
                err(
                    at("bonus"),
                    format!("must be a finite number of at least 0, not {}", pair.bonus),
                );
            }
            if pair.within == Some(0) {
                err(at("within"), "must be at least 1 word".into());
            }
        }
        errors
    }
}

fn is_language_key(key: &str) -> bool {
    key == ANY_LANGUAGE || (key.len() == 2 && key.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Checks one term as written, given its pattern (`folded`, as
/// [`term_pattern`] folds it). `Err` carries the message for [`TopicError`].
pub(crate) fn check_term(term: &str, folded: &str) -> Result<(), String> {
    let trimmed = term.trim();
    if trimmed.is_empty() {
        return Err("empty term".into());
    }
    if folded.is_empty() {
        return Err(format!("{term:?} has no letters or digits"));
    }
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        let Some(stem) = word.strip_suffix('*') else {
            if word.contains('*') {
                return Err(format!(
                    "{term:?}: `*` ends a word (a word-prefix wildcard); it cannot stand inside one"
                ));
            }
            continue;
        };
        if stem.contains('*') || stem.ends_with(|c: char| !c.is_alphanumeric()) {
            return Err(format!(
                "{term:?}: `*` must directly follow a letter or digit, once per word"
            ));
        }
        // Letters as written (folding may spell one as two: `ß` → `ss`): the
        // word's own for a wildcard inside a phrase, the whole term's before
        // the last `*`, which is what a prefix of the phrase shares.
        let last = i + 1 == words.len();
        let counted = if last {
            &trimmed[..trimmed.len() - 1]
        } else {
            stem
        };
        let letters = counted.chars().filter(|c| c.is_alphanumeric()).count();
        if letters < MIN_WILDCARD_STEM && !counted.chars().any(is_cjk) {
            return Err(format!(
                "{term:?}: a wildcard needs at least {MIN_WILDCARD_STEM} letters before `*`"
            ));
        }
        if !last && trimmed.chars().any(is_cjk) {
            return Err(format!(
                "{term:?}: a `*` inside a phrase needs words with spaces between them, not CJK"
            ));
        }
    }
    Ok(())
}

/// A term as the pattern index searches it, and whether it ends in `*`.
///
/// The pattern is the term folded as texts are (so two terms with the same
/// pattern and flag match exactly the same text). A word that ends in `*`
/// inside a phrase (`ostrzeg* przed używani*`) keeps a `*` after it, which
/// no folded text holds: the index matches such a word by its beginning.
pub(crate) fn term_pattern(term: &str, fold: bool) -> (String, bool) {
    let trimmed = term.trim();
    let stem = trimmed.strip_suffix('*').unwrap_or(trimmed);
    let prefix = stem.len() != trimmed.len();
    if !stem.contains('*') {
        return (fold::fold(stem, fold).text, prefix);
    }
    let mut pattern = String::with_capacity(trimmed.len());
    let mut words = stem.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let inner = word.strip_suffix('*');
        let folded = fold::fold(inner.unwrap_or(word), fold).text;
        if folded.is_empty() {
            continue;
        }
        if !pattern.is_empty() {
            pattern.push(' ');
        }
        pattern.push_str(&folded);
        if inner.is_some() && words.peek().is_some() {
            pattern.push('*');
        }
    }
    (pattern, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pack: &TopicPack) -> Vec<String> {
        pack.validate().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn defaults_apply() {
        let pack = TopicPack::from_toml(
            "name = \"t\"\nthreshold = 1.0\n[[group]]\nname = \"g\"\n[group.terms]\nen = [\"spy\"]\n",
        )
        .unwrap();
        assert_eq!(pack.title_weight, 1.5);
        assert!(pack.fold_diacritics);
        let g = &pack.groups[0];
        assert_eq!(
            (g.weight, g.required, g.negative, g.veto, g.max_count),
            (1.0, false, false, false, 3)
        );
        assert!(pack.validate().is_empty());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err =
            TopicPack::from_toml("name = \"t\"\nthreshold = 1.0\ntreshold = 2.0\n").unwrap_err();
        assert!(err.to_string().contains("treshold"), "{err}");
        let err = TopicPack::from_toml(
            "name = \"t\"\nthreshold = 1.0\n[[group]]\nname = \"g\"\nrequierd = true\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("requierd"), "{err}");
    }

    #[test]
    fn validation_names_every_bad_field() {
        let pack = TopicPack::from_toml(
            r#"
name = "t"
threshold = 0.0
title_weight = -1.0
[[group]]
name = "a"
weight = nan
max_count = 0
[group.terms]
en = ["ok", "", "*spy", "!!!", "sp*", "spy", "SPY"]
EN = ["x"]
pol = ["y"]
[[group]]
name = "a"
negative = true
veto = true
required = true
[group.terms]
"#,
        )
        .unwrap();
        let got = fields(&pack);
        for want in [
            "threshold",
            "title_weight",
            "group[0].weight",
            "group[0].max_count",
            "group[0].terms.en[1]",
            "group[0].terms.en[2]",
            "group[0].terms.en[3]",
            "group[0].terms.en[4]",
            "group[0].terms.en[6]",
            "group[0].terms.EN",
            "group[0].terms.pol",
            "group[1].name",
            "group[1].veto",
            "group[1].required",
            "group[1].terms",
        ] {
            assert!(got.iter().any(|f| f == want), "missing {want} in {got:?}");
        }
        assert!(
            !got.iter()
                .any(|f| f == "group[0].terms.en[0]" || f == "group[0].terms.en[5]")
        );
        let msg = pack.validate()[0].to_string();
        assert!(msg.starts_with("topic \"t\": threshold:"), "{msg}");
    }

    #[test]
    fn wildcard_rules() {
        let check = |term: &str| check_term(term, &term_pattern(term, true).0);
        assert!(check("szpieg*").is_ok());
        assert!(check("Spionage*").is_ok());
        assert!(check("間諜*").is_ok());
        assert!(check("foreign intelligence serv*").is_ok());
        assert!(check("a*").is_err());
        assert!(check("sz*pieg").is_err());
        assert!(check("spy**").is_err());
        assert!(check("spy -*").is_err());
        assert!(check("ßa*").is_err(), "two letters as written");
        assert!(check("*").is_err());
        assert!(check(" - ").is_err(), "no letters or digits");
        // A wildcard may end any word of a phrase, with three letters each.
        assert!(check("ostrzeg* przed używani*").is_ok());
        assert!(check("w interesie* Chin").is_ok());
        assert!(check("za* granicą").is_err());
        assert!(
            check("개인정보 수집*").is_ok(),
            "the last `*` counts the phrase"
        );
        assert!(check("sz*pieg przed").is_err());
        assert!(check("spy* -* ring").is_err());
        assert!(check("華為* 間諜").is_err(), "CJK is matched without words");
    }

    #[test]
    fn inner_wildcards_are_kept_in_the_pattern() {
        assert_eq!(
            term_pattern("Ostrzeg* przed Używani*", true),
            ("ostrzeg* przed uzywani".to_string(), true)
        );
        // A written word that folds to two keeps its `*` after the last one.
        assert_eq!(
            term_pattern("5G-nät* operator", true),
            ("5g nat* operator".to_string(), false)
        );
        // Without a wildcard inside, the pattern is the folded phrase as before.
        assert_eq!(
            term_pattern(" People's Liberation Army* ", false),
            ("people s liberation army".to_string(), true)
        );
    }
}
