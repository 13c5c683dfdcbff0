//! Which story a new hit joins: hit by hit, as hits arrive, within a
//! sliding window of time.
//!
//! Job: given the hits of the last [`GroupSettings::window`] and a new one,
//! name the story it belongs to and why: the earlier hit it is closest to
//! and what they share. Two kinds of link:
//!
//! - **a copy**: same language and a MinHash similarity of at least
//!   [`GroupSettings::copy_similarity`] (edited wire copies, re-written
//!   headlines over one text);
//! - **shared names**: at least [`GroupSettings::min_shared_names`] name keys
//!   in common (see `names`), each weighing by how rare it is in the window
//!   (the inverse of the share of hits that carry it), together at least
//!   [`GroupSettings::min_name_weight`]. This is what links a rewrite or a
//!   translation, and what keeps two Huawei stories of one week apart: they
//!   share "Huawei" and little else.
//!
//! A new hit joins the story of the earlier hit it is linked to most
//! strongly (a copy before any names); with no link it starts a story of
//! its own, named after its own id. Hits older than the window leave it.
//! The grouping is deterministic: the same hits in the same order give the
//! same stories.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::{DateTime, Duration, Utc};

use super::minhash::{SIGNATURE_LEN, Signature};
use super::names::{name_keys, term_keys};

/// How the grouping decides; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSettings {
    pub window: Duration,
    pub copy_similarity: f64,
    pub min_shared_names: usize,
    pub min_name_weight: f64,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            window: Duration::hours(72),
            copy_similarity: 0.45,
            min_shared_names: 2,
            min_name_weight: 6.0,
        }
    }
}

/// A hit as the grouping sees it.
#[derive(Debug, Clone)]
pub struct StoryItem<'a> {
    pub id: &'a str,
    pub language: &'a str,
    /// When the hit arrived (its first-seen time): the window slides on it.
    pub at: DateTime<Utc>,
    pub title: &'a str,
    pub text: &'a str,
    /// What the topic matcher found in the hit (`TermHit::found`): names
    /// among them ("Huawei", "Salt Typhoon") are the topic's vocabulary,
    /// shared by many stories, and weigh less (see the module docs).
    pub topic_terms: &'a [&'a str],
}

/// Why a hit joined a story.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Same language, this much text in common (MinHash estimate, 0 to 1).
    Copy { similarity: f64 },
    /// These names in common, weighing this much together.
    Names { shared: Vec<String>, weight: f64 },
}

/// The earlier hit a new one is linked to, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub with: String,
    pub reason: Reason,
}

/// A new hit's story: the id of the story (its first hit's id), and the link
/// that brought it there (`None`: it starts the story).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub story: String,
    pub link: Option<Link>,
}

struct Member {
    id: String,
    story: String,
    language: String,
    at: DateTime<Utc>,
    signature: Signature,
    /// Sorted; shared with the name index, so a name's text is held once.
    names: Box<[Arc<str>]>,
    /// Those of `names` the topic matcher found: the topic's vocabulary.
    topical: Box<[Arc<str>]>,
}

/// A decided hit as the window will keep it, once remembered.
struct Pending {
    id: String,
    story: String,
    language: String,
    at: DateTime<Utc>,
    signature: Signature,
    names: BTreeSet<String>,
    topical: BTreeSet<String>,
}

/// One of a new hit's names that the window knows.
struct Known<'w> {
    /// The index's copy of the name's text.
    key: &'w Arc<str>,
    rarity: f64,
    /// Whether the topic matcher found it in the new hit.
    topical: bool,
}

/// A decided assignment with what the window keeps of the hit, waiting for
/// [`Grouper::remember`].
pub struct Decision {
    pub assignment: Assignment,
    member: Pending,
}

/// What the grouping compares of a hit: its name keys and its signature.
fn features(item: &StoryItem<'_>) -> (BTreeSet<String>, BTreeSet<String>, Signature) {
    let names = name_keys(item.title, item.text);
    let topical = item
        .topic_terms
        .iter()
        .flat_map(|t| term_keys(t))
        .filter(|k| names.contains(k))
        .collect();
    let signature = Signature::of(&format!("{}\n{}", item.title, item.text));
    (names, topical, signature)
}

