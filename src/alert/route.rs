//! Which alerts want a hit, and as what: each `[[alert]]`'s filters, its
//! `story` setting and what it has already sent of the hit's story; and the
//! delivery id that names one hit's alert to one sink for good.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{AlertFilter, AlertSpec, StoryAlerts};
use crate::model::Hit;
use crate::store::{OutboxEntry, Store, StoreError, StoryRole};

/// The enabled alerts and their filters. Cheap to share; what it needs to
/// know of a story's past it asks a [`StoryHistory`] (the store, in the service).
#[derive(Debug, Clone, Default)]
pub struct Router {
    alerts: Vec<(String, AlertFilter, StoryAlerts)>,
}

/// One alert a hit goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed<'a> {
    pub alert: &'a str,
    /// The story the entry belongs to, for alerts that send by story.
    pub story: Option<&'a str>,
    pub role: StoryRole,
}

/// What the router needs to know of a story's past to route a later member.
pub trait StoryHistory {
    type Error;
    /// The story's first hit (its id is the story's id), if stored.
    fn first_hit(&self, story: &str) -> Result<Option<Hit>, Self::Error>;
    /// Whether `alert` has a message for `story`, queued or delivered.
    fn opened(&self, story: &str, alert: &str) -> Result<bool, Self::Error>;
}

impl StoryHistory for Store {
    type Error = StoreError;

    fn first_hit(&self, story: &str) -> Result<Option<Hit>, StoreError> {
        self.hit(story)
    }

    fn opened(&self, story: &str, alert: &str) -> Result<bool, StoreError> {
        self.story_opened(story, alert)
    }
}

impl Router {
    pub fn new(specs: &[AlertSpec]) -> Router {
        Router {
            alerts: specs
                .iter()
                .filter(|s| s.enabled)
                .map(|s| (s.name.clone(), s.filter.clone(), s.story))
                .collect(),
        }
    }

    /// The alerts this hit goes to, in configuration order, and as what.
    ///
    /// A hit that starts a story opens it for every alert that wants it. A
    /// hit that joined an earlier hit's story goes to `story = "every"`
    /// alerts as any hit; to a `"first"` or `"update"` alert that already
    /// has a message for the story, as nothing or as a follow-up; and to
    /// one that has none (the earlier members did not pass its filters), as
    /// the story's first message to it. Whether it has one is the story's
    /// first hit passing its filters (the usual case, and the only trace a
    /// store written before threads has), else `history`. A first hit an
    /// analyst detached from another story (`hits detach`) was never sent
    /// as a story's first message: only `history` knows.
    pub fn route<'a, H: StoryHistory>(
        &'a self,
        hit: &'a Hit,
        history: &H,
    ) -> Result<Vec<Routed<'a>>, H::Error> {
        let story = hit.story.as_deref();
        let joined = story.filter(|s| *s != hit.id);
        let mut first_hit: Option<Option<Hit>> = None;
        let mut out = Vec::new();
        for (name, filter, mode) in &self.alerts {
            if !wants(filter, hit) {
                continue;
            }
            let by_story = *mode != StoryAlerts::Every;
            let role = match joined {
                Some(s) if by_story => {
                    let first = match &first_hit {
                        Some(h) => h,
                        None => first_hit.insert(history.first_hit(s)?),
                    };
                    let opened = first
                        .as_ref()
                        .is_some_and(|h| h.detached.is_none() && wants(filter, h))
                        || history.opened(s, name)?;
                    match (opened, mode) {
                        (false, _) => StoryRole::First,
                        (true, StoryAlerts::Update) => StoryRole::FollowUp,
                        (true, _) => continue,
                    }
                }
                _ => StoryRole::First,
            };
            out.push(Routed {
                alert: name,
                story: story.filter(|_| by_story),
                role,
            });
        }
        Ok(out)
    }

    /// The outbox entries of a hit, due `now`, to be stored with it.
    pub fn entries<H: StoryHistory>(
        &self,
        hit: &Hit,
        history: &H,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxEntry>, H::Error> {
        Ok(self
            .route(hit, history)?
            .into_iter()
            .map(|r| {
                let entry = OutboxEntry::new(delivery_id(&hit.id, r.alert), r.alert, &hit.id, now);
                match r.story {
                    Some(story) => entry.in_story(story, r.role),
                    None => entry,
                }
            })
            .collect())
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }
}

