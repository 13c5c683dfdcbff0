//! Stories told as they grow (`story = "update"`): what a follow-up on a
//! story's first message says, and what each delivery adds to the story's
//! thread (the record of that message, see `store::StoryThread`). Pure:
//! the worker ([`super::dispatch`]) reads and writes the threads.
//!
//! A follow-up replies to (or edits) the message its thread names. A story
//! whose first message was never delivered (it went dead, or an operator
//! dropped it) has no thread when its first follow-up goes: that follow-up
//! is a message of its own, and it starts the thread in the first
//! message's place, so that later follow-ups follow up on it.

use chrono::{DateTime, Utc};

use super::message::{HitSummary, StoryUpdate};
use crate::model::Hit;
use crate::store::{OutboxEntry, StoryRole, StoryThread, ThreadMember};

/// What a follow-up of `hit` says: the story so far as this alert sent it
/// (`thread`), with `hit`. Without a thread, the story so far is its first
/// hit (`first`, when still stored) and `hit`.
pub fn update(
    story: &str,
    hit: &Hit,
    thread: Option<&StoryThread>,
    first: Option<&Hit>,
) -> StoryUpdate {
    let mut members: Vec<ThreadMember> = match (thread, first) {
        (Some(t), _) => t.members.clone(),
        (None, Some(f)) => vec![member(f)],
        (None, None) => Vec::new(),
    };
    let earlier = thread.map_or(members.len(), |t| t.items.max(t.members.len()));
    let new = member(hit);
    let counted = !members.iter().any(|m| m.hit == new.hit);
    if counted {
        members.push(new);
    }
    let distinct = |f: fn(&ThreadMember) -> &str| {
        let mut out: Vec<String> = Vec::new();
        for m in &members {
            let v = f(m);
            if !out.iter().any(|x| x == v) {
                out.push(v.to_string());
            }
        }
        out
    };
    StoryUpdate {
        story: story.to_string(),
        hit: HitSummary::new(hit),
        first: first.map(HitSummary::new),
        first_delivery: thread.map(|t| t.first_delivery.clone()),
        reply_to: thread.and_then(|t| t.message_ref.clone()),
        items: earlier + usize::from(counted),
        sources: distinct(|m| &m.feed),
        languages: distinct(|m| &m.language),
    }
}

/// The thread after `entry` (of `hit`) was delivered: a first message
/// starts it (keeping the members of one started by a follow-up, should
/// the first message have been sent later by `alerts retry`), a follow-up
/// extends it or, when the story has none, starts it (`story_first`: the
/// story's first hit, counted as its first member). `message_ref` is the
/// service's id of the message sent, `None` for a digest.
pub fn record(
    thread: Option<StoryThread>,
    entry: &OutboxEntry,
    story: &str,
    hit: &Hit,
    story_first: Option<&Hit>,
    message_ref: Option<String>,
    now: DateTime<Utc>,
) -> StoryThread {
    let start = |members: Vec<ThreadMember>, items: usize| StoryThread {
        story: story.to_string(),
        alert: entry.alert.clone(),
        first_delivery: entry.delivery_id.clone(),
        first_hit: hit.id.clone(),
        message_ref: message_ref.clone(),
        members,
        items,
        updated: now,
    };
    let mut thread = match (thread, entry.role) {
        (Some(t), StoryRole::FollowUp) => t,
        (Some(t), StoryRole::First) => {
            let mut first = start(Vec::new(), 0);
            first.add(member(hit));
            for m in t.members {
                first.add(m);
            }
            first.items = first.items.max(t.items);
            first
        }
        (None, StoryRole::First) => start(Vec::new(), 0),
        (None, StoryRole::FollowUp) => {
            let mut seeded = start(Vec::new(), 0);
            if let Some(f) = story_first.filter(|f| f.id != hit.id) {
                seeded.add(member(f));
            }
            seeded
        }
    };
    thread.add(member(hit));
    thread.updated = now;
    thread
}

fn member(hit: &Hit) -> ThreadMember {
    ThreadMember {
        hit: hit.id.clone(),
        feed: hit.feed.clone(),
        language: hit.language.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, feed: &str, language: &str) -> Hit {
        let mut h = crate::alert::template::sample_hit();
        h.id = id.into();
        h.feed = feed.into();
        h.language = language.into();
        h.story = Some("s".into());
        h
    }

    fn entry(hit: &str, role: StoryRole) -> OutboxEntry {
        OutboxEntry::new(format!("d-{hit}"), "a", hit, Utc::now()).in_story("s", role)
    }

    #[test]
    fn a_thread_grows_with_each_delivery_and_keeps_the_first_reference() {
        let now = Utc::now();
        let first = hit("s", "Wire", "en");
        let t = record(
            None,
            &entry("s", StoryRole::First),
            "s",
            &first,
            None,
            Some("$e1".into()),
            now,
        );
        assert_eq!(
            (t.first_delivery.as_str(), t.message_ref.as_deref()),
            ("d-s", Some("$e1"))
        );
        let second = hit("b", "Outlet", "en");
        let u = update("s", &second, Some(&t), Some(&first));
        assert_eq!(u.reply_to.as_deref(), Some("$e1"));
        assert_eq!(u.first_delivery.as_deref(), Some("d-s"));
        assert_eq!(u.tally(), "+1 source, 2 items · language en");
        let t = record(
            Some(t),
            &entry("b", StoryRole::FollowUp),
            "s",
            &second,
            None,
            Some("$e2".into()),
            now,
        );
        // A follow-up never takes the first message's place.
        assert_eq!(t.message_ref.as_deref(), Some("$e1"));
        assert_eq!(t.items, 2);
        let third = hit("c", "Gazeta", "pl");
        let u = update("s", &third, Some(&t), Some(&first));
        assert_eq!(u.tally(), "+2 sources, 3 items · languages en, pl");
        // The same delivery again (a retry after a lost answer) counts once.
        let t2 = record(
            Some(t.clone()),
            &entry("b", StoryRole::FollowUp),
            "s",
            &second,
            None,
            None,
            now,
        );
        assert_eq!(t2.items, 2);
    }

    #[test]
    fn without_a_delivered_first_message_a_follow_up_stands_alone_and_starts_the_thread() {
        let now = Utc::now();
        let first = hit("s", "Wire", "en");
        let second = hit("b", "Gazeta", "pl");
        let u = update("s", &second, None, Some(&first));
        assert_eq!((u.reply_to.clone(), u.first_delivery.clone()), (None, None));
        assert_eq!(u.tally(), "+1 source, 2 items · languages en, pl");
        let t = record(
            None,
            &entry("b", StoryRole::FollowUp),
            "s",
            &second,
            Some(&first),
            Some("9".into()),
            now,
        );
        assert_eq!(
            (t.first_hit.as_str(), t.message_ref.as_deref()),
            ("b", Some("9"))
        );
        assert_eq!(t.items, 2);
        // The dead first message, retried and delivered later, takes its place back.
        let t = record(
            Some(t),
            &entry("s", StoryRole::First),
            "s",
            &first,
            None,
            Some("7".into()),
            now,
        );
        assert_eq!(
            (t.first_hit.as_str(), t.message_ref.as_deref()),
            ("s", Some("7"))
        );
        assert_eq!(t.items, 2);
    }
}
