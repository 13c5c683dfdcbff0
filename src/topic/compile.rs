//! Validated packs → one pattern index over normalised terms.
//!
//! Job: flatten every term of every topic into a table the matcher can index
//! by pattern, normalise each term exactly as texts are normalised, and build
//! the [`PatternIndex`] that reports every occurrence of every pattern where
//! a term may begin; the matcher decides which of them count.
//!
//! Invariant: compilation only starts from packs that validate, and collects
//! every error before failing. Normally there is one index (all packs fold
//! diacritics); a pack with `fold_diacritics = false` needs texts normalised
//! the other way, so such packs share a second index and a second pass.

use std::collections::{BTreeSet, HashSet};

use rustc_hash::FxHashMap;

use super::TopicError;
use super::fold::is_word_char;
use super::pack::{ANY_LANGUAGE, TopicPack};
use super::scanner::PatternIndex;
use crate::lang::LangCode;

/// Everything the matcher needs, built once.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub topics: Vec<Topic>,
    pub terms: Vec<Term>,
    pub scanners: Vec<Scanner>,
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Topic {
    pub name: String,
    pub threshold: f64,
    pub title_weight: f64,
    pub groups: Vec<Group>,
    pub pairs: Vec<Pair>,
    /// Words apart within which a negative occurrence is near positive evidence.
    pub window: u32,
}

/// A `[[pair]]` rule with its groups resolved to indices.
#[derive(Debug)]
pub(crate) struct Pair {
    pub groups: [usize; 2],
    pub bonus: f64,
    pub within: u32,
}

#[derive(Debug)]
pub(crate) struct Group {
    pub name: String,
    pub weight: f64,
    pub required: bool,
    pub negative: bool,
    pub veto: bool,
    pub max_count: u32,
    pub cap: Option<f64>,
    /// Share of `weight` for a negative body occurrence far from positive evidence.
    pub distant: f64,
}

impl Group {
    /// Adds points when it fires (not negative, veto or a zero-weight mask).
    pub fn is_positive(&self) -> bool {
        !(self.negative || self.veto || self.weight == 0.0)
    }

    /// `points` (negative for a negative group) limited to the group's `cap`
    /// in size, keeping the sign.
    pub fn capped(&self, points: f64) -> f64 {
        match self.cap {
            Some(cap) if points.abs() > cap => cap.copysign(points),
            _ => points,
        }
    }
}

/// One term of one group, as compiled. Its index is its id; ids follow pack,
/// group, language and term order, which is the order explanations list them.
#[derive(Debug)]
pub(crate) struct Term {
    pub topic: usize,
    pub group: usize,
    /// As written in the pack, for the explanation.
    pub written: String,
    /// `None` for `any`.
    pub lang: Option<LangCode>,
    /// Trailing `*`: no boundary needed after the stem, the hit runs to the end of the word.
    pub prefix: bool,
    pub left_boundary: bool,
    pub right_boundary: bool,
    /// Length of the normalised pattern: of two terms that hit the very same
    /// text, the longer pattern is the more specific one.
    pub pattern_len: usize,
}

/// The patterns of one normalisation mode, indexed for search.
#[derive(Debug)]
pub(crate) struct Scanner {
    pub fold: bool,
    pub index: PatternIndex,
    /// Pattern id → the terms that share that normalised pattern.
    pub terms_of: Vec<Vec<usize>>,
}

