//! Feed bytes → `Vec<Item>`: charset decoding, lenient repairs of documents
//! feed-rs rejects, HTML → plain text, link resolution and stable ids.
//!
//! The steps, in order: `charset` turns the bytes into UTF-8 (and removes
//! the XML declaration so nothing decodes them twice); `prepare` finds the
//! root element, refuses what is not a feed (an HTML error page) and fixes
//! what real readers tolerate (a missing RSS `version`, an old Atom or RSS
//! namespace); feed-rs parses; when it refuses, `repair` fixes the cause
//! it named (bare `&`, an Atom `type` it does not know, an empty element, a
//! JSON Feed with numeric ids) and feed-rs tries again; `error` turns what
//! is left into a [`ParseError`] with a line number; `entry` turns
//! each entry into an [`Item`] of plain text.
//!
//! Invariant: nothing here panics or loops on any input; a document that
//! cannot be read becomes a [`ParseError`] for that feed alone. (feed-rs and
//! quick-xml do panic on a few inputs, so their call is fenced with
//! `catch_unwind`; the corpus test keeps the rest of this module honest.)

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use feed_rs::parser::ParseFeedError;
use sha2::{Digest, Sha256};
use url::Url;

use crate::model::Item;

mod charset;
mod entry;
mod error;
pub mod html;
mod prepare;
mod repair;

pub use entry::{SUMMARY_CHARS, TITLE_CHARS, truncate_words};

/// Where a document came from; everything the parser needs besides the bytes.
#[derive(Debug, Clone)]
pub struct FeedSource<'a> {
    /// The configured feed name, copied into every item.
    pub name: &'a str,
    /// The URL the document was fetched from (base for relative links, part of the id).
    pub url: &'a str,
    /// The HTTP `Content-Type`, when there was one (its `charset` wins over the XML declaration).
    pub content_type: Option<&'a str>,
    /// The language configured for the feed, used when the document declares none.
    pub language: Option<&'a str>,
    /// When the document was fetched: the fallback published time.
    pub fetched: DateTime<Utc>,
}

/// Why a document gave no items. Messages name the problem, not the feed:
/// the fetcher prefixes the feed name.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Empty, plain text, an HTML page, or XML of another vocabulary.
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// XML that is not well-formed; `line` is 1-based, when known.
    #[error("malformed XML{}: {message}", at_line(*.line))]
    MalformedXml { line: Option<u64>, message: String },
    /// A JSON document that does not parse as a JSON Feed.
    #[error("malformed JSON Feed at line {line}, column {column}: {message}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// A JSON Feed whose `version` is not 1.x.
    #[error("unsupported JSON Feed version {0:?}")]
    UnsupportedJsonVersion(String),
    /// Well-formed, but something feed-rs cannot interpret (an unknown content type).
    #[error("invalid feed{}: {message}", at_line(*.line))]
    InvalidFeed { line: Option<u64>, message: String },
    /// The feed library panicked on this document; the panic was contained.
    #[error("the feed parser crashed on this document: {0}")]
    ParserCrashed(String),
}

fn at_line(line: Option<u64>) -> String {
    line.map(|l| format!(" at line {l}")).unwrap_or_default()
}

/// Parses one feed document into normalised items, in document order.
pub fn parse_feed(bytes: &[u8], source: &FeedSource<'_>) -> Result<Vec<Item>, ParseError> {
    let text = charset::decode(bytes, source.content_type);
    let prepared = prepare::prepare(&text)?;
    let base = Url::parse(source.url).ok();
    let feed = run_feed_rs(&prepared, base.as_ref())?;

    let cx = entry::Context {
        source,
        base,
        feed_language: feed.language.as_deref().and_then(entry::language_code),
    };
    Ok(feed
        .entries
        .into_iter()
        .map(|entry| entry::item(entry, &cx))
        .collect())
}

