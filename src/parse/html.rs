//! HTML → plain text: the words a reader would see, on one line.
//!
//! Feed summaries are HTML fragments of every quality, and the topic matcher
//! needs their words, not their markup. This is a single forward scan, not a
//! DOM: tags are dropped, `<script>`, `<style>`, `<noscript>`, `<template>`
//! and comments are dropped with their content, entities are decoded, and
//! whitespace is collapsed. Inline tags join their neighbours
//! (`szpieg<b>ostwo</b>` → `szpiegostwo`); block tags separate words.
//!
//! Invariant: linear in the input, never panics, whatever the input (an
//! unterminated tag, a stray `<`, a broken entity); the output has no leading,
//! trailing or doubled spaces.

use std::ops::Range;

/// Converts an HTML fragment (or plain text that may contain entities) to plain text.
///
/// `<` starts a tag only when followed by a letter, `/`, `!` or `?`, as in
/// HTML, so plain text such as `a < b` or `x<3` survives.
pub fn to_text(html: &str) -> String {
    convert(html, true)
}

/// Plain text as a feed declares it: entities are decoded and whitespace is
/// collapsed as in [`to_text`], but `<` is always text (`vector<int>`).
pub fn plain_to_text(text: &str) -> String {
    convert(text, false)
}

/// Whether text a feed calls plain is in fact HTML, as it often is in RSS
/// titles and RSS 1.0 descriptions: it closes a tag or breaks a line.
pub fn looks_like_html(text: &str) -> bool {
    text.contains("</")
        || text.contains("/>")
        || ["<br", "<BR", "<p>", "<P>", "<img", "<IMG"]
            .iter()
            .any(|tag| text.contains(tag))
}

fn convert(html: &str, markup: bool) -> String {
    let mut sink = Sink {
        out: String::with_capacity(html.len()),
        space: false,
    };
    let bytes = html.as_bytes();
    let mut i = 0;
    // Start of the literal text not yet copied to the sink; copying runs
    // rather than characters keeps the common case a memcpy.
    let mut run = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'<' if markup => match tag(html, i, &mut sink, run) {
                Some(next) => {
                    i = next;
                    run = next;
                }
                None => i += 1,
            },
            b'&' => {
                sink.text(slice(html, run..i));
                let (next, decoded) = entity(html, i);
                match decoded {
                    Decoded::Char(c) => sink.char(c),
                    Decoded::Str(s) => sink.decoded(s),
                    Decoded::Literal => sink.text("&"),
                }
                i = next;
                run = next;
            }
            0..=0x20 | 0x7f => {
                sink.text(slice(html, run..i));
                sink.space = true;
                i += 1;
                run = i;
            }
            // Only these lead bytes start a Unicode space or a soft hyphen;
            // every other non-ASCII character is copied with its run.
            0xc2 | 0xe1 | 0xe2 | 0xe3 => {
                let c = slice(html, i..html.len()).chars().next().unwrap_or(' ');
                let width = c.len_utf8();
                if c.is_whitespace() || c == SOFT_HYPHEN {
                    sink.text(slice(html, run..i));
                    if c != SOFT_HYPHEN {
                        sink.space = true;
                    }
                    run = i + width;
                }
                i += width;
            }
            _ => i += 1,
        }
    }
    sink.text(slice(html, run..html.len()));
    sink.out
}

/// U+00AD marks where a word may be hyphenated; it is not a word break.
const SOFT_HYPHEN: char = '\u{ad}';

/// Collects the output and the whitespace state between words.
struct Sink {
    out: String,
    /// Whether a separator is owed before the next visible text.
    space: bool,
}

impl Sink {
    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.space = false;
        self.out.push_str(s);
    }

    fn char(&mut self, c: char) {
        if c.is_whitespace() || c.is_control() {
            self.space = true;
        } else if c != SOFT_HYPHEN {
            let mut buf = [0u8; 4];
            self.text(c.encode_utf8(&mut buf));
        }
    }

    /// Text from an entity or CDATA: whitespace inside it still collapses.
    fn decoded(&mut self, s: &str) {
        for (n, word) in s
            .split(|c: char| c.is_whitespace() || c.is_control())
            .enumerate()
        {
            if n > 0 {
                self.space = true;
            }
            if word.contains(SOFT_HYPHEN) {
                for part in word.split(SOFT_HYPHEN) {
                    self.text(part);
                }
            } else {
                self.text(word);
            }
        }
    }
}

