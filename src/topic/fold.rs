//! Text folding shared by terms and texts, with a map back to the original.
//!
//! Job: turn any string into the one form the pattern index searches: Unicode
//! NFKC, lower case, optionally diacritics folded (`ł`→`l`, `ß`→`ss`,
//! `é`→`e`), every run of characters that are not letters or digits replaced
//! by one space, no space at either end. Terms go through the same function,
//! so `People's Liberation-Army` and `people’s  liberation army` meet.
//!
//! Invariants: never panics on any input; the output holds only word
//! characters, CJK characters and single spaces; `map[i]` is the byte offset
//! in the original of the character that produced output byte `i`, and
//! `map[text.len()]` is where the last word ends in the original, so every
//! output range maps back to a range on original char boundaries.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// The longest field (title or body) scanned, in bytes. Offsets are `u32`, and
/// no real article comes near this; the rest of a bigger text is ignored.
pub const MAX_SCAN_BYTES: usize = 1 << 20;

/// A normalised text and the way back to its original.
#[derive(Debug, Clone, Default)]
pub(crate) struct Folded {
    pub text: String,
    /// One entry per byte of `text`, plus a final one (see the module docs).
    pub map: Vec<u32>,
}

impl Folded {
    /// The original byte range that produced `text[start..end]`.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let start = start.min(self.text.len());
        let end = end.clamp(start, self.text.len());
        let orig_start = self.map[start] as usize;
        if end == start {
            return (orig_start, orig_start);
        }
        // One original character may expand to several output bytes
        // (`ß`→`ss`, `ﬁ`→`fi`): skip to the first output byte from a later one.
        let last = self.map[end - 1];
        let mut k = end;
        while k < self.text.len() && self.map[k] == last {
            k += 1;
        }
        (orig_start, (self.map[k] as usize).max(orig_start))
    }
}

/// Folds `original` (its first [`MAX_SCAN_BYTES`]) as described in the
/// module docs; `diacritics`: fold them too (a pack's `fold_diacritics`).
pub(crate) fn fold(original: &str, diacritics: bool) -> Folded {
    let original = truncate_bytes(original, MAX_SCAN_BYTES);
    let bytes = original.as_bytes();
    let mut out = Folded {
        text: String::with_capacity(original.len()),
        map: Vec::with_capacity(original.len() + 1),
    };
    // Where the current run of separators began, if we are in one.
    let mut pending_space: Option<u32> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Fast path, most of any Latin-script text: a run of ASCII letters and
        // digits is copied and lower-cased in bulk. Its last byte must not be
        // followed by a non-ASCII character, which could be a combining mark
        // to compose or fold with it; that byte takes the slow path.
        if b.is_ascii_alphanumeric() {
            let start = i;
            let mut end = i + 1;
            while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
                end += 1;
            }
            if end < bytes.len() && !bytes[end].is_ascii() {
                end -= 1;
            }
            if end > start {
                i = end;
                out.flush_space(&mut pending_space);
                let at = out.text.len();
                out.text.push_str(&original[start..i]);
                out.text[at..].make_ascii_lowercase();
                out.map.extend(start as u32..i as u32);
                continue;
            }
        } else if b.is_ascii() && bytes.get(i + 1).is_none_or(u8::is_ascii) {
            pending_space.get_or_insert(i as u32);
            i += 1;
            continue;
        }
        // A chunk is one character and the combining marks that follow it:
        // NFKC composes within it (`e` + U+0301 → `é`), so it is the smallest
        // unit that normalises on its own.
        let start = i;
        let mut chars = original[i..].chars();
        let Some(first) = chars.next() else { break };
        i += first.len_utf8();
        for c in chars {
            if !extends_chunk(c) {
                break;
            }
            i += c.len_utf8();
        }
        let chunk = &original[start..i];
        let orig = start as u32;
        if chunk.len() == first.len_utf8() {
            // A lone character: the common case, served from precomputed tables.
            if first.is_ascii() {
                // An ASCII character right before a non-ASCII one that is not
                // a combining mark after all.
                if first.is_ascii_alphanumeric() {
                    out.push_char(first.to_ascii_lowercase(), orig, &mut pending_space);
                } else {
                    pending_space.get_or_insert(orig);
                }
                continue;
            }
            if is_plain_letter(first) {
                out.push_char(first, orig, &mut pending_space);
                continue;
            }
            if let Some(ops) = cached(first, diacritics) {
                for op in ops {
                    match op {
                        Op::Push(c) => out.push_char(*c, orig, &mut pending_space),
                        Op::Separator => {
                            pending_space.get_or_insert(orig);
                        }
                    }
                }
                continue;
            }
        }
        map_chunk(chunk, diacritics, |c| out.emit(c, orig, &mut pending_space));
    }
    let end = pending_space.map_or(original.len() as u32, |p| p);
    out.map.push(end);
    out
}

