//! HTML → plain text.

/// Strips tags, drops script and style, decodes entities, collapses whitespace.
pub fn to_text(_html: &str) -> String {
    todo!("parse helper")
}
