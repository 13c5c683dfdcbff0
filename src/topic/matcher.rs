//! Scoring one item against every compiled topic, and explaining the verdict.
//!
//! Job: normalise the title and the body once per automaton, collect every
//! term occurrence in one overlapping pass over each, keep the occurrences
//! that respect word boundaries and the item's language, drop the ones inside
//! a longer occurrence of the same topic, then score per topic and say why.
//!
//! Invariant: never panics on any input, and the cost is one normalisation and
//! one automaton pass per field whatever the number of topics and terms.

use std::cmp::Reverse;

use super::compile::{Compiled, Term, lang_key};
use super::normalize::{Normalized, is_word_char, normalize};
use crate::model::{LanguageGuess, TermHit, TopicResult};

/// Characters of original text shown around the first occurrence of a term.
const SNIPPET_CHARS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Title = 0,
    Body = 1,
}

/// One occurrence of one term that passed the boundary and language checks.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    term: usize,
    /// Index into the normalised texts: scanner * 2 + field.
    source: usize,
    start: usize,
    end: usize,
}

/// What one term scored in one item.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    in_title: u32,
    in_body: u32,
    first: Option<Occurrence>,
}

/// Every occurrence of every term in the title and the body, in any
/// language, with the normalised texts they point into: the one pass over
/// the text that both [`could_match`] and [`classify`] start from.
pub(crate) struct Scan {
    texts: Vec<Normalized>,
    found: Vec<Occurrence>,
}

pub(crate) fn scan(c: &Compiled, title: &str, body: &str) -> Scan {
    let mut texts: Vec<Normalized> = Vec::with_capacity(c.scanners.len() * 2);
    let mut found: Vec<Occurrence> = Vec::new();
    for scanner in &c.scanners {
        for original in [title, body] {
            let source = texts.len();
            let norm = normalize(original, scanner.fold);
            let text = norm.text.as_str();
            // Built in Standard mode, so overlapping search cannot fail; an
            // error would only mean no occurrences, never a panic.
            let Ok(matches) = scanner.automaton.try_find_overlapping_iter(text) else {
                texts.push(norm);
                continue;
            };
            for m in matches {
                let Some(term_ids) = scanner.terms_of.get(m.pattern().as_usize()) else {
                    continue;
                };
                let (start, end) = (m.start(), m.end());
                let left_ok = boundary_before(text, start);
                let right_ok = boundary_after(text, end);
                for &id in term_ids {
                    let term = &c.terms[id];
                    if (term.left_boundary && !left_ok) || (term.right_boundary && !right_ok) {
                        continue;
                    }
                    let end = if term.prefix {
                        word_end(text, end)
                    } else {
                        end
                    };
                    found.push(Occurrence {
                        term: id,
                        source,
                        start,
                        end,
                    });
                }
            }
            texts.push(norm);
        }
    }
    Scan { texts, found }
}

/// Whether some topic could match the text in some language: each of its
/// required groups (or, with none required, any positive group) has a term
/// in the text, whatever the term's language. An upper bound of
/// [`classify`] for every language, since a language only removes terms and
/// negative groups only remove points, so `false` means no topic can match
/// and language detection can be skipped.
pub(crate) fn could_match(c: &Compiled, scan: &Scan) -> bool {
    let found = &scan.found;
    c.topics.iter().enumerate().any(|(t, topic)| {
        let fired = |g: usize| {
            found
                .iter()
                .any(|o| c.terms[o.term].topic == t && c.terms[o.term].group == g)
        };
        let positive = |g: &&super::compile::Group| !(g.negative || g.veto || g.weight == 0.0);
        if topic.groups.iter().any(|g| g.required) {
            topic
                .groups
                .iter()
                .enumerate()
                .filter(|(_, g)| g.required)
                .all(|(g, _)| fired(g))
        } else {
            topic
                .groups
                .iter()
                .enumerate()
                .filter(|(_, g)| positive(g))
                .any(|(g, _)| fired(g))
        }
    })
}