/// NFKC, lower case, invisible characters dropped and, with `fold`,
/// diacritics folded: the characters one chunk turns into, before they are
/// sorted into word characters and separators.
fn map_chunk(chunk: &str, fold: bool, mut emit: impl FnMut(char)) {
    let mut base_foldable = false;
    let mut put = |c: char| {
        for lc in lower(c) {
            if is_ignorable(lc) {
                continue;
            }
            if fold {
                if base_foldable && is_combining_mark(lc) {
                    continue;
                }
                base_foldable = is_foldable(lc);
                fold_char(lc, &mut emit);
            } else {
                emit(lc);
            }
        }
    };
    // Most non-ASCII characters (ą, ł, ’, “, кириллица) are already in NFKC;
    // the quick check spares the composing iterator for them.
    if unicode_normalization::is_nfkc_quick(chunk.chars()) == IsNormalized::Yes {
        chunk.chars().for_each(&mut put);
    } else {
        chunk.nfkc().for_each(&mut put);
    }
}

/// One step of a precomputed character mapping.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Push(char),
    Separator,
}

/// The precomputed mapping of a lone character; `None` outside the cached ranges.
type Entry = Option<Box<[Op]>>;

/// Lone characters whose mapping is precomputed: Latin-1 to Thaana (all
/// European letters with their diacritics, Greek, Cyrillic, Armenian,
/// Hebrew, the Arabic script), Georgian, and general punctuation
/// (typographic quotes and dashes). Everything in them goes through
/// [`map_chunk`] once, at first use, so the tables cannot disagree with the
/// slow path, whose Unicode look-ups cost several times more per character.
const CACHED: [(u32, u32); 3] = [(0x80, 0x7C0), (0x10A0, 0x1100), (0x2000, 0x2070)];

fn cached(c: char, fold: bool) -> Option<&'static [Op]> {
    static TABLES: std::sync::OnceLock<[Vec<Entry>; 2]> = std::sync::OnceLock::new();
    let tables = TABLES.get_or_init(|| [build_table(true), build_table(false)]);
    let cp = c as u32;
    let mut offset = 0;
    for (lo, hi) in CACHED {
        if (lo..hi).contains(&cp) {
            let table = &tables[usize::from(!fold)];
            return table.get(offset + (cp - lo) as usize)?.as_deref();
        }
        offset += (hi - lo) as usize;
    }
    None
}

fn build_table(fold: bool) -> Vec<Entry> {
    CACHED
        .iter()
        .flat_map(|&(lo, hi)| lo..hi)
        .map(|cp| {
            let c = char::from_u32(cp)?;
            let mut ops = Vec::new();
            map_chunk(c.encode_utf8(&mut [0; 4]), fold, |m| {
                ops.push(if is_word_char(m) || is_cjk(m) {
                    Op::Push(m)
                } else {
                    Op::Separator
                })
            });
            Some(ops.into_boxed_slice())
        })
        .collect()
}

/// Han ideographs, kana letters and Hangul syllables: letters that NFKC,
/// case and folding leave alone.
fn is_plain_letter(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3041..=0x3096 | 0x30A1..=0x30FA | 0xAC00..=0xD7A3)
}

impl Folded {
    /// Ends a run of separators with one space before the next word.
    #[inline]
    fn flush_space(&mut self, pending_space: &mut Option<u32>) {
        if let Some(space_at) = pending_space.take() {
            // No space at the very start: separators before the first word vanish.
            if !self.text.is_empty() {
                self.text.push(' ');
                self.map.push(space_at);
            }
        }
    }

    fn emit(&mut self, c: char, orig: u32, pending_space: &mut Option<u32>) {
        if is_word_char(c) || is_cjk(c) {
            self.push_char(c, orig, pending_space);
        } else {
            pending_space.get_or_insert(orig);
        }
    }

    fn push_char(&mut self, c: char, orig: u32, pending_space: &mut Option<u32>) {
        self.flush_space(pending_space);
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.map.push(orig);
        }
    }
}

