//! What an alert says, independent of where it goes: the facts of a hit cut
//! to sizes every chat service accepts. [`super::layout`] lays these out,
//! in each service's markup ([`super::markup`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::markup::{Escape, truncate};
use crate::model::Hit;

/// Longest title shown (Discord's embed title allows 256).
pub const TITLE_CHARS: usize = 200;
/// Longest snippet shown.
pub const SNIPPET_CHARS: usize = 300;
/// Most matched terms listed.
pub const MAX_TERMS: usize = 8;
/// Most hits listed one by one in a digest; the rest are counted.
pub const DIGEST_LISTED: usize = 15;

/// One hit, as a message shows it. Also the context of a user template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitSummary {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub feed: String,
    pub language: String,
    /// The best-scoring matched topic.
    pub topic: String,
    pub topics: Vec<String>,
    pub score: f64,
    /// The words that matched, as the text wrote them.
    pub terms: Vec<String>,
    pub snippet: String,
    pub published: DateTime<Utc>,
    /// The hit's story (its first hit's id); `None` for hits stored before
    /// stories existed.
    pub story: Option<String>,
}

impl HitSummary {
    pub fn new(hit: &Hit) -> HitSummary {
        let best = hit.topics.iter().max_by(|a, b| a.score.total_cmp(&b.score));
        let mut terms: Vec<String> = Vec::new();
        for t in hit.topics.iter().flat_map(|t| &t.terms) {
            let found = t.found.trim().to_string();
            if !found.is_empty() && !terms.iter().any(|x| x.eq_ignore_ascii_case(&found)) {
                terms.push(found);
            }
        }
        terms.truncate(MAX_TERMS);
        // The snippet around the first body term says most about why the
        // item matched; the summary is the fallback.
        let snippet = best
            .and_then(|t| t.terms.iter().find(|t| !t.snippet.is_empty()))
            .map(|t| t.snippet.as_str())
            .unwrap_or(hit.summary.as_str());
        let title = if hit.title.trim().is_empty() {
            "(untitled)".to_string()
        } else {
            hit.title.trim().to_string()
        };
        HitSummary {
            id: hit.id.clone(),
            title: truncate(&one_line(&title), TITLE_CHARS),
            url: hit.url.clone(),
            feed: truncate(&one_line(&hit.feed), 100),
            language: hit.language.clone(),
            topic: best.map(|t| t.topic.clone()).unwrap_or_default(),
            topics: hit.topic_names().map(str::to_string).collect(),
            score: hit.score,
            terms,
            snippet: truncate(&one_line(snippet), SNIPPET_CHARS),
            published: hit.published,
            story: hit.story.clone(),
        }
    }

    /// The story this hit counts under in a digest: its own id when it has none.
    pub fn story_id(&self) -> &str {
        self.story.as_deref().unwrap_or(&self.id)
    }

    /// `tech-espionage 7.5` or `a, b 7.5`.
    pub fn topic_line(&self) -> String {
        format!("{} {:.1}", self.topics.join(", "), self.score)
    }

    /// `feed · language · topic score`, each part escaped with `escape`:
    /// the facts line of every built-in layout.
    pub fn facts(&self, escape: Escape) -> String {
        format!(
            "{} · {} · {}",
            escape(&self.feed),
            escape(&self.language),
            escape(&self.topic_line())
        )
    }

    /// `Matched: word, word`, escaped; `None` when no term is listed.
    pub fn matched(&self, escape: Escape) -> Option<String> {
        (!self.terms.is_empty()).then(|| format!("Matched: {}", escape(&self.terms.join(", "))))
    }
}

/// A later member of a story, as a follow-up on the story's first message
/// (`story = "update"`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryUpdate {
    /// The story's id (its first hit's id).
    pub story: String,
    /// The new member.
    pub hit: HitSummary,
    /// The message followed up on: the hit it carried, when still stored
    /// (a service that edits that message shows it again).
    pub first: Option<HitSummary>,
    /// The delivery id of that message, when it was delivered.
    pub first_delivery: Option<String>,
    /// The service's id of that message (a Matrix event, a Telegram or
    /// Discord message); `None` when there is none to reply to, and the
    /// follow-up is a message of its own.
    pub reply_to: Option<String>,
    /// The story so far as this alert has sent it, the new member included.
    pub items: usize,
    /// Feeds, in order of arrival.
    pub sources: Vec<String>,
    /// Language codes, in order of arrival.
    pub languages: Vec<String>,
}

