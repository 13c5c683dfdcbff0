//! One feed-rs entry → one [`Item`]: plain text, an absolute link, dates and
//! a language hint, each with a documented fallback.
//!
//! Invariant: every entry yields an item (nothing is dropped here), and the
//! entry id never depends on the fetch time, so the same entry polled again
//! gets the same stable id.

use chrono::SecondsFormat;
use feed_rs::model::{Entry, Link, Text};
use url::Url;

use crate::lang::LangCode;

use super::{FeedSource, html, stable_id};
use crate::model::Item;

/// Longest summary kept, in characters; the full text is in `content`.
pub const SUMMARY_CHARS: usize = 600;
/// Longest title made from a summary when the entry has no title.
pub const TITLE_CHARS: usize = 80;

/// What every entry of one document shares.
pub(crate) struct Context<'a> {
    pub source: &'a FeedSource<'a>,
    /// The feed URL parsed once, the base for relative links.
    pub base: Option<Url>,
    /// The document's declared language, already normalised.
    pub feed_language: Option<String>,
}

pub(crate) fn item(entry: Entry, cx: &Context<'_>) -> Item {
    let source = cx.source;
    let mut title = text_of(entry.title.as_ref());
    let mut summary_text = text_of(entry.summary.as_ref());
    let content_text = entry.content.as_ref().map_or_else(String::new, |c| {
        plain(
            c.body.as_deref().unwrap_or_default(),
            c.content_type.as_str(),
        )
    });
    // Video and podcast feeds (YouTube's Atom) carry their text in Media RSS.
    if title.is_empty() {
        title = text_of(entry.media.iter().find_map(|m| m.title.as_ref()));
    }
    if summary_text.is_empty() && content_text.is_empty() {
        summary_text = text_of(entry.media.iter().find_map(|m| m.description.as_ref()));
    }

    let (summary, content) = match (summary_text.is_empty(), content_text.is_empty()) {
        (false, false) => (truncate_words(&summary_text, SUMMARY_CHARS), content_text),
        (false, true) => (truncate_words(&summary_text, SUMMARY_CHARS), summary_text),
        (true, _) => (truncate_words(&content_text, SUMMARY_CHARS), content_text),
    };
    if title.is_empty() {
        title = truncate_words(&summary, TITLE_CHARS);
    }

    // An RSS guid is a permalink unless it says otherwise (feed-rs does not
    // say), so a URL-shaped id stands in for a missing link.
    let url = article_link(&entry.links, cx.base.as_ref()).or_else(|| {
        Url::parse(entry.id.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    });
    let entry_published = entry.published.or(entry.updated);
    let entry_id = entry_id(&entry.id, url.as_deref(), &title, entry_published, &content);

    Item {
        id: stable_id(source.url, &entry_id),
        entry_id,
        feed: source.name.to_owned(),
        feed_url: source.url.to_owned(),
        url,
        title,
        summary,
        content,
        published: entry_published.unwrap_or(source.fetched),
        fetched: source.fetched,
        authors: unique(
            entry
                .authors
                .iter()
                .filter_map(|p| p.name.as_deref().or(p.email.as_deref())),
        ),
        categories: unique(
            entry
                .categories
                .iter()
                .map(|c| c.label.as_deref().unwrap_or(&c.term)),
        ),
        declared_language: entry
            .language
            .as_deref()
            .and_then(language_code)
            .or_else(|| cx.feed_language.clone())
            .or_else(|| source.language.and_then(language_code)),
    }
}

fn text_of(text: Option<&Text>) -> String {
    text.map_or_else(String::new, |t| plain(&t.content, t.content_type.as_str()))
}

/// Plain text of a field of the given media type. feed-rs calls every RSS
/// title plain text, but titles carry escaped HTML often enough that plain
/// text which looks like HTML is read as HTML.
fn plain(body: &str, media_type: &str) -> String {
    if media_type == "text/plain" && !html::looks_like_html(body) {
        html::plain_to_text(body)
    } else {
        html::to_text(body)
    }
}

/// The entry's id as the feed gives it; else its link; else its title and
/// date; else (an entry with neither) its text, so that two such entries
/// still get distinct ids.
fn entry_id(
    id: &str,
    url: Option<&str>,
    title: &str,
    published: Option<chrono::DateTime<chrono::Utc>>,
    content: &str,
) -> String {
    let id = id.trim();
    if !id.is_empty() {
        return id.to_owned();
    }
    if let Some(url) = url {
        return url.to_owned();
    }
    let date = published.map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true));
    match (title.is_empty(), date) {
        (false, Some(date)) => format!("{title} {date}"),
        (false, None) => title.to_owned(),
        (true, Some(date)) => date,
        (true, None) => content.chars().take(200).collect(),
    }
}

/// The article's address: the first alternate HTML link, else the first link
/// of any kind, made absolute against the feed URL.
pub(crate) fn article_link(links: &[Link], base: Option<&Url>) -> Option<String> {
    let alternate = |l: &&Link| {
        l.target.is_none()
            && l.rel
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
            && l.media_type.as_deref().is_none_or(|t| t.contains("html"))
    };
    links
        .iter()
        .filter(alternate)
        .chain(links.iter())
        .find_map(|l| resolve(&l.href, base))
}

