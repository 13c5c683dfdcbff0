//! The lingua models read, with their ISO 639-1 codes: the Latin- and
//! Cyrillic-script languages newshound's lingua build has (Cargo.toml's
//! `lingua` features), and seven more that whatlang knows, so that the
//! first pass recognises their texts as not enabled without a lingua model
//! in the binary. Other scripts are told apart by their letters.

use include_dir::Dir;

pub const MODELS: [(&str, Dir<'static>); 57] = [
    (
        "en",
        lingua_english_language_model::ENGLISH_MODELS_DIRECTORY,
    ),
    ("pl", lingua_polish_language_model::POLISH_MODELS_DIRECTORY),
    ("de", lingua_german_language_model::GERMAN_MODELS_DIRECTORY),
    ("fr", lingua_french_language_model::FRENCH_MODELS_DIRECTORY),
    (
        "es",
        lingua_spanish_language_model::SPANISH_MODELS_DIRECTORY,
    ),
    (
        "it",
        lingua_italian_language_model::ITALIAN_MODELS_DIRECTORY,
    ),
    ("nl", lingua_dutch_language_model::DUTCH_MODELS_DIRECTORY),
    ("cs", lingua_czech_language_model::CZECH_MODELS_DIRECTORY),
    (
        "ru",
        lingua_russian_language_model::RUSSIAN_MODELS_DIRECTORY,
    ),
    (
        "uk",
        lingua_ukrainian_language_model::UKRAINIAN_MODELS_DIRECTORY,
    ),
    (
        "sv",
        lingua_swedish_language_model::SWEDISH_MODELS_DIRECTORY,
    ),
    ("nb", lingua_bokmal_language_model::BOKMAL_MODELS_DIRECTORY),
    (
        "nn",
        lingua_nynorsk_language_model::NYNORSK_MODELS_DIRECTORY,
    ),
    ("da", lingua_danish_language_model::DANISH_MODELS_DIRECTORY),
    (
        "fi",
        lingua_finnish_language_model::FINNISH_MODELS_DIRECTORY,
    ),
    (
        "pt",
        lingua_portuguese_language_model::PORTUGUESE_MODELS_DIRECTORY,
    ),
    (
        "ro",
        lingua_romanian_language_model::ROMANIAN_MODELS_DIRECTORY,
    ),
    (
        "hu",
        lingua_hungarian_language_model::HUNGARIAN_MODELS_DIRECTORY,
    ),
    ("sk", lingua_slovak_language_model::SLOVAK_MODELS_DIRECTORY),
    (
        "sl",
        lingua_slovene_language_model::SLOVENE_MODELS_DIRECTORY,
    ),
    (
        "hr",
        lingua_croatian_language_model::CROATIAN_MODELS_DIRECTORY,
    ),
    (
        "sr",
        lingua_serbian_language_model::SERBIAN_MODELS_DIRECTORY,
    ),
    (
        "bs",
        lingua_bosnian_language_model::BOSNIAN_MODELS_DIRECTORY,
    ),
    (
        "bg",
        lingua_bulgarian_language_model::BULGARIAN_MODELS_DIRECTORY,
    ),
    (
        "tr",
        lingua_turkish_language_model::TURKISH_MODELS_DIRECTORY,
    ),
    (
        "lt",
        lingua_lithuanian_language_model::LITHUANIAN_MODELS_DIRECTORY,
    ),
    (
        "lv",
        lingua_latvian_language_model::LATVIAN_MODELS_DIRECTORY,
    ),
    (
        "et",
        lingua_estonian_language_model::ESTONIAN_MODELS_DIRECTORY,
    ),
    (
        "is",
        lingua_icelandic_language_model::ICELANDIC_MODELS_DIRECTORY,
    ),
    (
        "sq",
        lingua_albanian_language_model::ALBANIAN_MODELS_DIRECTORY,
    ),
    (
        "mn",
        lingua_mongolian_language_model::MONGOLIAN_MODELS_DIRECTORY,
    ),
    ("kk", lingua_kazakh_language_model::KAZAKH_MODELS_DIRECTORY),
    (
        "af",
        lingua_afrikaans_language_model::AFRIKAANS_MODELS_DIRECTORY,
    ),
    (
        "ca",
        lingua_catalan_language_model::CATALAN_MODELS_DIRECTORY,
    ),
    ("la", lingua_latin_language_model::LATIN_MODELS_DIRECTORY),
    (
        "mk",
        lingua_macedonian_language_model::MACEDONIAN_MODELS_DIRECTORY,
    ),
    ("ms", lingua_malay_language_model::MALAY_MODELS_DIRECTORY),
    (
        "id",
        lingua_indonesian_language_model::INDONESIAN_MODELS_DIRECTORY,
    ),
    (
        "az",
        lingua_azerbaijani_language_model::AZERBAIJANI_MODELS_DIRECTORY,
    ),
    (
        "eo",
        lingua_esperanto_language_model::ESPERANTO_MODELS_DIRECTORY,
    ),
    ("eu", lingua_basque_language_model::BASQUE_MODELS_DIRECTORY),
    ("ga", lingua_irish_language_model::IRISH_MODELS_DIRECTORY),
    ("so", lingua_somali_language_model::SOMALI_MODELS_DIRECTORY),
    (
        "sw",
        lingua_swahili_language_model::SWAHILI_MODELS_DIRECTORY,
    ),
    ("st", lingua_sotho_language_model::SOTHO_MODELS_DIRECTORY),
    ("tn", lingua_tswana_language_model::TSWANA_MODELS_DIRECTORY),
    ("ts", lingua_tsonga_language_model::TSONGA_MODELS_DIRECTORY),
    ("yo", lingua_yoruba_language_model::YORUBA_MODELS_DIRECTORY),
    ("mi", lingua_maori_language_model::MAORI_MODELS_DIRECTORY),
    ("lg", lingua_ganda_language_model::GANDA_MODELS_DIRECTORY),
    (
        "be",
        lingua_belarusian_language_model::BELARUSIAN_MODELS_DIRECTORY,
    ),
    ("cy", lingua_welsh_language_model::WELSH_MODELS_DIRECTORY),
    (
        "tl",
        lingua_tagalog_language_model::TAGALOG_MODELS_DIRECTORY,
    ),
    (
        "vi",
        lingua_vietnamese_language_model::VIETNAMESE_MODELS_DIRECTORY,
    ),
    ("xh", lingua_xhosa_language_model::XHOSA_MODELS_DIRECTORY),
    ("zu", lingua_zulu_language_model::ZULU_MODELS_DIRECTORY),
    ("sn", lingua_shona_language_model::SHONA_MODELS_DIRECTORY),
];
