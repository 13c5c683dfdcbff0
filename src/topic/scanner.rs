//! Finding every occurrence of the compiled patterns in a normalised text.
//!
//! Job: given the normalised patterns of one fold mode, report each place a
//! pattern occurs where a term may begin: at the start of a word for a
//! pattern that begins with a word character, anywhere for the others (CJK).
//! The rules that depend on the term (right boundary, `*`, language) are the
//! matcher's.
//!
//! Why not one Aho-Corasick automaton over every pattern: the default pack's
//! ~30,000 patterns in 35 languages make ~330,000 states (over 4 MB), and an
//! unanchored pass loads one state per byte of text, most of them from
//! outside the CPU caches; that pass was half of the matcher's time, and a
//! DFA (380 MB) was no faster. A term that begins with a word character must
//! begin a word, so each word's candidates are found from the word itself: a
//! rolling hash over its bytes, checked against a Bloom filter small enough
//! to stay in cache, and a hash map only on a filter hit. The whole word is
//! checked for every pattern of one word and for the phrases it may begin
//! (those of three words or more by their first two words, so that a word
//! as common as `on` does not bring hundreds of phrases to compare);
//! its proper prefixes only for stems (patterns some term uses with `*`),
//! since any other one-word pattern ending inside a word fails its term's
//! right boundary anyway. Patterns that begin with a CJK character match
//! inside runs written without spaces; they keep a small automaton of their
//! own, run only on texts that contain such a character.
//!
//! A phrase with a wildcard word inside (`ostrzeg* przed uzywani`) is no
//! fixed string: it is kept with its first word's key and compared word by
//! word where that key is found.
//!
//! Invariant: for patterns without an inner wildcard, reports exactly the
//! occurrences that an overlapping Aho-Corasick search reports and that a
//! term could count: those that start at a word start, or of a pattern not
//! beginning with a word character, less those of a one-word pattern that is
//! no stem and ends inside a word (the tests compare the two).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, BuildError, MatchKind};
use rustc_hash::FxHashMap;

use super::fold::is_word_char;

/// Patterns that may begin at a word start, indexed by their first word.
#[derive(Debug, Default)]
struct WordIndex {
    /// Hash of a word (or a word's prefix) → the patterns keyed by it.
    slots: FxHashMap<u64, Slot>,
    /// Every key in `slots`: what a whole word of the text is checked against.
    whole: Bloom,
    /// The keys of stems: what a word's proper prefixes are checked against.
    stems: Bloom,
    /// Hash of a phrase's first two words (with the space between) → the
    /// phrases of three or more words that begin with them. Keyed by the
    /// first word alone, a phrase list of "on behalf of <state>" kind put
    /// hundreds of phrases behind `on`, `na` or `a`, each compared at every
    /// occurrence of the word.
    pairs: FxHashMap<u64, Vec<u32>>,
    /// Bit n set: some stem is n bytes long (n < 64; longer ones set bit
    /// 63). Prefixes of other lengths need no lookup.
    stem_lengths: u64,
}

#[derive(Debug, Default)]
struct Slot {
    /// Patterns of one word that no term uses as a stem: they can only count
    /// where a whole word equals them.
    words: Vec<u32>,
    /// Patterns of one word that some term uses as a stem (`szpieg*`): they
    /// occur wherever a word starts with them.
    stems: Vec<u32>,
    /// Phrases (or a word followed by CJK) whose first word is the key: they
    /// occur where a whole word equals the key and the text goes on as they do.
    /// Phrases of three words or more are in [`WordIndex::pairs`] instead.
    phrases: Vec<u32>,
    /// Whether some phrase in [`WordIndex::pairs`] begins with the key.
    begins_pairs: bool,
    /// Phrases with a word-prefix wildcard inside (`ostrzeg* przed uzywani`)
    /// whose first word is the key as a whole word.
    wild_phrases: Vec<WildPhrase>,
    /// The same, whose first word has the wildcard: they may begin wherever
    /// a word starts with the key.
    wild_stem_phrases: Vec<WildPhrase>,
}

/// A phrase with a wildcard inside, with the first bytes of its second word:
/// under a key as common as `la` or `im` sit dozens of such phrases, and
/// most are ruled out by the next word's first two bytes.
#[derive(Debug)]
struct WildPhrase {
    id: u32,
    second: [u8; 2],
    second_len: u8,
}

