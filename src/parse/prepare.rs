//! What kind of document this is, and the small repairs that let feed-rs read
//! documents that real feed readers accept.
//!
//! Every repair is textual and local (one attribute of the root element, one
//! field of a JSON document), so the rest of the document reaches feed-rs
//! byte for byte and error positions keep their meaning.
//!
//! Invariant: sniffing reads only up to the root element; nothing here panics.

use std::borrow::Cow;
use std::ops::Range;

use super::ParseError;

/// What the first significant markup of a document says it is.
#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    Json,
    /// An XML document whose root element feed-rs knows (`rss`, `RDF`, `feed`, `entry`).
    Feed,
}

/// The document as handed to feed-rs, and how many lines were cut from its start.
pub(crate) struct Prepared<'a> {
    pub text: Cow<'a, str>,
    pub kind: Kind,
    /// The root element's local name (empty for JSON), for error messages.
    pub root: String,
    /// Lines removed before the text (junk before the root), added back to error lines.
    pub line_offset: u64,
}

/// Finds the root, refuses what is not a feed, and repairs what can be.
pub(crate) fn prepare(text: &str) -> Result<Prepared<'_>, ParseError> {
    let root = find_root(text)?;
    let (start, kind) = match root {
        Root::Json(start) => (start, Kind::Json),
        Root::Element { lt, .. } => (lt, Kind::Feed),
    };
    // Text before the root (a PHP warning, a stray line) would make feed-rs
    // see no feed at all. A prolog (comments, DOCTYPE) stays.
    let (text, line_offset, root) = match root {
        Root::Element { prolog_end, .. } if prolog_end < start => {
            let junk = text.get(..start).unwrap_or_default();
            let lines = junk.bytes().filter(|&b| b == b'\n').count() as u64;
            let text = text.get(start..).unwrap_or_default();
            (text, lines, find_root(text)?)
        }
        _ => (text, 0, root),
    };
    match root {
        Root::Json(_) => Ok(Prepared {
            text: Cow::Borrowed(text),
            kind,
            root: String::new(),
            line_offset,
        }),
        Root::Element {
            lt,
            name_end,
            tag_end,
            ..
        } => {
            let qname = text.get(lt + 1..name_end).unwrap_or_default();
            let local = qname.rsplit(':').next().unwrap_or(qname);
            let repaired = match local {
                "rss" | "RDF" | "feed" | "entry" => repair_root(text, local, name_end, tag_end),
                _ => return Err(not_a_feed(local)),
            };
            Ok(Prepared {
                text: repaired,
                kind,
                root: local.to_owned(),
                line_offset,
            })
        }
    }
}

fn not_a_feed(local: &str) -> ParseError {
    let shown: String = local.chars().take(40).collect();
    let message = if local.eq_ignore_ascii_case("html") {
        "the document's root element is <html>: a web page, not a feed".to_owned()
    } else if local == "CHANNEL" {
        "the document is a CDF channel (<CHANNEL>), a format no longer supported".to_owned()
    } else {
        format!("the document's root element is <{shown}>, not <rss>, <feed> or <rdf:RDF>")
    };
    ParseError::NotAFeed(message)
}

#[derive(Debug, Clone, Copy)]
enum Root {
    /// A JSON document starting at this index.
    Json(usize),
    Element {
        /// Where the prolog (declaration, comments, DOCTYPE) ended, or junk began.
        prolog_end: usize,
        /// The `<` of the root start tag.
        lt: usize,
        name_end: usize,
        /// Just after the `>` of the root start tag.
        tag_end: usize,
    },
}

