//! Each chat service's markup: how feed text is escaped (and its mentions
//! defused), and how the one layout ([`super::layout`]) writes bold, links,
//! quotes and lists in it ([`Markup`]).
//!
//! Everything a feed writes (titles, snippets, feed names) passes through
//! [`Markup::text`] (or one of the escapers below) before it reaches a
//! message; only the layout's own markup is written unescaped. Mentions are
//! defused by a zero-width space after the `@`: the text reads the same, but
//! no service sees a mention in it.

/// How one markup writes the parts of the layout. Every method but
/// [`Markup::text`] takes text that is already escaped.
pub trait Markup {
    /// Feed text as literal text of this markup: escaped, mentions defused.
    fn text(raw: &str) -> String;
    /// Starts a new line.
    const BREAK: &'static str = "\n";
    fn bold(escaped: &str) -> String;
    /// `escaped` linking to `url`, which [`safe_url`] returned.
    fn link(url: &str, escaped: &str) -> String;
    /// The snippet as a quotation, on a line of its own.
    fn quote(escaped: &str) -> String {
        format!("{}> {escaped}", Self::BREAK)
    }
    /// A command the reader may type.
    fn code(raw: &str) -> String {
        format!("`{raw}`")
    }
    /// One line of a digest's list, on a line of its own.
    fn item(escaped: &str) -> String {
        format!("{}• {escaped}", Self::BREAK)
    }
    /// A digest's list around its items.
    fn list(items: &str) -> String {
        items.to_string()
    }
}

/// Slack's mrkdwn.
pub struct Mrkdwn;

impl Markup for Mrkdwn {
    fn text(raw: &str) -> String {
        slack(raw)
    }
    fn bold(escaped: &str) -> String {
        format!("*{escaped}*")
    }
    fn link(url: &str, escaped: &str) -> String {
        format!("<{url}|{escaped}>")
    }
}

/// Markdown as Discord and Mattermost read it.
pub struct Markdown;

impl Markup for Markdown {
    fn text(raw: &str) -> String {
        markdown(raw)
    }
    fn bold(escaped: &str) -> String {
        format!("**{escaped}**")
    }
    fn link(url: &str, escaped: &str) -> String {
        format!("[{escaped}]({url})")
    }
    fn item(escaped: &str) -> String {
        format!("\n- {escaped}")
    }
}

/// The Markdown subset of Teams' Adaptive Cards: no code spans, and a
/// lighter escaper ([`teams`]).
pub struct TeamsMarkdown;

impl Markup for TeamsMarkdown {
    fn text(raw: &str) -> String {
        teams(raw)
    }
    fn bold(escaped: &str) -> String {
        format!("**{escaped}**")
    }
    fn link(url: &str, escaped: &str) -> String {
        format!("[{escaped}]({url})")
    }
    fn code(raw: &str) -> String {
        raw.to_string()
    }
}

/// Telegram's HTML mode: a few inline tags, and line breaks as written.
pub struct Html;

impl Markup for Html {
    fn text(raw: &str) -> String {
        html(raw)
    }
    fn bold(escaped: &str) -> String {
        format!("<b>{escaped}</b>")
    }
    fn link(url: &str, escaped: &str) -> String {
        format!("<a href=\"{}\">{escaped}</a>", href(url))
    }
    fn quote(escaped: &str) -> String {
        format!("\n<blockquote>{escaped}</blockquote>")
    }
    fn code(raw: &str) -> String {
        format!("<code>{}</code>", html(raw))
    }
}

/// The HTML of Matrix's `formatted_body`, where a line break is a tag.
pub struct MatrixHtml;

impl Markup for MatrixHtml {
    const BREAK: &'static str = "<br>";
    fn text(raw: &str) -> String {
        html(raw)
    }
    fn bold(escaped: &str) -> String {
        format!("<strong>{escaped}</strong>")
    }
    fn link(url: &str, escaped: &str) -> String {
        Html::link(url, escaped)
    }
    fn quote(escaped: &str) -> String {
        format!("<blockquote>{escaped}</blockquote>")
    }
    fn code(raw: &str) -> String {
        Html::code(raw)
    }
    fn item(escaped: &str) -> String {
        format!("<li>{escaped}</li>")
    }
    fn list(items: &str) -> String {
        format!("<ul>{items}</ul>")
    }
}

/// Plain text (ntfy, `exec`, Matrix's plain body): a link is the text with
/// its URL on the next line.
pub struct Plain;

impl Markup for Plain {
    fn text(raw: &str) -> String {
        plain(raw)
    }
    fn bold(escaped: &str) -> String {
        escaped.to_string()
    }
    fn link(url: &str, escaped: &str) -> String {
        // Not through `text`: defusing an `@` inside a URL
        // (`/@author/post`) would break it.
        format!("{escaped}\n{url}")
    }
    fn code(raw: &str) -> String {
        raw.to_string()
    }
}

/// How a sink escapes feed text for its markup (one of the functions below).
pub type Escape = fn(&str) -> String;

/// Zero-width space: breaks `@everyone` for every parser without showing.
const ZWSP: char = '\u{200B}';

/// Puts a zero-width space after every `@` that starts a word (`@everyone`,
/// `@here`, `@room`, `@channel`, `@user`), so that none of them notifies.
pub fn defuse_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '@'
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            out.push(ZWSP);
        }
    }
    out
}

