//! OPML import and export of feed lists (`newshound feeds import-opml FILE`,
//! `newshound feeds export-opml`).
//!
//! Three pure functions, no I/O:
//!
//! - [`parse_opml`] reads every subscription (`<outline xmlUrl="...">`, at any
//!   depth) out of an OPML document;
//! - [`render_opml`] writes a feed list as an OPML 2.0 document;
//! - [`append_to_feeds_toml`] appends new `[[feed]]` tables to the text of an
//!   existing `feeds.toml`, leaving what is already there byte for byte intact
//!   (comments included) and skipping feeds whose URL it already lists.
//!
//! None of them panics, whatever the input.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// One subscription read from, or written to, an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// Display name: the outline's `title`, else its `text`, else the URL.
    pub name: String,
    /// The feed URL (`xmlUrl`), trimmed, without control characters.
    pub url: String,
    /// The outline's `language` attribute (OPML 2.0), as a lower-case primary
    /// language subtag (`"en-US"` → `"en"`), when present.
    pub language: Option<String>,
}

/// Why an OPML document or a feeds file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// The document is not well-formed XML.
    #[error("malformed OPML at line {line}, column {column}: {source}")]
    Xml {
        line: usize,
        column: usize,
        #[source]
        source: quick_xml::Error,
    },
    /// The document ends while elements are still open.
    #[error("malformed OPML: the document ends before </{0}>")]
    Unclosed(String),
    /// The document has no root element at all.
    #[error("not an OPML document: it has no root element")]
    Empty,
    /// The root element is something else (an RSS feed given by mistake, say).
    #[error("not an OPML document: the root element is <{0}>, expected <opml>")]
    NotOpml(String),
    /// The existing feeds file is not valid TOML.
    #[error("the existing feeds file is not valid TOML: {0}")]
    FeedsToml(#[source] toml::de::Error),
    /// The existing feeds file is TOML, but not of the `[[feed]]` shape.
    #[error("the existing feeds file cannot take new [[feed]] tables: {0}")]
    FeedsShape(String),
}

/// Reads every subscription out of an OPML document.
///
/// Every `<outline>` element that has a non-empty `xmlUrl` attribute counts,
/// however deeply it is nested in category outlines. The name is the
/// outline's `title`, else its `text`, else the URL, with runs of white space
/// collapsed and control characters removed. Entities are decoded: the XML
/// ones and character references, and, leniently, HTML named entities such as
/// `&rsquo;` that some exporters write. A URL listed twice (compared trimmed,
/// ignoring a trailing slash) is kept once, at its first occurrence.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = quick_xml::Reader::from_str(text);
    // Mismatched end tags are errors (the default, made explicit).
    reader.config_mut().check_end_names = true;

    let mut feeds = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut open: Vec<String> = Vec::new();
    let mut root_seen = false;

    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(source) => return Err(xml_error(text, reader.error_position(), source)),
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = start.local_name().as_ref().to_string();
                if !root_seen {
                    root_seen = true;
                    if !name.eq_ignore_ascii_case("opml") {
                        return Err(OpmlError::NotOpml(name));
                    }
                }
                if name.eq_ignore_ascii_case("outline") {
                    let position = reader.buffer_position();
                    if let Some(feed) = outline_feed(start, text, position)?
                        && seen.insert(url_key(&feed.url))
                    {
                        feeds.push(feed);
                    }
                }
                if !is_empty {
                    open.push(name);
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }

    if let Some(name) = open.pop() {
        return Err(OpmlError::Unclosed(name));
    }
    if !root_seen {
        return Err(OpmlError::Empty);
    }
    Ok(feeds)
}