impl WildPhrase {
    fn new(id: u32, pattern: &str) -> WildPhrase {
        let second = pattern
            .split(' ')
            .nth(1)
            .map_or("", |w| w.trim_end_matches(WILD))
            .as_bytes();
        let n = second.len().min(2);
        let mut bytes = [0; 2];
        bytes[..n].copy_from_slice(&second[..n]);
        WildPhrase {
            id,
            second: bytes,
            second_len: n as u8,
        }
    }

    fn may_go_on_with(&self, next_word: &[u8]) -> bool {
        next_word.starts_with(&self.second[..usize::from(self.second_len)])
    }
}

/// A Bloom filter of two bits per key, sized to stay in the CPU cache.
#[derive(Debug, Default)]
struct Bloom {
    bits: Vec<u64>,
    /// log2 of the number of bits.
    log2: u32,
}

impl Bloom {
    /// About 16 bits per key: under 5 % false positives with two bits each.
    fn with_keys(keys: impl ExactSizeIterator<Item = u64>) -> Bloom {
        let bits = (keys.len() * 16)
            .next_power_of_two()
            .clamp(1 << 12, 1 << 24);
        let mut bloom = Bloom {
            bits: vec![0; bits / 64],
            log2: bits.trailing_zeros(),
        };
        for key in keys {
            for bit in bloom.positions(key) {
                bloom.bits[bit / 64] |= 1 << (bit % 64);
            }
        }
        bloom
    }

    /// Two bit positions from two multiplicative hashes of `key` (the top
    /// bits of a product are the well-mixed ones).
    fn positions(&self, key: u64) -> [usize; 2] {
        let shift = 64 - self.log2;
        [
            (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize,
            (key.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) >> shift) as usize,
        ]
    }

