//! The specific names a story is told with, in any language: what links a
//! Polish rewrite to the English wire copy it came from.
//!
//! Job: from a title and a text, the words that name one thing rather than
//! describe: capitalised words inside sentences ("Lieber", "Shenzhen",
//! "Volt Typhoon"), acronyms and codes ("GRU", "APT28", "CVE-2026-1234"),
//! Latin-script names inside Chinese, Japanese or Korean text, and numbers
//! of three digits or more ("40,000 files", "1,200 engineers").
//! Each becomes a *key* that reads the same across languages and
//! grammatical cases: folded (case and diacritics), Cyrillic transliterated
//! to Latin, cut to [`KEY_CHARS`] letters (so "Huaweia" and "Huawei", or
//! "Kaspersky" and "Kasperskogo", meet), numbers as their digits.
//!
//! What a name weighs is not decided here: a name in every other story of
//! the window ("China", "FBI") says nothing, and `group` weighs it by how
//! rare it is.

use std::collections::BTreeSet;

use crate::topic::fold;

/// Letters of a word kept in its key: long enough to keep names apart,
/// short enough that the case endings of Slavic and Baltic languages
/// ("Huaweiem", "Kasperskiego") and English possessives fall off.
pub const KEY_CHARS: usize = 6;

/// Shortest word taken as a name (shorter capitalised words are mostly
/// articles and pronouns at a line's start); acronyms may be 2 letters.
const MIN_NAME_CHARS: usize = 3;

/// The name keys of a text (title and body together), sorted, each once.
pub fn name_keys(title: &str, text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    // A title is often in title case, where every word is capitalised:
    // there only acronyms, codes and numbers count.
    collect(title, true, &mut keys);
    collect(text, false, &mut keys);
    keys
}

/// The name keys of a phrase the topic matcher found ("Salt Typhoon",
/// "Huawei's"): what a story shares with every other story of its topic.
pub fn term_keys(found: &str) -> impl Iterator<Item = String> + '_ {
    tokens(found).filter_map(|t| match t {
        Token::Word(word) => key_of(word, false, false),
        Token::Boundary => None,
    })
}

fn collect(text: &str, title: bool, keys: &mut BTreeSet<String>) {
    let mut sentence_start = true;
    for token in tokens(text) {
        match token {
            Token::Boundary => sentence_start = true,
            Token::Word(word) => {
                if let Some(key) = key_of(word, title, sentence_start) {
                    keys.insert(key);
                }
                sentence_start = false;
            }
        }
    }
}

enum Token<'a> {
    Word(&'a str),
    /// The end of a sentence, or of a line.
    Boundary,
}

/// Words (runs of letters, digits and the joiners inside them: `.` and `,`
/// in numbers, `-` in codes) and sentence boundaries.
fn tokens(text: &str) -> impl Iterator<Item = Token<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            let mut chars = rest.char_indices();
            let (_, c) = chars.next()?;
            if c.is_alphanumeric() {
                let mut end = rest.len();
                let mut prev_joiner = false;
                let cjk = is_cjk(c);
                for (i, c) in rest.char_indices().skip(1) {
                    let joiner = matches!(c, '-' | '.' | ',' | '\'' | '’');
                    // CJK text runs into Latin names and digits without a
                    // space ("晶片商Veltrion前工程師"): a change of script ends a word.
                    if c.is_alphanumeric() && is_cjk(c) != cjk {
                        end = i;
                        break;
                    }
                    if c.is_alphanumeric() {
                        prev_joiner = false;
                        continue;
                    }
                    if joiner && !prev_joiner {
                        // A joiner belongs to the word only when a letter
                        // or digit follows it.
                        let next = rest[i + c.len_utf8()..].chars().next();
                        if next.is_some_and(char::is_alphanumeric) {
                            prev_joiner = true;
                            continue;
                        }
                    }
                    end = i;
                    break;
                }
                let word = &rest[..end];
                rest = &rest[end..];
                return Some(Token::Word(word));
            }
            let len = c.len_utf8();
            rest = &rest[len..];
            if matches!(
                c,
                '.' | '!' | '?' | '\n' | ':' | '"' | '«' | '»' | '“' | '„' | '。' | '！' | '？'
            ) {
                return Some(Token::Boundary);
            }
        }
    })
}

fn key_of(word: &str, title: bool, sentence_start: bool) -> Option<String> {
    let word = without_elision(word);
    let digits = word.chars().filter(char::is_ascii_digit).count();
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return number_key(word, digits);
    }
    let first = word.chars().next()?;
    if is_cjk(first) {
        // A run of CJK characters: no capitals to go by, and the pack's
        // names of the text come in through the caller.
        return None;
    }
    let upper = word.chars().filter(|c| c.is_uppercase()).count();
    // Acronyms and codes: two or more capitals, or letters with digits
    // (GRU, APT28, CVE-2026-1234); these count in titles too.
    let code = (upper >= 2 && upper * 2 >= letters) || (digits > 0 && letters > 0);
    let capitalised = first.is_uppercase();
    let name = code || (capitalised && !title && !sentence_start && letters >= MIN_NAME_CHARS);
    if !name || (letters + digits) < 2 {
        return None;
    }
    let folded = fold(word, true).text.replace(' ', "");
    let latin = transliterate(&folded);
    if code {
        return Some(latin);
    }
    Some(latin.chars().take(KEY_CHARS).collect())
}