/// Writes a feed list as an OPML 2.0 document.
///
/// Each feed becomes `<outline type="rss" text=".." title=".." xmlUrl=".."/>`
/// (plus `language=".."` when known). Attribute values and the title are
/// escaped (`&`, `<`, `>`, `"`, `'`); tabs and line breaks become character
/// references so they survive a round trip; other control characters, which
/// XML 1.0 cannot carry at all, are dropped.
pub fn render_opml(feeds: &[OpmlFeed], title: &str) -> String {
    let mut out = String::with_capacity(200 + feeds.len() * 120);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<opml version=\"2.0\">\n");
    out.push_str("  <head>\n");
    out.push_str("    <title>");
    out.push_str(&escape_xml(title));
    out.push_str("</title>\n");
    out.push_str("  </head>\n");
    out.push_str("  <body>\n");
    for feed in feeds {
        let name = escape_xml(&feed.name);
        out.push_str("    <outline type=\"rss\" text=\"");
        out.push_str(&name);
        out.push_str("\" title=\"");
        out.push_str(&name);
        out.push_str("\" xmlUrl=\"");
        out.push_str(&escape_xml(&feed.url));
        out.push('"');
        if let Some(language) = feed.language.as_deref().filter(|l| !l.is_empty()) {
            out.push_str(" language=\"");
            out.push_str(&escape_xml(language));
            out.push('"');
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n");
    out.push_str("</opml>\n");
    out
}

/// Appends `new` feeds to the text of an existing `feeds.toml`.
///
/// Returns `(text, added, skipped)`:
///
/// - `text` is `existing`, unchanged byte for byte, followed by one
///   `[[feed]]` table per added feed, each preceded by a blank line and the
///   comment `# imported from OPML`. When nothing is added, `text` is exactly
///   `existing`.
/// - `added` are the feeds written, with the names actually used: a name
///   already taken (compared case-insensitively, trimmed) gets a suffix
///   ` (2)`, ` (3)`, ...
/// - `skipped` are the feeds not written: their URL is already in the file,
///   or earlier in `new` (URLs compared trimmed, ignoring a trailing slash),
///   or they have no URL at all.
///
/// The existing URLs and names are read by parsing `existing` as TOML; a file
/// that does not parse, or whose `feed` key is not an array of tables, is an
/// error (nothing is appended to a file that cannot be read back).
pub fn append_to_feeds_toml(
    existing: &str,
    new: &[OpmlFeed],
) -> Result<(String, Vec<OpmlFeed>, Vec<OpmlFeed>), OpmlError> {
    let table: toml::Table = toml::from_str(existing).map_err(OpmlError::FeedsToml)?;

    let mut urls: HashSet<String> = HashSet::new();
    let mut names: HashSet<String> = HashSet::new();
    match table.get("feed") {
        None => {}
        Some(toml::Value::Array(entries)) => {
            for entry in entries {
                let toml::Value::Table(entry) = entry else {
                    return Err(OpmlError::FeedsShape(
                        "`feed` must be an array of tables ([[feed]])".to_string(),
                    ));
                };
                if let Some(toml::Value::String(url)) = entry.get("url") {
                    urls.insert(url_key(url));
                }
                if let Some(toml::Value::String(name)) = entry.get("name") {
                    names.insert(name_key(name));
                }
            }
        }
        Some(_) => {
            return Err(OpmlError::FeedsShape(
                "`feed` must be an array of tables ([[feed]])".to_string(),
            ));
        }
    }

    let newline = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = existing.to_string();
    let mut added = Vec::new();
    let mut skipped = Vec::new();

    for feed in new {
        let url = feed.url.trim();
        if url.is_empty() || !urls.insert(url_key(url)) {
            skipped.push(feed.clone());
            continue;
        }
        let name = unique_name(&feed.name, url, &mut names);
        let language = feed
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());

        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() {
            out.push_str(newline);
        }
        out.push_str("# imported from OPML");
        out.push_str(newline);
        out.push_str("[[feed]]");
        out.push_str(newline);
        out.push_str("name = ");
        out.push_str(&toml_basic_string(&name));
        out.push_str(newline);
        out.push_str("url = ");
        out.push_str(&toml_basic_string(url));
        out.push_str(newline);
        if let Some(language) = language {
            out.push_str("language = ");
            out.push_str(&toml_basic_string(language));
            out.push_str(newline);
        }

        added.push(OpmlFeed {
            name,
            url: url.to_string(),
            language: language.map(str::to_string),
        });
    }

    if !added.is_empty() {
        // The existing text may end inside something the new tables cannot
        // follow (a static `feed = [...]` array is caught above; this is the
        // last line of defence): never hand back a file that does not parse.
        if let Err(e) = toml::from_str::<toml::Table>(&out) {
            return Err(OpmlError::FeedsShape(format!(
                "appending [[feed]] tables would make it invalid: {}",
                e.message()
            )));
        }
    }
    Ok((out, added, skipped))
}