/// Characters that NFKC may compose with the character before them: combining
/// marks, and the half-width kana voicing marks (`ｶﾞ` → `ガ`).
fn extends_chunk(c: char) -> bool {
    !c.is_ascii() && is_combining_mark(c) || matches!(c, '\u{FF9E}' | '\u{FF9F}')
}

/// Letters, digits and the combining marks attached to them, outside CJK.
/// Terms made of these need a word boundary; CJK is written without spaces.
pub(crate) fn is_word_char(c: char) -> bool {
    // ASCII, most of any text, is decided without the Unicode tables.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    (c.is_alphanumeric() || is_combining_mark(c)) && !is_cjk(c)
}

/// Han, Hiragana, Katakana (and the iteration and prolonged-sound marks):
/// scripts written without spaces, whose terms match anywhere.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007 | 0x303B
        | 0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF      // Katakana phonetic extensions
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0xFF66..=0xFF9F      // half-width Katakana (NFKC widens them anyway)
        | 0x20000..=0x3134F) // CJK extensions B..G
}

/// Invisible characters that must not split a word: soft hyphen (common in
/// German HTML), zero-width (non-)joiners and spaces, bidirectional marks
/// and isolates, word joiner, BOM.
fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Full lower-casing, plus the one case fold `to_lowercase` leaves out that
/// matters for news text (Greek final sigma). The modifier letter apostrophe
/// (Ukrainian `м\u{2BC}ясо`, NFKC of `ŉ`) is a letter to Unicode but an
/// apostrophe to writers, who mix it with `'` and `’`: it becomes `'`.
fn lower(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().map(|l| match l {
        'ς' => 'σ',
        '\u{2BC}' => '\'',
        l => l,
    })
}

/// Letters whose diacritics folding drops: Latin; Greek, whose accents
/// disappear in the capitals of every headline (`ΚΑΤΑΣΚΟΠΕΙΑ` must match
/// `κατασκοπεία`); and the Arabic script, whose vowel marks and hamza seats
/// writers set or leave out at will. Folding is limited to these (and
/// Cyrillic `ё`) on purpose: in Japanese kana the voicing marks make
/// different letters (`ガ` is not `カ`), in Cyrillic `й` is not `и`.
fn is_foldable(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF | 0x370..=0x3FF | 0x1F00..=0x1FFF | 0x600..=0x6FF)
}

/// Diacritic folding of one lower-case character.
fn fold_char(c: char, mut emit: impl FnMut(char)) {
    let special: Option<&str> = match c {
        'ł' => Some("l"),
        'ß' => Some("ss"),
        'ø' => Some("o"),
        'đ' | 'ð' => Some("d"),
        'þ' => Some("th"),
        'æ' => Some("ae"),
        'œ' => Some("oe"),
        'ı' => Some("i"),
        'ħ' => Some("h"),
        'ŀ' => Some("l"),
        'ё' => Some("е"),
        // Persian and Arabic write yeh and kaf differently (ی ي, ک ك), and
        // news sites mix the forms; alef wasla, teh marbuta and the heh
        // variants fold as search engines for the script fold them, and the
        // tatweel (a stretching stroke) is not a letter.
        'ی' | 'ى' => Some("ي"),
        'ک' => Some("ك"),
        'ٱ' => Some("ا"),
        'ة' | 'ۀ' | 'ہ' => Some("ه"),
        'ـ' => Some(""),
        _ => None,
    };
    if let Some(s) = special {
        s.chars().for_each(emit);
    } else if c.is_ascii() || !is_foldable(c) {
        emit(c);
    } else {
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                emit(d)
            }
        });
    }
}

