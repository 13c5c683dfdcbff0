//! The built-in layout of every message, written once for all services:
//! each writes it in its own [`Markup`] and within its own [`Budget`].
//!
//! A hit: its title, bold and linked to the article; the facts line (feed ·
//! language · topics and score); the words that matched; the snippet,
//! quoted. When that is too long the snippet is cut first, then the title
//! loses its link.
//!
//! A follow-up on a story's message (`story = "update"`): "Story update:"
//! and the new member's linked title, bold; what the story holds now ("+2
//! sources, 4 items · languages en, pl"); the new member's facts line; and,
//! when it is not a reply (the service has no message to reply to), the
//! title of the story's first message.
//!
//! A digest: its heading ("12 new hits", or "3 stories, 7 items" when some
//! share a story), bold; the line [`DIGEST_NOTE`]; one line per story
//! (linked title of its first hit here — feed · language · score, and for a
//! story of several hits, how many from which feeds in which languages), at
//! most [`super::message::DIGEST_LISTED`]; and "…and N more" for the rest.
//! A story whose line does not fit is counted with the rest, so that no cut
//! ever splits a link.
//!
//! Feed text is cut before it is escaped, never after: an escape or an
//! entity is never cut in half.

use super::markup::{Markup, safe_url, truncate};
use super::message::{HitSummary, Message, StoryGroup, StoryUpdate};

/// Says why several hits arrive as one message.
pub const DIGEST_NOTE: &str = "(rate limit reached; folded into one message)";

/// How long a service lets a text be, counted the way it counts.
#[derive(Clone, Copy)]
pub struct Budget {
    pub max: usize,
    pub measure: fn(&str) -> usize,
}

impl Budget {
    /// No limit (a local command).
    pub const UNLIMITED: Budget = Budget {
        max: usize::MAX,
        measure: str::len,
    };

    pub fn chars(max: usize) -> Budget {
        Budget {
            max,
            measure: |s| s.chars().count(),
        }
    }

    pub fn bytes(max: usize) -> Budget {
        Budget {
            max,
            measure: str::len,
        }
    }

    /// UTF-16 code units, as Telegram counts.
    pub fn utf16(max: usize) -> Budget {
        Budget {
            max,
            measure: |s| s.encode_utf16().count(),
        }
    }

    pub fn of(&self, text: &str) -> usize {
        (self.measure)(text)
    }

    /// What is left after `used`.
    pub fn after(&self, used: &str) -> Budget {
        Budget {
            max: self.max.saturating_sub(self.of(used)),
            measure: self.measure,
        }
    }
}

/// A message as a whole text.
pub fn message<M: Markup>(m: &Message, budget: Budget) -> String {
    match m {
        Message::One(h) => hit::<M>(h, budget),
        Message::Update(u) => update::<M>(u, budget),
        Message::Digest(_) => digest::<M>(m, budget),
    }
}

/// A follow-up on a story's message: heading, tally, facts, and what it
/// follows when it is not a reply.
pub fn update<M: Markup>(u: &StoryUpdate, budget: Budget) -> String {
    let head = |title: String| {
        let mut text = format!(
            "{}{}{}",
            // Our own words: nothing in them for a markup to read.
            M::bold(&format!("Story update: {title}")),
            M::BREAK,
            update_details::<M>(u)
        );
        if let (None, Some(first)) = (&u.reply_to, &u.first) {
            text.push_str(M::BREAK);
            text.push_str("Follows: ");
            text.push_str(&M::text(&first.title));
        }
        text
    };
    let text = head(link::<M>(u.hit.url.as_deref(), &u.hit.title));
    if budget.of(&text) <= budget.max {
        return text;
    }
    // Only a monstrous URL gets here: the title alone still says it.
    head(M::text(&u.hit.title))
}

/// What a follow-up says under its heading: the story's tally and the new
/// member's facts line.
pub fn update_details<M: Markup>(u: &StoryUpdate) -> String {
    // The tally holds counts and language codes only (the detector's,
    // never a feed's), so it goes unescaped: escaping would show Markdown's
    // backslashes in `\+1`.
    format!("{}{}{}", u.tally(), M::BREAK, u.hit.facts(M::text))
}

/// One hit: title, facts, matched words, snippet.
pub fn hit<M: Markup>(h: &HitSummary, budget: Budget) -> String {
    let head = |title: String| format!("{}{}{}", M::bold(&title), M::BREAK, summary::<M>(h));
    let mut text = head(link::<M>(h.url.as_deref(), &h.title));
    if budget.of(&text) > budget.max {
        // Only a monstrous URL gets here; the title without its link is
        // still worth sending.
        text = head(M::text(&h.title));
    }
    let quote = snippet::<M>(h, budget.after(&text));
    text + &quote
}