impl StoryUpdate {
    /// Sources the story gained since its first message.
    pub fn new_sources(&self) -> usize {
        self.sources.len().saturating_sub(1)
    }

    /// `+2 sources, 4 items · languages en, pl`: what the story holds now.
    pub fn tally(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "+{}, {} · {} {}",
            plural(self.new_sources(), "source", "sources"),
            plural(self.items, "item", "items"),
            if self.languages.len() == 1 {
                "language"
            } else {
                "languages"
            },
            self.languages.join(", ")
        )
    }
}

/// What one delivery carries: one hit, a follow-up on a story's message,
/// or several folded into a digest because the alert's rate limit was reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    One(Box<HitSummary>),
    Update(Box<StoryUpdate>),
    Digest(Vec<HitSummary>),
}

/// The members of one story in a digest: listed as one line.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryGroup<'a> {
    /// The member shown: the first of the digest's members.
    pub lead: &'a HitSummary,
    pub members: Vec<&'a HitSummary>,
}

impl StoryGroup<'_> {
    /// Distinct feeds of the members, in order.
    pub fn sources(&self) -> Vec<&str> {
        distinct(self.members.iter().map(|h| h.feed.as_str()))
    }

    /// Distinct languages of the members, in order.
    pub fn languages(&self) -> Vec<&str> {
        distinct(self.members.iter().map(|h| h.language.as_str()))
    }
}

fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

impl Message {
    pub fn hits(&self) -> &[HitSummary] {
        match self {
            Message::One(h) => std::slice::from_ref(h),
            Message::Update(u) => std::slice::from_ref(&u.hit),
            Message::Digest(hs) => hs,
        }
    }

    /// A one-line heading, plain text (used as a title or fallback text).
    /// A digest counts stories when some of its hits share one: "3
    /// stories, 7 items".
    pub fn heading(&self) -> String {
        match self {
            Message::One(h) => h.title.clone(),
            Message::Update(u) => format!("Story update: {}", u.hit.title),
            Message::Digest(hs) => {
                let stories = self.stories().len();
                if stories == hs.len() {
                    format!("{} new hits", hs.len())
                } else {
                    format!(
                        "{stories} {}, {} items",
                        if stories == 1 { "story" } else { "stories" },
                        hs.len()
                    )
                }
            }
        }
    }

    /// The hits grouped by story, in order of each story's first hit here.
    pub fn stories(&self) -> Vec<StoryGroup<'_>> {
        let mut groups: Vec<StoryGroup<'_>> = Vec::new();
        for h in self.hits() {
            match groups
                .iter_mut()
                .find(|g| g.lead.story_id() == h.story_id())
            {
                Some(g) => g.members.push(h),
                None => groups.push(StoryGroup {
                    lead: h,
                    members: vec![h],
                }),
            }
        }
        groups
    }

    /// The stories a digest lists one by one, and how many it only counts.
    pub fn listed(&self) -> (Vec<StoryGroup<'_>>, usize) {
        let mut groups = self.stories();
        let rest = groups.len().saturating_sub(DIGEST_LISTED);
        groups.truncate(DIGEST_LISTED);
        (groups, rest)
    }
}