/// The stable id of an entry: a hash of the feed URL and the entry id, as 16 hex digits.
///
/// The NUL separator cannot occur in a URL, so distinct (feed, entry) pairs
/// never hash the same input.
pub fn stable_id(feed_url: &str, entry_id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(feed_url.as_bytes());
    hasher.update([0u8]);
    hasher.update(entry_id.as_bytes());
    let digest = hasher.finalize();
    let mut id = String::with_capacity(16);
    for byte in digest.iter().take(8) {
        id.push(hex_digit(byte >> 4));
        id.push(hex_digit(byte & 0x0f));
    }
    id
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

/// How many repaired versions of one document are tried before giving up;
/// each retry is a full parse, so this bounds the cost of a bad document.
const MAX_REPAIRS: usize = 8;

fn run_feed_rs(
    prepared: &prepare::Prepared<'_>,
    base: Option<&Url>,
) -> Result<feed_rs::model::Feed, ParseError> {
    let mut result = parse_contained(&prepared.text, base);
    // Only a document feed-rs refused pays for repairs.
    if prepared.kind == prepare::Kind::Json {
        if let Err(ParseFeedError::JsonSerde(_) | ParseFeedError::JsonUnsupportedVersion(_)) =
            result
            && let Some(fixed) = repair::repair_json(&prepared.text)
            && let Ok(feed) = parse_contained(&fixed, base)
        {
            return Ok(feed);
        }
        return result.map_err(|e| error::describe(e, &prepared.text, prepared));
    }
    let mut repaired: Option<String> = None;
    for _ in 0..MAX_REPAIRS {
        let Err(error) = &result else { break };
        let current = repaired.as_deref().unwrap_or(&prepared.text);
        let Some(next) = repair::after_failure(current, error) else {
            break;
        };
        result = parse_contained(&next, base);
        repaired = Some(next);
    }
    let text = repaired.as_deref().unwrap_or(&prepared.text);
    result.map_err(|e| error::describe(e, text, prepared))
}

/// Runs feed-rs, turning a panic inside it into an error.
fn parse_contained(text: &str, base: Option<&Url>) -> Result<feed_rs::model::Feed, ParseFeedError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        // An empty id marks an entry without one, so our own fallback
        // (link, then title + date) applies instead of feed-rs's hash or
        // random UUID, which would change on every poll.
        .id_generator(|_, _, _| String::new())
        // Markup is removed by `html::to_text`; sanitising first would only cost time.
        .sanitize_content(false)
        .build();
    match fenced(|| parser.parse(text.as_bytes())) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(ParseFeedError::IoError(std::io::Error::other(
                error::Crash(message),
            )))
        }
    }
}