    fn may_contain(&self, key: u64) -> bool {
        self.positions(key)
            .iter()
            .all(|&bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Every pattern of one fold mode, ready to be searched.
pub(crate) struct PatternIndex {
    patterns: Vec<Box<str>>,
    words: WordIndex,
    /// Patterns that begin with anything but a word character; `None` when
    /// there are none.
    anywhere: Option<AhoCorasick>,
    /// Pattern id in `anywhere` → pattern id in `patterns`.
    anywhere_ids: Vec<u32>,
}

impl std::fmt::Debug for PatternIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternIndex")
            .field("patterns", &self.patterns.len())
            .field("word_keys", &self.words.slots.len())
            .field("anywhere", &self.anywhere_ids.len())
            .finish()
    }
}

impl PatternIndex {
    /// Indexes `patterns` (normalised, non-empty, distinct); a pattern's id
    /// is its position in the slice. `is_stem[id]`: some term uses the
    /// pattern with a `*`, so it may end inside a word.
    pub fn build(patterns: &[String], is_stem: &[bool]) -> Result<PatternIndex, BuildError> {
        let mut words = WordIndex::default();
        let mut stem_keys = Vec::new();
        let mut anywhere_patterns: Vec<&str> = Vec::new();
        let mut anywhere_ids = Vec::new();
        for (id, pattern) in patterns.iter().enumerate() {
            let stem = is_stem.get(id).copied().unwrap_or(false);
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let first_word = word_len(pattern);
            if first_word == 0 {
                anywhere_patterns.push(pattern);
                anywhere_ids.push(id);
                continue;
            }
            let key = hash_bytes(&pattern.as_bytes()[..first_word]);
            let slot = words.slots.entry(key).or_default();
            if pattern.contains(WILD) {
                let phrase = WildPhrase::new(id, pattern);
                if pattern[first_word..].starts_with(WILD) {
                    slot.wild_stem_phrases.push(phrase);
                    stem_keys.push(key);
                    words.stem_lengths |= 1 << first_word.min(63);
                } else {
                    slot.wild_phrases.push(phrase);
                }
            } else if let Some(two_words) = two_words_then_space(pattern, first_word) {
                slot.begins_pairs = true;
                let pair = hash_bytes(&pattern.as_bytes()[..two_words]);
                words.pairs.entry(pair).or_default().push(id);
            } else if first_word < pattern.len() {
                slot.phrases.push(id);
            } else if stem {
                slot.stems.push(id);
                stem_keys.push(key);
                words.stem_lengths |= 1 << first_word.min(63);
            } else {
                slot.words.push(id);
            }
        }
        words.whole = Bloom::with_keys(words.slots.keys().copied());
        words.stems = Bloom::with_keys(stem_keys.into_iter());
        // Overlapping search needs Standard semantics. These patterns are few
        // (CJK terms), so the automaton is small whatever its kind.
        let anywhere = if anywhere_patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&anywhere_patterns)?,
            )
        };
        Ok(PatternIndex {
            patterns: patterns.iter().map(|p| p.as_str().into()).collect(),
            words,
            anywhere,
            anywhere_ids,
        })
    }

    /// Calls `found(pattern id, start, end)` for every occurrence in `text`
    /// (a normalised text) that a term could count (see the module docs).
    /// Byte offsets; the order is unspecified.
    pub fn for_each_occurrence(&self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        let bytes = text.as_bytes();
        let mut other_chars = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b' ' {
                i += 1;
                continue;
            }
            let (c, len) = char_at(text, i);
            if !is_word_char(c) {
                other_chars = true;
                i += len;
                continue;
            }
            let end = i + word_len(&text[i..]);
            self.words_at(text, i, end, &mut found);
            i = end;
        }
        if let (true, Some(automaton)) = (other_chars, &self.anywhere) {
            // Built in Standard mode, so overlapping search cannot fail; an
            // error would only mean no occurrences, never a panic.
            if let Ok(matches) = automaton.try_find_overlapping_iter(text) {
                for m in matches {
                    if let Some(&id) = self.anywhere_ids.get(m.pattern().as_usize()) {
                        found(id as usize, m.start(), m.end());
                    }
                }
            }
        }
    }

    /// The occurrences that start at `start`, the first byte of the word
    /// `text[start..end]`.
    fn words_at(
        &self,
        text: &str,
        start: usize,
        end: usize,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        let bytes = text.as_bytes();
        let mut hash = FNV_OFFSET;
        // Proper prefixes: only stems can occur there.
        for j in start..end - 1 {
            hash = fnv_step(hash, bytes[j]);
            let length = j + 1 - start;
            if self.words.stem_lengths & (1 << length.min(63)) == 0
                || is_continuation(bytes[j + 1])
                || !self.words.stems.may_contain(hash)
            {
                continue;
            }
            if let Some(slot) = self.words.slots.get(&hash) {
                let prefix = &text[start..=j];
                for &id in &slot.stems {
                    if self.pattern(id) == prefix {
                        found(id as usize, start, j + 1);
                    }
                }
                self.wild_at(text, start, end, &slot.wild_stem_phrases, found);
            }
        }
        // The whole word: any pattern of one word, and the phrases it begins.
        hash = fnv_step(hash, bytes[end - 1]);
        if !self.words.whole.may_contain(hash) {
            return;
        }
        let Some(slot) = self.words.slots.get(&hash) else {
            return;
        };
        let word = &text[start..end];
        for &id in slot.words.iter().chain(&slot.stems) {
            if self.pattern(id) == word {
                found(id as usize, start, end);
            }
        }
        self.wild_at(text, start, end, &slot.wild_phrases, found);
        self.wild_at(text, start, end, &slot.wild_stem_phrases, found);
        let rest = &text[start..];
        for &id in &slot.phrases {
            let pattern = self.pattern(id);
            if rest.starts_with(pattern) {
                found(id as usize, start, start + pattern.len());
            }
        }
        // Longer phrases: only those that begin with this word and the next.
        if slot.begins_pairs
            && let Some(two_words) = two_words_then_space(rest, end - start)
            && let Some(phrases) = self.words.pairs.get(
                &bytes[end..start + two_words]
                    .iter()
                    .fold(hash, |h, &b| fnv_step(h, b)),
            )
        {
            for &id in phrases {
                let pattern = self.pattern(id);
                if rest.starts_with(pattern) {
                    found(id as usize, start, start + pattern.len());
                }
            }
        }
    }

    /// Reports the phrases with an inner wildcard among `phrases` that occur
    /// at `start`, the start of the word `text[start..end]`.
    fn wild_at(
        &self,
        text: &str,
        start: usize,
        end: usize,
        phrases: &[WildPhrase],
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        if phrases.is_empty() || text.as_bytes().get(end) != Some(&b' ') {
            return;
        }
        let next_word = &text.as_bytes()[end + 1..];
        for phrase in phrases.iter().filter(|p| p.may_go_on_with(next_word)) {
            let pattern = self.pattern(phrase.id);
            if let Some(end) = wild_phrase_end(text, start, pattern) {
                found(phrase.id as usize, start, end);
            }
        }
    }

    fn pattern(&self, id: u32) -> &str {
        self.patterns.get(id as usize).map_or("", |p| p)
    }
}