/// Handles the markup starting at `lt` (a `<`). Returns the index after it,
/// or `None` when this `<` is literal text.
fn tag(html: &str, lt: usize, sink: &mut Sink, run: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let next = *bytes.get(lt + 1)?;
    match next {
        b'!' => {
            sink.text(slice(html, run..lt));
            let rest = slice(html, lt..html.len());
            if rest.starts_with("<!--") {
                // `<!-->` is an (empty) comment in HTML, hence the search from lt + 2.
                Some(find(html, lt + 2, "-->").map_or(html.len(), |p| p + 3))
            } else if rest.starts_with("<![CDATA[") {
                let start = lt + "<![CDATA[".len();
                let end = find(html, start, "]]>");
                sink.decoded(slice(html, start..end.unwrap_or(html.len())));
                Some(end.map_or(html.len(), |p| p + 3))
            } else {
                Some(skip_to_gt(bytes, lt + 2))
            }
        }
        b'?' => {
            sink.text(slice(html, run..lt));
            Some(skip_to_gt(bytes, lt + 2))
        }
        b'/' => {
            let after = *bytes.get(lt + 2)?;
            sink.text(slice(html, run..lt));
            if after.is_ascii_alphabetic() {
                let (name_end, kind) = tag_name(bytes, lt + 2);
                if kind == Kind::Block {
                    sink.space = true;
                }
                Some(skip_to_gt(bytes, name_end))
            } else {
                Some(skip_to_gt(bytes, lt + 2))
            }
        }
        b if b.is_ascii_alphabetic() => {
            sink.text(slice(html, run..lt));
            let (name_end, kind) = tag_name(bytes, lt + 1);
            let (end, self_closing) = end_of_start_tag(bytes, name_end);
            match kind {
                Kind::Block => sink.space = true,
                // `<script/>` never opens a script in XHTML; treating it as
                // empty avoids dropping the rest of a fragment.
                Kind::Dropped if !self_closing => {
                    let name = slice(html, lt + 1..name_end);
                    let close = find_close_tag(bytes, end, name.as_bytes());
                    return Some(
                        close.map_or(html.len(), |p| skip_to_gt(bytes, p + 2 + name.len())),
                    );
                }
                _ => {}
            }
            Some(end)
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Joins its neighbours: `<a>`, `<b>`, `<span>` and unknown tags.
    Inline,
    /// Separates words: paragraphs, line breaks, list items, cells.
    Block,
    /// Dropped with everything up to its end tag.
    Dropped,
}

/// Reads a tag name starting at `start`; returns where it ends and what kind it is.
fn tag_name(bytes: &[u8], start: usize) -> (usize, Kind) {
    let len = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_' | b'.')))
        .unwrap_or(bytes.len().saturating_sub(start));
    let end = start + len;
    let name = bytes.get(start..end).unwrap_or_default();
    // `html:p` and `xhtml:p` are the same element as `p`.
    let local = match name.iter().rposition(|&b| b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or_default(),
        None => name,
    };
    (end, classify(local))
}

fn classify(name: &[u8]) -> Kind {
    let mut buf = [0u8; 12];
    let Some(lower) = buf.get_mut(..name.len()) else {
        return Kind::Inline;
    };
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    match &*lower {
        b"script" | b"style" | b"noscript" | b"template" | b"head" => Kind::Dropped,
        b"p" | b"br" | b"div" | b"li" | b"ul" | b"ol" | b"dl" | b"dt" | b"dd" | b"h1" | b"h2"
        | b"h3" | b"h4" | b"h5" | b"h6" | b"td" | b"th" | b"tr" | b"table" | b"thead"
        | b"tbody" | b"tfoot" | b"caption" | b"blockquote" | b"pre" | b"hr" | b"section"
        | b"article" | b"header" | b"footer" | b"nav" | b"aside" | b"main" | b"figure"
        | b"figcaption" | b"address" | b"details" | b"summary" | b"form" | b"fieldset"
        | b"legend" | b"option" | b"body" | b"html" | b"center" | b"img" | b"iframe" | b"video"
        | b"audio" | b"embed" | b"object" | b"picture" | b"source" | b"textarea" | b"button"
        | b"select" | b"input" | b"label" | b"title" | b"meta" | b"link" => Kind::Block,
        _ => Kind::Inline,
    }
}

/// Finds the `>` that ends a start tag whose attributes begin at `from`,
/// honouring quoted attribute values. Returns the index after the tag and
/// whether it was written self-closing (`/>`).
fn end_of_start_tag(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut i = from;
    let mut after_eq = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'>' => {
                let self_closing = i > from && bytes.get(i - 1) == Some(&b'/');
                return (i + 1, self_closing);
            }
            b'=' => after_eq = true,
            b'"' | b'\'' if after_eq => {
                match bytes
                    .get(i + 1..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&c| c == b)
                {
                    Some(len) => i += len + 1,
                    // An unclosed quote would swallow the rest of the document;
                    // a reader would rather lose one attribute. Each failed search
                    // proves there is no such quote later, so this happens at most
                    // twice per document and the scan stays linear.
                    None => return (skip_to_gt(bytes, from), false),
                }
                after_eq = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {}
            _ => after_eq = false,
        }
        i += 1;
    }
    (bytes.len(), false)
}

/// The index after the next `>` at or after `from`, or the end of the input.
fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'>'))
        .map_or(bytes.len(), |p| from + p + 1)
}