/// The key under which two feed URLs are the same: trimmed, without trailing
/// slashes.
fn url_key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// The key under which two feed names collide: trimmed, case-folded.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// `name` (or the URL when the name is blank), with ` (2)`, ` (3)`, ... added
/// until it is not in `taken`; records the result in `taken`.
fn unique_name(name: &str, url: &str, taken: &mut HashSet<String>) -> String {
    let base = collapse_whitespace(name);
    let base = if base.is_empty() {
        url.to_string()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n: u64 = 2;
    while taken.contains(&name_key(&candidate)) {
        candidate = format!("{base} ({n})");
        n = n.saturating_add(1);
    }
    taken.insert(name_key(&candidate));
    candidate
}

/// The feed described by one `<outline>` start tag, if it has an `xmlUrl`.
fn outline_feed(
    start: &BytesStart<'_>,
    text: &str,
    position: u64,
) -> Result<Option<OpmlFeed>, OpmlError> {
    let mut url = None;
    let mut title = None;
    let mut label = None;
    let mut language = None;
    for attr in start.attributes() {
        let attr = attr.map_err(|e| xml_error(text, position, e.into()))?;
        let key = attr.key.local_name();
        let key = key.as_ref();
        let slot = if key.eq_ignore_ascii_case("xmlUrl") {
            &mut url
        } else if key.eq_ignore_ascii_case("title") {
            &mut title
        } else if key.eq_ignore_ascii_case("text") {
            &mut label
        } else if key.eq_ignore_ascii_case("language") {
            &mut language
        } else {
            continue;
        };
        *slot = Some(attribute_value(&attr.value));
    }

    let Some(url) = url
        .map(|u| without_controls(&u).trim().to_string())
        .filter(|u| !u.is_empty())
    else {
        return Ok(None);
    };
    let name = [title, label]
        .into_iter()
        .flatten()
        .map(|s| without_controls(&collapse_whitespace(&s)))
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| url.clone());
    let language = language.and_then(|l| normalise_language(&l));
    Ok(Some(OpmlFeed {
        name,
        url,
        language,
    }))
}

/// Decodes an attribute value: strictly as XML first; when that fails (an
/// HTML entity such as `&rsquo;`, or a stray `&`), leniently as HTML.
fn attribute_value(raw: &str) -> String {
    let attr = quick_xml::events::attributes::Attribute {
        key: quick_xml::name::QName("v"),
        value: Cow::Borrowed(raw),
    };
    match attr.normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_predefined_entity) {
        Ok(value) => value.into_owned(),
        Err(_) => html_escape::decode_html_entities(raw).into_owned(),
    }
}

/// `"en-US"` → `"en"`; blank → `None`.
fn normalise_language(raw: &str) -> Option<String> {
    let primary = raw
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if primary.is_empty() || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        None
    } else {
        Some(primary)
    }
}

