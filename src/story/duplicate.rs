//! Exact duplicates: the keys under which two items are one item.
//!
//! Two keys per item. The *link key* is the article's address with what does
//! not name the article taken out: the scheme, a `www.`, `m.`, `mobile.` or
//! `amp.` host prefix, an `amp` path segment, tracking parameters (`utm_*`,
//! `fbclid`, `gclid` and the like) and the fragment. The *content key* is a
//! hash of the feed with the item's title and summary: a feed that
//! re-publishes an entry under a new GUID and a new address is caught by it,
//! while the same wire text in two outlets is not (those are two sources of
//! one story, which an analyst wants to see).

use sha2::{Digest, Sha256};
use url::Url;

/// A content key needs a summary of at least this many characters: a feed
/// whose entries share a title ("Morning briefing") and carry no text of
/// their own would otherwise have all its entries taken for one.
const CONTENT_KEY_MIN_SUMMARY: usize = 80;

/// Query parameters that track a click and never choose the article.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
    "yclid", "twclid", "ttclid", "_ga", "_gl", "ref_src", "cmpid", "ocid", "amp",
];

/// Query parameter prefixes of tracking families (Google Analytics' `utm_`,
/// AT Internet's `at_`).
const TRACKING_PREFIXES: &[&str] = &["utm_", "at_"];

/// Host prefixes of the mobile and AMP editions of a site.
const EDITION_HOST_PREFIXES: &[&str] = &["www.", "m.", "mobile.", "amp."];

/// The keys that make two items one: the link key when the item has an
/// `http(s)` link, and the content key when its summary is long enough.
/// Each key starts with its kind (`l` or `c`) and a NUL, so the two kinds
/// never collide.
pub fn duplicate_keys(
    feed_url: &str,
    link: Option<&str>,
    title: &str,
    summary: &str,
) -> Vec<Vec<u8>> {
    let mut keys = Vec::with_capacity(2);
    if let Some(link) = link.and_then(canonical_link) {
        let mut key = b"l\0".to_vec();
        key.extend_from_slice(link.as_bytes());
        keys.push(key);
    }
    if summary.chars().count() >= CONTENT_KEY_MIN_SUMMARY {
        let mut hasher = Sha256::new();
        for part in [feed_url, title.trim(), summary.trim()] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let mut key = b"c\0".to_vec();
        key.extend_from_slice(&hasher.finalize()[..16]);
        keys.push(key);
    }
    keys
}

/// The address of an article with what does not name the article taken out,
/// as `host[:port]/path[?sorted query]`; `None` for a link that is not an
/// absolute `http` or `https` URL.
///
/// `https://www.example.com/a/b/?utm_source=x&id=3#top` and
/// `http://m.example.com/a/b?id=3` both give `example.com/a/b?id=3`.
pub fn canonical_link(link: &str) -> Option<String> {
    let url = Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let mut host = url.host_str()?.to_ascii_lowercase();
    // Strip edition prefixes while a registrable name (one with a dot) is left.
    while let Some(rest) = EDITION_HOST_PREFIXES
        .iter()
        .find_map(|p| host.strip_prefix(p).filter(|rest| rest.contains('.')))
    {
        host = rest.to_string();
    }
    let mut out = host;
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| {
            s.filter(|seg| !seg.is_empty() && !seg.eq_ignore_ascii_case("amp"))
                .map(without_amp_suffix)
                .collect()
        })
        .unwrap_or_default();
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, value)| !is_tracking(name, value))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    if !query.is_empty() {
        query.sort();
        out.push('?');
        out.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish(),
        );
    }
    Some(out)
}

/// `story.amp.html` → `story.html`, `story.amp` → `story`.
fn without_amp_suffix(segment: &str) -> String {
    if let Some(i) = segment.to_ascii_lowercase().find(".amp") {
        let after = &segment[i + 4..];
        if after.is_empty() || after.starts_with('.') {
            return format!("{}{}", &segment[..i], after);
        }
    }
    segment.to_string()
}

