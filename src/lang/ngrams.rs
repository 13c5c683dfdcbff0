//! The first pass of language detection: every Latin- and Cyrillic-script
//! language lingua has a model of, scored at once from an inverted index.
//!
//! Job: give each language of the detector's lingua models (enabled ones and
//! rejectors) a log-likelihood for a text, cheaply enough to run on every
//! text. whatlang did this job by looking up each language's 300 trigrams in
//! the text's trigram map, ~11,000 look-ups per text whatever its length;
//! here each n-gram of the text is looked up once and its entry lists the
//! languages that know it. The probabilities are lingua's own (unigrams,
//! bigrams and its most frequent trigrams, extracted into
//! `assets/lang-ngrams.bin` by `tools/lang-ngrams`), so the ranking agrees
//! with what lingua would weigh and its leaders make good candidates.
//!
//! The model: a letter's log-probability given the two before it in its
//! word; where a language lacks that trigram, the letter after the one
//! before (with a penalty), then the letter alone (a larger one), then a
//! floor. Words are runs of letters, lowered, as lingua splits them.

use rustc_hash::FxHashMap;

/// lingua's n-gram log-probabilities, see `tools/lang-ngrams` for the format.
static DATA: &[u8] = include_bytes!("../../assets/lang-ngrams.bin");

const MAGIC: &[u8] = b"NHNG1\n";

/// Costs in the data are eighths of a nat.
const COST_UNIT: f32 = 0.125;

/// The penalty, in eighths of a nat, for backing off from a trigram a
/// language lacks to the bigram (and twice it to the unigram). The data
/// keeps only each language's 5,000 most frequent trigrams, so a missing
/// trigram is rare in that language but not unknown to it.
const BACKOFF_PENALTY: u8 = 8;

/// The cost, in eighths of a nat, of a letter a language's model does not
/// have at all (a letter its alphabet lacks): the strongest evidence against
/// it that one letter gives, as lingua's own models go down to about -15.
const UNKNOWN_LETTER: u8 = 112;

/// Marks, while loading, a language that lacks an n-gram (no cost reaches
/// it: costs are capped at [`UNKNOWN_LETTER`]).
const MISSING: u8 = u8::MAX;

/// Up to three letters packed 21 bits each; no letter is NUL, so n-grams
/// of different lengths never share a key.
type Key = u64;

const LETTER_BITS: u32 = 21;

/// Languages are indices into the detector's models; a set of them is a
/// bit set, as elsewhere in `lang`.
pub(super) const MAX_LANGUAGES: usize = 128;

/// Every n-gram's cost for every covered language, as one dense row each:
/// where a language lacks the n-gram, its row holds what the backing off
/// would give, computed once at start-up, so that scoring a letter is one
/// look-up and one row added to the totals (which the compiler
/// vectorises), whatever the number of languages.
pub(super) struct NgramIndex {
    /// Packed n-gram → the offset of its row in `rows`.
    ngrams: FxHashMap<Key, u32>,
    /// Rows of `languages.len()` costs, in eighths of a nat.
    rows: Vec<u8>,
    /// The model index of each column.
    languages: Vec<usize>,
    /// The models the data covers (bit i: model i).
    covered: u128,
}

/// A text's scores: for each covered model, the summed log-probability of
/// its letters (natural log), best first.
pub(super) struct Ranking {
    pub(super) scores: Vec<(usize, f32)>,
    /// How many letters were scored.
    pub(super) letters: usize,
}

impl NgramIndex {
    /// The index for `codes` (the detector's lingua models, by ISO 639-1
    /// code, in model order), with the models the data covers; languages of
    /// the data not among `codes` are left out. `None` if the data is not
    /// readable (it is compiled in, so only a broken build gets there).
    pub(super) fn load(codes: &[&str]) -> Option<Self> {
        Self::parse(DATA, codes)
    }

