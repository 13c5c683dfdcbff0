//! `--full <out> [4-grams kept] [5-grams kept]`: newshound's own port of
//! lingua's high accuracy scorer (`src/lang/scorer.rs`) reads this file.
//!
//! Kept, per lingua model of [`FULL_MODELS`] languages: every unigram,
//! bigram and trigram, and its [`KEPT`] (or the given number) 4- and
//! 5-grams that matter most: lingua backs an absent n-gram off to its
//! prefixes, so a dropped 4- or 5-gram is scored by its longest kept
//! prefix, and the n-grams kept are those whose dropping would move the
//! language's scores most (frequency times the difference from the prefix's
//! log-probability).
//!
//! Format (all integers little-endian), version 2:
//!
//! ```text
//! "NHLM2\n"
//! u8 language count, then per language: u8 length, ISO 639-1 code (ASCII)
//! u32 n-gram count, then per n-gram, sorted by its UTF-8 bytes:
//!   u8 length, the n-gram (UTF-8, lower case)
//!   u8 posting count, then per posting: u8 language index, u16 cost
//! u32 w, then w u64: a Bloom filter of the 4- and 5-grams left out, by
//!   language (see `bloom_bits`)
//! per language: u16 mean cost of its 4-grams left out, then of its 5-grams
//! ```
//!
//! A cost is lingua's negated natural log-probability in 1/512ths of a nat
//! (capped at 65,535), as lingua stores it: P(c) for a unigram, the
//! probability of the last letter after the others for longer n-grams.

use std::collections::{BTreeMap, HashMap};

use fst::{IntoStreamer, Streamer};

/// How many of [`crate::models::MODELS`] (the first ones) have a lingua
/// model in newshound's build; the others are data-only languages.
pub const FULL_MODELS: usize = 50;

pub const COST_SCALE: f64 = 512.0;

/// 4- and 5-grams kept per language by default.
pub const KEPT: usize = 40_000;

/// Bits of the Bloom filter per dropped n-gram, and probes per look-up
/// (about 2 % false positives).
const BLOOM_BITS_PER_ITEM: usize = 8;
pub const BLOOM_PROBES: u64 = 5;

/// The filter's bits for a language's n-gram (newshound's scorer computes
/// the same).
pub fn bloom_bits(language: u8, ngram: impl Iterator<Item = char>, bits: usize) -> Vec<usize> {
    let mut h = mix(u64::from(language) + 1);
    for c in ngram {
        h = mix(h ^ u64::from(u32::from(c)));
    }
    let (h1, h2) = (h, mix(h) | 1);
    (0..BLOOM_PROBES)
        .map(|i| (h1.wrapping_add(i.wrapping_mul(h2)) % bits as u64) as usize)
        .collect()
}

/// splitmix64's finaliser.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn cost(log_probability: f64) -> u16 {
    (-log_probability * COST_SCALE).round().clamp(0.0, 65535.0) as u16
}