/// "l'Assemblée" → "Assemblée", "dell'Agenzia" → "Agenzia": an elided
/// article or preposition (French, Italian, Catalan) is not part of the
/// name it is written onto.
fn without_elision(word: &str) -> &str {
    for (i, c) in word.char_indices().take(6) {
        if matches!(c, '\'' | '’') {
            let head = &word[..i];
            let rest = &word[i + c.len_utf8()..];
            if !head.is_empty()
                && head
                    .chars()
                    .all(|h| h.is_lowercase() || h == 'L' || h == 'D')
                && rest.chars().next().is_some_and(char::is_alphabetic)
            {
                return rest;
            }
            break;
        }
    }
    word
}

/// Numbers of three digits or more, as their digits: "40,000" and
/// "40.000" meet ("40 000" is two words, of which "000" alone counts
/// nothing). Years (1900-2099) are too common to name anything, and how
/// common a number is otherwise is for `group` to weigh.
fn number_key(word: &str, digits: usize) -> Option<String> {
    let all: String = word.chars().filter(char::is_ascii_digit).collect();
    if digits < 3 || all.trim_start_matches('0').is_empty() {
        return None;
    }
    if all.len() == 4 && (all.starts_with("19") || all.starts_with("20")) {
        return None;
    }
    Some(format!("#{all}"))
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Cyrillic letters to Latin, as names are usually spelt in Latin-script
/// news (a simplified scientific transliteration; what matters is that both
/// spellings of one name reach the same first letters).
fn transliterate(word: &str) -> String {
    if word.is_ascii() {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let latin = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'ґ' => "g",
            'д' => "d",
            'е' | 'є' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'і' | 'ї' | 'й' | 'ы' => "i",
            'ј' => "j",
            'к' => "k",
            'л' => "l",
            'љ' => "lj",
            'м' => "m",
            'н' => "n",
            'њ' => "nj",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'ћ' => "c",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "c",
            'ч' => "ch",
            'џ' => "dz",
            'ш' => "sh",
            'щ' => "sh",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            'ђ' => "dj",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(latin);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(title: &str, text: &str) -> Vec<String> {
        name_keys(title, text).into_iter().collect()
    }

    #[test]
    fn names_inside_sentences_codes_and_numbers_are_keys() {
        let k = keys(
            "Chip Designer Says State Hackers Hit Its Lab",
            "The attack on Sandworm's target began in March. Investigators at Mandiant \
             linked APT28 to 40,000 stolen files and a loss of $3.2 million.",
        );
        // Sentence starts ("The", "Investigators") and title-case words are not names.
        assert_eq!(k, ["#40000", "apt28", "mandia", "march", "sandwo"]);
    }

    #[test]
    fn inflected_and_cyrillic_spellings_meet() {
        let pl = keys("", "Śledczy zatrzymali pracownika Huaweia w Warszawie.");
        let en = keys("", "Police arrested a Huawei employee in Warsaw.");
        assert!(pl.contains(&"huawei".to_string()) && en.contains(&"huawei".to_string()));
        let ru = keys("", "Эксперты компании Касперского обнаружили атаку.");
        let en = keys("", "Researchers at Kaspersky found the attack.");
        assert!(ru.contains(&"kasper".to_string()), "{ru:?}");
        assert!(en.contains(&"kasper".to_string()), "{en:?}");
    }

    #[test]
    fn latin_names_and_numbers_in_cjk_text_are_keys() {
        let k = keys("", "安全公司称，APT41 组织窃取了 12000 份文件。");
        assert_eq!(k, ["#12000", "apt41"]);
    }

    #[test]
    fn latin_names_run_into_cjk_text_are_keys() {
        let k = keys(
            "",
            "美國晶片商Veltrion前工程師Daniel Qiao將超過2400份機密檔案複製",
        );
        assert_eq!(k, ["#2400", "daniel", "qiao", "veltri"]);
    }

    #[test]
    fn elided_articles_are_not_part_of_the_name() {
        let fr = keys("", "Le texte de l'Assemblée et celui de l’ANSSI.");
        assert_eq!(fr, ["anssi", "assemb"]);
        // An English possessive ends the word: the cut takes it off.
        assert_eq!(keys("", "It was Sandworm's work."), ["sandwo"]);
    }

    #[test]
    fn years_and_small_numbers_are_not() {
        assert!(keys("", "In 2026 the 3 suspects took 25 laptops and 000 phones.").is_empty());
    }
}