/// Marks a word of a pattern that matches any word it begins (see
/// [`crate::topic::pack`]'s `term_pattern`); no folded text holds one.
const WILD: char = '*';

/// Where `pattern`, a phrase with a wildcard inside, ends if it occurs at
/// `start` (a word start): word by word, a wildcard word begins the text's
/// word, any other equals it. Its last word is compared as the other
/// patterns are: it may end inside the text's word, and the matcher decides
/// by the term (a stem, or a right boundary).
fn wild_phrase_end(text: &str, start: usize, pattern: &str) -> Option<usize> {
    let mut at = start;
    let mut pieces = pattern.split(' ').peekable();
    while let Some(piece) = pieces.next() {
        let rest = text.get(at..)?;
        if pieces.peek().is_none() {
            return rest.starts_with(piece).then_some(at + piece.len());
        }
        let word = &rest[..word_len(rest)];
        let matches = match piece.strip_suffix(WILD) {
            Some(stem) => word.starts_with(stem),
            None => word == piece,
        };
        if !matches || rest.as_bytes().get(word.len()) != Some(&b' ') {
            return None;
        }
        at += word.len() + 1;
    }
    None
}

/// The length in bytes of the run of word characters that `s` starts with.
/// Where the second word of `s` ends, when `s` is a first word
/// (`first_word` bytes), one space, a second word and another space: the
/// form a phrase of three words or more takes, and the text around an
/// occurrence of one.
fn two_words_then_space(s: &str, first_word: usize) -> Option<usize> {
    let after_first = s.get(first_word..)?.strip_prefix(' ')?;
    let second = word_len(after_first);
    let end = first_word + 1 + second;
    (second > 0 && s.as_bytes().get(end) == Some(&b' ')).then_some(end)
}

fn word_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        // ASCII, nearly every byte of a normalised text, without decoding.
        if b.is_ascii() {
            if !b.is_ascii_alphanumeric() {
                break;
            }
            i += 1;
            continue;
        }
        let (c, len) = char_at(s, i);
        if !is_word_char(c) {
            break;
        }
        i += len;
    }
    i
}