/// `s` without control characters, which have no place in a name or a URL
/// (and which XML 1.0 cannot carry, so [`render_opml`] would drop them).
fn without_controls(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text for an XML attribute value or element content.
fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // Not allowed in XML 1.0, not even as character references.
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` as a TOML basic string (`"..."`), escaped per the TOML spec.
fn toml_basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An XML error with the line and column (1-based, in characters) of `byte`.
fn xml_error(text: &str, byte: u64, source: quick_xml::Error) -> OpmlError {
    let byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    // Step back to a character boundary so the slice below cannot panic.
    let mut end = byte;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    OpmlError::Xml {
        line,
        column,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(name: &str, url: &str, language: Option<&str>) -> OpmlFeed {
        OpmlFeed {
            name: name.to_string(),
            url: url.to_string(),
            language: language.map(str::to_string),
        }
    }

    #[test]
    fn parses_nested_outlines_names_and_languages() {
        let opml = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="Security">
      <outline text="Alpha text" title="Alpha" type="rss" xmlUrl="https://a.example/feed"/>
      <outline text="Nested">
        <outline text="Beta" type="rss" xmlUrl=" https://b.example/rss.xml " language="pl-PL"/>
      </outline>
    </outline>
    <outline type="rss" xmlUrl="https://c.example/atom"/>
  </body>
</opml>"#;
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(
            feeds,
            vec![
                feed("Alpha", "https://a.example/feed", None),
                feed("Beta", "https://b.example/rss.xml", Some("pl")),
                feed("https://c.example/atom", "https://c.example/atom", None),
            ]
        );
    }

    #[test]
    fn decodes_xml_and_html_entities() {
        let opml = r#"<opml version="2.0"><body>
            <outline title="Fish &amp; Chips &#322;&#xF3;d&#378;" xmlUrl="https://x.example/?a=1&amp;b=2"/>
            <outline title="Schneier&rsquo;s blog" xmlUrl="https://y.example/feed"/>
        </body></opml>"#;
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(feeds[0].name, "Fish & Chips łódź");
        assert_eq!(feeds[0].url, "https://x.example/?a=1&b=2");
        assert_eq!(feeds[1].name, "Schneier\u{2019}s blog");
    }

    #[test]
    fn drops_control_characters_and_collapses_names() {
        let opml = "<opml><body><outline title=\"  A&#9;&#10; B&#1;C \" \
                    xmlUrl=\"&#1; https://x.example/a&#10;\"/></body></opml>";
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(feeds, vec![feed("A BC", "https://x.example/a", None)]);
    }

    #[test]
    fn keeps_duplicate_urls_once() {
        let opml = r#"<opml version="1.0"><body>
            <outline text="One" xmlUrl="https://a.example/feed/"/>
            <outline text="Two" xmlUrl="https://a.example/feed"/>
            <outline text="Folder only"/>
            <outline text="Blank" xmlUrl="   "/>
        </body></opml>"#;
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(feeds, vec![feed("One", "https://a.example/feed/", None)]);
    }

    #[test]
    fn rejects_malformed_and_foreign_documents() {
        assert!(matches!(
            parse_opml("<opml><body><outline xmlUrl=\"x\"></body></opml>"),
            Err(OpmlError::Xml { .. })
        ));
        assert!(matches!(
            parse_opml("<opml><body>"),
            Err(OpmlError::Unclosed(_))
        ));
        assert!(matches!(parse_opml(""), Err(OpmlError::Empty)));
        assert!(matches!(
            parse_opml("<rss version=\"2.0\"><channel/></rss>"),
            Err(OpmlError::NotOpml(name)) if name == "rss"
        ));
        let err = parse_opml("<opml>\n<body>\n  <outline text=\"a\" text=\"b\" xmlUrl=\"u\"/>")
            .unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            "<",
            "<<<>>>",
            "<?xml",
            "<opml",
            "<opml><outline xmlUrl='&#0;'/></opml>",
            "<opml><outline xmlUrl='&#xFFFFFFFF;'/></opml>",
            "\u{feff}<opml/>",
            "<opml><outline xmlUrl=\"&\" title=\"&&&;\"/></opml>",
            "é<opml>ą",
            "<opml></body></opml>",
        ] {
            let _ = parse_opml(input);
        }
    }

    #[test]
    fn renders_escaped_opml_that_parses_back() {
        let feeds = vec![
            feed(
                "A & B <\"quoted\"> 'x'",
                "https://a.example/?q=1&r=<2>",
                Some("en"),
            ),
            feed("Zażółć", "https://b.example/feed", None),
        ];
        let xml = render_opml(&feeds, "My & feeds");
        assert!(xml.contains("<title>My &amp; feeds</title>"));
        assert!(xml.contains(r#"text="A &amp; B &lt;&quot;quoted&quot;&gt; &apos;x&apos;""#));
        assert!(xml.contains(r#"xmlUrl="https://a.example/?q=1&amp;r=&lt;2&gt;""#));
        assert!(xml.contains(r#"language="en""#));
        assert_eq!(parse_opml(&xml).unwrap(), feeds);
    }

    #[test]
    fn appends_new_feeds_and_keeps_existing_text() {
        let existing = "# my feeds\n[[feed]]\nname = \"Alpha\" # inline comment\nurl = \"https://a.example/feed/\"\n";
        let new = vec![
            feed("Alpha again", "https://a.example/feed", None),
            feed("alpha", "https://c.example/rss", Some("pl")),
            feed("Say \"hi\" \\ bye", "https://d.example/rss", None),
            feed("Dup in batch", "https://d.example/rss/", None),
            feed("No URL", "  ", None),
        ];
        let (text, added, skipped) = append_to_feeds_toml(existing, &new).unwrap();
        assert!(text.starts_with(existing));
        assert_eq!(
            added,
            vec![
                feed("alpha (2)", "https://c.example/rss", Some("pl")),
                feed("Say \"hi\" \\ bye", "https://d.example/rss", None),
            ]
        );
        assert_eq!(skipped.len(), 3);
        assert_eq!(text.matches("# imported from OPML").count(), 2);

        let table: toml::Table = toml::from_str(&text).unwrap();
        let feeds = table["feed"].as_array().unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[2]["name"].as_str(), Some("Say \"hi\" \\ bye"));
        assert_eq!(feeds[1]["language"].as_str(), Some("pl"));
    }

    #[test]
    fn append_handles_edge_cases() {
        // Nothing new: the text comes back as it was.
        let existing = "[[feed]]\nname = \"A\"\nurl = \"https://a.example\"";
        let (text, added, _) =
            append_to_feeds_toml(existing, &[feed("A", "https://a.example/", None)]).unwrap();
        assert_eq!(text, existing);
        assert!(added.is_empty());

        // No trailing newline, CRLF line ends, empty file.
        let (text, _, _) =
            append_to_feeds_toml("# x\r\n", &[feed("B", "https://b.example", None)]).unwrap();
        assert!(text.starts_with("# x\r\n\r\n# imported from OPML\r\n[[feed]]\r\n"));
        let (text, _, _) =
            append_to_feeds_toml("", &[feed("", "https://b.example", None)]).unwrap();
        assert!(text.starts_with("# imported from OPML\n[[feed]]\nname = \"https://b.example\""));

        // Control characters are escaped.
        let (text, added, _) = append_to_feeds_toml(
            "",
            &[feed("a\u{1}b\u{7f}  c\nd", "https://e.example/\tx", None)],
        )
        .unwrap();
        assert!(text.contains(r#"name = "a\u0001b\u007F c d""#), "{text}");
        assert!(text.contains(r#"url = "https://e.example/\tx""#), "{text}");
        let table: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            table["feed"][0]["name"].as_str(),
            Some(added[0].name.as_str())
        );
        assert_eq!(
            table["feed"][0]["url"].as_str(),
            Some("https://e.example/\tx")
        );

        // Unreadable or wrongly shaped files are errors.
        assert!(matches!(
            append_to_feeds_toml("[[feed]\n", &[]),
            Err(OpmlError::FeedsToml(_))
        ));
        assert!(matches!(
            append_to_feeds_toml("feed = \"x\"\n", &[]),
            Err(OpmlError::FeedsShape(_))
        ));
        assert!(matches!(
            append_to_feeds_toml(
                "feed = [{ name = \"A\", url = \"https://a.example\" }]\n",
                &[feed("B", "https://b.example", None)]
            ),
            Err(OpmlError::FeedsShape(_))
        ));
    }
}