/// Finds `</name` (ASCII case-insensitive, followed by a delimiter) at or after `from`.
fn find_close_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    loop {
        let p = i + bytes.get(i..)?.iter().position(|&b| b == b'<')?;
        let candidate = bytes.get(p + 2..p + 2 + name.len());
        if bytes.get(p + 1) == Some(&b'/')
            && candidate.is_some_and(|c| c.eq_ignore_ascii_case(name))
            && bytes
                .get(p + 2 + name.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            return Some(p);
        }
        i = p + 1;
    }
}

fn find(html: &str, from: usize, needle: &str) -> Option<usize> {
    html.get(from..)
        .and_then(|rest| rest.find(needle))
        .map(|p| from + p)
}

/// A sub-slice that is empty rather than a panic if the range is ever off a
/// char boundary; every range here is built from ASCII positions, so it never is.
fn slice(s: &str, range: Range<usize>) -> &str {
    s.get(range).unwrap_or_default()
}

enum Decoded {
    Char(char),
    Str(&'static str),
    /// Not an entity: the `&` is text.
    Literal,
}

/// Decodes the character reference at `amp` (a `&`). Returns the index after it.
fn entity(html: &str, amp: usize) -> (usize, Decoded) {
    let bytes = html.as_bytes();
    let start = amp + 1;
    if bytes.get(start) == Some(&b'#') {
        return numeric_entity(bytes, amp);
    }
    let len = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take(MAX_ENTITY_NAME + 1)
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(MAX_ENTITY_NAME + 1);
    let name = bytes.get(start..start + len).unwrap_or_default();
    if name.is_empty() || len > MAX_ENTITY_NAME {
        return (start, Decoded::Literal);
    }
    let end = start + len;
    if bytes.get(end) == Some(&b';') {
        if let Some(value) = named_entity(name) {
            return (end + 1, Decoded::Str(value));
        }
    } else if bytes.get(end) != Some(&b'=') {
        // Hand-written feeds drop the semicolon after the commonest names;
        // browsers accept these few (but not after `=`, which is a URL query).
        let legacy = match name {
            b"amp" | b"AMP" => Some("&"),
            b"lt" | b"LT" => Some("<"),
            b"gt" | b"GT" => Some(">"),
            b"quot" | b"QUOT" => Some("\""),
            b"nbsp" => Some(" "),
            b"copy" | b"COPY" => Some("©"),
            b"reg" | b"REG" => Some("®"),
            _ => None,
        };
        if let Some(value) = legacy {
            return (end, Decoded::Str(value));
        }
    }
    (start, Decoded::Literal)
}

/// The longest HTML5 entity name is `CounterClockwiseContourIntegral` (31).
const MAX_ENTITY_NAME: usize = 32;

fn named_entity(name: &[u8]) -> Option<&'static str> {
    html_escape::NAMED_ENTITIES
        .binary_search_by(|(candidate, _)| (*candidate).cmp(name))
        .ok()
        .and_then(|i| html_escape::NAMED_ENTITIES.get(i))
        .map(|(_, value)| *value)
}

