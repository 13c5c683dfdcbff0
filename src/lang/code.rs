//! Language tags as newshound reads them: wherever a language is named (a
//! feed's declared language, an entry's `xml:lang`, `[languages] enabled`,
//! a topic pack's sections, the detector's answer), it is read into a
//! [`LangCode`] here and nowhere else, so `pl`, `PL`, `pl-PL` and `pl_pl`
//! are the same language everywhere.

use std::fmt;

/// An ISO 639-1 code: two lower-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangCode([u8; 2]);

impl LangCode {
    /// The language of a tag: its primary subtag (before `-` or `_`,
    /// spaces around ignored), when that is two ASCII letters; `None`
    /// otherwise (`any`, `unknown`, a three-letter ISO 639-3 code, "").
    pub fn parse(tag: &str) -> Option<LangCode> {
        let primary = tag.trim().split(['-', '_']).next()?.as_bytes();
        match primary {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(LangCode([a.to_ascii_lowercase(), b.to_ascii_lowercase()]))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Two ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for LangCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LangCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LangCode({:?})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_tag_is_one_code() {
        for tag in ["pl", "PL", "pl-PL", "pl_pl", " Pl ", "pl-Latn-PL"] {
            assert_eq!(
                LangCode::parse(tag).map(|c| c.to_string()),
                Some("pl".into()),
                "{tag}"
            );
        }
        for tag in ["", "any", "unknown", "pol", "p", "p1", "-pl", "ł-pl"] {
            assert_eq!(LangCode::parse(tag), None, "{tag}");
        }
    }
}