fn is_tracking(name: &str, value: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&name.as_str())
        || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
        || (name == "outputtype" && value.eq_ignore_ascii_case("amp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(link: &str) -> String {
        canonical_link(link).unwrap_or_else(|| panic!("{link} has no canonical form"))
    }

    #[test]
    fn tracking_parameters_scheme_and_fragment_do_not_name_the_article() {
        let plain = canon("https://example.com/world/spy-case?id=3");
        for variant in [
            "http://example.com/world/spy-case?id=3",
            "https://www.example.com/world/spy-case/?id=3",
            "https://example.com/world/spy-case?utm_source=rss&id=3&utm_medium=feed",
            "https://example.com/world/spy-case?id=3&fbclid=IwAR0abc#comments",
            "https://EXAMPLE.com/world/spy-case?gclid=x&id=3&at_medium=rss",
        ] {
            assert_eq!(canon(variant), plain, "{variant}");
        }
        assert_eq!(plain, "example.com/world/spy-case?id=3");
    }

    #[test]
    fn amp_and_mobile_editions_are_the_article() {
        let plain = canon("https://news.example.org/2026/03/spy-chip.html");
        for variant in [
            "https://amp.news.example.org/2026/03/spy-chip.html",
            "https://m.news.example.org/2026/03/spy-chip.html",
            "https://news.example.org/amp/2026/03/spy-chip.html",
            "https://news.example.org/2026/03/spy-chip.html/amp/",
            "https://news.example.org/2026/03/spy-chip.amp.html",
            "https://news.example.org/2026/03/spy-chip.html?outputType=amp",
            "https://news.example.org/2026/03/spy-chip.html?amp=1",
        ] {
            assert_eq!(canon(variant), plain, "{variant}");
        }
    }

    #[test]
    fn what_names_the_article_is_kept() {
        // Different ids, paths, ports and hosts are different articles.
        let a = canon("https://example.com/story?id=3");
        assert_ne!(a, canon("https://example.com/story?id=4"));
        assert_ne!(a, canon("https://example.com/story2?id=3"));
        assert_ne!(a, canon("https://example.com:8443/story?id=3"));
        assert_ne!(a, canon("https://example.net/story?id=3"));
        // A parameter whose name only starts like a tracker stays.
        assert_eq!(
            canon("https://example.com/s?amplitude=2"),
            "example.com/s?amplitude=2"
        );
        // A value keeps its escapes: `a&b` in a value is not a second parameter.
        assert_ne!(
            canon("https://example.com/s?q=a%26b%3Dc"),
            canon("https://example.com/s?q=a&b=c")
        );
        assert_eq!(
            canon("https://example.com/s?outputType=print"),
            "example.com/s?outputType=print"
        );
        // Parameter order does not matter.
        assert_eq!(
            canon("https://example.com/s?b=2&a=1"),
            canon("https://example.com/s?a=1&b=2")
        );
        // A host prefix is only stripped while a dotted name is left.
        assert_eq!(canon("http://m.localhost/x"), "m.localhost/x");
        assert_eq!(canon("http://www.example/x"), "www.example/x");
    }

    #[test]
    fn links_that_are_not_web_addresses_have_no_key() {
        for link in [
            "",
            "not a url",
            "/relative/path",
            "file:///etc/passwd",
            "mailto:a@example.com",
        ] {
            assert_eq!(canonical_link(link), None, "{link}");
        }
    }

    #[test]
    fn content_key_needs_a_summary_and_belongs_to_its_feed() {
        let summary = "Prosecutors say the engineer copied the chip designs to a private drive before leaving.";
        let keys = duplicate_keys("https://a.example/rss", None, "Engineer charged", summary);
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys,
            duplicate_keys("https://a.example/rss", None, " Engineer charged ", summary),
            "surrounding spaces do not count"
        );
        assert_ne!(
            keys,
            duplicate_keys("https://b.example/rss", None, "Engineer charged", summary)
        );
        assert_ne!(
            keys,
            duplicate_keys(
                "https://a.example/rss",
                None,
                "Engineer charged again",
                summary
            )
        );
        assert!(
            duplicate_keys("https://a.example/rss", None, "Morning briefing", "Short.").is_empty()
        );
        let both = duplicate_keys(
            "https://a.example/rss",
            Some("https://x.example/a?utm_source=rss"),
            "T",
            summary,
        );
        assert_eq!(both.len(), 2);
        assert_eq!(both[0], b"l\0x.example/a".to_vec());
    }
}