/// Scores a scan of `title` and `body` (the same texts) for an item in `lang`.
pub(crate) fn classify(
    c: &Compiled,
    lang: &str,
    title: &str,
    body: &str,
    scan: Scan,
) -> Vec<TopicResult> {
    // An undetermined language lets every language's terms apply: better an
    // explainable hit than a silent miss on a text the detector could not read.
    // `None`: every language applies. `Some(key)`: that language and `any`;
    // a code that is not two letters (`key` is `None`) gets only `any` terms.
    let lang = lang.trim();
    let item_lang = if lang.is_empty() || lang.eq_ignore_ascii_case(LanguageGuess::UNKNOWN) {
        None
    } else {
        Some(lang_key(lang.split(['-', '_']).next().unwrap_or(lang)))
    };
    let applies = |term: &Term| match (term.lang, item_lang) {
        (None, _) | (_, None) => true,
        (Some(t), Some(item)) => item == Some(t),
    };

    let originals = [title, body];
    let Scan { texts, mut found } = scan;
    found.retain(|o| applies(&c.terms[o.term]));
    let kept = drop_contained(c, found);
    let mut tallies: Vec<(usize, Tally)> = Vec::new();
    for occ in kept {
        let field = field_of(occ.source);
        // `kept` is ordered by term: a new term starts a new tally.
        if tallies.last().is_none_or(|(id, _)| *id != occ.term) {
            tallies.push((occ.term, Tally::default()));
        }
        let Some((_, tally)) = tallies.last_mut() else {
            continue;
        };
        match field {
            Field::Title => tally.in_title = tally.in_title.saturating_add(1),
            Field::Body => tally.in_body = tally.in_body.saturating_add(1),
        }
        tally.first.get_or_insert(occ);
    }

    let mut results = Vec::with_capacity(c.topics.len());
    let mut next = 0;
    for (t, topic) in c.topics.iter().enumerate() {
        let start = next;
        while next < tallies.len() && c.terms[tallies[next].0].topic == t {
            next += 1;
        }
        let mine = &tallies[start..next];

        let mut score = 0.0;
        let mut fired = vec![false; topic.groups.len()];
        let mut veto: Option<(usize, usize)> = None;
        let mut terms = Vec::with_capacity(mine.len());
        for &(id, tally) in mine {
            let term = &c.terms[id];
            let group = &topic.groups[term.group];
            fired[term.group] = true;
            if group.veto {
                veto.get_or_insert((term.group, id));
            } else {
                let cap = group.max_count;
                let in_title = tally.in_title.min(cap);
                let in_body = tally.in_body.min(cap - in_title);
                let points =
                    group.weight * (f64::from(in_title) * topic.title_weight + f64::from(in_body));
                score += if group.negative { -points } else { points };
            }
            let Some(first) = tally.first else { continue };
            let (found, snippet) =
                explain(&texts[first.source], originals[first.source % 2], first);
            terms.push(TermHit {
                group: group.name.clone(),
                term: term.written.clone(),
                found,
                count: tally.in_title.saturating_add(tally.in_body),
                in_title: tally.in_title > 0,
                snippet,
            });
        }
        let score = round(score);

        let mut reasons = Vec::new();
        for (g, group) in topic.groups.iter().enumerate() {
            if group.required && !fired[g] {
                reasons.push(format!("required group {:?} did not fire", group.name));
            }
        }
        if let Some((g, id)) = veto {
            reasons.push(format!(
                "vetoed by group {:?}: {:?}",
                topic.groups[g].name, c.terms[id].written
            ));
        }
        if score < topic.threshold {
            reasons.push(format!(
                "score {} below threshold {}",
                num(score),
                num(topic.threshold)
            ));
        }
        results.push(TopicResult {
            topic: topic.name.clone(),
            score,
            threshold: topic.threshold,
            matched: reasons.is_empty(),
            terms,
            reasons,
        });
    }
    results
}

