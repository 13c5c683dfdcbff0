//! Scoring one item against every compiled topic, and explaining the verdict.
//!
//! Job: normalise the title and the body once per pattern index, collect every
//! term occurrence in one overlapping pass over each, keep the occurrences
//! that respect word boundaries and the item's language, drop the ones inside
//! a longer occurrence of the same topic, then score per topic and say why.
//!
//! Invariant: never panics on any input, and the cost is one normalisation and
//! one index pass per field whatever the number of topics and terms.

use std::cmp::Reverse;

use super::compile::{Compiled, Term};
use super::fold::{Folded, fold, is_cjk, is_word_char};
use crate::lang::LangCode;
use crate::model::{GroupScore, LanguageGuess, PairHit, TermHit, TopicResult};

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

/// Every occurrence of every term in the title and the body, in any
/// language, with the normalised texts they point into: the one pass over
/// the text that both [`could_match`] and [`classify`] start from.
pub(crate) struct Scan {
    texts: Vec<Folded>,
    found: Vec<Occurrence>,
}

pub(crate) fn scan(c: &Compiled, title: &str, body: &str) -> Scan {
    let mut texts: Vec<Folded> = Vec::with_capacity(c.scanners.len() * 2);
    let mut found: Vec<Occurrence> = Vec::new();
    for scanner in &c.scanners {
        for original in [title, body] {
            let source = texts.len();
            let norm = fold(original, scanner.fold);
            let text = norm.text.as_str();
            scanner
                .index
                .for_each_occurrence(text, |pattern, start, end| {
                    let Some(term_ids) = scanner.terms_of.get(pattern) else {
                        return;
                    };
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
                });
            texts.push(norm);
        }
    }
    Scan { texts, found }
}

/// Whether some topic could match the text in some language: its required
/// groups all have a term in the text, and the most it could score reaches
/// its threshold. The most is counted as if every language's terms applied,
/// no occurrence were hidden inside another, no negative group fired and
/// every pair were near: each of those only removes points, so `false` means
/// no topic can match in any language and language detection can be skipped.
pub(crate) fn could_match(c: &Compiled, scan: &Scan) -> bool {
    // (term, field) of every occurrence, sorted, so that each term's title
    // and body counts are runs.
    let mut seen: Vec<(usize, Field)> = scan
        .found
        .iter()
        .map(|o| (o.term, field_of(o.source)))
        .collect();
    seen.sort_unstable();
    c.topics.iter().enumerate().any(|(t, topic)| {
        let mut points = vec![0.0; topic.groups.len()];
        let mut fired = vec![false; topic.groups.len()];
        for run in seen.chunk_by(|a, b| a.0 == b.0) {
            let term = &c.terms[run[0].0];
            if term.topic != t {
                continue;
            }
            fired[term.group] = true;
            let group = &topic.groups[term.group];
            if !group.is_positive() {
                continue;
            }
            let title = run.iter().filter(|(_, f)| *f == Field::Title).count();
            let counted = Counted::of(group.max_count, title, run.len() - title);
            points[term.group] += group.weight * counted.plain(topic.title_weight);
        }
        let required = topic
            .groups
            .iter()
            .zip(&fired)
            .all(|(g, fired)| !g.required || *fired);
        let mut most: f64 = topic
            .groups
            .iter()
            .zip(&points)
            .map(|(g, p)| g.capped(*p))
            .sum();
        most += topic
            .pairs
            .iter()
            .filter(|p| fired[p.groups[0]] && fired[p.groups[1]])
            .map(|p| p.bonus)
            .sum::<f64>();
        required && round(most) >= topic.threshold
    })
}

/// How many occurrences of one term count, title first, within `max_count`.
#[derive(Debug, Clone, Copy)]
struct Counted {
    title: u32,
    body: u32,
}

impl Counted {
    fn of(max_count: u32, title: usize, body: usize) -> Counted {
        let title = u32::try_from(title).unwrap_or(u32::MAX).min(max_count);
        let body = u32::try_from(body)
            .unwrap_or(u32::MAX)
            .min(max_count - title);
        Counted { title, body }
    }

    /// Occurrences weighed by where they stand: a title occurrence counts
    /// `title_weight`, a body occurrence 1.
    fn plain(self, title_weight: f64) -> f64 {
        f64::from(self.title) * title_weight + f64::from(self.body)
    }
}