fn find_root(text: &str) -> Result<Root, ParseError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prolog_end = None;
    let mut seen_markup = false;
    loop {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let rest = text.get(i..).unwrap_or_default();
        let Some(&b) = bytes.get(i) else {
            return Err(ParseError::NotAFeed(if seen_markup {
                "the document has no root element".to_owned()
            } else {
                "the document is empty".to_owned()
            }));
        };
        match b {
            b'{' | b'[' if prolog_end.is_none() => return Ok(Root::Json(i)),
            b'<' if rest.starts_with("<!--") => {
                seen_markup = true;
                i = rest.find("-->").map_or(bytes.len(), |p| i + p + 3);
            }
            b'<' if rest.starts_with("<?") => {
                seen_markup = true;
                i = rest.find("?>").map_or(bytes.len(), |p| i + p + 2);
            }
            b'<' if rest.starts_with("<!") => {
                seen_markup = true;
                if rest
                    .get(2..9)
                    .is_some_and(|d| d.eq_ignore_ascii_case("DOCTYPE"))
                    && rest.get(9..).is_some_and(|d| {
                        d.trim_start()
                            .get(..4)
                            .is_some_and(|n| n.eq_ignore_ascii_case("html"))
                    })
                {
                    return Err(not_a_feed("html"));
                }
                i += doctype_len(rest);
            }
            b'<' if bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                let name_len = rest
                    .bytes()
                    .skip(1)
                    .position(|c| !is_name_byte(c))
                    .unwrap_or(rest.len().saturating_sub(1));
                let name_end = i + 1 + name_len;
                let tag_end = start_tag_end(bytes, name_end);
                return Ok(Root::Element {
                    prolog_end: prolog_end.unwrap_or(i),
                    lt: i,
                    name_end,
                    tag_end,
                });
            }
            _ => {
                // Not markup: skip to the next `<` and remember that junk began here.
                prolog_end.get_or_insert(i);
                match rest.get(1..).and_then(|r| r.find('<')) {
                    Some(p) => i += p + 1,
                    None => {
                        return Err(ParseError::NotAFeed(
                            "the document is neither XML nor JSON".to_owned(),
                        ));
                    }
                }
            }
        }
    }
}

/// Whether a byte can be part of an XML name (non-ASCII bytes are letters
/// of some script).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':') || !b.is_ascii()
}

/// Length of a `<!DOCTYPE ...>` including an internal subset in brackets.
fn doctype_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Index after the `>` of the start tag whose name ends at `from`, honouring quotes.
fn start_tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// The `version` values feed-rs dispatches on; anything else it rejects as
/// "no root". RSS 0.93, 0.94, a missing version or "2.01" are all read as 2.0
/// by real readers, and 2.0 is a superset of the 0.9x formats.
const KNOWN_RSS_VERSIONS: [&str; 3] = ["2.0", "0.91", "0.92"];

/// Namespaces of predecessor formats that feed-rs does not know, mapped to the
/// ones it reads the same elements from. Without this, an Atom 0.3 or RSS 0.90
/// document parses "successfully" with every element ignored: no entries.
/// (Namespace URIs are compared exactly; Apple's own examples spelt the
/// iTunes one with capitals, which feed-rs then ignores.)
const NAMESPACE_ALIASES: [(&str, &str); 5] = [
    ("http://purl.org/atom/ns#", ATOM_NS),
    ("http://my.netscape.com/rdf/simple/0.9/", RSS_NS),
    ("http://backend.userland.com/rss2", RSS_NS),
    ("http://backend.userland.com/rss", RSS_NS),
    (
        "http://www.itunes.com/DTDs/Podcast-1.0.dtd",
        "http://www.itunes.com/dtds/podcast-1.0.dtd",
    ),
];

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// feed-rs reads RSS 2.0 elements in the RSS 1.0 namespace (or in none).
const RSS_NS: &str = "http://purl.org/rss/1.0/";

/// Fixes the root start tag: the RSS version and old namespace URIs.
fn repair_root<'a>(text: &'a str, local: &str, name_end: usize, tag_end: usize) -> Cow<'a, str> {
    let tag = text.get(name_end..tag_end).unwrap_or_default();
    let mut edits: Vec<Edit> = Vec::new();
    let mut has_version = false;
    for (name, value, range) in attributes(tag) {
        let at = name_end + range.start..name_end + range.end;
        if local == "rss" && name == "version" {
            has_version = true;
            if !KNOWN_RSS_VERSIONS.contains(&value) {
                edits.push((at, Cow::Borrowed("2.0")));
            }
        } else if local == "rss" && name == "xmlns" && value != RSS_NS {
            // RSS 2.0 has no namespace; a default one on <rss> (UserLand's
            // `backend.userland.com/rss2`, or Atom's by mistake for
            // `xmlns:atom`) would hide every element from feed-rs.
            edits.push((at, Cow::Borrowed(RSS_NS)));
        } else if (name == "xmlns" || name.starts_with("xmlns:"))
            && let Some((_, current)) = NAMESPACE_ALIASES
                .iter()
                .find(|(old, _)| *old == value.trim())
        {
            edits.push((at, Cow::Borrowed(*current)));
        }
    }
    if local == "rss" && !has_version {
        edits.insert(0, (name_end..name_end, Cow::Borrowed(" version=\"2.0\"")));
    }
    apply_edits(text, edits).map_or(Cow::Borrowed(text), Cow::Owned)
}