/// `&#NNN;` or `&#xHHH;`, the semicolon optional as in HTML.
fn numeric_entity(bytes: &[u8], amp: usize) -> (usize, Decoded) {
    let mut i = amp + 2;
    let hex = matches!(bytes.get(i), Some(b'x' | b'X'));
    if hex {
        i += 1;
    }
    let digits_start = i;
    let mut value: u32 = 0;
    while let Some(&b) = bytes.get(i) {
        let digit = match (hex, b) {
            (_, b'0'..=b'9') => b - b'0',
            (true, b'a'..=b'f') => b - b'a' + 10,
            (true, b'A'..=b'F') => b - b'A' + 10,
            _ => break,
        };
        // Saturate: any overlong number is out of range and becomes U+FFFD.
        value = value
            .saturating_mul(if hex { 16 } else { 10 })
            .saturating_add(u32::from(digit));
        i += 1;
    }
    if i == digits_start {
        return (amp + 1, Decoded::Literal);
    }
    if bytes.get(i) == Some(&b';') {
        i += 1;
    }
    (i, Decoded::Char(char_from_reference(value)))
}

/// Maps a numeric reference to a character the way HTML does: the C1 range
/// means windows-1252 (feeds written on Windows use `&#146;` for ’), and
/// impossible values become U+FFFD.
fn char_from_reference(value: u32) -> char {
    const C1: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match value {
        0 => char::REPLACEMENT_CHARACTER,
        0x80..=0x9f => C1
            .get((value - 0x80) as usize)
            .copied()
            .unwrap_or(char::REPLACEMENT_CHARACTER),
        _ => char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn strips_tags_and_collapses_whitespace() {
        assert_eq!(
            to_text("  <p>Hello,\n\n  <b>world</b>!</p>  "),
            "Hello, world!"
        );
        assert_eq!(to_text(""), "");
        assert_eq!(to_text("<p></p><br/>"), "");
    }

    #[test]
    fn inline_tags_join_block_tags_separate() {
        assert_eq!(
            to_text("foreign <a href=\"/x\">intelligence</a> service"),
            "foreign intelligence service"
        );
        assert_eq!(to_text("szpieg<b>ostwo</b>"), "szpiegostwo");
        assert_eq!(to_text("szpieg<span class=x>ost</span>wo"), "szpiegostwo");
        assert_eq!(to_text("one<br>two<p>three</p>four"), "one two three four");
        assert_eq!(to_text("<ul><li>a</li><li>b</li></ul>"), "a b");
        assert_eq!(to_text("<td>1</td><td>2</td>"), "1 2");
        assert_eq!(to_text("<H2>Title</H2>Body"), "Title Body");
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(to_text("Szpieg&#322;&#x142;"), "Szpiegłł");
        assert_eq!(to_text("it&rsquo;s"), "it’s");
        assert_eq!(to_text("a&nbsp;b&nbsp;&nbsp; c"), "a b c");
        assert_eq!(
            to_text("&lt;p&gt; is a tag &amp; more"),
            "<p> is a tag & more"
        );
        assert_eq!(to_text("&eacute;&Eacute;&hellip;&euro;"), "éÉ…€");
        assert_eq!(to_text("&CounterClockwiseContourIntegral;"), "∳");
        // windows-1252 numeric references, as browsers read them
        assert_eq!(to_text("don&#146;t &#150; ok"), "don’t – ok");
    }

    #[test]
    fn keeps_broken_entities_as_text() {
        assert_eq!(to_text("AT&T & co"), "AT&T & co");
        assert_eq!(to_text("a &notanentity; b"), "a &notanentity; b");
        assert_eq!(to_text("&#; &#x; &"), "&#; &#x; &");
        assert_eq!(to_text("?a=1&copy=2"), "?a=1&copy=2");
        assert_eq!(to_text("Tom &amp Jerry"), "Tom & Jerry");
        assert_eq!(to_text("&#65"), "A");
        assert_eq!(to_text("&#99999999999999999999;x"), "\u{fffd}x");
        assert_eq!(to_text("&#0;&#xD800;"), "\u{fffd}\u{fffd}");
        assert_eq!(to_text("&"), "&");
        assert_eq!(to_text("&#"), "&#");
    }

    #[test]
    fn drops_script_style_noscript_and_comments() {
        assert_eq!(to_text("a<script>var x = '<p>no</p>';</script>b"), "ab");
        assert_eq!(
            to_text("a <style type=text/css>p { color: red }</style> b"),
            "a b"
        );
        assert_eq!(
            to_text("a<noscript><img src=x>enable js</noscript> b"),
            "a b"
        );
        assert_eq!(to_text("x<!-- hidden <b>bold</b> -->y"), "xy");
        assert_eq!(to_text("x<!-->y"), "xy");
        assert_eq!(to_text("a<SCRIPT>x</ScRiPt >b"), "ab");
        assert_eq!(to_text("a<script>x</scripts>b</script>c"), "ac");
        assert_eq!(to_text("a<script src=x />b"), "ab");
    }

    #[test]
    fn survives_malformed_html() {
        assert_eq!(to_text("a < b and c<3"), "a < b and c<3");
        assert_eq!(to_text("text <a href=\"x"), "text");
        assert_eq!(to_text("a <b"), "a");
        assert_eq!(to_text("a <"), "a <");
        assert_eq!(to_text("a </"), "a </");
        assert_eq!(to_text("a<script>never closed"), "a");
        assert_eq!(to_text("a<!-- never closed"), "a");
        assert_eq!(to_text("a<a title=\"x>y\">b</a>"), "ab");
        // an unmatched quote loses the attribute, not the document
        assert_eq!(to_text("<p class=\"x>one</p><p>two</p>"), "one two");
        assert_eq!(to_text("</>x</ y>z"), "xz");
        assert_eq!(to_text("<![CDATA[ kept  text]]>!"), "kept text!");
        assert_eq!(to_text("<?php echo 1 ?>ok"), "ok");
        assert_eq!(
            to_text("<!DOCTYPE html><html><head><title>t</title></head><body>b</body>"),
            "b"
        );
    }

    #[test]
    fn plain_text_keeps_angle_brackets() {
        use super::{looks_like_html, plain_to_text};
        assert_eq!(
            plain_to_text("  vector<int> &amp; <map>\n ok "),
            "vector<int> & <map> ok"
        );
        assert!(!looks_like_html("vector<int> is a template"));
        assert!(looks_like_html("<b>bold</b> news"));
        assert!(looks_like_html("line<br>break"));
    }

    #[test]
    fn handles_unicode_whitespace_and_soft_hyphens() {
        assert_eq!(to_text("a\u{a0}\u{2003}b\u{3000}c"), "a b c");
        assert_eq!(
            to_text("szpie\u{ad}gostwo szpie&shy;gostwo"),
            "szpiegostwo szpiegostwo"
        );
        assert_eq!(to_text("zażółć gęślą jaźń"), "zażółć gęślą jaźń");
        assert_eq!(to_text("東京<b>都</b>"), "東京都");
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let html = "<p class=\"a\">Zażółć &amp; <a href='/x'>gęślą</a> &#x142;&rsquo;<!-- c --><script>x</script></p>";
        for end in 0..=html.len() {
            if let Some(prefix) = html.get(..end) {
                let _ = to_text(prefix);
            }
        }
    }
}
