//! Writes `assets/lang-ngrams.bin`: for each n-gram of one to three letters,
//! which languages' lingua models know it and with what log-probability.
//! newshound's first-pass language scorer (`src/lang/ngrams.rs`) reads it,
//! so that a text costs one hash look-up per n-gram instead of one model
//! look-up per n-gram and language.
//!
//! Run from the repository root, after lingua's models change:
//!
//! ```sh
//! cargo run --release --manifest-path tools/lang-ngrams/Cargo.toml -- assets/lang-ngrams.bin
//! ```
//!
//! With `--full <out> [kept]` it writes instead the data of newshound's port
//! of lingua's scorer (`src/lang/scorer.rs`, read from the file named by
//! `NEWSHOUND_LANG_SCORER_DATA`): every n-gram of one to three letters and
//! the `kept` most useful 4- and 5-grams of each model; see `full.rs`.
//!
//! Kept: every unigram and bigram of each model, and its [`TRIGRAMS_KEPT`]
//! most frequent trigrams (by joint probability); the rarer trigrams are
//! what makes lingua's models large, and the scorer backs off to the bigram
//! where a trigram is missing.
//!
//! Format (all integers little-endian), version 1:
//!
//! ```text
//! "NHNG1\n"
//! u8 language count, then per language: u8 length, ISO 639-1 code (ASCII)
//! u32 n-gram count, then per n-gram, sorted by its UTF-8 bytes:
//!   u8 length, the n-gram (UTF-8, lower case)
//!   u8 posting count, then per posting: u8 language index, u8 cost
//! ```
//!
//! A cost is the negated natural log-probability in eighths of a nat,
//! capped at 255: lingua's unigram values are P(c), its bigram and trigram
//! values the probability of the last letter after the others.

mod full;
mod models;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use fst::{Automaton, IntoStreamer, Streamer};

/// Trigrams kept per language: 5,000 cover most of a text's trigrams and
/// keep the file near a megabyte.
const TRIGRAMS_KEPT: usize = 5000;

/// Accepts keys of at most the given number of characters (UTF-8), pruning longer paths so
/// that the traversal never walks the 4- and 5-grams.
struct AtMostChars(usize);

impl Automaton for AtMostChars {
    type State = Option<usize>;
    fn start(&self) -> Self::State {
        Some(0)
    }
    fn is_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }
    fn can_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }
    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let chars = (*state)? + usize::from(byte & 0xC0 != 0x80);
        (chars <= self.0).then_some(chars)
    }
}

fn cost(log_probability: f64) -> u8 {
    (-log_probability * 8.0).round().clamp(0.0, 255.0) as u8
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--full") {
        let out = args.get(2).map_or("assets/lang-lingua.bin", String::as_str);
        let kept = args
            .get(3)
            .map_or(full::KEPT, |a| a.parse().expect("a count"));
        full::write(out, kept);
        return;
    }
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "assets/lang-ngrams.bin".into());
    let mut postings: BTreeMap<String, Vec<(u8, u8)>> = BTreeMap::new();
    for (index, (code, dir)) in models::MODELS.iter().enumerate() {
        let bytes = dir
            .get_file("ngrams.fst")
            .unwrap_or_else(|| panic!("{code}: no ngrams.fst"))
            .contents();
        let map = fst::Map::new(bytes).expect("lingua's model is an fst map");
        let mut lower: HashMap<String, f64> = HashMap::new();
        let mut trigrams: Vec<(String, f64)> = Vec::new();
        let mut stream = map.search(AtMostChars(3)).into_stream();
        while let Some((key, value)) = stream.next() {
            let ngram = String::from_utf8(key.to_vec()).expect("UTF-8 n-gram");
            let log_probability = f64::from_bits(value);
            match ngram.chars().count() {
                3 => trigrams.push((ngram, log_probability)),
                _ => {
                    lower.insert(ngram, log_probability);
                }
            }
        }
        // Joint probability of a trigram abc: P(a) P(b|a) P(c|ab).
        let joint = |ngram: &str, log_probability: f64| {
            let mut chars = ngram.char_indices().map(|(i, _)| i);
            let (_, second, third) = (chars.next(), chars.next(), chars.next());
            let (second, third) = (second.unwrap_or(0), third.unwrap_or(ngram.len()));
            let unigram = lower.get(&ngram[..second]).copied().unwrap_or(-30.0);
            let bigram = lower.get(&ngram[..third]).copied().unwrap_or(-30.0);
            unigram + bigram + log_probability
        };
        let mut ranked: Vec<(f64, String, f64)> = trigrams
            .into_iter()
            .map(|(n, lp)| (joint(&n, lp), n, lp))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.truncate(TRIGRAMS_KEPT);
        let language = u8::try_from(index).expect("at most 256 languages");
        eprintln!(
            "{code}: {} uni/bigrams, {} trigrams kept",
            lower.len(),
            ranked.len()
        );
        let kept = lower
            .into_iter()
            .chain(ranked.into_iter().map(|(_, n, lp)| (n, lp)));
        for (ngram, log_probability) in kept {
            postings
                .entry(ngram)
                .or_default()
                .push((language, cost(log_probability)));
        }
    }
    let mut data = b"NHNG1\n".to_vec();
    data.push(models::MODELS.len() as u8);
    for (code, _) in models::MODELS {
        data.push(code.len() as u8);
        data.extend_from_slice(code.as_bytes());
    }
    data.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    for (ngram, list) in &postings {
        data.push(ngram.len() as u8);
        data.extend_from_slice(ngram.as_bytes());
        data.push(list.len() as u8);
        for (language, cost) in list {
            data.extend_from_slice(&[*language, *cost]);
        }
    }
    std::fs::File::create(&out)
        .and_then(|mut f| f.write_all(&data))
        .unwrap_or_else(|e| panic!("{out}: {e}"));
    eprintln!("{out}: {} n-grams, {} bytes", postings.len(), data.len());
}
