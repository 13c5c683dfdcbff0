//! feed-rs's errors → [`ParseError`], with the line numbers feed-rs does
//! not report.
//!
//! Invariant: every feed-rs error maps to exactly one variant; locating a
//! line is a second, read-only pass and only ever runs on a failed document.

use feed_rs::parser::{ParseErrorKind, ParseFeedError};

use super::ParseError;
use super::prepare::Prepared;

/// Carries a contained panic through feed-rs's error type.
#[derive(Debug)]
pub(crate) struct Crash(pub String);

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Crash {}

/// Turns a feed-rs error into ours, with a line number where one can be found.
pub(crate) fn describe(error: ParseFeedError, text: &str, prepared: &Prepared<'_>) -> ParseError {
    let line = |offset: u64| Some(line_of(text, offset) + prepared.line_offset);
    match error {
        ParseFeedError::IoError(e) => {
            match e.get_ref().and_then(|inner| inner.downcast_ref::<Crash>()) {
                Some(Crash(message)) => ParseError::ParserCrashed(message.clone()),
                None => ParseError::MalformedXml {
                    line: None,
                    message: e.to_string(),
                },
            }
        }
        ParseFeedError::JsonSerde(e) => ParseError::MalformedJson {
            line: e.line(),
            column: e.column(),
            message: strip_serde_position(&e.to_string()),
        },
        ParseFeedError::JsonUnsupportedVersion(version) => {
            ParseError::UnsupportedJsonVersion(version)
        }
        ParseFeedError::XmlReader(e) => match locate_xml_error(text) {
            Some((at, message)) => ParseError::MalformedXml {
                line: Some(at + prepared.line_offset),
                message,
            },
            None => ParseError::MalformedXml {
                line: None,
                message: e.to_string(),
            },
        },
        ParseFeedError::ParseError(kind) => match kind {
            ParseErrorKind::NoFeedRoot => match locate_xml_error(text) {
                // A truncated document often looks like a feed without its body.
                Some((at, message)) => ParseError::MalformedXml {
                    line: Some(at + prepared.line_offset),
                    message,
                },
                None if prepared.root == "rss" => {
                    ParseError::NotAFeed("the <rss> element has no <channel>".to_owned())
                }
                None => ParseError::NotAFeed(format!("no feed found in <{}>", prepared.root)),
            },
            ParseErrorKind::UnknownMimeType { position, mime } => ParseError::InvalidFeed {
                line: line(position),
                message: format!("unsupported content type {mime:?}"),
            },
            ParseErrorKind::MissingContent {
                position,
                reference,
            } => ParseError::InvalidFeed {
                line: line(position),
                message: format!("missing {reference}"),
            },
            ParseErrorKind::UnknownEnumVariant {
                position,
                reference,
            } => ParseError::InvalidFeed {
                line: line(position),
                message: format!("unknown value {reference:?}"),
            },
            ParseErrorKind::IllegalState {
                position,
                reference,
            } => ParseError::InvalidFeed {
                line: line(position),
                message: reference,
            },
        },
    }
}

/// serde_json appends " at line L column C"; we report those as fields.
fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: u64) -> u64 {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let newlines = text
        .as_bytes()
        .get(..end)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    newlines as u64 + 1
}

/// Finds the first well-formedness error the way feed-rs's XML reader would
/// meet it, to report a line; feed-rs's own errors carry no position.
fn locate_xml_error(text: &str) -> Option<(u64, String)> {
    use quick_xml::events::Event;

    let mut reader = quick_xml::Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => open.push(e.name().as_ref().to_owned()),
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => {
                let name = open.last()?;
                let message = format!("the document ends inside <{name}> (truncated?)");
                return Some((line_of(text, reader.buffer_position()), message));
            }
            Ok(_) => {}
            Err(e) => return Some((line_of(text, reader.error_position()), e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_xml_errors_by_line() {
        let (line, _) = locate_xml_error("<rss>\n<channel>\n<title>x</titel>\n</channel></rss>")
            .unwrap_or_default();
        assert_eq!(line, 3);
        let (line, message) = locate_xml_error("<rss>\n<channel>\n<item>").unwrap_or_default();
        assert_eq!(line, 3);
        assert!(message.contains("<item>"), "{message}");
        assert_eq!(locate_xml_error("<rss/>"), None);
    }

    #[test]
    fn serde_positions_are_moved_to_fields() {
        assert_eq!(
            strip_serde_position("expected value at line 2 column 12"),
            "expected value"
        );
        assert_eq!(strip_serde_position("EOF"), "EOF");
    }
}
