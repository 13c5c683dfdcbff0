//! Feed bytes → UTF-8 text, whatever the document's charset.
//!
//! Order of evidence: a byte-order mark, then the HTTP `charset`, then the
//! XML declaration's `encoding`, then UTF-8. The BOM comes first (as in the
//! WHATWG encoding standard) because it is written by the program that wrote
//! the bytes, while the HTTP header is often a server-wide default; a
//! UTF-16 document served as `charset=iso-8859-1` is still UTF-16.
//! The byte patterns of XML's appendix F stand in for a BOM when a UTF-16
//! or UTF-32 document has none.
//!
//! Invariant: decoding never fails; invalid bytes become U+FFFD. The returned
//! text has no BOM and no XML declaration, so nothing downstream (feed-rs,
//! quick-xml) decodes it a second time.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// The charsets encoding_rs does not know; XML allows them, a few feeds use them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Charset {
    Whatwg(&'static Encoding),
    Utf32Le,
    Utf32Be,
}

/// Decodes `bytes` to UTF-8 and removes a leading XML declaration.
pub(crate) fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Cow<'a, str> {
    let (charset, skip) = sniff(bytes, content_type);
    let body = bytes.get(skip..).unwrap_or_default();
    let text = match charset {
        Charset::Whatwg(encoding) => encoding.decode_without_bom_handling(body).0,
        Charset::Utf32Le => Cow::Owned(decode_utf32(body, u32::from_le_bytes)),
        Charset::Utf32Be => Cow::Owned(decode_utf32(body, u32::from_be_bytes)),
    };
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(strip_declaration(s)),
        Cow::Owned(s) => match strip_declaration(&s) {
            rest if rest.len() == s.len() => Cow::Owned(s),
            rest => Cow::Owned(rest.to_owned()),
        },
    }
}

/// The name of the charset [`decode`] would use.
#[cfg(test)]
pub(crate) fn detect(bytes: &[u8], content_type: Option<&str>) -> &'static str {
    match sniff(bytes, content_type).0 {
        Charset::Whatwg(encoding) => encoding.name(),
        Charset::Utf32Le => "UTF-32LE",
        Charset::Utf32Be => "UTF-32BE",
    }
}

/// Picks the charset and the number of BOM bytes to skip.
fn sniff(bytes: &[u8], content_type: Option<&str>) -> (Charset, usize) {
    // UTF-32LE's BOM starts with UTF-16LE's: test the longer one first.
    let boms: [(&[u8], Charset); 5] = [
        (&[0xef, 0xbb, 0xbf], Charset::Whatwg(UTF_8)),
        (&[0xff, 0xfe, 0, 0], Charset::Utf32Le),
        (&[0, 0, 0xfe, 0xff], Charset::Utf32Be),
        (&[0xff, 0xfe], Charset::Whatwg(UTF_16LE)),
        (&[0xfe, 0xff], Charset::Whatwg(UTF_16BE)),
    ];
    for (bom, charset) in boms {
        if bytes.starts_with(bom) {
            return (charset, bom.len());
        }
    }
    // `<` or `<?` with the NUL padding of a wide encoding (XML appendix F).
    match bytes.get(..4) {
        Some([0, 0, 0, b'<']) => return (Charset::Utf32Be, 0),
        Some([b'<', 0, 0, 0]) => return (Charset::Utf32Le, 0),
        Some([0, b'<', 0, _]) => return (Charset::Whatwg(UTF_16BE), 0),
        Some([b'<', 0, _, 0]) => return (Charset::Whatwg(UTF_16LE), 0),
        _ => {}
    }
    // The document is ASCII-compatible from here on, so a label claiming a
    // wide encoding is wrong: decoding as it would turn the text to garbage.
    let narrow = |charset: Charset| match charset {
        Charset::Whatwg(e) if e != UTF_16LE && e != UTF_16BE => Some(charset),
        _ => None,
    };
    let declared = content_type
        .and_then(http_charset)
        .and_then(lookup)
        .and_then(narrow)
        .or_else(|| xml_encoding(bytes).and_then(lookup).and_then(narrow));
    (declared.unwrap_or(Charset::Whatwg(UTF_8)), 0)
}

fn lookup(label: &str) -> Option<Charset> {
    let label = label.trim();
    if label.eq_ignore_ascii_case("utf-32") || label.eq_ignore_ascii_case("utf-32le") {
        return Some(Charset::Utf32Le);
    }
    if label.eq_ignore_ascii_case("utf-32be") {
        return Some(Charset::Utf32Be);
    }
    // The "replacement" encoding turns a whole document into one U+FFFD;
    // better to guess UTF-8 and keep the ASCII.
    Encoding::for_label(label.as_bytes())
        .filter(|e| *e != encoding_rs::REPLACEMENT)
        .map(Charset::Whatwg)
}