/// A replacement of a byte range of a document.
pub(crate) type Edit = (Range<usize>, Cow<'static, str>);

/// Applies edits given in increasing, non-overlapping order; `None` if there are none.
pub(crate) fn apply_edits(text: &str, edits: Vec<Edit>) -> Option<String> {
    if edits.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16 * edits.len());
    let mut copied = 0;
    for (range, replacement) in edits {
        out.push_str(text.get(copied..range.start).unwrap_or_default());
        out.push_str(&replacement);
        copied = range.end.max(copied);
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    Some(out)
}

/// A start tag found by [`start_tags`].
pub(crate) struct Tag<'a> {
    /// The `<`.
    pub lt: usize,
    /// The qualified name (`media:title`).
    pub name: &'a str,
    pub name_end: usize,
    /// Just after the `>`.
    pub end: usize,
}

impl<'a> Tag<'a> {
    pub fn local(&self) -> &'a str {
        self.name.rsplit(':').next().unwrap_or(self.name)
    }

    pub fn prefix(&self) -> Option<&'a str> {
        self.name.split_once(':').map(|(prefix, _)| prefix)
    }

    /// The attribute text, between the name and the `>`.
    pub fn attributes<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.name_end..self.end).unwrap_or_default()
    }
}

/// The start tags of a document in order, skipping end tags, comments,
/// CDATA sections, processing instructions and declarations.
pub(crate) fn start_tags(text: &str) -> impl Iterator<Item = Tag<'_>> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            let lt = pos + bytes.get(pos..)?.iter().position(|&b| b == b'<')?;
            let rest = text.get(lt..)?;
            let skip_to = |close: &str, from: usize| {
                rest.get(from..)
                    .and_then(|r| r.find(close))
                    .map_or(text.len(), |p| lt + from + p + close.len())
            };
            pos = if rest.starts_with("<![CDATA[") {
                skip_to("]]>", 9)
            } else if rest.starts_with("<!--") {
                skip_to("-->", 4)
            } else if rest.starts_with("<?") {
                skip_to("?>", 2)
            } else if rest.starts_with("<!") || rest.starts_with("</") {
                skip_to(">", 2)
            } else if bytes
                .get(lt + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            {
                let name_len = rest
                    .bytes()
                    .skip(1)
                    .position(|c| !is_name_byte(c))
                    .unwrap_or(rest.len().saturating_sub(1));
                let name_end = lt + 1 + name_len;
                let end = start_tag_end(bytes, name_end);
                pos = end;
                return Some(Tag {
                    lt,
                    name: text.get(lt + 1..name_end)?,
                    name_end,
                    end,
                });
            } else {
                lt + 1
            };
        }
    })
}