/// Drops the occurrences that another occurrence explains better. An
/// occurrence inside a longer one (same topic, same text) is dropped when the
/// longer one belongs to the same group (one phrase counts once, by its most
/// specific term: "foreign intelligence service" does not also count as
/// "intelligence service") or to a group that cannot add points, i.e. a
/// negative, veto or zero-weight group (a look-alike phrase neutralises the
/// words inside it: "artificial intelligence services" hides "intelligence
/// services", "spy thriller" hides "spy"). Inside a longer occurrence of
/// another positive group it still counts: "służby wywiadowcze" is both who
/// and what. Of occurrences with exactly the same span, the same rule applies
/// with the longer pattern winning, and the first term winning a tie within a
/// group (so a term listed under `en` and `any` counts once).
///
/// Returns the kept occurrences ordered by term id, title before body, then position.
fn drop_contained(c: &Compiled, mut found: Vec<Occurrence>) -> Vec<Occurrence> {
    let term = |o: &Occurrence| &c.terms[o.term];
    let masks = |o: &Occurrence| {
        let t = term(o);
        let g = &c.topics[t.topic].groups[t.group];
        g.negative || g.veto || g.weight == 0.0
    };
    found.sort_unstable_by_key(|o| {
        let t = term(o);
        (
            t.topic,
            o.source,
            o.start,
            Reverse(o.end),
            Reverse(t.pattern_len),
            o.term,
        )
    });
    let mut kept: Vec<Occurrence> = Vec::with_capacity(found.len());
    // Per (topic, text): the furthest end reached by an earlier, different
    // span of each group, and of any masking group. Everything earlier in the
    // sort starts no later, so reaching as far means containing.
    let mut partition = None;
    let mut group_end: Vec<usize> = Vec::new();
    let mut mask_end = 0;
    let mut i = 0;
    while i < found.len() {
        let head = found[i];
        let key = (term(&head).topic, head.source);
        if partition != Some(key) {
            partition = Some(key);
            group_end.clear();
            group_end.resize(c.topics[key.0].groups.len(), 0);
            mask_end = 0;
        }
        let mut j = i + 1;
        while j < found.len()
            && (term(&found[j]).topic, found[j].source) == key
            && (found[j].start, found[j].end) == (head.start, head.end)
        {
            j += 1;
        }
        let cluster = &found[i..j];
        for (k, o) in cluster.iter().enumerate() {
            let t = term(o);
            let inside = group_end[t.group] >= o.end || mask_end >= o.end;
            // Same span: earlier in the cluster means a longer pattern, or an
            // equal one with a lower term id.
            let beaten = cluster[..k].iter().any(|p| {
                let pt = term(p);
                pt.group == t.group || (masks(p) && pt.pattern_len > t.pattern_len)
            });
            if !inside && !beaten {
                kept.push(*o);
            }
        }
        for o in cluster {
            let g = term(o).group;
            group_end[g] = group_end[g].max(o.end);
            if masks(o) {
                mask_end = mask_end.max(o.end);
            }
        }
        i = j;
    }
    kept.sort_unstable_by_key(|o| (o.term, field_of(o.source), o.start));
    kept
}

fn field_of(source: usize) -> Field {
    if source.is_multiple_of(2) {
        Field::Title
    } else {
        Field::Body
    }
}

/// No letter or digit (outside CJK) right before `start`.
fn boundary_before(text: &str, start: usize) -> bool {
    text.get(..start)
        .is_some_and(|s| s.chars().next_back().is_none_or(|c| !is_word_char(c)))
}

/// No letter or digit (outside CJK) right after `end`.
fn boundary_after(text: &str, end: usize) -> bool {
    text.get(end..)
        .is_some_and(|s| s.chars().next().is_none_or(|c| !is_word_char(c)))
}

/// Where the word that contains byte `end - 1` ends (for `*` terms).
fn word_end(text: &str, end: usize) -> usize {
    let rest = text.get(end..).unwrap_or_default();
    end + rest
        .chars()
        .take_while(|c| is_word_char(*c))
        .map(char::len_utf8)
        .sum::<usize>()
}

/// The original text of an occurrence, and about [`SNIPPET_CHARS`] characters
/// of original text around it with whitespace runs collapsed.
fn explain(norm: &Normalized, original: &str, occ: Occurrence) -> (String, String) {
    let (a, b) = norm.original_range(occ.start, occ.end);
    let (Some(found), Some(before), Some(after)) =
        (original.get(a..b), original.get(..a), original.get(b..))
    else {
        return (String::new(), String::new());
    };
    let side = SNIPPET_CHARS.saturating_sub(found.chars().count()) / 2;
    let from = before
        .char_indices()
        .rev()
        .nth(side.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let from = if side == 0 { a } else { from };
    let to = b + after
        .char_indices()
        .nth(side)
        .map_or(after.len(), |(i, _)| i);
    let mut snippet = String::with_capacity(to.saturating_sub(from) + 8);
    if from > 0 {
        snippet.push('…');
    }
    // Collapse whitespace runs (article text is full of line breaks) and
    // drop them at both ends.
    let mut words = original
        .get(from..to)
        .unwrap_or_default()
        .split_whitespace();
    if let Some(word) = words.next() {
        snippet.push_str(word);
    }
    for word in words {
        snippet.push(' ');
        snippet.push_str(word);
    }
    if to < original.len() {
        snippet.push('…');
    }
    (found.trim().to_string(), snippet)
}

/// Scores are sums of products of small decimals; four places keep
/// `0.1 + 0.2` from printing as `0.30000000000000004`.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `3` → `3.0`, `2.25` → `2.25`.
fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}
