//! Language detection, restricted to the enabled languages.
//!
//! Job: turn a text (and, optionally, the language its feed declares) into an
//! ISO 639-1 code and a confidence. The topic matcher picks its term lists by
//! this code, so a wrong guess costs recall; that is why detection is limited
//! to the languages the operator enabled (fewer look-alikes to confuse) and
//! why the feed's declared language breaks ties when the detector is unsure.
//!
//! Invariants: `detect` never panics and only ever answers an enabled code or
//! `"unknown"`; it reads at most [`MAX_DETECT_CHARS`] characters, so its cost
//! does not grow with the size of an article.

use whatlang::{Detector, Lang};

use crate::model::LanguageGuess;

/// How many characters of a text the detector looks at. Trigram statistics
/// settle long before this; reading the whole of a 50 KB article only costs time.
pub const MAX_DETECT_CHARS: usize = 1_000;

/// Below this confidence, and when whatlang itself does not call the guess
/// reliable, the feed's declared language (if enabled) is preferred.
const UNSURE_CONFIDENCE: f64 = 0.5;

/// The confidence reported when the answer comes from the feed's hint rather
/// than from the text: "as likely as not", which is what a hint is worth.
const HINT_CONFIDENCE: f64 = 0.5;

/// The languages enabled when the configuration says nothing.
pub const DEFAULT_LANGUAGES: [&str; 12] = [
    "en", "pl", "de", "fr", "es", "it", "nl", "cs", "ru", "uk", "zh", "ja",
];

#[derive(Debug, thiserror::Error)]
pub enum LangError {
    #[error("unsupported language code {0:?} (use an ISO 639-1 code such as \"en\" or \"pl\")")]
    Unsupported(String),
    #[error("no language enabled: list at least one ISO 639-1 code")]
    Empty,
}

/// A whatlang detector limited to the enabled languages.
pub struct LanguageDetector {
    detector: Detector,
    /// The enabled codes, lower case, in configuration order.
    enabled: Vec<&'static str>,
}

impl std::fmt::Debug for LanguageDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // whatlang's Detector is not Debug; the enabled list is what matters.
        f.debug_struct("LanguageDetector")
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl LanguageDetector {
    /// `enabled`: ISO 639-1 codes (case-insensitive). Fails on the first code
    /// whatlang cannot detect, naming it, or when the list is empty.
    pub fn new(enabled: &[String]) -> Result<Self, LangError> {
        let mut langs = Vec::with_capacity(enabled.len());
        let mut codes: Vec<&'static str> = Vec::with_capacity(enabled.len());
        for code in enabled {
            let (iso, lang) = lookup(code).ok_or_else(|| LangError::Unsupported(code.clone()))?;
            if !codes.contains(&iso) {
                codes.push(iso);
                langs.push(lang);
            }
        }
        if langs.is_empty() {
            return Err(LangError::Empty);
        }
        Ok(LanguageDetector {
            detector: Detector::with_allowlist(langs),
            enabled: codes,
        })
    }

    /// A detector for [`DEFAULT_LANGUAGES`].
    pub fn with_defaults() -> Self {
        let langs = DEFAULT_LANGUAGES
            .iter()
            .filter_map(|c| lookup(c))
            .collect::<Vec<_>>();
        LanguageDetector {
            detector: Detector::with_allowlist(langs.iter().map(|(_, l)| *l).collect()),
            enabled: langs.iter().map(|(c, _)| *c).collect(),
        }
    }

    /// The enabled codes, in configuration order, without duplicates.
    pub fn enabled(&self) -> &[&'static str] {
        &self.enabled
    }

    /// Whether `code` (ISO 639-1, any case, `en-US` style accepted) is enabled.
    pub fn is_enabled(&self, code: &str) -> bool {
        let code = primary_subtag(code);
        self.enabled.iter().any(|c| c.eq_ignore_ascii_case(&code))
    }

    /// Detects the language of `text` from its first [`MAX_DETECT_CHARS`] characters.
    ///
    /// `hint`: the feed's declared language (`pl`, `en-US`, ...), used only
    /// when detection is unsure (not reliable and confidence below 0.5, or no
    /// answer at all) and the hinted language is enabled.
    pub fn detect(&self, text: &str, hint: Option<&str>) -> LanguageGuess {
        let head = truncate_chars(text, MAX_DETECT_CHARS);
        if !head.chars().any(char::is_alphabetic) {
            return LanguageGuess::unknown();
        }
        let hint = hint
            .map(primary_subtag)
            .and_then(|h| self.enabled.iter().copied().find(|c| *c == h));
        let info = self.detector.detect(head);
        match (info, hint) {
            (Some(info), hint) => {
                let code = iso639_1(info.lang());
                let confidence = info.confidence().clamp(0.0, 1.0);
                let sure = info.is_reliable() || confidence >= UNSURE_CONFIDENCE;
                match hint {
                    Some(h) if !sure && h != code => LanguageGuess {
                        code: h.to_string(),
                        confidence: HINT_CONFIDENCE,
                    },
                    _ => LanguageGuess {
                        code: code.to_string(),
                        confidence,
                    },
                }
            }
            (None, Some(h)) => LanguageGuess {
                code: h.to_string(),
                confidence: HINT_CONFIDENCE,
            },
            (None, None) => LanguageGuess::unknown(),
        }
    }
}

