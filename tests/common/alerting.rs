//! Building alerts and messages for sink tests.

use newshound::alert::{AlertFilter, AlertSpec, DeliveryPolicy, Target};
use newshound::alert::{Event, HitSummary, Message, Outgoing, Sink};
use newshound::model::{Hit, TermHit, TopicResult};

/// A title with everything a hostile or careless feed could put in one.
pub const HOSTILE_TITLE: &str =
    "@everyone <!channel> @here @room **bold** _it_ [link](http://evil) <b>html</b> & <@123>";

/// An alert spec for `target`, with short timeouts.
pub fn spec(name: &str, target: Target) -> AlertSpec {
    AlertSpec {
        line: 0,
        name: name.to_string(),
        enabled: true,
        filter: AlertFilter::default(),
        template: None,
        rate_limit: None,
        username: None,
        delivery: DeliveryPolicy {
            timeout: std::time::Duration::from_secs(5),
            ..DeliveryPolicy::default()
        },
        story: Default::default(),
        target,
    }
}

pub fn sink(spec: AlertSpec) -> Sink {
    Sink::new(spec, newshound::alert::http_client().unwrap())
}

/// A stored hit with the given title and a matched term with a snippet.
pub fn hit(id: &str, title: &str) -> Hit {
    let now = chrono::Utc::now();
    Hit {
        id: id.to_string(),
        entry_id: format!("entry-{id}"),
        feed: "Loopback <Feed> @here".to_string(),
        feed_url: "http://127.0.0.1/feed.xml".to_string(),
        title: title.to_string(),
        url: Some(format!("https://news.example/{id}?a=1&b=2")),
        published: now,
        fetched: now,
        language: "en".to_string(),
        language_confidence: 0.99,
        topics: vec![TopicResult {
            topic: "watch".to_string(),
            score: 6.5,
            threshold: 3.0,
            matched: true,
            terms: vec![TermHit {
                group: "act".to_string(),
                term: "spy*".to_string(),
                found: "spying".to_string(),
                count: 2,
                in_title: false,
                snippet: "…accused of spying on a <chip> maker @everyone…".to_string(),
                ..Default::default()
            }],
            reasons: vec![],
            ..Default::default()
        }],
        score: 6.5,
        summary: "A summary.".to_string(),
        authors: vec![],
        categories: vec![],
        alert_status: newshound::AlertStatus::Pending,
        story: None,
        detached: None,
    }
}

/// One hit's message, as the dispatcher builds it.
pub fn one(delivery_id: &str, hit: Hit) -> Outgoing {
    Outgoing {
        delivery_id: delivery_id.to_string(),
        event: Event::Hit,
        message: Message::One(Box::new(HitSummary::new(&hit))),
        hits: vec![hit],
    }
}

/// A digest of `hits`.
pub fn digest(delivery_id: &str, hits: Vec<Hit>) -> Outgoing {
    Outgoing {
        delivery_id: delivery_id.to_string(),
        event: Event::Digest,
        message: Message::Digest(hits.iter().map(HitSummary::new).collect()),
        hits,
    }
}
