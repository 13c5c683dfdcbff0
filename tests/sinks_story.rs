//! `story = "update"` through the real parts, sink by sink: hits stored
//! with the entries the router gives them, the real dispatcher, and a
//! loopback receiver that answers with message ids as each service does.
//! The first message's id must come back in its follow-up.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::alerting::{hit, spec};
use common::receiver::{Received, Receiver, Reply};
use newshound::alert::discord::Discord;
use newshound::alert::exec::Exec;
use newshound::alert::matrix::Matrix;
use newshound::alert::mattermost::Mattermost;
use newshound::alert::ntfy::Ntfy;
use newshound::alert::route::delivery_id;
use newshound::alert::slack::Slack;
use newshound::alert::teams::Teams;
use newshound::alert::telegram::Telegram;
use newshound::alert::webhook::Webhook;
use newshound::alert::{Dispatcher, Router, Secret, StoryAlerts, Target};
use newshound::model::Hit;
use newshound::store::{OutboxState, Store, StoryRole};

const STORY: &str = "story0001";
const WAIT: Duration = Duration::from_secs(20);

/// The story's first hit (in English, from the wire) and a later member
/// (in Polish, from another feed).
fn members() -> [Hit; 2] {
    let mut first = hit(STORY, "Engineer charged with espionage");
    first.story = Some(STORY.into());
    first.feed = "Wire".into();
    let mut later = hit("member02", "Inżynier oskarżony o szpiegostwo");
    later.story = Some(STORY.into());
    later.feed = "Gazeta".into();
    later.language = "pl".into();
    [first, later]
}

/// Stores the story's two hits for an `update` alert to `target`, as the
/// pipeline would, and delivers what is due. Returns the store and what
/// the receiver got.
async fn deliver_story(target: Target, r: &Receiver) -> (Arc<Store>, Vec<Received>) {
    let store = deliver(target, &members(), None).await;
    (store, r.received())
}

/// Stores `hits` in order for an `update` alert to `target` (with
/// `rate_limit`), with the entries the router gives each, and delivers
/// what is due.
async fn deliver(target: Target, hits: &[Hit], rate_limit: Option<u32>) -> Arc<Store> {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("store"), 8 << 20).unwrap());
    let mut spec = spec("story", target);
    spec.story = StoryAlerts::Update;
    spec.rate_limit = rate_limit;
    spec.delivery.retry_min = Duration::from_millis(50);
    spec.delivery.retry_max = Duration::from_millis(200);
    let router = Router::new(std::slice::from_ref(&spec));
    for h in hits {
        let entries = router.entries(h, &*store, chrono::Utc::now()).unwrap();
        assert_eq!(entries.len(), 1);
        store.insert_hit(h, &entries).unwrap();
    }
    let first_in_story: Vec<bool> = hits
        .iter()
        .map(|h| h.story.as_deref() == Some(h.id.as_str()))
        .collect();
    let roles: Vec<bool> = store
        .outbox()
        .unwrap()
        .iter()
        .map(|e| e.role == StoryRole::First)
        .collect();
    assert_eq!(roles, first_in_story);
    let dispatcher = Dispatcher::new(store.clone(), &[spec], newshound::clock::system()).unwrap();
    dispatcher.drain(WAIT).await;
    // The directory must outlive the store: leak it for the test's life.
    std::mem::forget(dir);
    store
}

fn follow_up_id() -> String {
    delivery_id("member02", "story")
}