/// Collapses line breaks and runs of white space: a message line stays one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TermHit, TopicResult};

    fn hit() -> Hit {
        Hit {
            id: "abc".into(),
            entry_id: "e".into(),
            feed: "Feed\nName".into(),
            feed_url: "https://f".into(),
            title: "  A\ntitle ".into(),
            url: Some("https://e/1".into()),
            published: Utc::now(),
            fetched: Utc::now(),
            language: "pl".into(),
            language_confidence: 0.9,
            topics: vec![TopicResult {
                topic: "t".into(),
                score: 4.0,
                threshold: 3.0,
                matched: true,
                terms: vec![
                    TermHit {
                        group: "act".into(),
                        term: "szpieg*".into(),
                        found: "szpiegostwo".into(),
                        count: 2,
                        in_title: false,
                        snippet: "…o szpiegostwo…".into(),
                        ..Default::default()
                    },
                    TermHit {
                        group: "act".into(),
                        term: "szpieg*".into(),
                        found: "Szpiegostwo".into(),
                        count: 1,
                        in_title: true,
                        snippet: String::new(),
                        ..Default::default()
                    },
                ],
                reasons: vec![],
                ..Default::default()
            }],
            score: 4.0,
            summary: "x".repeat(1000),
            authors: vec![],
            categories: vec![],
            alert_status: crate::model::AlertStatus::Pending,
            story: None,
            detached: None,
        }
    }

    #[test]
    fn summary_is_one_line_deduplicated_and_bounded() {
        let s = HitSummary::new(&hit());
        assert_eq!(s.title, "A title");
        assert_eq!(s.feed, "Feed Name");
        assert_eq!(s.terms, vec!["szpiegostwo"]);
        assert_eq!(s.snippet, "…o szpiegostwo…");
        assert_eq!(s.topic_line(), "t 4.0");
        let mut h = hit();
        h.topics[0].terms.clear();
        let s = HitSummary::new(&h);
        assert_eq!(s.snippet.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn a_digest_lists_some_and_counts_the_rest() {
        let s = HitSummary::new(&hit());
        let hits: Vec<HitSummary> = (0..DIGEST_LISTED + 3)
            .map(|n| HitSummary {
                id: format!("h{n}"),
                ..s.clone()
            })
            .collect();
        let m = Message::Digest(hits);
        let (listed, rest) = m.listed();
        assert_eq!((listed.len(), rest), (DIGEST_LISTED, 3));
        assert_eq!(m.heading(), format!("{} new hits", DIGEST_LISTED + 3));
    }

    #[test]
    fn a_digest_counts_the_members_of_a_story_as_one() {
        let member = |id: &str, story: Option<&str>, feed: &str, lang: &str| HitSummary {
            id: id.into(),
            story: story.map(str::to_string),
            feed: feed.into(),
            language: lang.into(),
            ..HitSummary::new(&hit())
        };
        let m = Message::Digest(vec![
            member("a", Some("a"), "Wire", "en"),
            member("b", None, "Other", "de"),
            member("c", Some("a"), "Outlet", "en"),
            member("d", Some("a"), "Gazeta", "pl"),
            member("e", Some("e"), "Wire", "en"),
        ]);
        assert_eq!(m.heading(), "3 stories, 5 items");
        let (groups, rest) = m.listed();
        assert_eq!(rest, 0);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[0].lead.id, "a");
        assert_eq!(groups[0].members.len(), 3);
        assert_eq!(groups[0].sources(), ["Wire", "Outlet", "Gazeta"]);
        assert_eq!(groups[0].languages(), ["en", "pl"]);
        assert_eq!(groups[1].lead.id, "b");
    }

    #[test]
    fn an_update_tallies_what_the_story_gained() {
        let u = StoryUpdate {
            story: "s".into(),
            hit: HitSummary::new(&hit()),
            first: None,
            first_delivery: None,
            reply_to: None,
            items: 4,
            sources: vec!["Wire".into(), "Outlet".into(), "Gazeta".into()],
            languages: vec!["en".into(), "pl".into()],
        };
        assert_eq!(u.tally(), "+2 sources, 4 items · languages en, pl");
        let one = StoryUpdate {
            items: 2,
            sources: vec!["Wire".into(), "Outlet".into()],
            languages: vec!["en".into()],
            ..u
        };
        assert_eq!(one.tally(), "+1 source, 2 items · language en");
        assert_eq!(
            Message::Update(Box::new(one)).heading(),
            "Story update: A title"
        );
    }
}