/// Slack mrkdwn: `&`, `<` and `>` are the only characters Slack lets one
/// escape, and escaping `<` is what turns `<!channel>` and `<@U123>` into text.
pub fn slack(text: &str) -> String {
    replace_chars(text, &[('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;")])
}

/// Markdown as Discord, Mattermost and Teams read it: every character that
/// could start formatting, a link, a heading or a `<@id>` mention gets a
/// backslash, and line breaks become spaces so a title cannot open a block.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in defuse_mentions(text).chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '#' | '[' | ']' | '(' | ')' | '!'
            | '-' | '+' | '=' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as Teams' Adaptive Cards read it: emphasis, links, code and
/// the tags of mentions are escaped, line breaks become spaces. Teams'
/// clients show the backslash of any other escape (`\:`, `\-`, `\(`, `\!`),
/// so [`markdown`]'s escaper would litter every title.
pub fn teams(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in defuse_mentions(text).chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '[' | ']' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An `href` value: only what would end the attribute or start an entity is
/// escaped. Not [`html`], which would put a zero-width space into
/// `https://medium.com/@author` and break the link.
pub fn href(url: &str) -> String {
    url.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// HTML text and attribute values (Telegram's HTML mode, Matrix's formatted body).
pub fn html(text: &str) -> String {
    replace_chars(
        text,
        &[
            ('&', "&amp;"),
            ('<', "&lt;"),
            ('>', "&gt;"),
            ('"', "&quot;"),
            ('\'', "&#39;"),
        ],
    )
}

/// `text` with its mentions defused and each character of `table` replaced
/// by its entity.
fn replace_chars(text: &str, table: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in defuse_mentions(text).chars() {
        match table.iter().find(|(k, _)| *k == c) {
            Some((_, entity)) => out.push_str(entity),
            None => out.push(c),
        }
    }
    out
}

/// Plain text (ntfy, Matrix's plain body): only the mentions are defused.
pub fn plain(text: &str) -> String {
    defuse_mentions(text)
}

/// The first `max` characters of `text`, with `…` in place of the rest.
/// Cuts on a character boundary, never inside one.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The first `max` bytes of `text` or less, cut on a character boundary,
/// with `…` in place of the rest (for limits counted in bytes: ntfy, Matrix).
pub fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A URL fit to put inside markup: only http(s) links are kept (a feed could
/// offer `javascript:`), and characters that would end the markup are
/// percent-encoded.
pub fn safe_url(url: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(url?).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    // `Url` already percent-encodes spaces, quotes and angle brackets; `|`
    // and `)` end a Slack or Markdown link, and a lone `(` unbalances one,
    // so they are encoded too.
    Some(
        parsed
            .as_str()
            .replace('|', "%7C")
            .replace('(', "%28")
            .replace(')', "%29"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_defused_everywhere() {
        for escape in [slack, markdown, teams, html, plain] {
            let out = escape("Hi @everyone and @here, @room, email a@b");
            assert!(!out.contains("@everyone"), "{out}");
            assert!(!out.contains("@here"), "{out}");
            assert!(!out.contains("@room"), "{out}");
        }
        assert_eq!(defuse_mentions("a @ b"), "a @ b");
    }

    #[test]
    fn slack_escapes_its_control_characters() {
        assert_eq!(
            slack("<!channel> & <@U1>"),
            "&lt;!channel&gt; &amp; &lt;@\u{200B}U1&gt;"
        );
    }

    #[test]
    fn markdown_escapes_formatting_links_and_mentions() {
        let out = markdown("**bold** [x](http://e) <@123> # h\nnext");
        assert_eq!(
            out,
            "\\*\\*bold\\*\\* \\[x\\]\\(http\\://e\\) \\<@\u{200B}123\\> \\# h next"
        );
    }

    #[test]
    fn teams_escapes_what_teams_reads_and_nothing_else() {
        assert_eq!(
            teams("Spy ring (again): 3-2 win! **b** _i_ [x](http://e) <at>@x</at> a\\b"),
            "Spy ring (again): 3-2 win! \\*\\*b\\*\\* \\_i\\_ \\[x\\](http://e) \\<at\\>@\u{200B}x\\</at\\> a\\\\b"
        );
    }

    #[test]
    fn html_escapes_tags_and_quotes() {
        assert_eq!(
            html("<b a=\"1\">'&'</b>"),
            "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("zażółć", 10), "zażółć");
        assert_eq!(truncate("zażółć", 4), "zaż…");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn truncate_bytes_keeps_characters_whole() {
        assert_eq!(truncate_bytes("abc", 3), "abc");
        let out = truncate_bytes(&"ż".repeat(10), 8);
        assert!(out.len() <= 8 && out.ends_with('…'), "{out}");
        assert_eq!(out, "żż…");
    }

    #[test]
    fn only_http_links_survive() {
        assert_eq!(safe_url(Some("javascript:alert(1)")), None);
        assert_eq!(safe_url(Some("not a url")), None);
        assert_eq!(
            safe_url(Some("https://e.com/a|b)c(d")).as_deref(),
            Some("https://e.com/a%7Cb%29c%28d")
        );
    }
}