    fn parse(data: &[u8], codes: &[&str]) -> Option<Self> {
        let mut reader = Reader(data.strip_prefix(MAGIC)?);
        let count = reader.byte()?;
        // The column of each of the data's languages, if among `codes`.
        let mut columns: Vec<Option<u8>> = Vec::with_capacity(count.into());
        let mut languages = Vec::new();
        for _ in 0..count {
            let len = reader.byte()?;
            let code = std::str::from_utf8(reader.bytes(len.into())?).ok()?;
            let model = codes
                .iter()
                .position(|c| *c == code)
                .filter(|i| *i < MAX_LANGUAGES && !languages.contains(i));
            columns.push(model.map(|i| {
                languages.push(i);
                (languages.len() - 1) as u8
            }));
        }
        let width = languages.len();
        let count = u32::from_le_bytes(reader.bytes(4)?.try_into().ok()?);
        // First each n-gram's own costs, [`MISSING`] where a language
        // lacks it...
        let mut own: FxHashMap<Key, u32> = FxHashMap::default();
        own.reserve(count as usize);
        let mut own_rows: Vec<u8> = Vec::with_capacity(count as usize * width);
        for _ in 0..count {
            let len = reader.byte()?;
            let ngram = std::str::from_utf8(reader.bytes(len.into())?).ok()?;
            let key = ngram.chars().try_fold(0, |key: Key, c| {
                (key >> (2 * LETTER_BITS) == 0).then_some(push_letter(key, c))
            })?;
            let offset = own_rows.len();
            own_rows.resize(offset + width, MISSING);
            for _ in 0..reader.byte()? {
                let (language, cost) = (reader.byte()?, reader.byte()?);
                if let Some(Some(column)) = columns.get(usize::from(language)) {
                    own_rows[offset + usize::from(*column)] = cost.min(UNKNOWN_LETTER);
                }
            }
            match own_rows[offset..].iter().all(|c| *c == MISSING) {
                true => own_rows.truncate(offset),
                false => {
                    own.insert(key, u32::try_from(offset).ok()?);
                }
            }
        }
        // ...then the rows, backing off to the n-gram's shorter suffixes
        // (looked up once per n-gram: this is most of the start-up).
        let mut ngrams = FxHashMap::default();
        ngrams.reserve(own.len());
        let mut rows = Vec::with_capacity(own_rows.len());
        for key in own.keys() {
            let offset = u32::try_from(rows.len()).ok()?;
            let mut backing_off = [None; 3];
            for (slot, suffix) in backing_off.iter_mut().zip(suffixes(*key)) {
                *slot = own
                    .get(&suffix)
                    .map(|o| &own_rows[*o as usize..*o as usize + width]);
            }
            for column in 0..width {
                let cost = backing_off
                    .iter()
                    .enumerate()
                    .filter_map(|(steps, row)| Some((steps, row.as_ref()?[column])))
                    .find(|(_, cost)| *cost != MISSING)
                    .map(|(steps, cost)| {
                        cost.saturating_add(BACKOFF_PENALTY.saturating_mul(steps as u8))
                    });
                rows.push(cost.map_or(UNKNOWN_LETTER, |c| c.min(UNKNOWN_LETTER)));
            }
            ngrams.insert(*key, offset);
        }
        let covered = languages.iter().fold(0u128, |set, i| set | 1 << i);
        Some(NgramIndex {
            ngrams,
            rows,
            languages,
            covered,
        })
    }

    /// The models the data covers.
    pub(super) fn covered(&self) -> u128 {
        self.covered
    }

    /// Every covered model's score for `text`, best first.
    pub(super) fn rank(&self, text: &str) -> Ranking {
        let width = self.languages.len();
        let mut costs = [0u32; MAX_LANGUAGES];
        let costs = &mut costs[..width];
        let mut letters = 0;
        // The last up to three letters of the current word, packed.
        let mut window: Key = 0;
        for c in text.chars() {
            if !is_letter(c) {
                window = 0;
                continue;
            }
            for lower in lowercase(c) {
                window = push_letter(window, lower) & ((1 << (3 * LETTER_BITS)) - 1);
                letters += 1;
                // The longest suffix of the window the data has; a letter
                // no language has costs them all the same.
                let row = suffixes(window).find_map(|key| self.ngrams.get(&key));
                if let Some(&offset) = row {
                    let row = &self.rows[offset as usize..offset as usize + width];
                    for (total, cost) in costs.iter_mut().zip(row) {
                        *total += u32::from(*cost);
                    }
                }
            }
        }
        let mut scores: Vec<(usize, f32)> = self
            .languages
            .iter()
            .zip(costs.iter())
            .map(|(i, cost)| (*i, -(*cost as f32) * COST_UNIT))
            .collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ranking { scores, letters }
    }
}

/// The n-gram ending at the window's last letter, then its shorter
/// suffixes, down to the letter alone (a window holds fewer than three
/// letters at the start of a word).
fn suffixes(window: Key) -> impl Iterator<Item = Key> {
    (1..=3u32)
        .rev()
        .map(move |n| (n, window & ((1 << (n * LETTER_BITS)) - 1)))
        .filter(|(n, key)| key >> ((n - 1) * LETTER_BITS) != 0)
        .map(|(_, key)| key)
}

fn push_letter(key: Key, c: char) -> Key {
    (key << LETTER_BITS) | Key::from(u32::from(c))
}

/// `char::is_alphabetic`, without its table look-up for ASCII.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

/// The lower case of a letter, without the general path for ASCII.
fn lowercase(c: char) -> impl Iterator<Item = char> {
    let ascii = c.is_ascii().then(|| c.to_ascii_lowercase());
    let other = (!c.is_ascii()).then(|| c.to_lowercase());
    ascii.into_iter().chain(other.into_iter().flatten())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_covers_the_latin_and_cyrillic_defaults() {
        let codes = ["en", "pl", "ru", "zh", "ca"];
        let index = NgramIndex::load(&codes).expect("the compiled-in data parses");
        assert_eq!(index.covered(), 0b10111, "zh has no entry");
    }

    #[test]
    fn ranks_a_text_in_its_language_first() {
        let codes = ["en", "pl", "de", "ru", "uk"];
        let index = NgramIndex::load(&codes).unwrap();
        for (want, text) in [
            ("en", "The intelligence service has been watching the port."),
            ("pl", "Służby specjalne podejrzewają chińską firmę."),
            ("de", "Der Verfassungsschutz warnt vor Spionage."),
            ("uk", "Служба безпеки України викрила мережу шпигунів."),
        ] {
            let ranking = index.rank(text);
            assert_eq!(codes[ranking.scores[0].0], want, "{text}");
            assert!(ranking.letters > 20);
        }
    }

    #[test]
    fn no_letters_no_scores_and_truncated_data_is_refused() {
        let index = NgramIndex::load(&["en"]).unwrap();
        assert_eq!(index.rank("1234 !!").letters, 0);
        assert!(NgramIndex::parse(&DATA[..DATA.len() / 2], &["en"]).is_none());
        assert!(NgramIndex::parse(b"garbage", &["en"]).is_none());
    }
}
