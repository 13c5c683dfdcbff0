//! Repairs for a document feed-rs refused, chosen by the error it gave.
//!
//! Each repair fixes every instance of its cause in one pass (all bare
//! ampersands, every title with the refused `type`), so a feed with the same
//! fault in each of its entries costs one retry, not one per entry.
//!
//! Invariant: a repair changes only what its cause names and returns `None`
//! when there is nothing left to change, so the caller's retry loop ends.

use std::borrow::Cow;

use feed_rs::parser::{ParseErrorKind, ParseFeedError};

use super::prepare::{Edit, Tag, apply_edits, attributes, start_tags};

/// A repaired document for a feed-rs failure, or `None` when there is no
/// repair for it.
pub(crate) fn after_failure(text: &str, error: &ParseFeedError) -> Option<String> {
    match error {
        ParseFeedError::XmlReader(_) => escape_bare_ampersands(text),
        ParseFeedError::ParseError(ParseErrorKind::UnknownMimeType { mime, .. }) => {
            retype(text, mime)
        }
        ParseFeedError::ParseError(ParseErrorKind::MissingContent { reference, .. })
            if reference.starts_with("content.") || *reference == "text" =>
        {
            fill_empty(text)
        }
        _ => None,
    }
}

/// The elements whose `type` feed-rs checks: Atom's text constructs and
/// content, and Media RSS's title and description.
const TYPED_TEXT: [&str; 6] = [
    "title",
    "subtitle",
    "summary",
    "content",
    "rights",
    "description",
];