thread_local! {
    /// Set while a fenced call runs on this thread.
    static FENCED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into an `Err` — without the panic message the
/// default hook would print to standard error: the panic becomes the feed's
/// parse error, logged with the feed's name like any other. Panics anywhere
/// else still reach the previous hook.
fn fenced<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !FENCED.with(|f| f.get()) {
                previous(info);
            }
        }));
    });
    FENCED.with(|flag| flag.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    FENCED.with(|flag| flag.set(false));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(url: &str) -> FeedSource<'_> {
        FeedSource {
            name: "Test",
            url,
            content_type: None,
            language: None,
            fetched: DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
        }
    }

    #[test]
    fn a_fenced_panic_is_an_error_and_the_fence_comes_down_after() {
        let r = fenced(|| -> u8 { panic!("feed-rs gave up") });
        let panic = r.expect_err("the panic is caught");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"feed-rs gave up"));
        assert!(!FENCED.with(|f| f.get()));
        assert_eq!(fenced(|| 7).ok(), Some(7));
    }

    #[test]
    fn stable_id_is_16_hex_digits_and_depends_on_both_parts() {
        let id = stable_id("https://a.example/feed", "guid-1");
        assert_eq!(id.len(), 16);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(id, stable_id("https://a.example/feed", "guid-1"));
        assert_ne!(id, stable_id("https://b.example/feed", "guid-1"));
        assert_ne!(id, stable_id("https://a.example/feed", "guid-2"));
        // the separator keeps the split point in the hash
        assert_ne!(stable_id("ab", "c"), stable_id("a", "bc"));
    }

    #[test]
    fn stable_id_matches_sha256_of_url_nul_id() {
        // `printf 'u\0e' | sha256sum` starts 6140cc2277ed7687
        assert_eq!(stable_id("u", "e"), "6140cc2277ed7687");
    }

    #[test]
    fn entries_without_id_fall_back_to_link_then_title_and_date() {
        let doc = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>Linked</title><link>/a/1</link></item>
            <item><title>Dated</title><pubDate>Mon, 06 May 2024 08:00:00 GMT</pubDate></item>
            <item><guid isPermaLink="false">  g-3 </guid><title>Guid</title></item>
            </channel></rss>"#;
        let items = parse_feed(doc, &source("https://n.example/rss")).unwrap_or_default();
        let ids: Vec<&str> = items.iter().map(|i| i.entry_id.as_str()).collect();
        assert_eq!(
            ids,
            ["https://n.example/a/1", "Dated 2024-05-06T08:00:00Z", "g-3"]
        );
        // parsing again gives the same ids: nothing random leaks in
        let again = parse_feed(doc, &source("https://n.example/rss")).unwrap_or_default();
        assert_eq!(
            items.iter().map(|i| &i.id).collect::<Vec<_>>(),
            again.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn plain_titles_keep_angle_brackets_but_escaped_html_is_stripped() {
        let doc = br#"<rss version="2.0"><channel>
            <item><title>Why vector&lt;int&gt; is slow &amp;amp; fixes</title></item>
            <item><title>&lt;b&gt;Breaking:&lt;/b&gt; leak</title></item>
            </channel></rss>"#;
        let items = parse_feed(doc, &source("https://n.example/rss")).unwrap_or_default();
        let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Why vector<int> is slow & fixes", "Breaking: leak"]
        );
    }

    #[test]
    fn published_falls_back_to_updated_then_fetch_time() {
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id>
            <entry><id>1</id><title>a</title><published>2024-01-02T03:04:05Z</published><updated>2024-02-01T00:00:00Z</updated></entry>
            <entry><id>2</id><title>b</title><updated>2024-02-01T00:00:00Z</updated></entry>
            <entry><id>3</id><title>c</title></entry>
            </feed>"#;
        let src = source("https://n.example/atom");
        let items = parse_feed(doc, &src).unwrap_or_default();
        let dates: Vec<String> = items.iter().map(|i| i.published.to_rfc3339()).collect();
        assert_eq!(
            dates,
            [
                "2024-01-02T03:04:05+00:00",
                "2024-02-01T00:00:00+00:00",
                &src.fetched.to_rfc3339()
            ]
        );
    }

    #[test]
    fn declared_language_comes_from_entry_then_feed_then_source() {
        let doc = br#"<rss version="2.0"><channel><language>pl-PL</language>
            <item><title>x</title></item></channel></rss>"#;
        let items = parse_feed(doc, &source("https://n.example/rss")).unwrap_or_default();
        assert_eq!(
            items.first().and_then(|i| i.declared_language.as_deref()),
            Some("pl")
        );

        let doc = br#"<rss version="2.0"><channel><item><title>x</title></item></channel></rss>"#;
        let mut src = source("https://n.example/rss");
        src.language = Some("de-AT");
        let items = parse_feed(doc, &src).unwrap_or_default();
        assert_eq!(
            items.first().and_then(|i| i.declared_language.as_deref()),
            Some("de")
        );
    }

    #[test]
    fn a_panic_inside_feed_rs_becomes_an_error() {
        // A second XML declaration naming another encoding makes quick-xml's
        // decoder assert (quick-xml 0.42, feed-rs 3.0).
        let padding = "<!-- padding -->".repeat(200);
        let doc = format!(
            "<rss version=\"2.0\"><channel>{padding}<?xml version=\"1.0\" encoding=\"windows-1250\"?></channel></rss>"
        );
        match parse_feed(doc.as_bytes(), &source("https://n.example/rss")) {
            Err(ParseError::ParserCrashed(message)) => {
                assert!(message.contains("set_encoding"), "{message}")
            }
            other => panic!("expected a contained crash, got {other:?}"),
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |doc: &[u8]| match parse_feed(doc, &source("https://n.example/rss")) {
            Ok(items) => format!("ok: {} items", items.len()),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            err(b"<!doctype html><html><body>Bad gateway</body></html>"),
            "not a feed: the document's root element is <html>: a web page, not a feed"
        );
        assert_eq!(
            err(
                b"<rss version=\"2.0\">\n<channel>\n<title>a</title>\n<item><title>b</titl></item>"
            ),
            "malformed XML at line 4: ill-formed document: expected `</title>`, but `</titl>` was found"
        );
        assert_eq!(
            err(b"<rss version=\"2.0\"></rss>"),
            "not a feed: the <rss> element has no <channel>"
        );
        assert_eq!(
            err(b"{\"version\": \"https://jsonfeed.org/version/1\",\n \"items\": [}"),
            "malformed JSON Feed at line 2, column 12: expected value"
        );
        assert_eq!(
            err(b"{\"version\": \"https://jsonfeed.org/version/9\", \"title\": \"t\", \"items\": []}"),
            "unsupported JSON Feed version \"https://jsonfeed.org/version/9\""
        );
    }
}