/// Whether a filter takes a hit. Empty lists accept anything; `min_score`
/// applies to the best of the topics the filter names (or of all topics).
fn wants(filter: &AlertFilter, hit: &Hit) -> bool {
    let topics: Vec<_> = hit
        .topics
        .iter()
        .filter(|t| filter.topics.is_empty() || filter.topics.contains(&t.topic))
        .collect();
    if topics.is_empty() {
        return false;
    }
    if !filter.languages.is_empty() && !filter.languages.contains(&hit.language) {
        return false;
    }
    if !filter.feeds.is_empty() && !filter.feeds.contains(&hit.feed) {
        return false;
    }
    match filter.min_score {
        Some(min) => topics.iter().any(|t| t.score >= min),
        None => true,
    }
}

/// The id of one hit's delivery to one alert: the same on every retry and
/// after every restart, so a receiver can drop duplicates by it.
pub fn delivery_id(hit_id: &str, alert: &str) -> String {
    let mut h = Sha256::new();
    h.update(hit_id.as_bytes());
    h.update([0]);
    h.update(alert.as_bytes());
    hex(&h.finalize()[..16])
}

/// The id of a digest: a hash of the deliveries it folds together.
pub fn digest_id(delivery_ids: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"digest");
    for id in delivery_ids {
        h.update([0]);
        h.update(id.as_bytes());
    }
    hex(&h.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TopicResult;

    fn hit(topic: &str, score: f64, lang: &str, feed: &str) -> Hit {
        let mut h: Hit = serde_json::from_value(serde_json::json!({
            "id": "h1", "entry_id": "e", "feed": feed, "feed_url": "u", "title": "t",
            "url": null, "published": "2026-01-01T00:00:00Z", "fetched": "2026-01-01T00:00:00Z",
            "language": lang, "language_confidence": 1.0, "topics": [], "score": score,
            "summary": ""
        }))
        .unwrap();
        h.topics.push(TopicResult {
            topic: topic.into(),
            score,
            threshold: 1.0,
            matched: true,
            terms: vec![],
            reasons: vec![],
            ..Default::default()
        });
        h
    }

    fn filter(topics: &[&str], langs: &[&str], feeds: &[&str], min: Option<f64>) -> AlertFilter {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        AlertFilter {
            topics: v(topics),
            languages: v(langs),
            feeds: v(feeds),
            min_score: min,
        }
    }

    #[test]
    fn each_filter_narrows() {
        let h = hit("spy", 5.0, "pl", "PAP");
        assert!(wants(&filter(&[], &[], &[], None), &h));
        assert!(wants(&filter(&["spy"], &["pl"], &["PAP"], Some(5.0)), &h));
        assert!(!wants(&filter(&["other"], &[], &[], None), &h));
        assert!(!wants(&filter(&[], &["de"], &[], None), &h));
        assert!(!wants(&filter(&[], &[], &["BBC"], None), &h));
        assert!(!wants(&filter(&[], &[], &[], Some(5.1)), &h));
    }

    /// A story's past: its first hit and the alerts that have a message for it.
    struct Past {
        first: Option<Hit>,
        opened: Vec<&'static str>,
    }

    impl StoryHistory for Past {
        type Error = std::convert::Infallible;
        fn first_hit(&self, _story: &str) -> Result<Option<Hit>, Self::Error> {
            Ok(self.first.clone())
        }
        fn opened(&self, _story: &str, alert: &str) -> Result<bool, Self::Error> {
            Ok(self.opened.contains(&alert))
        }
    }

    fn spec(name: &str, story: StoryAlerts, languages: &[&str]) -> AlertSpec {
        AlertSpec {
            line: 0,
            name: name.into(),
            enabled: true,
            filter: filter(&[], languages, &[], None),
            template: None,
            rate_limit: None,
            username: None,
            delivery: Default::default(),
            story,
            target: super::super::Target::Exec(super::super::exec::Exec {
                command: vec!["true".into()],
            }),
        }
    }

    fn roles(routed: Vec<Routed<'_>>) -> Vec<(String, Option<String>, StoryRole)> {
        routed
            .into_iter()
            .map(|r| (r.alert.to_string(), r.story.map(str::to_string), r.role))
            .collect()
    }

    #[test]
    fn a_later_member_follows_up_goes_again_or_stays_silent_by_the_alerts_story_setting() {
        let router = Router::new(&[
            spec("first", StoryAlerts::First, &[]),
            spec("update", StoryAlerts::Update, &[]),
            spec("every", StoryAlerts::Every, &[]),
        ]);
        let mut opener = hit("spy", 5.0, "en", "Wire");
        opener.id = "s".into();
        opener.story = Some("s".into());
        let mut later = hit("spy", 5.0, "pl", "Gazeta");
        later.id = "l".into();
        later.story = Some("s".into());
        let past = Past {
            first: Some(opener.clone()),
            opened: vec![],
        };
        let s = || Some("s".to_string());
        assert_eq!(
            roles(router.route(&opener, &past).unwrap()),
            [
                ("first".into(), s(), StoryRole::First),
                ("update".into(), s(), StoryRole::First),
                ("every".into(), None, StoryRole::First),
            ]
        );
        assert_eq!(
            roles(router.route(&later, &past).unwrap()),
            [
                ("update".into(), s(), StoryRole::FollowUp),
                ("every".into(), None, StoryRole::First),
            ]
        );
    }

    #[test]
    fn a_copy_of_a_detached_hit_opens_the_detached_hits_story() {
        let router = Router::new(&[
            spec("first", StoryAlerts::First, &[]),
            spec("update", StoryAlerts::Update, &[]),
        ]);
        // Joined story "s" and sent nothing; then detached: story "d" of its own.
        let mut detached = hit("spy", 5.0, "en", "Wire");
        detached.id = "d".into();
        detached.story = Some("d".into());
        detached.detached = Some(crate::model::Detachment {
            from: "s".into(),
            at: chrono::Utc::now(),
        });
        let mut copy = hit("spy", 5.0, "en", "Outlet");
        copy.id = "c".into();
        copy.story = Some("d".into());
        let never_sent = Past {
            first: Some(detached),
            opened: vec![],
        };
        let d = || Some("d".to_string());
        assert_eq!(
            roles(router.route(&copy, &never_sent).unwrap()),
            [
                ("first".into(), d(), StoryRole::First),
                ("update".into(), d(), StoryRole::First),
            ]
        );
    }

    #[test]
    fn a_story_whose_first_hit_an_alert_did_not_want_opens_with_the_first_member_it_wants() {
        let router = Router::new(&[
            spec("pl-first", StoryAlerts::First, &["pl"]),
            spec("pl-update", StoryAlerts::Update, &["pl"]),
        ]);
        let mut opener = hit("spy", 5.0, "en", "Wire");
        opener.id = "s".into();
        opener.story = Some("s".into());
        let mut pl = hit("spy", 5.0, "pl", "Gazeta");
        pl.id = "p".into();
        pl.story = Some("s".into());
        let nothing_yet = Past {
            first: Some(opener.clone()),
            opened: vec![],
        };
        assert!(router.route(&opener, &nothing_yet).unwrap().is_empty());
        let s = || Some("s".to_string());
        assert_eq!(
            roles(router.route(&pl, &nothing_yet).unwrap()),
            [
                ("pl-first".into(), s(), StoryRole::First),
                ("pl-update".into(), s(), StoryRole::First),
            ]
        );
        // Once the Polish hit opened the story for them, the next follows it.
        let opened = Past {
            first: Some(opener),
            opened: vec!["pl-first", "pl-update"],
        };
        assert_eq!(
            roles(router.route(&pl, &opened).unwrap()),
            [("pl-update".into(), s(), StoryRole::FollowUp)]
        );
        // A store that lost the first hit (or never had threads) asks the history alone.
        let unknown = Past {
            first: None,
            opened: vec![],
        };
        assert_eq!(router.route(&pl, &unknown).unwrap().len(), 2);
    }

    #[test]
    fn delivery_ids_are_stable_and_distinct() {
        assert_eq!(delivery_id("h1", "a"), delivery_id("h1", "a"));
        assert_ne!(delivery_id("h1", "a"), delivery_id("h1", "b"));
        assert_ne!(delivery_id("h1a", ""), delivery_id("h1", "a"));
        assert_eq!(delivery_id("h1", "a").len(), 32);
        assert_ne!(digest_id(&["a", "b"]), digest_id(&["ab"]));
    }
}