/// The attributes of a start tag's attribute text: name, value, and the
/// value's byte range within `tag` (inside the quotes).
pub(crate) fn attributes(tag: &str) -> Vec<(&str, &str, Range<usize>)> {
    let bytes = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            i += 1;
        }
        let name_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        let name = tag.get(name_start..i).unwrap_or_default();
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            if name.is_empty() {
                i += 1;
            }
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let (start, end) = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = i + 1;
                let Some(len) = bytes
                    .get(start..)
                    .and_then(|r| r.iter().position(|&b| b == q))
                else {
                    break;
                };
                i = start + len + 1;
                (start, start + len)
            }
            _ => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                {
                    i += 1;
                }
                (start, i)
            }
        };
        if let Some(value) = tag.get(start..end) {
            out.push((name, value, start..end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(doc: &str) -> String {
        match prepare(doc) {
            Ok(p) => p.text.into_owned(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn adds_a_missing_rss_version() {
        assert_eq!(
            repaired("<rss><channel/></rss>"),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            repaired("<!-- c --><rss xmlns:dc=\"x\">"),
            "<!-- c --><rss version=\"2.0\" xmlns:dc=\"x\">"
        );
    }

    #[test]
    fn maps_unknown_rss_versions_to_2_0() {
        assert_eq!(repaired("<rss version=\"0.94\">"), "<rss version=\"2.0\">");
        assert_eq!(
            repaired("<rss version='0.93' a=\"b\">"),
            "<rss version='2.0' a=\"b\">"
        );
        assert_eq!(repaired("<rss version=\" 2.0 \">"), "<rss version=\"2.0\">");
        assert_eq!(repaired("<rss version=\"0.91\">"), "<rss version=\"0.91\">");
        assert_eq!(
            repaired("<rss dc:version=\"1\">"),
            "<rss version=\"2.0\" dc:version=\"1\">"
        );
    }

    #[test]
    fn maps_old_namespaces_to_the_ones_feed_rs_reads() {
        assert_eq!(
            repaired("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">"),
            "<feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\">"
        );
        assert_eq!(
            repaired("<rdf:RDF xmlns:rdf=\"r\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\">"),
            "<rdf:RDF xmlns:rdf=\"r\" xmlns=\"http://purl.org/rss/1.0/\">"
        );
        assert_eq!(
            repaired("<rss version=\"2.0\" xmlns=\"http://www.w3.org/2005/Atom\">"),
            "<rss version=\"2.0\" xmlns=\"http://purl.org/rss/1.0/\">"
        );
        assert_eq!(
            repaired("<rss xmlns=\"http://backend.userland.com/rss2\" version=\"2.0\">"),
            "<rss xmlns=\"http://purl.org/rss/1.0/\" version=\"2.0\">"
        );
    }

    #[test]
    fn refuses_html_and_other_documents() {
        assert_eq!(
            repaired("<!DOCTYPE html>\n<html><body>503</body></html>"),
            "error: not a feed: the document's root element is <html>: a web page, not a feed"
        );
        assert_eq!(
            repaired("<HTML><body>x</body></HTML>"),
            "error: not a feed: the document's root element is <html>: a web page, not a feed"
        );
        assert_eq!(
            repaired("<?xml version=\"1.0\"?><catalog/>"),
            "error: not a feed: the document's root element is <catalog>, not <rss>, <feed> or <rdf:RDF>"
        );
        assert_eq!(
            repaired("<a<b<c>"),
            "error: not a feed: the document's root element is <a>, not <rss>, <feed> or <rdf:RDF>"
        );
        assert_eq!(repaired("   "), "error: not a feed: the document is empty");
        assert_eq!(repaired(""), "error: not a feed: the document is empty");
        assert_eq!(
            repaired("<!-- only -->"),
            "error: not a feed: the document has no root element"
        );
        assert_eq!(
            repaired("Service Unavailable"),
            "error: not a feed: the document is neither XML nor JSON"
        );
    }

    #[test]
    fn skips_prolog_and_junk_before_the_root() {
        let doc = "<!DOCTYPE rss [<!ENTITY x \"y\">]>\n<rss version=\"2.0\"/>";
        assert_eq!(repaired(doc), doc);
        let doc = "Warning: something\nat line 3\n<rss version=\"2.0\"/>";
        let prepared = prepare(doc).ok();
        assert_eq!(
            prepared.as_ref().map(|p| &*p.text),
            Some("<rss version=\"2.0\"/>")
        );
        assert_eq!(prepared.map(|p| p.line_offset), Some(2));
    }

    #[test]
    fn recognises_prefixed_roots_and_json() {
        assert_eq!(
            prepare("<rdf:RDF/>").map(|p| p.root).ok(),
            Some("RDF".to_owned())
        );
        assert_eq!(prepare(" {\"a\":1}").map(|p| p.kind).ok(), Some(Kind::Json));
    }
}
