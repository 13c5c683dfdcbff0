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
//! rolling hash over its bytes, checked at each character boundary against a
//! Bloom filter small enough to stay in cache, and a hash map only on a
//! filter hit (a pattern of one word is a prefix of the text's word; a
//! phrase starts with the text's whole word). Patterns that begin with a CJK
//! character match inside runs written without spaces; they keep a small
//! automaton of their own, run only on texts that contain such a character.
//!
//! Invariant: reports exactly the occurrences that an overlapping
//! Aho-Corasick search reports and that start at a word start or are of a
//! pattern not beginning with a word character (the tests compare the two).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, BuildError, MatchKind};
use rustc_hash::FxHashMap;

use super::normalize::is_word_char;

/// Patterns that may begin at a word start, indexed by their first word.
#[derive(Debug, Default)]
struct WordIndex {
    /// Hash of a word (or a word's prefix) → the patterns keyed by it.
    slots: FxHashMap<u64, Slot>,
    /// One bit per (mixed) hash of every key in `slots`, twice: a word
    /// prefix whose two bits are not both set has no slot.
    bloom: Vec<u64>,
    /// log2 of the number of bits in `bloom`.
    bloom_log2: u32,
    /// Bit n set: some one-word pattern is n bytes long (n < 64); longer
    /// ones set bit 63. Prefixes of other lengths need no lookup.
    word_lengths: u64,
}

#[derive(Debug, Default)]
struct Slot {
    /// Patterns of one word equal to the key: they occur wherever a word
    /// starts with them.
    words: Vec<u32>,
    /// Phrases (or a word followed by CJK) whose first word is the key: they
    /// occur where a whole word equals the key and the text goes on as they do.
    phrases: Vec<u32>,
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
    /// is its position in the slice.
    pub fn build(patterns: &[String]) -> Result<PatternIndex, BuildError> {
        let mut words = WordIndex::default();
        let mut anywhere_patterns: Vec<&str> = Vec::new();
        let mut anywhere_ids = Vec::new();
        for (id, pattern) in patterns.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let first_word = word_len(pattern);
            if first_word == 0 {
                anywhere_patterns.push(pattern);
                anywhere_ids.push(id);
                continue;
            }
            let slot = words
                .slots
                .entry(hash_bytes(&pattern.as_bytes()[..first_word]))
                .or_default();
            if first_word == pattern.len() {
                slot.words.push(id);
                words.word_lengths |= 1 << first_word.min(63);
            } else {
                slot.phrases.push(id);
            }
        }
        let bits = (words.slots.len() * 16)
            .next_power_of_two()
            .clamp(1 << 12, 1 << 24);
        words.bloom = vec![0; bits / 64];
        words.bloom_log2 = bits.trailing_zeros();
        let keys: Vec<u64> = words.slots.keys().copied().collect();
        for key in keys {
            words.insert_bloom(key);
        }
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
    /// (a normalised text) that starts at a word start, or anywhere for a
    /// pattern that does not begin with a word character. Byte offsets; the
    /// order is unspecified.
    pub fn for_each_occurrence(&self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        let bytes = text.as_bytes();
        let mut other_chars = false;
        let mut i = 0;
        while i < bytes.len() {
            let (c, len) = char_at(text, i);
            if !is_word(c) {
                other_chars |= c != ' ';
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
        for j in start..end {
            hash = fnv_step(hash, bytes[j]);
            let whole = j + 1 == end;
            let length_used = self.words.word_lengths & (1 << (j + 1 - start).min(63)) != 0;
            if !(whole || length_used && !is_continuation(bytes[j + 1]))
                || !self.words.may_contain(hash)
            {
                continue;
            }
            let Some(slot) = self.words.slots.get(&hash) else {
                continue;
            };
            let prefix = &text[start..=j];
            for &id in &slot.words {
                if self.pattern(id) == prefix {
                    found(id as usize, start, j + 1);
                }
            }
            if j + 1 == end {
                let rest = &text[start..];
                for &id in &slot.phrases {
                    let pattern = self.pattern(id);
                    if rest.starts_with(pattern) {
                        found(id as usize, start, start + pattern.len());
                    }
                }
            }
        }
    }

    fn pattern(&self, id: u32) -> &str {
        self.patterns.get(id as usize).map_or("", |p| p)
    }
}

impl WordIndex {
    /// Two bit positions from two multiplicative hashes of `hash` (the top
    /// bits of a product are the well-mixed ones).
    fn bloom_bits(&self, hash: u64) -> [usize; 2] {
        let shift = 64 - self.bloom_log2;
        [
            (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize,
            (hash.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) >> shift) as usize,
        ]
    }

    fn insert_bloom(&mut self, hash: u64) {
        for bit in self.bloom_bits(hash) {
            self.bloom[bit / 64] |= 1 << (bit % 64);
        }
    }

    fn may_contain(&self, hash: u64) -> bool {
        self.bloom_bits(hash)
            .iter()
            .all(|&bit| self.bloom[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Whether `c` belongs to a word, as the boundary rules count it. ASCII is
/// decided here; the rest by [`is_word_char`].
fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_word_char(c)
    }
}

/// The length in bytes of the run of word characters that `s` starts with.
fn word_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(s.len(), |(i, _)| i)
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
    fn reference(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .unwrap();
        let mut out: Vec<(usize, usize, usize)> = ac
            .find_overlapping_iter(text)
            .filter(|m| {
                let pattern = &patterns[m.pattern().as_usize()];
                let begins_word = pattern.chars().next().is_some_and(is_word);
                let at_word_start = text[..m.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !is_word(c));
                !begins_word || at_word_start
            })
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        out.sort_unstable();
        out
    }

    fn indexed(patterns: &[String], text: &str) -> Vec<(usize, usize, usize)> {
        let index = PatternIndex::build(patterns).unwrap();
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
        let text = "a spy ring was spying in 中国华为 5g网络 espy szpiegostwo łódź";
        let got = indexed(&patterns, text);
        assert_eq!(got, reference(&patterns, text));
        // "espy" holds "spy" but not at a word start: not reported.
        let spy_starts: Vec<usize> = got.iter().filter(|o| o.0 == 0).map(|o| o.1).collect();
        assert_eq!(spy_starts, vec![2, 15]);
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
    fn the_index_agrees_with_an_automaton_on_random_texts() {
        // Small alphabets make many overlaps, shared prefixes and hash-map
        // slots with several patterns.
        let alphabet = ['a', 'b', 'c', 'ł', 'д', '中', '国', ' '];
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..300 {
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
            assert_eq!(
                indexed(&patterns, &text),
                reference(&patterns, &text),
                "round {round}: patterns {patterns:?}, text {text:?}"
            );
        }
    }

    #[test]
    fn empty_and_wordless_texts_find_nothing() {
        let patterns = strings(&["spy", "中国"]);
        assert!(indexed(&patterns, "").is_empty());
        assert!(indexed(&patterns, " ").is_empty());
    }
}