/// Whether whatlang can detect the language with this ISO 639-1 code
/// (case-insensitive). For configuration validation.
pub fn is_supported(code: &str) -> bool {
    lookup(code).is_some()
}

/// Every ISO 639-1 code whatlang can detect, for error messages and docs.
pub fn supported_codes() -> impl Iterator<Item = &'static str> {
    CODES.iter().map(|(c, _)| *c)
}

/// The longest prefix of `text` with at most `max` characters.
fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// `en-US` / `en_us` / ` EN ` → `en`.
fn primary_subtag(code: &str) -> String {
    code.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn lookup(code: &str) -> Option<(&'static str, Lang)> {
    let code = code.trim().to_ascii_lowercase();
    CODES.iter().find(|(c, _)| *c == code).copied()
}

fn iso639_1(lang: Lang) -> &'static str {
    CODES
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(c, _)| *c)
        // Every Lang whatlang 0.18 knows is in CODES (see the test
        // `every_whatlang_language_has_a_code`); this arm is unreachable in practice.
        .unwrap_or(LanguageGuess::UNKNOWN)
}

/// ISO 639-1 codes of the languages whatlang 0.18 detects (it speaks 639-3).
const CODES: [(&str, Lang); 70] = [
    ("af", Lang::Afr),
    ("ak", Lang::Aka),
    ("am", Lang::Amh),
    ("ar", Lang::Ara),
    ("az", Lang::Aze),
    ("be", Lang::Bel),
    ("bg", Lang::Bul),
    ("bn", Lang::Ben),
    ("ca", Lang::Cat),
    ("cs", Lang::Ces),
    ("cy", Lang::Cym),
    ("da", Lang::Dan),
    ("de", Lang::Deu),
    ("el", Lang::Ell),
    ("en", Lang::Eng),
    ("eo", Lang::Epo),
    ("es", Lang::Spa),
    ("et", Lang::Est),
    ("fa", Lang::Pes),
    ("fi", Lang::Fin),
    ("fr", Lang::Fra),
    ("gu", Lang::Guj),
    ("he", Lang::Heb),
    ("hi", Lang::Hin),
    ("hr", Lang::Hrv),
    ("hu", Lang::Hun),
    ("hy", Lang::Hye),
    ("id", Lang::Ind),
    ("it", Lang::Ita),
    ("ja", Lang::Jpn),
    ("jv", Lang::Jav),
    ("ka", Lang::Kat),
    ("km", Lang::Khm),
    ("kn", Lang::Kan),
    ("ko", Lang::Kor),
    ("la", Lang::Lat),
    ("lt", Lang::Lit),
    ("lv", Lang::Lav),
    ("mk", Lang::Mkd),
    ("ml", Lang::Mal),
    ("mr", Lang::Mar),
    ("my", Lang::Mya),
    ("nb", Lang::Nob),
    ("ne", Lang::Nep),
    ("nl", Lang::Nld),
    ("or", Lang::Ori),
    ("pa", Lang::Pan),
    ("pl", Lang::Pol),
    ("pt", Lang::Por),
    ("ro", Lang::Ron),
    ("ru", Lang::Rus),
    ("si", Lang::Sin),
    ("sk", Lang::Slk),
    ("sl", Lang::Slv),
    ("sn", Lang::Sna),
    ("sr", Lang::Srp),
    ("sv", Lang::Swe),
    ("ta", Lang::Tam),
    ("te", Lang::Tel),
    ("th", Lang::Tha),
    ("tk", Lang::Tuk),
    ("tl", Lang::Tgl),
    ("tr", Lang::Tur),
    ("uk", Lang::Ukr),
    ("ur", Lang::Urd),
    ("uz", Lang::Uzb),
    ("vi", Lang::Vie),
    ("yi", Lang::Yid),
    ("zh", Lang::Cmn),
    ("zu", Lang::Zul),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> LanguageDetector {
        let codes: Vec<String> = DEFAULT_LANGUAGES.iter().map(|c| c.to_string()).collect();
        LanguageDetector::new(&codes).expect("defaults are supported")
    }

    #[test]
    fn every_whatlang_language_has_a_code() {
        for lang in Lang::all() {
            assert_ne!(iso639_1(*lang), LanguageGuess::UNKNOWN, "{lang:?}");
        }
        assert_eq!(CODES.len(), Lang::all().len());
    }

    #[test]
    fn rejects_unknown_code_by_name() {
        let err = LanguageDetector::new(&["en".into(), "xx".into()]).unwrap_err();
        assert!(err.to_string().contains("\"xx\""), "{err}");
        assert!(matches!(LanguageDetector::new(&[]), Err(LangError::Empty)));
        assert!(is_supported("PL") && is_supported("ja") && !is_supported("klingon"));
    }

    #[test]
    fn no_letters_is_unknown() {
        let d = defaults();
        for text in ["", "   ", "12345 -- 67.89", "!!! ??? …", "🙂🙂"] {
            assert_eq!(
                d.detect(text, Some("en")),
                LanguageGuess::unknown(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn detects_common_languages() {
        let d = defaults();
        let cases = [
            (
                "en",
                "The security service said the company had shared customer data with the military intelligence agency.",
            ),
            (
                "pl",
                "Służby specjalne podejrzewają, że chińska firma przekazywała dane klientów wywiadowi wojskowemu.",
            ),
            (
                "de",
                "Der Verfassungsschutz warnt vor Spionage durch chinesische Unternehmen in deutschen Häfen.",
            ),
            (
                "fr",
                "Les services de renseignement soupçonnent une entreprise chinoise d'espionnage industriel.",
            ),
            (
                "ru",
                "Спецслужбы подозревают китайскую компанию в шпионаже в пользу военной разведки.",
            ),
            (
                "uk",
                "Служба безпеки України викрила мережу шпигунів, які працювали на російську розвідку.",
            ),
            (
                "ja",
                "中国のハッカー集団が日本の防衛関連企業から機密情報を盗んだとみられている。",
            ),
        ];
        for (want, text) in cases {
            let got = d.detect(text, None);
            assert_eq!(got.code, want, "{text}");
            assert!(got.confidence > 0.0 && got.confidence <= 1.0);
        }
    }

    #[test]
    fn only_enabled_languages_are_answered() {
        let d = LanguageDetector::new(&["en".into(), "de".into()]).unwrap();
        let got = d.detect(
            "Służby specjalne podejrzewają chińską firmę o szpiegostwo.",
            None,
        );
        assert!(got.code == "en" || got.code == "de", "{got:?}");
    }

    #[test]
    fn hint_breaks_ties_only_when_unsure() {
        let d = defaults();
        // A clear English sentence stays English whatever the feed says.
        let text = "The intelligence service has been monitoring the logistics hub for espionage.";
        assert_eq!(d.detect(text, Some("pl")).code, "en");
        // Two words say little; a hint for an enabled language decides.
        let short = d.detect("Alibaba Huawei", Some("pl-PL"));
        assert_eq!(short.code, "pl", "{short:?}");
        // A hint for a language that is not enabled is ignored.
        let d2 = LanguageDetector::new(&["en".into(), "de".into()]).unwrap();
        assert_ne!(d2.detect("Alibaba Huawei", Some("pl")).code, "pl");
    }

    #[test]
    fn reads_only_the_head_on_a_char_boundary() {
        let d = defaults();
        let text = format!("{}{}", "ż".repeat(999), "é".repeat(5000));
        let _ = d.detect(&text, None);
        assert_eq!(truncate_chars(&text, 1000).chars().count(), 1000);
        assert_eq!(truncate_chars("abc", 1000), "abc");
    }
}