/// What a hit says under its title, for services that show the title
/// elsewhere (ntfy's `Title` header).
pub fn details<M: Markup>(h: &HitSummary, budget: Budget) -> String {
    let text = summary::<M>(h);
    let quote = snippet::<M>(h, budget.after(&text));
    text + &quote
}

/// The facts line and the matched words.
fn summary<M: Markup>(h: &HitSummary) -> String {
    let mut text = h.facts(M::text);
    if let Some(matched) = h.matched(M::text) {
        text.push_str(M::BREAK);
        text.push_str(&matched);
    }
    text
}

/// The snippet as a quotation within `budget`, cut as far as needed;
/// empty when there is none or not a character of it fits.
pub fn snippet<M: Markup>(h: &HitSummary, budget: Budget) -> String {
    if h.snippet.is_empty() {
        return String::new();
    }
    let inner = fit::<M>(&h.snippet, budget.after(&M::quote("")));
    if inner.is_empty() {
        String::new()
    } else {
        M::quote(&inner)
    }
}

/// `title` escaped, linked to `url` when that is an http(s) URL.
pub fn link<M: Markup>(url: Option<&str>, title: &str) -> String {
    match safe_url(url) {
        Some(u) => M::link(&u, &M::text(title)),
        None => M::text(title),
    }
}