/// Bands of the LSH index over signatures: 16 bands of 4 minima. A pair of
/// similarity s shares a band with probability 1 - (1 - s^4)^16: 0.49 at
/// 0.45, 0.89 at 0.6, 0.99 at 0.75. Copies near the threshold are also
/// found through the names index, as copies share their names.
const BANDS: usize = 16;
const ROWS: usize = SIGNATURE_LEN / BANDS;

/// The window's hits and their indexes. Feed it hits in arrival order.
pub struct Grouper {
    settings: GroupSettings,
    /// Oldest first; `first` is the sequence number of `members[0]`.
    members: VecDeque<Member>,
    first: u64,
    by_name: FxHashMap<Arc<str>, Bucket>,
    by_band: FxHashMap<u64, Bucket>,
}

/// The sequence numbers of the members under one index key. Most keys
/// (a band of one signature, a rare name) have one member: it is held
/// without an allocation of its own.
#[derive(Debug)]
enum Bucket {
    One(u64),
    Many(Vec<u64>),
}

impl Bucket {
    fn as_slice(&self) -> &[u64] {
        match self {
            Bucket::One(seq) => std::slice::from_ref(seq),
            Bucket::Many(seqs) => seqs,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn push(&mut self, seq: u64) {
        match self {
            Bucket::One(first) => *self = Bucket::Many(vec![*first, seq]),
            Bucket::Many(seqs) => seqs.push(seq),
        }
    }

    /// Removes `seq`; whether the bucket is empty afterwards.
    fn remove(&mut self, seq: u64) -> bool {
        match self {
            Bucket::One(first) => *first == seq,
            Bucket::Many(seqs) => {
                // Members are pushed and expire in order: `seq` is first.
                if seqs.first() == Some(&seq) {
                    seqs.remove(0);
                } else {
                    seqs.retain(|&s| s != seq);
                }
                if let [last] = seqs.as_slice() {
                    *self = Bucket::One(*last);
                }
                seqs_is_empty(self)
            }
        }
    }
}

fn seqs_is_empty(bucket: &Bucket) -> bool {
    matches!(bucket, Bucket::Many(seqs) if seqs.is_empty())
}

impl Grouper {
    pub fn new(settings: GroupSettings) -> Grouper {
        Grouper {
            settings,
            members: VecDeque::new(),
            first: 0,
            by_name: FxHashMap::default(),
            by_band: FxHashMap::default(),
        }
    }

    /// Hits in the window.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Decides the new hit's story and remembers the hit.
    pub fn assign(&mut self, item: &StoryItem<'_>) -> Assignment {
        let decision = self.decide(item);
        let assignment = decision.assignment.clone();
        self.remember(decision);
        assignment
    }

    /// Decides the new hit's story without remembering the hit: the caller
    /// stores the hit, then hands the decision to [`Grouper::remember`] (a hit
    /// that turned out to be a duplicate is not remembered).
    pub fn decide(&mut self, item: &StoryItem<'_>) -> Decision {
        self.expire(item.at);
        let (names, topical, signature) = features(item);
        let (story, link) = match self.best_link(item, &names, &topical, &signature) {
            Some((story, link)) => (story, Some(link)),
            None => (item.id.to_string(), None),
        };
        Decision {
            assignment: Assignment {
                story: story.clone(),
                link,
            },
            member: Pending {
                id: item.id.to_string(),
                story,
                language: item.language.to_string(),
                at: item.at,
                signature,
                names,
                topical,
            },
        }
    }

    /// Adds a decided hit to the window.
    pub fn remember(&mut self, decision: Decision) {
        self.push(decision.member);
    }

    /// Adds a hit whose story was decided before (a stored hit, when the
    /// service starts): the window is rebuilt from the store this way, in
    /// arrival order.
    pub fn restore(&mut self, item: &StoryItem<'_>, story: &str) {
        self.expire(item.at);
        let (names, topical, signature) = features(item);
        self.push(Pending {
            id: item.id.to_string(),
            story: story.to_string(),
            language: item.language.to_string(),
            at: item.at,
            signature,
            names,
            topical,
        });
    }

    /// Applies an analyst's correction, as the store applied it (see
    /// `Store::detach_hit`): the hit `id` leaves the story `from` and is a
    /// story of its own; when it was that story's first hit, the story's
    /// other members are now the story `rest`. Later hits then join the
    /// detached hit's story or the others', by the links they have. A hit no
    /// longer in the window changes nothing here.
    pub fn detach(&mut self, id: &str, from: &str, rest: Option<&str>) {
        for member in &mut self.members {
            if member.id == id {
                member.story = id.to_string();
            } else if member.story == from
                && let Some(rest) = rest
            {
                member.story = rest.to_string();
            }
        }
    }

    fn best_link(
        &self,
        item: &StoryItem<'_>,
        names: &BTreeSet<String>,
        topical: &BTreeSet<String>,
        signature: &Signature,
    ) -> Option<(String, Link)> {
        // The item's names the window knows, each with the index's copy of
        // its text (members hold the same `Arc`) and its rarity. A name in
        // more than one hit in a hundred finds too many hits to compare
        // with, and says little: it is left out (two such names would weigh
        // under 2 × ln 100 ≈ 9.2 together).
        let common = (self.members.len() / 100).max(COMMON_NAME_MIN_HITS);
        let known: Vec<Known<'_>> = names
            .iter()
            .filter_map(|name| {
                let (key, bucket) = self.by_name.get_key_value(name.as_str())?;
                (bucket.len() <= common).then(|| Known {
                    key,
                    rarity: self.rarity_of(bucket.len()),
                    topical: topical.contains(name),
                })
            })
            .collect();
        // Candidates: the hits sharing a name (with the names they share)
        // and those sharing a band of the signature.
        let mut shared: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
        for (i, name) in known.iter().enumerate() {
            for &seq in self.by_name[name.key].as_slice() {
                shared.entry(seq).or_default().push(i);
            }
        }
        let mut candidates: FxHashSet<u64> = shared.keys().copied().collect();
        for key in bands(signature) {
            if let Some(seqs) = self.by_band.get(&key) {
                candidates.extend(seqs.as_slice().iter().copied());
            }
        }
        // Sorted, so that ties go to the earliest hit whatever the hash order.
        let mut candidates: Vec<u64> = candidates.into_iter().collect();
        candidates.sort_unstable();
        let mut best: Option<(f64, &Member, Reason)> = None;
        for seq in candidates {
            let Some(member) = self.member(seq) else {
                continue;
            };
            let names: Vec<&Known<'_>> = shared
                .get(&seq)
                .map(|ix| ix.iter().map(|&i| &known[i]).collect())
                .unwrap_or_default();
            let Some((strength, reason)) = self.link_to(item, &names, signature, member) else {
                continue;
            };
            if best.as_ref().is_none_or(|(s, _, _)| strength > *s) {
                best = Some((strength, member, reason));
            }
        }
        best.map(|(_, member, reason)| {
            (
                member.story.clone(),
                Link {
                    with: member.id.clone(),
                    reason,
                },
            )
        })
    }

    /// How strongly the new hit is linked to one member, given the names
    /// they share, if at all: copies rank above any names.
    fn link_to(
        &self,
        item: &StoryItem<'_>,
        shared: &[&Known<'_>],
        signature: &Signature,
        member: &Member,
    ) -> Option<(f64, Reason)> {
        if member.language == item.language {
            let similarity = signature.similarity(&member.signature);
            if similarity >= self.settings.copy_similarity {
                return Some((1000.0 + similarity, Reason::Copy { similarity }));
            }
        }
        let is_topical =
            |n: &Known<'_>| n.topical || member.topical.iter().any(|t| Arc::ptr_eq(t, n.key));
        if shared.len() < self.settings.min_shared_names {
            // One name in two languages: enough when it is specific and
            // no other story of the window carries it (see the module docs).
            let [name] = shared else {
                return None;
            };
            // A topic name ("Huawei") recurs in story after story, so alone it
            // links only where nothing else can: a text in Chinese, Japanese
            // or Korean script and one in another script share little but
            // the Latin names and the numbers in them.
            let one_side_cjk = is_cjk_language(&member.language) != is_cjk_language(item.language);
            if member.language == item.language
                || (!one_side_cjk && is_topical(name))
                || !self.is_exclusive(name.key, &member.story)
            {
                return None;
            }
            let weight = (name.rarity * 100.0).round() / 100.0;
            return Some((
                weight,
                Reason::Names {
                    shared: vec![name.key.to_string()],
                    weight,
                },
            ));
        }
        let weight: f64 = shared
            .iter()
            .map(|n| n.rarity * if is_topical(n) { TOPICAL_FACTOR } else { 1.0 })
            .sum();
        if weight < self.settings.min_name_weight {
            return None;
        }
        let weight = (weight * 100.0).round() / 100.0;
        let mut names: Vec<String> = shared.iter().map(|n| n.key.to_string()).collect();
        names.sort();
        Some((
            weight,
            Reason::Names {
                shared: names,
                weight,
            },
        ))
    }

    /// How much a name says: the log of the inverse share of the window's
    /// hits that carry it. The window is taken as at least
    /// [`MIN_WINDOW_FOR_RARITY`] hits, so that in a young window (the
    /// service just started) every name does not look rare.
    fn rarity_of(&self, hits_with_it: usize) -> f64 {
        let n = self.members.len().max(MIN_WINDOW_FOR_RARITY) as f64;
        ((n + 1.0) / (hits_with_it as f64 + 1.0)).ln()
    }

    /// Whether a name is specific (a code, a number, or a word of
    /// [`EXCLUSIVE_MIN_CHARS`] letters that is not a month or a weekday),
    /// carried by at most [`EXCLUSIVE_MAX_HITS`] hits of the window, all of
    /// them in `story`.
    fn is_exclusive(&self, name: &str, story: &str) -> bool {
        let specific = name.starts_with('#')
            || name.chars().any(|c| c.is_ascii_digit())
            || (name.chars().count() >= EXCLUSIVE_MIN_CHARS && !CALENDAR.contains(&name));
        let Some(seqs) = self.by_name.get(name) else {
            return false;
        };
        specific
            && seqs.len() <= EXCLUSIVE_MAX_HITS
            && seqs
                .as_slice()
                .iter()
                .all(|&seq| self.member(seq).is_some_and(|m| m.story == story))
    }

    fn member(&self, seq: u64) -> Option<&Member> {
        let index = seq.checked_sub(self.first)?;
        self.members.get(usize::try_from(index).ok()?)
    }

    fn push(&mut self, pending: Pending) {
        let seq = self.first + self.members.len() as u64;
        let mut names = Vec::with_capacity(pending.names.len());
        for name in pending.names {
            // The index's own copy of the text, when it has one.
            let shared = match self.by_name.get_key_value(name.as_str()) {
                Some((key, _)) => key.clone(),
                None => Arc::from(name),
            };
            match self.by_name.get_mut(&shared) {
                Some(bucket) => bucket.push(seq),
                None => {
                    self.by_name.insert(shared.clone(), Bucket::One(seq));
                }
            }
            names.push(shared);
        }
        // BTreeSet order: already sorted.
        let topical: Vec<Arc<str>> = names
            .iter()
            .filter(|n| pending.topical.contains(&***n))
            .cloned()
            .collect();
        for key in bands(&pending.signature) {
            match self.by_band.get_mut(&key) {
                Some(bucket) => bucket.push(seq),
                None => {
                    self.by_band.insert(key, Bucket::One(seq));
                }
            }
        }
        self.members.push_back(Member {
            id: pending.id,
            story: pending.story,
            language: pending.language,
            at: pending.at,
            signature: pending.signature,
            names: names.into_boxed_slice(),
            topical: topical.into_boxed_slice(),
        });
    }

    /// Drops the members older than the window before `now`, and their
    /// index entries.
    fn expire(&mut self, now: DateTime<Utc>) {
        let oldest = now - self.settings.window;
        while self.members.front().is_some_and(|m| m.at < oldest) {
            let Some(member) = self.members.pop_front() else {
                break;
            };
            let seq = self.first;
            self.first += 1;
            for name in member.names.iter() {
                if self.by_name.get_mut(name).is_some_and(|b| b.remove(seq)) {
                    self.by_name.remove(name);
                }
            }
            for key in bands(&member.signature) {
                if self.by_band.get_mut(&key).is_some_and(|b| b.remove(seq)) {
                    self.by_band.remove(&key);
                }
            }
        }
    }
}

/// What a name of the topic's vocabulary weighs, against another name as
/// rare: "Huawei" or "Salt Typhoon" recur in story after story of the
/// topic, and a young window cannot tell.
const TOPICAL_FACTOR: f64 = 0.5;

fn is_cjk_language(code: &str) -> bool {
    matches!(code, "zh" | "ja" | "ko")
}

/// A name carried by at most this many hits always finds candidates,
/// whatever the window's size.
const COMMON_NAME_MIN_HITS: usize = 50;

/// Shortest word that can link two languages alone.
const EXCLUSIVE_MIN_CHARS: usize = 5;

/// Most hits that may carry a name that links two languages alone: a name
/// in more hits than one story's tellings is common, whatever its story.
const EXCLUSIVE_MAX_HITS: usize = 8;

/// Capitalised calendar words (English and German write them so), as
/// name keys: they are in every story and name none.
const CALENDAR: &[&str] = &[
    "monday", "tuesda", "wednes", "thursd", "friday", "saturd", "sunday", "januar", "februa",
    "march", "april", "august", "septem", "octobe", "novemb", "decemb", "montag", "dienst",
    "mittwo", "donner", "freita", "samsta", "sonnta", "oktobe", "dezemb",
];

/// A window this young counts as this many hits when weighing names.
pub const MIN_WINDOW_FOR_RARITY: usize = 200;

/// The LSH band keys of a signature (none for an empty one): each band's
/// minima hashed together with the band's number.
fn bands(signature: &Signature) -> Vec<u64> {
    if signature.is_empty() {
        return Vec::new();
    }
    signature
        .0
        .chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let mut key = 0xcbf2_9ce4_8422_2325u64 ^ band as u64;
            for &r in rows {
                key = (key ^ u64::from(r)).wrapping_mul(0x0100_0000_01b3);
            }
            key
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn item<'a>(
        id: &'a str,
        language: &'a str,
        hours: i64,
        title: &'a str,
        text: &'a str,
    ) -> StoryItem<'a> {
        StoryItem {
            id,
            language,
            at: at(hours),
            title,
            text,
            topic_terms: &[],
        }
    }

    const WIRE: &str = "Prosecutors in Dresden charged a former engineer of Elbchip with passing \
        production recipes to an officer of the SVR, who paid him 60,000 euros over two years.";

    #[test]
    fn a_copy_a_translation_and_an_unrelated_story() {
        let mut g = Grouper::new(GroupSettings::default());
        let first = g.assign(&item("a", "en", 0, "Engineer charged", WIRE));
        assert_eq!(
            first,
            Assignment {
                story: "a".into(),
                link: None
            }
        );

        let copy = "Prosecutors in Dresden have charged a former engineer of Elbchip with passing \
            production recipes to an officer of the SVR, who paid him 60,000 euros over two years.";
        let second = g.assign(&item("b", "en", 2, "Ex-engineer charged in Dresden", copy));
        assert_eq!(second.story, "a");
        assert!(
            matches!(second.link, Some(Link { ref with, reason: Reason::Copy { .. } }) if with == "a"),
            "{second:?}"
        );

        let pl = "Prokuratura w Dreźnie oskarżyła byłego inżyniera firmy Elbchip o przekazanie \
            receptur oficerowi SVR, który zapłacił mu 60,000 euro.";
        let third = g.assign(&item("c", "pl", 5, "", pl));
        assert_eq!(third.story, "a", "{third:?}");
        let Some(Link {
            reason: Reason::Names { shared, .. },
            ..
        }) = &third.link
        else {
            panic!("{third:?}")
        };
        assert!(
            shared.contains(&"elbchi".to_string()) && shared.contains(&"#60000".to_string()),
            "{shared:?}"
        );

        let other = g.assign(&item(
            "d",
            "en",
            6,
            "",
            "Hackers working for a foreign state broke into the network of a Swedish ministry, \
             the Säpo said on Monday.",
        ));
        assert_eq!(
            other,
            Assignment {
                story: "d".into(),
                link: None
            }
        );
    }

    #[test]
    fn a_window_restored_from_the_store_keeps_its_stories() {
        let mut g = Grouper::new(GroupSettings::default());
        // Stored earlier: a hit that had joined story "s0".
        g.restore(&item("a", "en", 0, "", WIRE), "s0");
        let copy = g.assign(&item("b", "en", 1, "", WIRE));
        assert_eq!(copy.story, "s0");
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn a_detached_hit_keeps_its_own_story_and_draws_its_copies() {
        let other = "Hackers working for a foreign state broke into the network of a Swedish \
            ministry and stayed there for eight months, the Säpo said on Monday in Stockholm.";
        let mut g = Grouper::new(GroupSettings::default());
        g.assign(&item("a", "en", 0, "", WIRE));
        // Stored as a member of "a" (wrongly, say), then taken out by an analyst.
        g.restore(&item("b", "en", 1, "", other), "a");
        assert_eq!(g.assign(&item("c", "en", 2, "", other)).story, "a");
        g.detach("b", "a", None);
        // A copy of "b" now joins "b"'s own story, a copy of "a" still "a".
        assert_eq!(g.assign(&item("d", "en", 3, "", other)).story, "b");
        assert_eq!(g.assign(&item("e", "en", 4, "", WIRE)).story, "a");
    }

    #[test]
    fn detaching_a_first_hit_moves_the_others_to_the_earliest_of_them() {
        let mut g = Grouper::new(GroupSettings::default());
        g.assign(&item("a", "en", 0, "", WIRE));
        g.assign(&item("b", "en", 1, "", WIRE));
        g.assign(&item("c", "en", 2, "", WIRE));
        g.detach("a", "a", Some("b"));
        let stories: Vec<(&str, &str)> = g
            .members
            .iter()
            .map(|m| (m.id.as_str(), m.story.as_str()))
            .collect();
        assert_eq!(stories, [("a", "a"), ("b", "b"), ("c", "b")]);
        // A new copy links to "a" first (the earliest), which is now alone.
        assert_eq!(g.assign(&item("d", "en", 3, "", WIRE)).story, "a");
    }

    #[test]
    fn one_shared_name_is_not_a_story() {
        let mut g = Grouper::new(GroupSettings::default());
        g.assign(&item(
            "a",
            "en",
            0,
            "",
            "Sweden's regulator barred Huawei from the 5G rollout in Stockholm.",
        ));
        let b = g.assign(&item(
            "b",
            "en",
            1,
            "",
            "Polish agents arrested a Huawei sales director in Warsaw.",
        ));
        assert_eq!(b.story, "b", "{b:?}");
    }

    #[test]
    fn hits_older_than_the_window_leave_it() {
        let mut g = Grouper::new(GroupSettings::default());
        g.assign(&item("a", "en", 0, "", WIRE));
        assert_eq!(g.assign(&item("b", "en", 71, "", WIRE)).story, "a");
        // 73 hours after "a" and 2 after "b": "b" is still there, "a" is not.
        assert_eq!(g.assign(&item("c", "en", 73, "", WIRE)).story, "a");
        assert_eq!(g.len(), 2);
        let late = g.assign(&item("d", "en", 200, "", WIRE));
        assert_eq!(
            late,
            Assignment {
                story: "d".into(),
                link: None
            }
        );
        assert_eq!(g.len(), 1);
        assert!(g.by_name.values().all(|v| v.len() == 1));
    }
}