pub fn write(out: &str, kept: usize) {
    let mut postings: BTreeMap<String, Vec<(u8, u16)>> = BTreeMap::new();
    let mut dropped: Vec<(u8, String)> = Vec::new();
    let mut dropped_sum = [[0.0f64; 2]; FULL_MODELS];
    let mut dropped_count = [[0usize; 2]; FULL_MODELS];
    for (index, (code, dir)) in crate::models::MODELS[..FULL_MODELS].iter().enumerate() {
        let bytes = dir
            .get_file("ngrams.fst")
            .unwrap_or_else(|| panic!("{code}: no ngrams.fst"))
            .contents();
        let map = fst::Map::new(bytes).expect("lingua's model is an fst map");
        let mut all: HashMap<String, f64> = HashMap::new();
        let mut stream = map.into_stream();
        while let Some((key, value)) = stream.next() {
            let ngram = String::from_utf8(key.to_vec()).expect("UTF-8 n-gram");
            all.insert(ngram, f64::from_bits(value));
        }
        // Joint log-probability: the sum over the n-gram's prefixes.
        let joint = |ngram: &str| -> f64 {
            let mut sum = 0.0;
            let mut end = ngram.len();
            loop {
                sum += all.get(&ngram[..end]).copied().unwrap_or(-30.0);
                match ngram[..end].char_indices().last() {
                    Some((0, _)) | None => break,
                    Some((i, _)) => end = i,
                }
            }
            sum
        };
        // The 4- and 5-grams compete for one budget, ranked by how much
        // leaving one out would move the language's score: how often it
        // occurs (its joint probability) times how far its own
        // log-probability is from its prefix's, which lingua would use
        // instead.
        let mut lower: Vec<&str> = Vec::new();
        let mut higher: Vec<(f64, &str)> = Vec::new();
        for (ngram, log_probability) in &all {
            if ngram.chars().count() <= 3 {
                lower.push(ngram);
                continue;
            }
            let prefix = &ngram[..ngram.char_indices().last().map_or(0, |(i, _)| i)];
            let backoff = all.get(prefix).copied().unwrap_or(-30.0);
            let shift = (log_probability - backoff).abs() + 1e-3;
            higher.push((joint(ngram) + shift.ln(), ngram.as_str()));
        }
        higher.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        for (_, ngram) in higher.iter().skip(kept) {
            let n = ngram.chars().count();
            dropped.push((index as u8, ngram.to_string()));
            dropped_sum[index][n - 4] += all[*ngram];
            dropped_count[index][n - 4] += 1;
        }
        higher.truncate(kept);
        let language = u8::try_from(index).expect("at most 256 languages");
        let mut counts = [0usize; 6];
        for ngram in lower.into_iter().chain(higher.iter().map(|(_, n)| *n)) {
            counts[ngram.chars().count()] += 1;
            postings
                .entry(ngram.to_string())
                .or_default()
                .push((language, cost(all[ngram])));
        }
        eprintln!(
            "{code}: kept 1..5-grams {:?} of {}",
            &counts[1..],
            all.len()
        );
    }
    let mut data = b"NHLM2\n".to_vec();
    data.push(FULL_MODELS as u8);
    for (code, _) in &crate::models::MODELS[..FULL_MODELS] {
        data.push(code.len() as u8);
        data.extend_from_slice(code.as_bytes());
    }
    data.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    let mut total_postings = 0;
    for (ngram, list) in &postings {
        data.push(ngram.len() as u8);
        data.extend_from_slice(ngram.as_bytes());
        data.push(list.len() as u8);
        total_postings += list.len();
        for (language, cost) in list {
            data.push(*language);
            data.extend_from_slice(&cost.to_le_bytes());
        }
    }
    // The dropped 4- and 5-grams: a Bloom filter of (language, n-gram),
    // and per language and order the mean cost of its dropped n-grams.
    let words = (dropped.len() * BLOOM_BITS_PER_ITEM).div_ceil(64).max(1);
    let mut bits = vec![0u64; words];
    for (language, ngram) in &dropped {
        for bit in bloom_bits(*language, ngram.chars(), words * 64) {
            bits[bit / 64] |= 1 << (bit % 64);
        }
    }
    data.extend_from_slice(&(words as u32).to_le_bytes());
    for word in &bits {
        data.extend_from_slice(&word.to_le_bytes());
    }
    for (sums, counts) in dropped_sum.iter().zip(&dropped_count) {
        for (sum, count) in sums.iter().zip(counts) {
            let mean = if *count > 0 { sum / *count as f64 } else { 0.0 };
            data.extend_from_slice(&cost(mean).to_le_bytes());
        }
    }
    eprintln!(
        "{} dropped 4- and 5-grams in {} bytes of filter",
        dropped.len(),
        words * 8
    );
    std::fs::write(out, &data).unwrap_or_else(|e| panic!("{out}: {e}"));
    eprintln!(
        "{out}: {} n-grams, {total_postings} postings, {} bytes",
        postings.len(),
        data.len()
    );
}