#[tokio::test(flavor = "multi_thread")]
async fn matrix_follow_up_replies_to_the_first_event() {
    let r = Receiver::start().await;
    r.script([Reply::matrix_event("$first:example.org")]);
    r.set_default(Reply::matrix_event("$later:example.org"));
    let target = Target::Matrix(Matrix {
        homeserver: url::Url::parse(&r.url("")).unwrap(),
        room: "!abc:example.org".into(),
        token: Secret::new("tok"),
    });
    let (store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].json().get("m.relates_to").is_none());
    let reply = got[1].json();
    assert_eq!(
        reply["m.relates_to"]["m.in_reply_to"]["event_id"],
        "$first:example.org"
    );
    // The follow-up's transaction id is its own stable delivery id.
    assert!(
        got[1]
            .path
            .ends_with(&format!("/newshound-{}", follow_up_id())),
        "{}",
        got[1].path
    );
    let body = reply["body"].as_str().unwrap();
    assert!(body.contains("Story update: Inżynier"), "{body}");
    assert!(
        body.contains("+1 source, 2 items · languages en, pl"),
        "{body}"
    );
    let thread = store.story_thread(STORY, "story").unwrap().unwrap();
    assert_eq!(thread.message_ref.as_deref(), Some("$first:example.org"));
    assert_eq!(thread.items, 2);
    assert!(store.outbox().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn telegram_follow_up_replies_to_the_first_message_id() {
    let r = Receiver::start().await;
    r.script([Reply::telegram_message(4242)]);
    r.set_default(Reply::telegram_message(4243));
    let target = Target::Telegram(Telegram {
        api_url: url::Url::parse(&r.url("")).unwrap(),
        token: Secret::new("123:abc"),
        chat_id: "-100123".into(),
    });
    let (_store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].json().get("reply_parameters").is_none());
    let reply = got[1].json();
    assert_eq!(reply["reply_parameters"]["message_id"], 4242);
    assert_eq!(
        reply["reply_parameters"]["allow_sending_without_reply"],
        true
    );
    let text = reply["text"].as_str().unwrap();
    assert!(text.contains("+1 source, 2 items"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn discord_follow_up_edits_the_first_message() {
    let r = Receiver::start().await;
    r.script([Reply::discord_message("1111222233334444")]);
    r.set_default(Reply::discord_message("1111222233334444"));
    let target = Target::Discord(Discord::new(Secret::new(
        r.url("/api/webhooks/1/tok?thread_id=77"),
    )));
    let (_store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].query.as_deref(), Some("thread_id=77&wait=true"));
    let edit = &got[1];
    assert_eq!(edit.method, "PATCH");
    assert_eq!(edit.path, "/api/webhooks/1/tok/messages/1111222233334444");
    assert_eq!(edit.query.as_deref(), Some("thread_id=77"));
    let body = edit.json();
    let embeds = body["embeds"].as_array().unwrap();
    assert_eq!(embeds.len(), 2);
    assert_eq!(embeds[0]["title"], "Engineer charged with espionage");
    let story = embeds[1]["description"].as_str().unwrap();
    assert!(story.contains("+1 source, 2 items"), "{story}");
    assert!(story.contains("szpiegostwo"), "{story}");
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn discord_follow_up_on_a_deleted_message_is_a_message_of_its_own() {
    let r = Receiver::start().await;
    r.script([
        Reply::discord_message("999"),
        Reply::status(404).body(r#"{"message": "Unknown Message", "code": 10008}"#),
    ]);
    r.set_default(Reply::discord_message("1000"));
    let target = Target::Discord(Discord::new(Secret::new(r.url("/api/webhooks/1/tok"))));
    let (store, got) = deliver_story(target, &r).await;
    let methods: Vec<&str> = got.iter().map(|q| q.method.as_str()).collect();
    assert_eq!(methods, ["POST", "PATCH", "POST"], "{got:#?}");
    let embed = &got[2].json()["embeds"][0];
    assert_eq!(
        embed["title"],
        "Story update: Inżynier oskarżony o szpiegostwo"
    );
    assert!(store.outbox().unwrap().is_empty());
}

/// Services that can neither reply nor edit get a short message of its own.
#[tokio::test(flavor = "multi_thread")]
async fn slack_mattermost_and_teams_follow_up_with_a_short_message() {
    for (kind, target_of) in [
        (
            "slack",
            (|u: String| {
                Target::Slack(Slack {
                    url: Secret::new(u),
                    blocks: false,
                })
            }) as fn(String) -> Target,
        ),
        ("mattermost", |u| {
            Target::Mattermost(Mattermost::new(Secret::new(u)))
        }),
        ("teams", |u| Target::Teams(Teams::new(Secret::new(u)))),
    ] {
        let r = Receiver::start().await;
        let (_store, got) = deliver_story(target_of(r.url("/hook")), &r).await;
        assert_eq!(got.len(), 2, "{kind}: {got:#?}");
        let text = got[1].text();
        assert!(text.contains("Story update"), "{kind}: {text}");
        assert!(text.contains("+1 source, 2 items"), "{kind}: {text}");
        assert!(text.contains("Follows: Engineer charged"), "{kind}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ntfy_follow_up_names_the_story() {
    let r = Receiver::start().await;
    let target = Target::Ntfy(Ntfy {
        url: Secret::new(r.url("/topic")),
        token: None,
        priority: None,
        tags: vec![],
    });
    let (_store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2);
    let title = got[1].header("title").unwrap();
    assert!(title.starts_with("=?UTF-8?B?"), "{title}");
    let body = got[1].text();
    assert!(
        body.starts_with("+1 source, 2 items · languages en, pl"),
        "{body}"
    );
    assert!(body.ends_with(&format!("story {STORY}")), "{body}");
    assert_eq!(
        got[1].header("click").unwrap(),
        "https://news.example/member02?a=1&b=2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_follow_up_is_an_update_event_with_the_story() {
    let r = Receiver::start().await;
    let target = Target::Webhook(Webhook {
        url: Secret::new(r.url("/hook")),
        secret: None,
    });
    let (_store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2);
    let first = got[0].json();
    assert_eq!(first["event"], "hit");
    assert!(first.get("story").is_none(), "a hit event is as before");
    let update = got[1].json();
    assert_eq!(update["event"], "update");
    assert_eq!(got[1].header("x-newshound-event").unwrap(), "update");
    assert_eq!(update["delivery_id"], follow_up_id().as_str());
    assert_eq!(update["hit"]["id"], "member02");
    assert_eq!(
        update["story"],
        serde_json::json!({
            "id": STORY, "items": 2,
            "sources": ["Wire", "Gazeta"], "languages": ["en", "pl"],
            "first_delivery_id": delivery_id(STORY, "story"),
        })
    );
}

/// A first message refused for good leaves its follow-up nothing to reply
/// to: it goes as a message of its own, and says which story it continues.
#[tokio::test(flavor = "multi_thread")]
async fn a_follow_up_of_a_dead_first_message_stands_alone() {
    let r = Receiver::start().await;
    r.script([Reply::status(400).body("M_BAD_JSON")]);
    r.set_default(Reply::matrix_event("$later:example.org"));
    let target = Target::Matrix(Matrix {
        homeserver: url::Url::parse(&r.url("")).unwrap(),
        room: "!abc:example.org".into(),
        token: Secret::new("tok"),
    });
    let (store, got) = deliver_story(target, &r).await;
    assert_eq!(got.len(), 2, "{got:#?}");
    let alone = got[1].json();
    assert!(alone.get("m.relates_to").is_none(), "{alone}");
    let body = alone["body"].as_str().unwrap();
    assert!(
        body.contains("Follows: Engineer charged with espionage"),
        "{body}"
    );
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, OutboxState::Dead);
    // The follow-up took the first message's place in the thread.
    let thread = store.story_thread(STORY, "story").unwrap().unwrap();
    assert_eq!(thread.message_ref.as_deref(), Some("$later:example.org"));
    assert_eq!(thread.first_hit, "member02");
}

/// A follow-up never overtakes its first message: while that one waits
/// for a retry, the follow-up waits too, then replies to it.
#[tokio::test(flavor = "multi_thread")]
async fn a_follow_up_waits_for_its_first_message_to_be_delivered() {
    let r = Receiver::start().await;
    r.script([
        Reply::status(503),
        Reply::status(503),
        Reply::telegram_message(77),
    ]);
    r.set_default(Reply::telegram_message(78));
    let target = Target::Telegram(Telegram {
        api_url: url::Url::parse(&r.url("")).unwrap(),
        token: Secret::new("123:abc"),
        chat_id: "5".into(),
    });
    let (_store, got) = deliver_story(target, &r).await;
    let statuses: Vec<u16> = got.iter().map(|q| q.status).collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    for q in &got[..3] {
        assert!(q.json().get("reply_parameters").is_none());
    }
    assert_eq!(got[3].json()["reply_parameters"]["message_id"], 77);
}

/// Over the rate limit, a story's first hit and its follow-ups fold into
/// one digest with another story: one line per story, counted as stories.
#[tokio::test(flavor = "multi_thread")]
async fn a_digest_lists_a_story_and_its_follow_ups_as_one_line() {
    let r = Receiver::start().await;
    let [first, later] = members();
    let mut third = hit("member03", "Elbchip case: the indictment");
    third.story = Some(STORY.into());
    third.feed = "Outlet".into();
    let mut other = hit("other001", "Another case entirely");
    other.story = Some("other001".into());
    let target = Target::Mattermost(Mattermost::new(Secret::new(r.url("/hook"))));
    let store = deliver(target, &[first, later, third, other], Some(1)).await;
    let got = r.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    let text = got[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.starts_with("**2 stories, 4 items**"), "{text}");
    assert!(
        text.contains("— 3 items from 3 sources (Wire, Gazeta, Outlet) · en, pl · 6.5"),
        "{text}"
    );
    assert_eq!(text.matches("\n- ").count(), 2, "{text}");
    assert!(store.outbox().unwrap().is_empty());
    // A digest is no one story's message: nothing will reply to it.
    let thread = store.story_thread(STORY, "story").unwrap().unwrap();
    assert_eq!((thread.items, thread.message_ref), (3, None));
}

/// A command gets the update event and the story's id in its environment,
/// and the webhook's JSON on its standard input.
#[tokio::test(flavor = "multi_thread")]
async fn exec_follow_up_is_an_update_event_with_the_story_id() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events");
    let script = format!(
        "printf '%s %s\\n' \"$NEWSHOUND_EVENT\" \"$NEWSHOUND_STORY_ID\" >> {log:?}; cat >> {log:?}; echo >> {log:?}"
    );
    let target = Target::Exec(Exec {
        command: vec!["/bin/sh".into(), "-c".into(), script],
    });
    deliver(target, &members(), None).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], format!("hit {STORY}"));
    assert_eq!(lines[2], format!("update {STORY}"));
    let update: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(update["event"], "update");
    assert_eq!(update["story"]["items"], 2);
}
