//! Language detection, restricted to the enabled languages.

use crate::model::LanguageGuess;

#[derive(Debug, thiserror::Error)]
pub enum LangError {
    #[error("unsupported language code {0:?}")]
    Unsupported(String),
}

pub struct LanguageDetector {}

impl LanguageDetector {
    /// `enabled`: ISO 639-1 codes.
    pub fn new(_enabled: &[String]) -> Result<Self, LangError> {
        todo!("lang helper")
    }

    /// `hint`: the feed's declared language, used only when detection is unsure.
    pub fn detect(&self, _text: &str, _hint: Option<&str>) -> LanguageGuess {
        todo!("lang helper")
    }
}

pub fn is_supported(_code: &str) -> bool {
    todo!()
}