/// The `charset` parameter of a `Content-Type` header value.
pub(crate) fn http_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>`, read as ASCII.
fn xml_encoding(bytes: &[u8]) -> Option<&str> {
    let head = bytes.get(..bytes.len().min(1024))?;
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = head.get(start..)?;
    if !decl.starts_with(b"<?xml") {
        return None;
    }
    let end = decl.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(decl.get(..end)?).ok()?;
    pseudo_attribute(decl, "encoding")
}

/// Reads `name="value"` (or single quotes) out of a declaration.
fn pseudo_attribute<'a>(decl: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = decl;
    while let Some(at) = rest.find(name) {
        let after = rest.get(at + name.len()..)?.trim_start();
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = value.get(1..)?;
            return value.find(quote).and_then(|end| value.get(..end));
        }
        rest = after;
    }
    None
}

/// Removes a leading BOM character and `<?xml ...?>` declaration.
pub(crate) fn strip_declaration(text: &str) -> &str {
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && rest.starts_with(|c: char| c.is_whitespace() || c == '?')
        && let Some(end) = rest.find("?>")
    {
        return rest.get(end + 2..).unwrap_or_default();
    }
    text
}

fn decode_utf32(bytes: &[u8], read: fn([u8; 4]) -> u32) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    let mut chunks = bytes.chunks_exact(4);
    for chunk in &mut chunks {
        let word = <[u8; 4]>::try_from(chunk).map_or(0xfffd, read);
        out.push(char::from_u32(word).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if !chunks.remainder().is_empty() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLISH: &str = "Zażółć gęślą jaźń";

    fn encode(text: &str, label: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap_or(UTF_8);
        encoding.encode(text).0.into_owned()
    }

    #[test]
    fn http_charset_wins_over_the_declaration() {
        let mut doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>".to_vec();
        doc.extend(encode(POLISH, "iso-8859-2"));
        let text = decode(&doc, Some("application/rss+xml; charset=ISO-8859-2"));
        assert_eq!(text, format!("<t>{POLISH}"));
    }

    #[test]
    fn declaration_is_used_without_http_charset() {
        for label in ["iso-8859-2", "windows-1250"] {
            let mut doc = format!("<?xml version='1.0' encoding='{label}' ?>\n<t>").into_bytes();
            doc.extend(encode(POLISH, label));
            assert_eq!(
                decode(&doc, Some("text/xml")),
                format!("\n<t>{POLISH}"),
                "{label}"
            );
        }
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut doc = vec![0xef, 0xbb, 0xbf];
        doc.extend(b"<?xml version=\"1.0\" encoding=\"iso-8859-2\"?><t>");
        doc.extend(POLISH.as_bytes());
        assert_eq!(
            decode(&doc, Some("text/xml; charset=windows-1250")),
            format!("<t>{POLISH}")
        );

        let mut wide = vec![0xff, 0xfe];
        for unit in "<t>ż</t>".encode_utf16() {
            wide.extend(unit.to_le_bytes());
        }
        assert_eq!(
            decode(&wide, Some("text/xml; charset=iso-8859-1")),
            "<t>ż</t>"
        );
    }

    #[test]
    fn wide_encodings_are_detected_without_bom() {
        let mut be = Vec::new();
        for unit in "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>ł</t>".encode_utf16() {
            be.extend(unit.to_be_bytes());
        }
        assert_eq!(detect(&be, None), "UTF-16BE");
        assert_eq!(decode(&be, None), "<t>ł</t>");

        let mut le32 = Vec::new();
        for c in "<t>ł</t>".chars() {
            le32.extend((c as u32).to_le_bytes());
        }
        assert_eq!(detect(&le32, None), "UTF-32LE");
        assert_eq!(decode(&le32, None), "<t>ł</t>");
    }

    #[test]
    fn falls_back_to_utf8_and_replaces_invalid_bytes() {
        assert_eq!(decode(b"<t>\xff ok</t>", None), "<t>\u{fffd} ok</t>");
        // a declaration that cannot be true of ASCII-compatible bytes is ignored
        assert_eq!(
            detect(b"<?xml version=\"1.0\" encoding=\"utf-16\"?><t/>", None),
            "UTF-8"
        );
        assert_eq!(detect(b"<t/>", Some("text/xml; charset=utf-16")), "UTF-8");
        assert_eq!(
            detect(b"<t/>", Some("text/xml; charset=no-such-thing")),
            "UTF-8"
        );
        assert_eq!(detect(b"<?xml encoding=\"bogus\"?><t/>", None), "UTF-8");
    }

    #[test]
    fn reads_charset_parameters_leniently() {
        assert_eq!(
            http_charset("text/xml;charset = us-ascii"),
            Some("us-ascii")
        );
        assert_eq!(
            http_charset("text/xml; Charset=\"ISO-8859-2\""),
            Some("ISO-8859-2")
        );
        assert_eq!(http_charset("text/xml; q=1"), None);
        assert_eq!(http_charset("charset=utf-8"), None);
    }

    #[test]
    fn strips_only_a_real_declaration() {
        assert_eq!(
            strip_declaration("\u{feff}<?xml version=\"1.0\"?><rss/>"),
            "<rss/>"
        );
        assert_eq!(
            strip_declaration("  <?xml-stylesheet href=\"x\"?><rss/>"),
            "  <?xml-stylesheet href=\"x\"?><rss/>"
        );
        assert_eq!(
            strip_declaration("<?xml version=\"1.0\""),
            "<?xml version=\"1.0\""
        );
    }
}