/// `raw` escaped for `M` within `budget`. The raw text is shortened before
/// escaping, so that no escape is cut in half.
pub fn fit<M: Markup>(raw: &str, budget: Budget) -> String {
    let whole = M::text(raw);
    if budget.of(&whole) <= budget.max {
        return whole;
    }
    if budget.max == 0 {
        return String::new();
    }
    // Escaping can double a text, so how much raw text fits is searched
    // for: the longest cut whose escaped form fits.
    let (mut lo, mut hi) = (0, raw.chars().count());
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if budget.of(&M::text(&truncate(raw, mid))) <= budget.max {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    M::text(&truncate(raw, lo))
}

/// A digest: heading, note, lines, "…and N more".
pub fn digest<M: Markup>(m: &Message, budget: Budget) -> String {
    let heading = M::bold(&M::text(&m.heading())) + M::BREAK;
    heading.clone() + &digest_body::<M>(m, budget.after(&heading))
}

/// A digest without its heading, for services that show the heading
/// elsewhere (Discord's embed title).
pub fn digest_body<M: Markup>(m: &Message, budget: Budget) -> String {
    let framing = format!("{DIGEST_NOTE}{}", M::list(""));
    let (lines, more) = digest_lines::<M>(m, budget.after(&framing));
    let items: String = lines.iter().map(|l| M::item(l)).collect();
    let mut text = format!("{DIGEST_NOTE}{}", M::list(&items));
    if let Some(more) = more {
        text.push_str(M::BREAK);
        text.push_str(&more);
    }
    text
}

/// The lines of a digest that fit in `budget` (each measured as
/// [`Markup::item`] writes it, with room kept for the "…and N more" line),
/// and that line when some stories are only counted.
pub fn digest_lines<M: Markup>(m: &Message, budget: Budget) -> (Vec<String>, Option<String>) {
    let (listed, mut rest) = m.listed();
    let reserved = budget.of(M::BREAK) + budget.of(&more::<M>(m.hits().len()));
    let mut used = 0;
    let mut lines = Vec::new();
    for (i, group) in listed.iter().enumerate() {
        let line = story_line::<M>(group);
        let cost = budget.of(&M::item(&line));
        if used + cost + reserved > budget.max {
            rest += listed.len() - i;
            break;
        }
        used += cost;
        lines.push(line);
    }
    (lines, (rest > 0).then(|| more::<M>(rest)))
}

/// One story's line: its lead's linked title, feed, language and score;
/// for several hits, how many from which feeds in which languages.
fn story_line<M: Markup>(group: &StoryGroup<'_>) -> String {
    let h = group.lead;
    let title = link::<M>(h.url.as_deref(), &h.title);
    if group.members.len() == 1 {
        return format!(
            "{title} — {} · {} · {:.1}",
            M::text(&h.feed),
            M::text(&h.language),
            h.score
        );
    }
    let sources = group.sources();
    let score = group
        .members
        .iter()
        .map(|m| m.score)
        .fold(f64::MIN, f64::max);
    format!(
        "{title} — {} items from {} ({}) · {} · {score:.1}",
        group.members.len(),
        if sources.len() == 1 {
            "1 source".to_string()
        } else {
            format!("{} sources", sources.len())
        },
        M::text(&sources.join(", ")),
        M::text(&group.languages().join(", ")),
    )
}

fn more<M: Markup>(rest: usize) -> String {
    format!("…and {rest} more ({})", M::code("newshound hits list"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::markup::{Html, Markdown, MatrixHtml, Mrkdwn, Plain};

    /// The template sample, with a short title, URL and snippet.
    fn summary(n: usize, title: &str, snippet: &str) -> HitSummary {
        let mut h = crate::alert::template::sample();
        h.id = format!("h{n}");
        h.story = Some(h.id.clone());
        h.title = title.into();
        h.url = Some(format!("https://e.example/{n}"));
        h.snippet = snippet.into();
        h.topics = vec!["watch".into()];
        h
    }

    #[test]
    fn one_layout_in_every_markup() {
        let h = summary(1, "T", "s");
        let facts = "newshound test · en · watch 7.5";
        for (got, want) in [
            (
                hit::<Mrkdwn>(&h, Budget::UNLIMITED),
                format!("*<https://e.example/1|T>*\n{facts}\nMatched: charged\n> s"),
            ),
            (
                hit::<Markdown>(&h, Budget::UNLIMITED),
                format!("**[T](https://e.example/1)**\n{facts}\nMatched: charged\n> s"),
            ),
            (
                hit::<Html>(&h, Budget::UNLIMITED),
                format!(
                    "<b><a href=\"https://e.example/1\">T</a></b>\n{facts}\nMatched: charged\n<blockquote>s</blockquote>"
                ),
            ),
            (
                hit::<MatrixHtml>(&h, Budget::UNLIMITED),
                format!(
                    "<strong><a href=\"https://e.example/1\">T</a></strong><br>{facts}<br>Matched: charged<blockquote>s</blockquote>"
                ),
            ),
            (
                hit::<Plain>(&h, Budget::UNLIMITED),
                format!("T\nhttps://e.example/1\n{facts}\nMatched: charged\n> s"),
            ),
        ] {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_digest_lists_within_its_budget_and_counts_the_rest() {
        let hits: Vec<HitSummary> = (0..20)
            .map(|n| summary(n, &format!("Story {n}"), ""))
            .collect();
        let m = Message::Digest(hits);
        let text = digest::<Markdown>(&m, Budget::UNLIMITED);
        assert!(
            text.starts_with(&format!("**20 new hits**\n{DIGEST_NOTE}\n- [Story 0](https://e.example/0) — newshound test · en · 7.5\n")),
            "{text}"
        );
        assert_eq!(text.matches("\n- [Story ").count(), 15);
        assert!(
            text.ends_with("\n…and 5 more (`newshound hits list`)"),
            "{text}"
        );
        for max in [0, 150, 300, 700] {
            let text = digest::<MatrixHtml>(&m, Budget::bytes(max));
            let listed = text.matches("<li>").count();
            assert!(text.len() <= max || listed == 0, "{max}: {}", text.len());
            assert!(
                text.contains(&format!("…and {} more", 20 - listed)),
                "{text}"
            );
        }
    }

    #[test]
    fn the_snippet_is_cut_first_then_the_link_goes() {
        let h = summary(1, "Title", &"<&>".repeat(100));
        let short = hit::<Html>(&h, Budget::utf16(200));
        assert!(short.encode_utf16().count() <= 200, "{short}");
        assert!(short.ends_with("…</blockquote>"), "{short}");
        let mut long_url = summary(1, "Title", "s");
        long_url.url = Some(format!("https://e.example/{}", "p".repeat(500)));
        let text = hit::<Html>(&long_url, Budget::utf16(300));
        assert!(text.starts_with("<b>Title</b>"), "{text}");
        assert!(text.ends_with("<blockquote>s</blockquote>"), "{text}");
    }

    #[test]
    fn fit_never_cuts_an_escape() {
        let chars = Budget::chars(256);
        let out = fit::<Markdown>(&"*".repeat(300), chars);
        assert!(chars.of(&out) <= 256, "{}", chars.of(&out));
        assert!(out.ends_with('…'));
        assert!(out.trim_end_matches('…').ends_with("\\*"), "{out}");
        assert_eq!(fit::<Markdown>("short", chars), "short");
        assert_eq!(fit::<Markdown>("anything", Budget::chars(0)), "");
    }
}