pub(crate) fn compile(
    packs: &[TopicPack],
    enabled_languages: &[String],
) -> Result<Compiled, Vec<TopicError>> {
    let mut errors: Vec<TopicError> = Vec::new();
    let mut folded: Vec<Vec<(String, bool)>> = Vec::with_capacity(packs.len());
    for pack in packs {
        let mut patterns = Vec::new();
        errors.extend(pack.validate_patterns(&mut patterns));
        folded.push(patterns);
    }
    let mut names = HashSet::new();
    for pack in packs {
        if !names.insert(pack.name.as_str()) {
            errors.push(TopicError {
                topic: pack.name.clone(),
                field: "name".into(),
                message: "another topic pack has the same name".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // An empty list means "no restriction" (every language a pack mentions).
    let enabled: BTreeSet<String> = enabled_languages
        .iter()
        .filter_map(|l| LangCode::parse(l).map(|c| c.to_string()))
        .collect();
    let is_enabled =
        |lang: &str| enabled.is_empty() || lang == ANY_LANGUAGE || enabled.contains(lang);

    let mut topics = Vec::with_capacity(packs.len());
    let mut terms = Vec::new();
    let mut warnings = Vec::new();
    // (fold, normalised pattern) → (scanner slot, pattern id)
    let mut patterns: [Vec<String>; 2] = Default::default();
    let mut terms_of: [Vec<Vec<usize>>; 2] = Default::default();
    let mut pattern_ids: [FxHashMap<String, usize>; 2] = Default::default();

    for ((t, pack), folded) in packs.iter().enumerate().zip(folded) {
        // One pattern per term, in the order the loops below visit them.
        let mut folded = folded.into_iter();
        let slot = usize::from(!pack.fold_diacritics);
        let mut groups = Vec::with_capacity(pack.groups.len());
        // language → terms skipped because it is not enabled: one warning
        // per topic, not one per group and language.
        let mut ignored: std::collections::BTreeMap<&str, usize> = Default::default();
        for (g, group) in pack.groups.iter().enumerate() {
            groups.push(Group {
                name: group.name.clone(),
                weight: group.weight,
                required: group.required,
                negative: group.negative,
                veto: group.veto,
                max_count: group.max_count,
                cap: group.cap,
                distant: group.distant.unwrap_or(1.0),
            });
            for (lang, list) in &group.terms {
                if !is_enabled(lang) {
                    *ignored.entry(lang.as_str()).or_default() += list.len();
                    folded.by_ref().take(list.len()).for_each(drop);
                    continue;
                }
                for written in list {
                    let trimmed = written.trim();
                    let Some((pattern, prefix)) = folded.next() else {
                        break;
                    };
                    // `validate` guarantees a letter or digit, hence a non-empty pattern.
                    let (Some(first), Some(last)) =
                        (pattern.chars().next(), pattern.chars().next_back())
                    else {
                        continue;
                    };
                    let id = terms.len();
                    terms.push(Term {
                        topic: t,
                        group: g,
                        written: trimmed.to_string(),
                        lang: LangCode::parse(lang),
                        prefix,
                        left_boundary: is_word_char(first),
                        right_boundary: !prefix && is_word_char(last),
                        pattern_len: pattern.len(),
                    });
                    let next = patterns[slot].len();
                    let pid = *pattern_ids[slot].entry(pattern.clone()).or_insert(next);
                    if pid == next {
                        patterns[slot].push(pattern);
                        terms_of[slot].push(Vec::new());
                    }
                    terms_of[slot][pid].push(id);
                }
            }
        }
        // `validate` guarantees two known group names per pair.
        let group_index = |name: &str| pack.groups.iter().position(|g| g.name == name);
        let pairs = pack
            .pairs
            .iter()
            .filter_map(|p| {
                Some(Pair {
                    groups: [group_index(&p.groups[0])?, group_index(&p.groups[1])?],
                    bonus: p.bonus,
                    within: p.within.unwrap_or(pack.window),
                })
            })
            .collect();
        topics.push(Topic {
            name: pack.name.clone(),
            threshold: pack.threshold,
            title_weight: pack.title_weight,
            groups,
            pairs,
            window: pack.window,
        });
        if !ignored.is_empty() {
            let langs: Vec<&str> = ignored.keys().copied().collect();
            warnings.push(format!(
                "topic {:?}: {} terms for {} are ignored: those languages are not enabled",
                pack.name,
                ignored.values().sum::<usize>(),
                langs.join(", ")
            ));
        }
        warnings.extend(coverage(pack, &enabled));
    }

    let mut scanners = Vec::new();
    for (slot, (pats, of)) in patterns.into_iter().zip(terms_of).enumerate() {
        if pats.is_empty() {
            continue;
        }
        let is_stem: Vec<bool> = of
            .iter()
            .map(|ids| ids.iter().any(|&id| terms[id].prefix))
            .collect();
        let index = PatternIndex::build(&pats, &is_stem).map_err(|e| {
            vec![TopicError {
                topic: String::new(),
                field: "group".into(),
                message: format!("cannot build the term index: {e}"),
            }]
        })?;
        scanners.push(Scanner {
            fold: slot == 0,
            index,
            terms_of: of,
        });
    }
    Ok(Compiled {
        topics,
        terms,
        scanners,
        warnings,
    })
}

/// Enabled languages for which a required group has no terms (and no `any`
/// terms): an item in such a language can never match the topic.
fn coverage(pack: &TopicPack, enabled: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for group in pack.groups.iter().filter(|g| g.required) {
        let has = |lang: &str| group.terms.get(lang).is_some_and(|l| !l.is_empty());
        if has(ANY_LANGUAGE) {
            continue;
        }
        let missing: Vec<&str> = enabled
            .iter()
            .map(String::as_str)
            .filter(|l| !has(l))
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "topic {:?}: required group {:?} has no terms for {}: items in these languages can never match",
                pack.name,
                group.name,
                missing.join(", ")
            ));
        }
    }
    out
}