/// `&` not starting a reference is the commonest error in real feeds
/// (`?a=1&b=2` in a link). XML rejects the whole document for it; readers
/// read it as `&amp;`. CDATA, comments and processing instructions are
/// left alone: `&` is legal there.
fn escape_bare_ampersands(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'<' => {
                let rest = text.get(i..).unwrap_or_default();
                let skip = [("<![CDATA[", "]]>"), ("<!--", "-->"), ("<?", "?>")]
                    .iter()
                    .find(|(open, _)| rest.starts_with(open))
                    .map(|(open, close)| {
                        rest.get(open.len()..)
                            .and_then(|r| r.find(close))
                            .map_or(rest.len(), |p| open.len() + p + close.len())
                    });
                i += skip.unwrap_or(1);
            }
            b'&' => {
                if !is_reference(bytes.get(i + 1..).unwrap_or_default()) {
                    let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                    buf.push_str(text.get(copied..i).unwrap_or_default());
                    buf.push_str("&amp;");
                    copied = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut out = out?;
    out.push_str(text.get(copied..).unwrap_or_default());
    Some(out)
}

/// Whether the bytes after an `&` form `name;`, `#123;` or `#x1F;`.
fn is_reference(after: &[u8]) -> bool {
    let (body, valid): (&[u8], fn(&u8) -> bool) = match after {
        [b'#', b'x' | b'X', rest @ ..] => (rest, u8::is_ascii_hexdigit),
        [b'#', rest @ ..] => (rest, u8::is_ascii_digit),
        [first, ..] if first.is_ascii_alphabetic() || matches!(first, b'_' | b':') => {
            (after, |b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.')
            })
        }
        _ => return false,
    };
    let len = body.iter().take_while(|b| valid(b)).count();
    len > 0 && body.get(len) == Some(&b';')
}

/// Gives every text element whose `type` feed-rs refused (`type=""`, base64
/// `application/octet-stream`, Atom 0.3's `text/plain` or
/// `application/xhtml+xml`) the nearest type it accepts, instead of losing
/// the whole feed to one element.
fn retype(text: &str, refused: &str) -> Option<String> {
    let mut edits: Vec<Edit> = Vec::new();
    for tag in start_tags(text) {
        if !TYPED_TEXT.contains(&tag.local()) {
            continue;
        }
        for (name, value, range) in attributes(tag.attributes(text)) {
            if name == "type" && value == refused {
                let at = tag.name_end + range.start..tag.name_end + range.end;
                edits.push((at, Cow::Borrowed(accepted_type(&tag, value))));
            }
        }
    }
    apply_edits(text, edits)
}

/// The type feed-rs accepts that is closest to `value` for this element.
fn accepted_type(tag: &Tag<'_>, value: &str) -> &'static str {
    let media = tag.prefix() == Some("media") || tag.local() == "description";
    match (media, value.contains("xhtml"), value.contains("html")) {
        (true, _, true) => "html",
        (true, _, false) => "plain",
        (false, true, _) => "xhtml",
        (false, false, true) => "html",
        (false, false, false) => "text",
    }
}

/// feed-rs refuses an empty text element (`<media:description/>` in a video
/// feed, `<content type="html"></content>`) and Atom content that holds
/// elements without saying `xhtml`. An empty element gets a space, which
/// feed-rs reads as empty text; such content is marked `xhtml`.
fn fill_empty(text: &str) -> Option<String> {
    let mut edits: Vec<Edit> = Vec::new();
    for tag in start_tags(text) {
        if !TYPED_TEXT.contains(&tag.local()) {
            continue;
        }
        let source = text.get(tag.lt..tag.end).unwrap_or_default();
        if source.ends_with("/>") {
            let close = format!("> </{}>", tag.name);
            edits.push((tag.end - 2..tag.end, Cow::Owned(close)));
            continue;
        }
        let after = text.get(tag.end..).unwrap_or_default();
        let inner = after.strip_prefix("<![CDATA[]]>").unwrap_or(after);
        if inner.starts_with("</") {
            edits.push((tag.end..tag.end, Cow::Borrowed(" ")));
        } else if tag.local() == "content" && inner.starts_with('<') && !inner.starts_with("<!") {
            match attributes(tag.attributes(text))
                .into_iter()
                .find(|(name, ..)| *name == "type")
            {
                Some((_, "xhtml", _)) => {}
                Some((_, _, range)) => {
                    let at = tag.name_end + range.start..tag.name_end + range.end;
                    edits.push((at, Cow::Borrowed("xhtml")));
                }
                None => edits.push((tag.name_end..tag.name_end, Cow::Borrowed(" type=\"xhtml\""))),
            }
        }
    }
    apply_edits(text, edits)
}

/// Repairs the JSON Feed deviations feed-rs rejects: numeric ids, a missing
/// title or items, an `http://` version URL, non-string fields. Returns `None`
/// when the document is not a JSON object or needs no repair.
pub(crate) fn repair_json(text: &str) -> Option<String> {
    use serde_json::Value;

    let mut doc: Value = serde_json::from_str(text).ok()?;
    let feed = doc.as_object_mut()?;
    let mut changed = false;
    match feed.get("version").and_then(Value::as_str) {
        Some(v) if v.starts_with("https://jsonfeed.org/version/1") => {}
        Some(v) if v.starts_with("http://jsonfeed.org/version/1") => {
            let fixed = v.replacen("http://", "https://", 1);
            feed.insert("version".into(), Value::String(fixed));
            changed = true;
        }
        // Another version string is a real incompatibility: leave it to be reported.
        Some(_) => {}
        None => {
            feed.insert("version".into(), "https://jsonfeed.org/version/1.1".into());
            changed = true;
        }
    }
    changed |= string_field(feed, "title", true);
    for key in [
        "home_page_url",
        "feed_url",
        "language",
        "description",
        "icon",
        "favicon",
    ] {
        changed |= string_field(feed, key, false);
    }
    if !feed.get("items").is_some_and(Value::is_array) {
        feed.insert("items".into(), Value::Array(Vec::new()));
        changed = true;
    }
    if let Some(items) = feed.get_mut("items").and_then(Value::as_array_mut) {
        let before = items.len();
        items.retain(Value::is_object);
        changed |= items.len() != before;
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(id) = item.get("id").filter(|id| id.is_number()) {
                let id = id.to_string();
                item.insert("id".into(), Value::String(id));
                changed = true;
            }
            for key in [
                "id",
                "url",
                "external_url",
                "title",
                "content_html",
                "content_text",
                "summary",
                "date_published",
                "date_modified",
            ] {
                changed |= string_field(item, key, false);
            }
            if let Some(tags) = item.get_mut("tags") {
                match tags.as_array_mut() {
                    Some(list) => {
                        let before = list.len();
                        list.retain(Value::is_string);
                        changed |= list.len() != before;
                    }
                    None => {
                        *tags = Value::Null;
                        changed = true;
                    }
                }
            }
            if item.get("attachments").is_some_and(|a| !a.is_array()) {
                item.remove("attachments");
                changed = true;
            }
            if let Some(list) = item.get_mut("attachments").and_then(Value::as_array_mut) {
                let before = list.len();
                list.retain(|a| a.get("url").is_some_and(Value::is_string));
                changed |= list.len() != before;
                for attachment in list.iter_mut().filter_map(Value::as_object_mut) {
                    if !attachment.get("mime_type").is_some_and(Value::is_string) {
                        attachment.insert("mime_type".into(), "application/octet-stream".into());
                        changed = true;
                    }
                }
            }
        }
    }
    changed.then(|| doc.to_string())
}

/// Makes `key` a string or absent (or `""` when `required`); true if it changed anything.
fn string_field(
    object: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    required: bool,
) -> bool {
    use serde_json::Value;
    match object.get(key) {
        Some(Value::String(_)) => false,
        None if !required => false,
        Some(Value::Null) if !required => false,
        _ if required => {
            object.insert(key.into(), Value::String(String::new()));
            true
        }
        _ => {
            object.remove(key);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_bare_ampersands_outside_cdata_and_comments() {
        assert_eq!(
            escape_bare_ampersands("<a>?a=1&b=2 &amp; &#38; &#x26; &lt; AT&T</a>").as_deref(),
            Some("<a>?a=1&amp;b=2 &amp; &#38; &#x26; &lt; AT&amp;T</a>")
        );
        assert_eq!(
            escape_bare_ampersands("<a><![CDATA[x & y]]><!-- & --> &</a>").as_deref(),
            Some("<a><![CDATA[x & y]]><!-- & --> &amp;</a>")
        );
        assert_eq!(escape_bare_ampersands("<a>&amp; &#1;</a>"), None);
        assert_eq!(escape_bare_ampersands("<![CDATA[ & "), None);
    }

    #[test]
    fn retypes_every_element_with_the_refused_type() {
        let doc = "<feed><title type=\"text/plain\">a</title><entry><title type=\"text/plain\">b</title>\
                   <summary type=\"application/xhtml+xml\">c</summary><link type=\"text/plain\"/>\
                   <media:title type=\"text/plain\">d</media:title></entry></feed>";
        assert_eq!(
            retype(doc, "text/plain").as_deref(),
            Some(
                "<feed><title type=\"text\">a</title><entry><title type=\"text\">b</title>\
                 <summary type=\"application/xhtml+xml\">c</summary><link type=\"text/plain\"/>\
                 <media:title type=\"plain\">d</media:title></entry></feed>"
            )
        );
        assert_eq!(
            retype(
                "<summary type=\"application/xhtml+xml\">c</summary>",
                "application/xhtml+xml"
            )
            .as_deref(),
            Some("<summary type=\"xhtml\">c</summary>")
        );
        assert_eq!(
            retype("<title type=\"\">t</title>", "").as_deref(),
            Some("<title type=\"text\">t</title>")
        );
        assert_eq!(retype("<title>t</title>", "text/plain"), None);
    }

    #[test]
    fn fills_every_empty_text_element() {
        assert_eq!(
            fill_empty("<e><media:description/><content type=\"html\"></content><title><![CDATA[]]></title></e>").as_deref(),
            Some("<e><media:description> </media:description><content type=\"html\"> </content><title> <![CDATA[]]></title></e>")
        );
        assert_eq!(
            fill_empty("<content type=\"application/xhtml+xml\"><div>x</div></content>").as_deref(),
            Some("<content type=\"xhtml\"><div>x</div></content>")
        );
        assert_eq!(
            fill_empty("<title>t</title><content type=\"xhtml\"><div/></content>"),
            None
        );
    }

    #[test]
    fn repairs_json_feed_deviations() {
        let doc = r#"{"version":"http://jsonfeed.org/version/1","items":[{"id":42,"tags":"x"},3]}"#;
        let fixed = repair_json(doc).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&fixed).unwrap_or_default();
        assert_eq!(value["version"], "https://jsonfeed.org/version/1");
        assert_eq!(value["title"], "");
        assert_eq!(value["items"][0]["id"], "42");
        assert_eq!(value["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            repair_json(r#"{"version":"https://jsonfeed.org/version/1","title":"t","items":[]}"#),
            None
        );
    }
}