/// Makes `href` absolute. Script and data URLs are refused: the link ends up
/// in chat messages. A relative link with no usable base is kept as given,
/// which still tells the analyst where to look.
pub(crate) fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match base {
        Some(base) => base.join(href),
        None => Url::parse(href),
    };
    match url {
        Ok(url) if matches!(url.scheme(), "javascript" | "data" | "vbscript") => None,
        Ok(url) => Some(url.into()),
        Err(_) => Some(href.to_owned()),
    }
}

/// `pl-PL`, `PL`, `pl_pl` → `pl` ([`LangCode::parse`]); `None` unless the
/// primary subtag is two ASCII letters, the form the detector compares with.
pub(crate) fn language_code(tag: &str) -> Option<String> {
    LangCode::parse(tag).map(|code| code.to_string())
}

/// Cuts `text` to at most `max` characters at a word boundary, adding "…".
pub fn truncate_words(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_owned();
    };
    let head = text.get(..cut).unwrap_or_default();
    // Break at the last space, unless that would throw away most of the text
    // (one very long word, or a language written without spaces).
    let at_word = match head.rfind(' ') {
        Some(space)
            if head
                .get(..space)
                .is_some_and(|h| h.chars().count() >= max / 2) =>
        {
            head.get(..space).unwrap_or(head)
        }
        _ => head,
    };
    let at_word = at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
    let mut out = String::with_capacity(at_word.len() + 3);
    out.push_str(at_word);
    out.push('…');
    out
}

fn unique<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let value = value.trim();
        if !value.is_empty() && !out.iter().any(|v| v == value) {
            out.push(value.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(href: &str, rel: Option<&str>, media_type: Option<&str>) -> Link {
        let mut link: Link = serde_json::from_value(serde_json::json!({
            "href": href, "target": null, "rel": null, "media_type": null,
            "href_lang": null, "title": null, "length": null
        }))
        .unwrap_or_else(|e| panic!("link fixture: {e}"));
        link.rel = rel.map(str::to_owned);
        link.media_type = media_type.map(str::to_owned);
        link
    }

    #[test]
    fn resolves_relative_links_against_the_feed_url() {
        let base = Url::parse("https://news.example.pl/rss/all.xml").ok();
        let base = base.as_ref();
        assert_eq!(
            resolve("/news/1", base).as_deref(),
            Some("https://news.example.pl/news/1")
        );
        assert_eq!(
            resolve("item.html", base).as_deref(),
            Some("https://news.example.pl/rss/item.html")
        );
        assert_eq!(
            resolve(" https://other.example/a ", base).as_deref(),
            Some("https://other.example/a")
        );
        assert_eq!(resolve("javascript:alert(1)", base), None);
        assert_eq!(resolve("", base), None);
        assert_eq!(resolve("item.html", None).as_deref(), Some("item.html"));
    }

    #[test]
    fn prefers_the_alternate_html_link() {
        let links = [
            link("https://e.example/comments", Some("replies"), None),
            link(
                "https://e.example/a.mp3",
                Some("enclosure"),
                Some("audio/mpeg"),
            ),
            link(
                "https://e.example/story",
                Some("alternate"),
                Some("text/html"),
            ),
        ];
        assert_eq!(
            article_link(&links, None).as_deref(),
            Some("https://e.example/story")
        );
        let links = [link(
            "https://e.example/a.mp3",
            Some("enclosure"),
            Some("audio/mpeg"),
        )];
        assert_eq!(
            article_link(&links, None).as_deref(),
            Some("https://e.example/a.mp3")
        );
        assert_eq!(article_link(&[], None), None);
    }

    #[test]
    fn entry_id_falls_back_to_link_then_title_and_date() {
        let date = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00+02:00")
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc));
        assert_eq!(
            entry_id(" guid-1 ", Some("https://x/1"), "T", date, ""),
            "guid-1"
        );
        assert_eq!(
            entry_id("", Some("https://x/1"), "T", date, ""),
            "https://x/1"
        );
        assert_eq!(entry_id("", None, "T", date, ""), "T 2024-05-01T08:00:00Z");
        assert_eq!(entry_id("", None, "T", None, ""), "T");
        assert_eq!(entry_id("", None, "", None, "body"), "body");
    }

    #[test]
    fn normalises_language_tags() {
        assert_eq!(language_code("pl-PL").as_deref(), Some("pl"));
        assert_eq!(language_code(" EN_us ").as_deref(), Some("en"));
        assert_eq!(language_code("de").as_deref(), Some("de"));
        assert_eq!(language_code("pol"), None);
        assert_eq!(language_code("x-default"), None);
        assert_eq!(language_code(""), None);
    }

    #[test]
    fn truncates_at_a_word_boundary_on_a_char_boundary() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("zażółć gęślą jaźń", 14), "zażółć gęślą…");
        assert_eq!(truncate_words("one two, three", 9), "one two…");
        assert_eq!(truncate_words("żżżżżżżżżżżż", 5), "żżżżż…");
        assert_eq!(truncate_words("東京都東京都東京都", 4), "東京都東…");
        let long = "słowo ".repeat(200);
        let cut = truncate_words(&long, SUMMARY_CHARS);
        assert!(cut.chars().count() <= SUMMARY_CHARS + 1);
        assert!(cut.ends_with("słowo…"), "{cut}");
    }
}