/// The character at byte `i` (a char boundary) and its length.
fn char_at(text: &str, i: usize) -> (char, usize) {
    text[i..]
        .chars()
        .next()
        .map_or((' ', 1), |c| (c, c.len_utf8()))
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| fnv_step(h, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an overlapping Aho-Corasick search reports, restricted as the
    /// index promises: the reference the index must equal.
    fn reference(patterns: &[String], stems: &[bool], text: &str) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .unwrap();
        let mut out: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .filter(|m| {
                let pattern = &patterns[m.pattern().as_usize()];
                let begins_word = pattern.chars().next().is_some_and(is_word_char);
                let at_word_start = text[..m.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !is_word_char(c));
                let one_word = word_len(pattern) == pattern.len();
                let at_word_end = text[m.end()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !is_word_char(c));
                let may_end_here = !one_word || stems[m.pattern().as_usize()] || at_word_end;
                !begins_word || (at_word_start && may_end_here)
            })
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        out.sort_unstable();
        out
    }

    fn indexed(patterns: &[String], stems: &[bool], text: &str) -> Vec<(usize, usize, usize)> {
        let index = PatternIndex::build(patterns, stems).unwrap();
        let mut out = Vec::new();
        index.for_each_occurrence(text, |p, s, e| out.push((p, s, e)));
        out.sort_unstable();
        out
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_phrases_and_cjk_are_found_where_terms_may_begin() {
        let patterns = strings(&[
            "spy", "spying", "spy ring", "ring", "中国", "华为", "5g网络", "szpieg", "łódź",
        ]);
        // "szpieg" is a stem (a term `szpieg*`); "spy" is not.
        let stems: Vec<bool> = patterns.iter().map(|p| p == "szpieg").collect();
        let text = "a spy ring was spying in 中国华为 5g网络 espy szpiegostwo łódź spyware";
        let got = indexed(&patterns, &stems, text);
        assert_eq!(got, reference(&patterns, &stems, text));
        // "espy" holds "spy" but not at a word start, and "spyware" starts
        // with it but "spy" is no stem: neither is reported.
        let spy_starts: Vec<usize> = got.iter().filter(|o| o.0 == 0).map(|o| o.1).collect();
        assert_eq!(spy_starts, vec![2]);
        // A one-word pattern occurs as a prefix of a longer word.
        assert!(
            got.iter()
                .any(|o| o.0 == 7 && o.1 == text.find("szpiegostwo").unwrap())
        );
        // Phrases and CJK inside a run.
        assert!(got.iter().any(|o| o.0 == 2));
        assert!(got.iter().any(|o| o.0 == 5));
        assert!(got.iter().any(|o| o.0 == 6));
    }

    #[test]
    fn phrases_with_inner_wildcards_match_word_by_word() {
        let patterns = strings(&[
            "ostrzeg* przed uzywani",
            "kradziez* tajemnic* handlow",
            "w interesie* chin",
        ]);
        let stems = [true, true, false];
        let index = PatternIndex::build(&patterns, &stems).unwrap();
        let found = |text: &str| {
            let mut got = Vec::new();
            index.for_each_occurrence(text, |id, start, end| {
                got.push((id, text[start..end].to_string()))
            });
            got.sort();
            got
        };
        let text = "abw ostrzegla przed uzywaniem i ostrzega wczoraj przed uzywaniem";
        assert_eq!(
            found(text),
            vec![(0, "ostrzegla przed uzywani".to_string())]
        );
        // The stem is a whole word too, and later stems take any ending.
        assert_eq!(
            found("kradziez tajemnicy handlowej"),
            vec![(1, "kradziez tajemnicy handlow".to_string())]
        );
        // A word that is not a wildcard must be whole: "interesie" is one, "w" is not.
        assert_eq!(
            found("w interesiech chin a sw interesie chin"),
            vec![(2, "w interesiech chin".to_string())]
        );
        // Not at a word start, cut short, or another word in between: no match.
        for text in [
            "xostrzega przed uzywaniem",
            "ostrzega przed",
            "ostrzega",
            "kradziez handlowej",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn the_index_agrees_with_an_automaton_on_random_texts() {
        // Small alphabets make many overlaps, shared prefixes and hash-map
        // slots with several patterns.
        let alphabet = ['a', 'b', 'c', 'ł', 'д', '中', '国', ' '];
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..1000 {
            let text: String = (0..rng.usize(0..60))
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let text = text
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let mut patterns: Vec<String> = Vec::new();
            for _ in 0..rng.usize(1..25) {
                let chars: Vec<char> = text.chars().collect();
                let candidate: String = if chars.is_empty() || rng.bool() {
                    (0..rng.usize(1..5))
                        .map(|_| alphabet[rng.usize(..alphabet.len() - 1)])
                        .collect()
                } else {
                    let a = rng.usize(..chars.len());
                    let b = rng.usize(a..chars.len()) + 1;
                    chars[a..b].iter().collect()
                };
                let candidate = candidate.trim().to_string();
                if !candidate.is_empty()
                    && !candidate.contains("  ")
                    && !patterns.contains(&candidate)
                {
                    patterns.push(candidate);
                }
            }
            if patterns.is_empty() {
                continue;
            }
            let stems: Vec<bool> = patterns.iter().map(|_| rng.bool()).collect();
            assert_eq!(
                indexed(&patterns, &stems, &text),
                reference(&patterns, &stems, &text),
                "round {round}: patterns {patterns:?}, text {text:?}"
            );
        }
    }

    #[test]
    fn empty_and_wordless_texts_find_nothing() {
        let patterns = strings(&["spy", "中国"]);
        assert!(indexed(&patterns, &[true, false], "").is_empty());
        assert!(indexed(&patterns, &[true, false], " ").is_empty());
    }
}