/// The longest prefix of `s` of at most `max` bytes, on a char boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        fold(s, true).text
    }

    #[test]
    fn separators_collapse_and_case_folds() {
        assert_eq!(
            norm("  People’s Liberation-Army!! "),
            "people s liberation army"
        );
        assert_eq!(
            norm("APT41\n\t(aka  Double Dragon)"),
            "apt41 aka double dragon"
        );
        assert_eq!(norm(""), "");
        assert_eq!(norm("—…!?"), "");
    }

    #[test]
    fn diacritics_fold_only_when_asked() {
        assert_eq!(
            norm("Służby SPECJALNE, Straße, Élysée, Øresund"),
            "sluzby specjalne strasse elysee oresund"
        );
        assert_eq!(fold("Służby Élysée", false).text, "służby élysée");
        // Decomposed input (macOS, some CMSs) composes or folds the same way.
        assert_eq!(norm("Sl\u{0301}uz\u{0307}by"), "sluzby");
        assert_eq!(fold("e\u{301}lyse\u{301}e", false).text, "élysée");
    }

    #[test]
    fn greek_accents_and_arabic_script_variants_fold() {
        assert_eq!(norm("ΚΑΤΑΣΚΟΠΕΙΑ"), norm("κατασκοπεία"));
        assert_eq!(norm("Ευρωπαϊκή ἐπιστολή"), "ευρωπαικη επιστολη");
        // Persian and Arabic spellings of the same letters.
        assert_eq!(norm("جاسوسی"), norm("جاسوسي"));
        assert_eq!(norm("کشور"), norm("كشور"));
        assert_eq!(norm("إستخبارات أمريكية"), norm("استخبارات امريكيه"));
        assert_eq!(norm("مُخابَرات"), norm("مخابرات"));
        assert_eq!(norm("جاســوس"), norm("جاسوس"));
        // Without folding they stay apart.
        assert_ne!(fold("کشور", false).text, fold("كشور", false).text);
    }

    #[test]
    fn nfkc_and_invisible_characters() {
        assert_eq!(norm("ﬁle Ｈｕａｗｅｉ"), "file huawei");
        assert_eq!(norm("Spio\u{AD}nage"), "spionage");
        assert_eq!(norm("ｶﾞ"), "ガ");
    }

    #[test]
    fn table_and_slow_paths_agree() {
        // Lone characters come from the tables; with a combining mark after
        // them they take the slow path. Both must give the same words.
        assert_eq!(norm("Ąą Ǆ ŉ ½ “x” – y…z"), "aa dz n 1 2 x y z");
        assert_eq!(norm("м\u{2BC}ясо м'ясо"), "м ясо м ясо");
        assert_eq!(norm("Ą\u{301}"), "a");
        assert_eq!(fold("Ǆ ĄŁ", false).text, "dž ął");
        assert_eq!(norm("Ab\u{200E}c d\u{202A}e"), "abc de");
        let cached = CACHED.iter().flat_map(|&(lo, hi)| lo..hi);
        let plain = (0x3000..0xA000).chain(0xAC00..0xD800);
        for cp in cached.chain(plain) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for diacritics in [true, false] {
                let mut slow = Folded::default();
                let mut pending = None;
                map_chunk(c.encode_utf8(&mut [0; 4]), diacritics, |m| {
                    slow.emit(m, 0, &mut pending)
                });
                assert_eq!(
                    fold(&c.to_string(), diacritics).text,
                    slow.text,
                    "U+{cp:04X}"
                );
            }
        }
    }

    #[test]
    fn cjk_is_kept_and_not_folded() {
        assert_eq!(norm("华为公司，间谍活动。"), "华为公司 间谍活动");
        assert_eq!(norm("スパイ活動"), "スパイ活動");
        assert_eq!(norm("Шпионаж Ёлка й"), "шпионаж елка й");
    }

    #[test]
    fn map_points_back_to_original() {
        let orig = "The  Straße, Służby!";
        let n = fold(orig, true);
        assert_eq!(n.map.len(), n.text.len() + 1);
        let s = n.text.find("strasse").unwrap();
        let (a, b) = n.original_range(s, s + "strasse".len());
        assert_eq!(&orig[a..b], "Straße");
        let s = n.text.find("sluzby").unwrap();
        let (a, b) = n.original_range(s, s + 6);
        assert_eq!(&orig[a..b], "Służby");
        // Half of an expansion maps to the whole original character.
        let s = n.text.find("ss").unwrap();
        let (a, b) = n.original_range(s, s + 1);
        assert_eq!(&orig[a..b], "ß");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "\u{301}\u{301}abc",
            "\u{FFFF}\u{10FFFF}\u{0}",
            "İSTANBUL ǅ ﷺ",
            "a\u{200D}\u{200D}",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        ];
        for s in odd {
            for diacritics in [true, false] {
                let n = fold(s, diacritics);
                assert_eq!(n.map.len(), n.text.len() + 1);
                let (a, b) = n.original_range(0, n.text.len());
                assert!(s.is_char_boundary(a) && s.is_char_boundary(b) && a <= b);
            }
        }
        let huge = "ż".repeat(MAX_SCAN_BYTES);
        assert!(fold(&huge, true).text.len() <= MAX_SCAN_BYTES);
    }
}
