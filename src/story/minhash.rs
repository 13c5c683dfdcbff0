//! How much two texts of one language share, estimated from small
//! signatures: MinHash over word pairs (character pairs in Chinese and
//! Japanese, which do not separate words).
//!
//! Job: tell an edited wire copy from a text that only tells the same
//! facts. A signature is [`SIGNATURE_LEN`] minima of seeded hashes over the
//! text's shingles; the share of equal positions between two signatures
//! estimates the Jaccard similarity of their shingle sets, whatever the
//! texts' lengths, in 256 bytes per text.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use crate::topic::fold;

/// Minima per signature: the estimate's standard error is about
/// `sqrt(J(1-J)/64)`, 0.06 at J = 0.5, which is enough to tell a copy
/// (J > 0.5) from a rewrite (J < 0.1).
pub const SIGNATURE_LEN: usize = 64;

/// A text's MinHash signature; all `u32::MAX` for a text without shingles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

impl Signature {
    pub fn of(text: &str) -> Signature {
        let mut minima = [u32::MAX; SIGNATURE_LEN];
        let mut any = false;
        for_each_shingle(text, |shingle| {
            any = true;
            let base = shingle_hash(shingle);
            for (i, min) in minima.iter_mut().enumerate() {
                let h = mix(base ^ SEEDS[i]);
                if h < *min {
                    *min = h;
                }
            }
        });
        if !any {
            minima = [u32::MAX; SIGNATURE_LEN];
        }
        Signature(minima)
    }

    /// The estimated Jaccard similarity of the two texts' shingles, 0 to 1;
    /// 0 when either text had none.
    pub fn similarity(&self, other: &Signature) -> f64 {
        if self.is_empty() || other.is_empty() {
            return 0.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / SIGNATURE_LEN as f64
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&m| m == u32::MAX)
    }
}

/// Calls `f` with each shingle of the folded text: two consecutive words,
/// or two consecutive CJK characters within a run of them.
fn for_each_shingle(text: &str, mut f: impl FnMut(&[&str])) {
    let folded = fold(text, true).text;
    let mut prev: Option<&str> = None;
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if word.chars().next().is_some_and(is_ideograph_or_kana) {
            // CJK runs: character pairs.
            let chars: Vec<(usize, char)> = word.char_indices().collect();
            for pair in chars.windows(2) {
                let (a, _) = pair[0];
                let (b, c) = pair[1];
                f(&[&word[a..b + c.len_utf8()]]);
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            f(&[p, word]);
        }
        prev = Some(word);
    }
}

fn is_ideograph_or_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

fn shingle_hash(shingle: &[&str]) -> u64 {
    let mut h = FxHasher::default();
    shingle.hash(&mut h);
    h.finish()
}

/// splitmix64's finaliser: spreads a seeded hash over all bits.
fn mix(mut z: u64) -> u32 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}

/// Fixed seeds, one per minimum: signatures computed by any run or version
/// of this code compare.
const SEEDS: [u64; SIGNATURE_LEN] = {
    let mut seeds = [0u64; SIGNATURE_LEN];
    let mut state: u64 = 0x6e65_7773_686f_756e; // "newshoun"
    let mut i = 0;
    while i < SIGNATURE_LEN {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        seeds[i] = z ^ (z >> 31);
        i += 1;
    }
    seeds
};

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = "Prosecutors in Dresden charged a former engineer of a chip plant with \
        passing production recipes to an agent of a foreign intelligence service, who paid \
        him 60,000 euros over two years. The court will decide in May whether to try the case.";

    #[test]
    fn an_edited_copy_is_similar_and_a_rewrite_is_not() {
        let copy = "Prosecutors in Dresden have charged a former engineer of a chip plant with \
            passing production recipes to an agent of a foreign intelligence service, who paid \
            him 60,000 euros over two years, the agency reported. The court decides in May.";
        let rewrite = "A chip plant's ex-engineer must answer in court for selling recipes: \
            German prosecutors say a foreign spy service's officer gave him 60,000 euros.";
        let wire = Signature::of(WIRE);
        let s_copy = wire.similarity(&Signature::of(copy));
        let s_rewrite = wire.similarity(&Signature::of(rewrite));
        assert!(s_copy > 0.5, "copy {s_copy}");
        assert!(s_rewrite < 0.15, "rewrite {s_rewrite}");
        assert_eq!(wire.similarity(&Signature::of(WIRE)), 1.0);
    }

    #[test]
    fn chinese_is_compared_by_character_pairs() {
        let a = Signature::of("检方称该男子在离职前复制了大量机密文件并将其交给竞争对手");
        let b = Signature::of("检方称该男子离职前复制了大量机密文件，交给了竞争对手");
        let c = Signature::of("一家芯片公司表示其设计实验室遭到国家黑客攻击");
        assert!(a.similarity(&b) > 0.4, "{}", a.similarity(&b));
        assert!(a.similarity(&c) < 0.15, "{}", a.similarity(&c));
    }

    #[test]
    fn a_text_without_words_is_similar_to_nothing() {
        let empty = Signature::of("!!! ...");
        assert!(empty.is_empty());
        assert_eq!(empty.similarity(&empty), 0.0);
        assert_eq!(empty.similarity(&Signature::of(WIRE)), 0.0);
    }
}