/// One occurrence kept for scoring, with its word number in its field.
#[derive(Debug, Clone, Copy)]
struct Placed {
    occ: Occurrence,
    word: u32,
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
        Some(LangCode::parse(lang))
    };
    let applies = |term: &Term| match (term.lang, item_lang) {
        (None, _) | (_, None) => true,
        (Some(t), Some(item)) => item == Some(t),
    };

    let originals = [title, body];
    let Scan { texts, mut found } = scan;
    found.retain(|o| applies(&c.terms[o.term]));
    let kept = place(&texts, drop_contained(c, found));

    let mut results = Vec::with_capacity(c.topics.len());
    let mut next = 0;
    for (t, topic) in c.topics.iter().enumerate() {
        let start = next;
        while next < kept.len() && c.terms[kept[next].occ.term].topic == t {
            next += 1;
        }
        results.push(score_topic(
            c,
            topic,
            &kept[start..next],
            &texts,
            &originals,
        ));
    }
    results
}

/// The verdict of one topic from its kept occurrences (ordered by term,
/// title before body, then position).
fn score_topic(
    c: &Compiled,
    topic: &super::compile::Topic,
    mine: &[Placed],
    texts: &[Folded],
    originals: &[&str; 2],
) -> TopicResult {
    // Where the positive evidence stands, per normalised text, sorted: what
    // a negative occurrence is near or far from.
    let mut evidence: Vec<(usize, u32)> = mine
        .iter()
        .filter(|p| topic.groups[c.terms[p.occ.term].group].is_positive())
        .map(|p| (p.occ.source, p.word))
        .collect();
    evidence.sort_unstable();
    let near_evidence = |p: &Placed| {
        let from =
            evidence.partition_point(|e| *e < (p.occ.source, p.word.saturating_sub(topic.window)));
        evidence
            .get(from)
            .is_some_and(|e| e.0 == p.occ.source && e.1 <= p.word.saturating_add(topic.window))
    };

    let mut group_points = vec![0.0; topic.groups.len()];
    let mut fired = vec![false; topic.groups.len()];
    let mut veto: Option<(usize, usize)> = None;
    let mut terms = Vec::new();
    for run in mine.chunk_by(|a, b| a.occ.term == b.occ.term) {
        let id = run[0].occ.term;
        let term = &c.terms[id];
        let group = &topic.groups[term.group];
        fired[term.group] = true;
        let in_title = run
            .iter()
            .filter(|p| field_of(p.occ.source) == Field::Title)
            .count();
        let counted = Counted::of(group.max_count, in_title, run.len() - in_title);
        let points = if group.veto {
            veto.get_or_insert((term.group, id));
            0.0
        } else if group.negative {
            // A negative counts by how central it is: in the title, or near
            // the positive evidence, fully; a passing mention far from it,
            // only its `distant` share. The most central occurrences count first.
            let near = run[in_title..].iter().filter(|p| near_evidence(p)).count();
            let near = u32::try_from(near).unwrap_or(u32::MAX).min(counted.body);
            let far = counted.body - near;
            -group.weight
                * (f64::from(counted.title) * topic.title_weight
                    + f64::from(near)
                    + f64::from(far) * group.distant)
        } else {
            group.weight * counted.plain(topic.title_weight)
        };
        group_points[term.group] += points;
        let first = run[0];
        let (found, snippet) = explain(
            &texts[first.occ.source],
            originals[first.occ.source % 2],
            first.occ,
        );
        terms.push(TermHit {
            group: group.name.clone(),
            term: term.written.clone(),
            found,
            count: u32::try_from(run.len()).unwrap_or(u32::MAX),
            in_title: in_title > 0,
            snippet,
            position: first.word,
            weight: group.weight,
            points: round(points),
        });
    }

    let mut score = 0.0;
    let mut groups = Vec::new();
    for (g, group) in topic.groups.iter().enumerate() {
        if !fired[g] || group.veto || group.weight == 0.0 {
            continue;
        }
        let raw = group_points[g];
        let points = group.capped(raw);
        score += points;
        groups.push(GroupScore {
            group: group.name.clone(),
            points: round(points),
            capped: points != raw,
        });
    }

    // Each group's occurrences in text order, gathered once for all pairs.
    let mut placed: Vec<Vec<Placed>> = vec![Vec::new(); topic.groups.len()];
    if !topic.pairs.is_empty() {
        for p in mine {
            placed[c.terms[p.occ.term].group].push(*p);
        }
        for v in &mut placed {
            v.sort_unstable_by_key(|p| (p.occ.source, p.word));
        }
    }
    let mut pairs = Vec::new();
    for pair in &topic.pairs {
        let [a, b] = pair.groups;
        let Some(hit) = closest_pair(&placed[a], &placed[b], pair.within) else {
            continue;
        };
        let bonus = if hit.words.is_some() {
            pair.bonus
        } else {
            pair.bonus / 2.0
        };
        score += bonus;
        let found = |p: Placed| explain(&texts[p.occ.source], originals[p.occ.source % 2], p.occ).0;
        pairs.push(PairHit {
            groups: [topic.groups[a].name.clone(), topic.groups[b].name.clone()],
            bonus: round(bonus),
            words: hit.words,
            found: [found(hit.a), found(hit.b)],
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
    TopicResult {
        topic: topic.name.clone(),
        score,
        threshold: topic.threshold,
        matched: reasons.is_empty(),
        terms,
        reasons,
        groups,
        pairs,
    }
}

/// The two occurrences, one of group `a` and one of group `b`, that stand
/// closest.
struct Closest {
    a: Placed,
    b: Placed,
    /// Words apart when both are in one field and at most `within` apart;
    /// `None` when the pair only holds between the title and the body.
    words: Option<u32>,
}

/// The closest occurrences of two groups (`xs`, `ys`: each in text order)
/// in one field, if within `within` words; else, when one of them is in the
/// title, that one and the first of the other (the title names what the
/// whole item is about); else `None`, as when either group did not fire.
fn closest_pair(xs: &[Placed], ys: &[Placed], within: u32) -> Option<Closest> {
    // Merge walk over both sorted lists: the closest pair in one text is
    // always two neighbours in the merged order.
    let (mut i, mut j) = (0, 0);
    let mut best: Option<(u32, Placed, Placed)> = None;
    while i < xs.len() && j < ys.len() {
        let (x, y) = (xs[i], ys[j]);
        if x.occ.source == y.occ.source {
            let d = x.word.abs_diff(y.word);
            if best.is_none_or(|(bd, _, _)| d < bd) {
                best = Some((d, x, y));
            }
        }
        if (x.occ.source, x.word) <= (y.occ.source, y.word) {
            i += 1;
        } else {
            j += 1;
        }
    }
    if let Some((d, x, y)) = best
        && d <= within
    {
        return Some(Closest {
            a: x,
            b: y,
            words: Some(d),
        });
    }
    let title = |v: &[Placed]| {
        v.iter()
            .find(|p| field_of(p.occ.source) == Field::Title)
            .copied()
    };
    match (title(xs), title(ys)) {
        (Some(x), _) => ys.first().map(|&y| Closest {
            a: x,
            b: y,
            words: None,
        }),
        (None, Some(y)) => xs.first().map(|&x| Closest {
            a: x,
            b: y,
            words: None,
        }),
        (None, None) => None,
    }
}

/// Gives each occurrence its word number in its text: words are separated
/// by one space in normalised text, and a CJK character, in scripts written
/// without spaces, counts as half a word. Keeps the order of `kept`.
fn place(texts: &[Folded], kept: Vec<Occurrence>) -> Vec<Placed> {
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_unstable_by_key(|&i| (kept[i].source, kept[i].start));
    let mut words = vec![0u32; kept.len()];
    for run in order.chunk_by(|&x, &y| kept[x].source == kept[y].source) {
        let Some(text) = texts.get(kept[run[0]].source) else {
            continue;
        };
        let (mut spaces, mut cjk) = (0u32, 0u32);
        let mut chars = text.text.char_indices().peekable();
        for &i in run {
            while let Some(&(at, ch)) = chars.peek() {
                if at >= kept[i].start {
                    break;
                }
                if ch == ' ' {
                    spaces += 1;
                } else if is_cjk(ch) {
                    cjk += 1;
                }
                chars.next();
            }
            words[i] = spaces + cjk / 2;
        }
    }
    kept.into_iter()
        .zip(words)
        .map(|(occ, word)| Placed { occ, word })
        .collect()
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
fn explain(norm: &Folded, original: &str, occ: Occurrence) -> (String, String) {
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
