//! The store against real sled databases in temporary directories.
//!
//! Where the public API cannot show what is on disk (the index entry, the
//! first-seen time, the schema record), the test closes the store and opens
//! the directory with sled directly.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use newshound::model::{AlertStatus, Hit, TermHit, TopicResult};
use newshound::store::{FeedState, HitQuery, Inserted, SCHEMA_VERSION, Store, StoreError};
use tempfile::TempDir;

const CACHE: u64 = 8 << 20;

fn open(dir: &TempDir) -> Store {
    retry_while_locked(|| {
        Store::open(dir.path(), CACHE).map_err(|e| (matches!(e, StoreError::Locked { .. }), e))
    })
    .expect("open store")
}

/// sled's background flusher holds the database for a moment after the last
/// handle is dropped, so a reopen in the same process may find the lock
/// still taken. Retries for up to five seconds while `attempt` reports the
/// lock (the `bool` of its error).
fn retry_while_locked<T, E: std::fmt::Debug>(
    mut attempt: impl FnMut() -> Result<T, (bool, E)>,
) -> Result<T, E> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match attempt() {
            Ok(v) => return Ok(v),
            Err((true, _)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err((_, e)) => return Err(e),
        }
    }
}

fn at(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .expect("valid millis")
}

fn hit(id: &str, published_ms: i64) -> Hit {
    Hit {
        id: id.to_string(),
        entry_id: format!("urn:entry:{id}"),
        feed: "The Record".to_string(),
        feed_url: "https://therecord.media/feed".to_string(),
        title: format!("Story {id}"),
        url: Some(format!("https://example.com/story/{id}")),
        published: at(published_ms),
        fetched: at(1_700_000_000_000),
        language: "en".to_string(),
        language_confidence: 0.97,
        topics: vec![TopicResult {
            topic: "tech-espionage".to_string(),
            score: 7.5,
            threshold: 3.0,
            matched: true,
            terms: vec![TermHit {
                group: "act".to_string(),
                term: "espionage".to_string(),
                found: "espionage".to_string(),
                count: 2,
                in_title: true,
                snippet: "accused of espionage".to_string(),
                ..Default::default()
            }],
            reasons: vec![],
            ..Default::default()
        }],
        score: 7.5,
        summary: "A summary.".to_string(),
        authors: vec!["A. Writer".to_string()],
        categories: vec!["security".to_string()],
        alert_status: newshound::AlertStatus::None,
        story: None,
        detached: None,
    }
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn query_ids(store: &Store, query: &HitQuery) -> Vec<String> {
    let hits = store.query_hits(query).expect("query");
    ids(&hits).into_iter().map(String::from).collect()
}

/// Opens the directory with sled itself (the store must be closed).
fn raw(dir: &Path) -> sled::Db {
    retry_while_locked(|| {
        sled::open(dir).map_err(|e| (e.to_string().contains("could not acquire lock"), e))
    })
    .expect("open raw sled")
}

// ---- insert and get ------------------------------------------------------

#[test]
fn insert_then_get_by_full_id_and_unique_prefix() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let h = hit("a1b2c3d4e5f6", 1_700_000_000_000);
    assert!(store.insert_hit(&h, &[]).expect("insert"));

    assert_eq!(store.get_hit("a1b2c3d4e5f6").expect("get"), Some(h.clone()));
    assert_eq!(store.get_hit("a1b2c3").expect("get prefix"), Some(h));
    assert_eq!(store.get_hit("ffffff").expect("get unknown"), None);
}

#[test]
fn prefix_shorter_than_six_chars_finds_nothing() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    store
        .insert_hit(&hit("a1b2c3d4e5f6", 0), &[])
        .expect("insert");
    assert_eq!(store.get_hit("a1b2c").expect("get"), None);
    // ... unless it is a whole id.
    store.insert_hit(&hit("abc", 0), &[]).expect("insert");
    assert_eq!(
        store.get_hit("abc").expect("get").map(|h| h.id),
        Some("abc".into())
    );
}

#[test]
fn ambiguous_prefix_is_an_error_naming_prefix_and_count() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    for id in ["abcdef01", "abcdef02", "abcdef03", "abcdee00"] {
        store.insert_hit(&hit(id, 0), &[]).expect("insert");
    }
    let err = store.get_hit("abcdef").expect_err("ambiguous");
    assert!(
        matches!(&err, StoreError::Ambiguous { prefix, count: 3 } if prefix == "abcdef"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("\"abcdef\"") && message.contains('3'),
        "{message}"
    );
    // A longer prefix disambiguates; a full id that is also a prefix wins.
    assert_eq!(
        store.get_hit("abcdef02").expect("get").map(|h| h.id),
        Some("abcdef02".into())
    );
    store.insert_hit(&hit("abcdef0", 0), &[]).expect("insert");
    assert_eq!(
        store.get_hit("abcdef0").expect("get").map(|h| h.id),
        Some("abcdef0".into())
    );
}

#[test]
fn duplicate_insert_returns_false_and_changes_nothing() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let first = hit("dup0000001", 1_000);
    assert!(store.insert_hit(&first, &[]).expect("insert"));

    let mut second = hit("dup0000001", 2_000_000);
    second.title = "Rewritten".into();
    second.fetched = at(5);
    assert!(!store.insert_hit(&second, &[]).expect("second insert"));

    assert_eq!(store.get_hit("dup0000001").expect("get"), Some(first));
    assert_eq!(
        query_ids(&store, &HitQuery::default()),
        vec!["dup0000001"],
        "no second by_time entry"
    );
    let stats = store.stats().expect("stats");
    assert_eq!((stats.hits, stats.seen), (1, 1));
    drop(store);

    let db = raw(dir.path());
    let by_time = db.open_tree("by_time").expect("tree");
    assert_eq!(by_time.len(), 1);
    let seen = db.open_tree("seen").expect("tree");
    let mark = seen.get("dup0000001").expect("get").expect("seen mark");
    assert_eq!(
        mark.as_ref(),
        &1_700_000_000_000i64.to_be_bytes(),
        "first fetch time kept"
    );
}

#[test]
fn insert_writes_hit_index_entry_and_seen_mark() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let h = hit("tx00000001", -86_400_000); // 1969-12-31
    store.insert_hit(&h, &[]).expect("insert");
    assert!(store.is_seen("tx00000001").expect("is_seen"));
    drop(store);

    let db = raw(dir.path());
    let hits = db.open_tree("hits").expect("tree");
    let record = hits.get("tx00000001").expect("get").expect("hit record");
    let decoded: Hit = serde_json::from_slice(&record).expect("hit is JSON");
    assert_eq!(decoded, h);

    let by_time = db.open_tree("by_time").expect("tree");
    let mut expected_key = ((-86_400_000i64 as u64) ^ (1 << 63)).to_be_bytes().to_vec();
    expected_key.extend_from_slice(b"tx00000001");
    let entries: Vec<_> = by_time.iter().map(|e| e.expect("entry")).collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0.as_ref(), expected_key.as_slice());
    assert!(entries[0].1.is_empty());

    let seen = db.open_tree("seen").expect("tree");
    let mark = seen.get("tx00000001").expect("get").expect("seen mark");
    assert_eq!(mark.as_ref(), &h.fetched.timestamp_millis().to_be_bytes());
}

#[test]
fn insert_keeps_an_earlier_seen_mark() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    store.mark_seen(&["early00001"], at(42)).expect("mark");
    assert!(
        store
            .insert_hit(&hit("early00001", 0), &[])
            .expect("insert")
    );
    drop(store);
    let seen = raw(dir.path()).open_tree("seen").expect("tree");
    let mark = seen.get("early00001").expect("get").expect("mark");
    assert_eq!(mark.as_ref(), &42i64.to_be_bytes());
}

#[test]
fn corrupt_hit_record_is_an_error_naming_the_tree() {
    let dir = TempDir::new().expect("tempdir");
    {
        let db = raw(dir.path());
        db.open_tree("hits")
            .expect("tree")
            .insert("bad0000001", &b"{not json"[..])
            .expect("insert");
        db.flush().expect("flush");
    }
    let store = open(&dir);
    let err = store.get_hit("bad0000001").expect_err("corrupt");
    assert!(
        matches!(err, StoreError::Corrupt { tree: "hits", .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("tree hits") && message.contains("bad0000001"),
        "{message}"
    );
}

// ---- query -----------------------------------------------------------------

#[test]
fn query_lists_newest_first() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    for (id, ms) in [
        ("c", 3_000),
        ("a", 1_000),
        ("pre1970", -5_000),
        ("b", 2_000),
        ("d", 4_000),
    ] {
        store.insert_hit(&hit(id, ms), &[]).expect("insert");
    }
    assert_eq!(
        query_ids(&store, &HitQuery::default()),
        vec!["d", "c", "b", "a", "pre1970"]
    );
}

#[test]
fn query_since_is_inclusive_until_is_exclusive() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    // Two hits share each of the boundary timestamps; some are before 1970.
    let hits = [
        ("m3000a", -3_000),
        ("m3000b", -3_000),
        ("m1", -1),
        ("z0", 0),
        ("p1000a", 1_000),
        ("p1000b", 1_000),
        ("p2000", 2_000),
        ("p3000a", 3_000),
        ("p3000b", 3_000),
    ];
    for (id, ms) in hits {
        store.insert_hit(&hit(id, ms), &[]).expect("insert");
    }
    let range = |since: Option<i64>, until: Option<i64>| HitQuery {
        since: since.map(at),
        until: until.map(at),
        ..HitQuery::default()
    };
    assert_eq!(
        query_ids(&store, &range(Some(1_000), Some(3_000))),
        vec!["p2000", "p1000b", "p1000a"]
    );
    assert_eq!(
        query_ids(&store, &range(Some(-3_000), Some(0))),
        vec!["m1", "m3000b", "m3000a"]
    );
    assert_eq!(
        query_ids(&store, &range(Some(-1), Some(1))),
        vec!["z0", "m1"],
        "across the epoch"
    );
    assert_eq!(
        query_ids(&store, &range(Some(3_000), None)),
        vec!["p3000b", "p3000a"]
    );
    assert_eq!(
        query_ids(&store, &range(None, Some(-2_999))),
        vec!["m3000b", "m3000a"]
    );
    assert_eq!(
        query_ids(&store, &range(None, Some(-3_000))),
        Vec::<String>::new()
    );
    assert!(query_ids(&store, &range(Some(2_000), Some(2_000))).is_empty());
    assert!(query_ids(&store, &range(Some(3_000), Some(1_000))).is_empty());
}

#[test]
fn query_bounds_are_exact_below_a_millisecond() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let mut early = hit("early", 0);
    early.published = at(1_000);
    let mut late = hit("late", 0);
    late.published = at(1_000) + Duration::microseconds(700);
    store.insert_hit(&early, &[]).expect("insert");
    store.insert_hit(&late, &[]).expect("insert");

    let half = at(1_000) + Duration::microseconds(500);
    let since = HitQuery {
        since: Some(half),
        ..HitQuery::default()
    };
    assert_eq!(query_ids(&store, &since), vec!["late"]);
    let until = HitQuery {
        until: Some(half),
        ..HitQuery::default()
    };
    assert_eq!(query_ids(&store, &until), vec!["early"]);
}

#[test]
fn query_filters_language_topic_feed_and_search() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let mut pl = hit("pl", 5_000);
    pl.language = "pl".into();
    pl.feed = "Niebezpiecznik".into();
    pl.title = "Szpiegostwo przemysłowe".into();
    let mut other_topic = hit("other", 4_000);
    other_topic.topics[0].topic = "ransomware".into();
    let mut in_summary = hit("summary", 3_000);
    in_summary.summary = "Logistics hub watched for ESPIONAGE".into();
    let mut in_url = hit("url", 2_000);
    in_url.url = Some("https://example.com/Alibaba-Intelligence".into());
    let plain = hit("plain", 1_000);
    for h in [&pl, &other_topic, &in_summary, &in_url, &plain] {
        store.insert_hit(h, &[]).expect("insert");
    }
    let q = |f: fn(&mut HitQuery)| {
        let mut query = HitQuery::default();
        f(&mut query);
        query_ids(&store, &query)
    };

    assert_eq!(q(|q| q.language = Some("pl".into())), vec!["pl"]);
    assert_eq!(
        q(|q| q.language = Some("PL".into())),
        Vec::<String>::new(),
        "language is exact"
    );
    assert_eq!(q(|q| q.topic = Some("ransomware".into())), vec!["other"]);
    assert_eq!(
        q(|q| q.topic = Some("tech-espionage".into())),
        vec!["pl", "summary", "url", "plain"]
    );
    assert_eq!(q(|q| q.feed = Some("niebezpiecznik".into())), vec!["pl"]);
    assert_eq!(
        q(|q| q.feed = Some("Niebezpie".into())),
        Vec::<String>::new(),
        "feed is not a substring match"
    );
    assert_eq!(
        q(|q| q.search = Some("SZPIEGOSTWO PRZEMYSŁOWE".into())),
        vec!["pl"],
        "title, unicode case"
    );
    assert_eq!(q(|q| q.search = Some("espionage".into())), vec!["summary"]);
    assert_eq!(q(|q| q.search = Some("alibaba-intel".into())), vec!["url"]);
    assert_eq!(
        q(|q| {
            q.topic = Some("tech-espionage".into());
            q.search = Some("a summary".into());
        }),
        vec!["pl", "url", "plain"],
        "filters combine"
    );
}

#[test]
fn query_stops_at_limit_newest_first() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    for i in 0..10 {
        store
            .insert_hit(&hit(&format!("h{i:02}"), i * 1_000), &[])
            .expect("insert");
    }
    let limited = |limit, topic: Option<&str>| HitQuery {
        limit: Some(limit),
        topic: topic.map(String::from),
        ..HitQuery::default()
    };
    assert_eq!(
        query_ids(&store, &limited(3, None)),
        vec!["h09", "h08", "h07"]
    );
    assert!(query_ids(&store, &limited(0, None)).is_empty());
    assert_eq!(query_ids(&store, &limited(100, None)).len(), 10);
    assert!(query_ids(&store, &limited(3, Some("none"))).is_empty());
}

#[test]
fn query_skips_index_entries_whose_hit_is_missing() {
    let dir = TempDir::new().expect("tempdir");
    {
        let store = open(&dir);
        store.insert_hit(&hit("kept", 1_000), &[]).expect("insert");
        store.insert_hit(&hit("lost", 2_000), &[]).expect("insert");
    }
    {
        let db = raw(dir.path());
        db.open_tree("hits")
            .expect("tree")
            .remove("lost")
            .expect("remove");
        db.flush().expect("flush");
    }
    let store = open(&dir);
    assert_eq!(query_ids(&store, &HitQuery::default()), vec!["kept"]);
}

/// Corrupt index keys placed before and after every real key: a query reads
/// them (and fails) only if it walks outside its time range.
#[test]
fn query_with_a_range_reads_only_that_range() {
    let dir = TempDir::new().expect("tempdir");
    {
        let store = open(&dir);
        store
            .insert_hit(&hit("inside", 1_000), &[])
            .expect("insert");
    }
    {
        let db = raw(dir.path());
        let by_time = db.open_tree("by_time").expect("tree");
        by_time.insert([0u8, 0, 0], &[] as &[u8]).expect("insert");
        by_time.insert([0xffu8; 3], &[] as &[u8]).expect("insert");
        db.flush().expect("flush");
    }
    let store = open(&dir);
    let bounded = HitQuery {
        since: Some(at(0)),
        until: Some(at(2_000)),
        ..HitQuery::default()
    };
    assert_eq!(query_ids(&store, &bounded), vec!["inside"]);
    let err = store
        .query_hits(&HitQuery::default())
        .expect_err("full walk meets the bad keys");
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                tree: "by_time",
                ..
            }
        ),
        "{err:?}"
    );
}

// ---- seen ------------------------------------------------------------------

#[test]
fn mark_seen_keeps_the_first_seen_time() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    assert!(!store.is_seen("item1").expect("is_seen"));
    store
        .mark_seen(&["item1", "item2"], at(1_000))
        .expect("mark");
    store.mark_seen(&["item1"], at(9_000)).expect("mark again");
    assert!(store.is_seen("item1").expect("is_seen"));
    assert_eq!(store.seen_count(), 2);
    // Had the second mark overwritten the first, item1 would survive this.
    assert_eq!(store.prune_seen(at(5_000)).expect("prune"), 2);
    assert_eq!(store.seen_count(), 0);
}

#[test]
fn prune_seen_keeps_hit_ids_and_recent_marks() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let mut old_hit = hit("oldhit", 0);
    old_hit.fetched = at(1_000);
    store.insert_hit(&old_hit, &[]).expect("insert");
    store.mark_seen(&["old1", "old2"], at(1_000)).expect("mark");
    store.mark_seen(&["edge"], at(5_000)).expect("mark");
    store.mark_seen(&["new"], at(9_000)).expect("mark");

    assert_eq!(store.prune_seen(at(5_000)).expect("prune"), 2);
    for (id, kept) in [
        ("oldhit", true),
        ("old1", false),
        ("old2", false),
        ("edge", true),
        ("new", true),
    ] {
        assert_eq!(store.is_seen(id).expect("is_seen"), kept, "{id}");
    }
    assert_eq!(store.get_hit("oldhit").expect("get"), Some(old_hit));
    assert_eq!(store.prune_seen(at(5_000)).expect("prune again"), 0);
}

#[test]
fn prune_seen_works_across_many_batches() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let old: Vec<String> = (0..2_500).map(|i| format!("old{i:05}")).collect();
    let old_refs: Vec<&str> = old.iter().map(String::as_str).collect();
    store.mark_seen(&old_refs, at(1_000)).expect("mark");
    store.mark_seen(&["recent"], at(10_000)).expect("mark");
    for i in [0, 1_500] {
        let mut h = hit(&format!("old{i:05}"), 0);
        h.fetched = at(1_000);
        assert!(store.insert_hit(&h, &[]).expect("insert"));
    }
    assert_eq!(store.prune_seen(at(2_000)).expect("prune"), 2_498);
    assert_eq!(store.seen_count(), 3);
}

// ---- feeds -----------------------------------------------------------------

#[test]
fn feed_state_round_trips_and_lists_by_url() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    assert_eq!(
        store.feed_state("https://b.example/rss").expect("get"),
        None
    );
    let b = FeedState {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        last_success: Some(at(1_700_000_000_000)),
        error_count: 0,
        next_due: Some(at(1_700_000_900_000)),
        last_item_count: 25,
        total_hits: 3,
        ..FeedState::default()
    };
    let a = FeedState {
        last_error: Some("HTTP 503".into()),
        last_error_at: Some(at(1_700_000_000_000)),
        error_count: 4,
        gone: true,
        ..FeedState::default()
    };
    store
        .put_feed_state("https://b.example/rss", &b)
        .expect("put");
    store
        .put_feed_state("https://a.example/rss", &a)
        .expect("put");
    assert_eq!(
        store.feed_state("https://b.example/rss").expect("get"),
        Some(b.clone())
    );
    assert_eq!(
        store.feed_states().expect("list"),
        vec![
            ("https://a.example/rss".to_string(), a.clone()),
            ("https://b.example/rss".to_string(), b)
        ]
    );
    let recovered = FeedState {
        error_count: 0,
        ..a
    };
    store
        .put_feed_state("https://a.example/rss", &recovered)
        .expect("overwrite");
    assert_eq!(
        store.feed_state("https://a.example/rss").expect("get"),
        Some(recovered)
    );
}

// ---- lifecycle ---------------------------------------------------------------

#[test]
fn reopen_after_drop_keeps_everything() {
    let dir = TempDir::new().expect("tempdir");
    let h1 = hit("reopen0001", 1_000);
    let h2 = hit("reopen0002", -1_000);
    let state = FeedState {
        etag: Some("W/\"1\"".into()),
        ..FeedState::default()
    };
    {
        let store = open(&dir);
        store.insert_hit(&h1, &[]).expect("insert");
        store.insert_hit(&h2, &[]).expect("insert");
        store.mark_seen(&["plain-item"], at(7)).expect("mark");
        store
            .put_feed_state("https://x.example/feed", &state)
            .expect("put");
        // No explicit flush: dropping the store must be enough.
    }
    let store = open(&dir);
    assert_eq!(store.get_hit("reopen0001").expect("get"), Some(h1));
    assert_eq!(
        query_ids(&store, &HitQuery::default()),
        vec!["reopen0001", "reopen0002"]
    );
    assert!(store.is_seen("plain-item").expect("is_seen"));
    assert_eq!(
        store.feed_state("https://x.example/feed").expect("get"),
        Some(state)
    );
    let stats = store.stats().expect("stats");
    assert_eq!((stats.hits, stats.seen, stats.feeds), (2, 3, 1));
    assert!(stats.size_on_disk > 0);
    assert_eq!(store.path(), dir.path());
    store.flush().expect("flush");
}

#[test]
fn new_store_records_its_schema_version() {
    let dir = TempDir::new().expect("tempdir");
    drop(open(&dir));
    let meta = raw(dir.path()).open_tree("meta").expect("tree");
    let version = meta
        .get("schema_version")
        .expect("get")
        .expect("version written");
    assert_eq!(version.as_ref(), &SCHEMA_VERSION.to_be_bytes());
    assert_eq!(SCHEMA_VERSION, 1);
}

#[test]
fn schema_mismatch_is_refused() {
    let dir = TempDir::new().expect("tempdir");
    drop(open(&dir));
    {
        let db = raw(dir.path());
        db.open_tree("meta")
            .expect("tree")
            .insert("schema_version", &2u32.to_be_bytes())
            .expect("insert");
        db.flush().expect("flush");
    }
    // Retried while sled's flusher still holds the raw handle's lock.
    let err = retry_while_locked(|| match Store::open(dir.path(), CACHE) {
        Err(StoreError::Locked { .. }) => Err((true, None)),
        Err(e) => Ok(e),
        Ok(_) => Err((false, Some("the store opened despite its schema version"))),
    })
    .expect("schema error");
    assert!(
        matches!(&err, StoreError::Schema { path, found: 2, expected: 1 } if path == dir.path()),
        "{err:?}"
    );
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

// ---- the single-process lock ------------------------------------------------

/// sled takes an `flock` on its file. Such locks belong to the open file
/// description, not the process, so a second open in the same process is
/// refused too (sled 0.34 uses the non-blocking `try_lock_exclusive` unless
/// built with its `testing` feature, so this does not hang).
#[test]
fn second_open_in_the_same_process_is_locked() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    for _ in 0..2 {
        // Twice: the failed attempt closing its own descriptor must not drop
        // the first store's lock.
        let err = Store::open(dir.path(), CACHE).err().expect("locked");
        assert!(
            matches!(&err, StoreError::Locked { path } if path == dir.path()),
            "{err:?}"
        );
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
    // The holder is unaffected; once it is gone the store opens again.
    assert!(store.insert_hit(&hit("stillok01", 0), &[]).expect("insert"));
    drop(store);
    assert_eq!(open(&dir).hit_count(), 1);
}

const LOCK_CHILD_ENV: &str = "NEWSHOUND_TEST_LOCKED_STORE";
const LOCK_CHILD_MARKER: &str = "child saw StoreError::Locked";

/// The real case: the service holds the store and the CLI, another process,
/// opens it. This test holds it and re-runs the test binary, filtered to
/// [`lock_child_opens_held_store`], in a child process.
#[test]
fn second_open_from_another_process_is_locked() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "lock_child_opens_held_store",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOCK_CHILD_ENV, dir.path())
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains(LOCK_CHILD_MARKER),
        "child failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    drop(store);
}

/// Does nothing in a normal run; in the child started by
/// [`second_open_from_another_process_is_locked`] it opens the held store.
#[test]
fn lock_child_opens_held_store() {
    let Some(path) = std::env::var_os(LOCK_CHILD_ENV) else {
        return;
    };
    let path = Path::new(&path);
    match Store::open(path, CACHE) {
        Err(StoreError::Locked { path: reported }) if reported == path => {
            println!("{LOCK_CHILD_MARKER}");
        }
        Err(other) => panic!("expected StoreError::Locked, got {other:?}"),
        Ok(_) => panic!("opened a store another process holds"),
    }
}

#[test]
fn a_hit_and_its_outbox_entries_are_written_together_and_read_per_alert() {
    use newshound::store::{OutboxEntry, OutboxSelection, OutboxState};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let now = Utc::now();
    // Names that JSON escapes, to check the byte pre-filter of pending_for.
    let alerts = ["team \"chat\"", "zespół", "team"];
    let entries = |id: &str| -> Vec<OutboxEntry> {
        alerts
            .iter()
            .map(|a| OutboxEntry::new(format!("{id}-{a}"), a, id, now))
            .collect()
    };
    assert!(store.insert_hit(&hit("h1", 0), &entries("h1")).unwrap());
    assert!(store.insert_hit(&hit("h2", 1), &entries("h2")).unwrap());
    // A duplicate hit writes no second set of entries.
    assert!(!store.insert_hit(&hit("h1", 0), &entries("h1")).unwrap());
    assert_eq!(store.outbox().unwrap().len(), 6);
    for a in alerts {
        let mine = store.pending_for(a).unwrap();
        assert_eq!(mine.len(), 2, "{a}");
        assert!(mine.iter().all(|e| e.alert == a));
        assert!(mine[0].seq < mine[1].seq, "oldest first");
    }
    assert_eq!(
        store.hit("h1").unwrap().unwrap().alert_status,
        AlertStatus::Pending
    );

    // Dead entries are not pending; delivered ones are gone; the hit's
    // status follows.
    let mut team = store.pending_for("team").unwrap();
    team[0].state = OutboxState::Dead;
    store.update_outbox(&team[..1]).unwrap();
    assert_eq!(store.pending_for("team").unwrap().len(), 1);
    let h1_rest: Vec<u64> = store
        .outbox()
        .unwrap()
        .iter()
        .filter(|e| e.hit_id == "h1" && e.state == OutboxState::Pending)
        .map(|e| e.seq)
        .collect();
    store.remove_outbox(&h1_rest).unwrap();
    assert_eq!(
        store.get_hit("h1").unwrap().unwrap().alert_status,
        AlertStatus::Dead
    );
    assert_eq!(
        store
            .retry_outbox(&OutboxSelection::AllDead, Utc::now())
            .unwrap(),
        1
    );
    assert_eq!(
        store.get_hit("h1").unwrap().unwrap().alert_status,
        AlertStatus::Pending
    );
    let last: Vec<u64> = store
        .pending_for("team")
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    store.remove_outbox(&last).unwrap();
    assert_eq!(
        store.get_hit("h1").unwrap().unwrap().alert_status,
        AlertStatus::Sent
    );
    // A removed entry is not revived by a late update.
    store.update_outbox(&team[..1]).unwrap();
    assert!(store.outbox().unwrap().iter().all(|e| e.seq != team[0].seq));
}

#[test]
fn a_key_held_by_a_stored_hit_makes_a_new_hit_its_duplicate() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    let key = b"l\0example.com/story".to_vec();
    let first = hit("first00001", 1_000);
    assert_eq!(
        store
            .insert_new_hit(&first, &[], std::slice::from_ref(&key))
            .expect("insert"),
        Inserted::Stored
    );
    // Another id with the key: a duplicate, of which only the seen mark stays.
    let copy = hit("copy000001", 2_000);
    let other_key = b"c\0other".to_vec();
    assert_eq!(
        store
            .insert_new_hit(&copy, &[], &[other_key.clone(), key.clone()])
            .expect("insert copy"),
        Inserted::DuplicateOf("first00001".into())
    );
    assert!(store.is_seen("copy000001").expect("is_seen"));
    assert_eq!(store.get_hit("copy000001").expect("get"), None);
    assert_eq!(query_ids(&store, &HitQuery::default()), vec!["first00001"]);
    // The copy's other key was not claimed: a third item with only that key is new.
    assert_eq!(
        store
            .insert_new_hit(&hit("third00001", 3_000), &[], &[other_key])
            .expect("insert third"),
        Inserted::Stored
    );
    // The same id again is reported as such, before any key is looked at.
    assert_eq!(
        store.insert_new_hit(&first, &[], &[key]).expect("again"),
        Inserted::AlreadyStored
    );
}

#[test]
fn hits_stored_before_the_keys_existed_get_them_once() {
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    // Hits written the old way, without keys.
    store
        .insert_hit(&hit("old0000001", 1_000), &[])
        .expect("insert");
    store
        .insert_hit(&hit("old0000002", 2_000), &[])
        .expect("insert");
    let keys_of = |h: &Hit| vec![format!("l\0{}", h.url.as_deref().unwrap_or("")).into_bytes()];
    assert_eq!(store.index_duplicate_keys(keys_of).expect("index"), 2);
    assert_eq!(
        store.index_duplicate_keys(keys_of).expect("again"),
        0,
        "once per store"
    );

    let copy = hit("new0000001", 3_000);
    let key = b"l\0https://example.com/story/old0000002".to_vec();
    assert_eq!(
        store.insert_new_hit(&copy, &[], &[key]).expect("insert"),
        Inserted::DuplicateOf("old0000002".into())
    );
    drop(store);
    // The flag survives a reopen.
    let store = open(&dir);
    assert_eq!(store.index_duplicate_keys(keys_of).expect("reopened"), 0);
}

// ---- stories -------------------------------------------------------------

fn in_story(id: &str, story: &str, fetched_ms: i64) -> Hit {
    let mut h = hit(id, fetched_ms);
    h.fetched = at(fetched_ms);
    h.story = Some(story.to_string());
    h
}

fn story_of(store: &Store, id: &str) -> String {
    store
        .hit(id)
        .expect("read")
        .expect("stored")
        .story
        .expect("story")
}

#[test]
fn detaching_a_later_member_leaves_the_rest_of_its_story_alone() {
    use newshound::store::DetachOutcome;
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    for h in [
        in_story("aaaaaaaa01", "aaaaaaaa01", 1_000),
        in_story("bbbbbbbb02", "aaaaaaaa01", 2_000),
        in_story("cccccccc03", "aaaaaaaa01", 3_000),
    ] {
        assert!(store.insert_hit(&h, &[]).expect("insert"));
    }
    let now = at(9_000);
    let outcome = store.detach_hit("bbbbbbbb", now).expect("detach");
    assert_eq!(
        outcome,
        Some(DetachOutcome::Detached {
            hit: "bbbbbbbb02".into(),
            from: "aaaaaaaa01".into(),
            rest: None
        })
    );
    let detached = store.hit("bbbbbbbb02").expect("read").expect("stored");
    assert_eq!(detached.story.as_deref(), Some("bbbbbbbb02"));
    let mark = detached.detached.expect("the hit says it was detached");
    assert_eq!((mark.from.as_str(), mark.at), ("aaaaaaaa01", now));
    assert_eq!(story_of(&store, "aaaaaaaa01"), "aaaaaaaa01");
    assert_eq!(story_of(&store, "cccccccc03"), "aaaaaaaa01");
    // Alone now: a second detach has nothing to do, and says so.
    assert_eq!(
        store.detach_hit("bbbbbbbb02", now).expect("detach"),
        Some(DetachOutcome::Alone {
            hit: "bbbbbbbb02".into()
        })
    );
    assert_eq!(store.detach_hit("dddddddd", now).expect("detach"), None);
    // Still every hit, in its index, after the rewrite.
    assert_eq!(
        store.query_hits(&HitQuery::default()).expect("query").len(),
        3
    );
}

#[test]
fn detaching_a_first_hit_names_the_rest_after_the_earliest_of_them() {
    use newshound::store::{DetachOutcome, MovedStory};
    let dir = TempDir::new().expect("tempdir");
    let store = open(&dir);
    // Inserted out of arrival order: the earliest first-seen time decides.
    for h in [
        in_story("aaaaaaaa01", "aaaaaaaa01", 1_000),
        in_story("cccccccc03", "aaaaaaaa01", 3_000),
        in_story("bbbbbbbb02", "aaaaaaaa01", 2_000),
        in_story("dddddddd04", "dddddddd04", 2_500),
    ] {
        assert!(store.insert_hit(&h, &[]).expect("insert"));
    }
    let outcome = store.detach_hit("aaaaaaaa01", at(9_000)).expect("detach");
    assert_eq!(
        outcome,
        Some(DetachOutcome::Detached {
            hit: "aaaaaaaa01".into(),
            from: "aaaaaaaa01".into(),
            rest: Some(MovedStory {
                story: "bbbbbbbb02".into(),
                members: 2
            })
        })
    );
    assert_eq!(story_of(&store, "aaaaaaaa01"), "aaaaaaaa01");
    assert_eq!(story_of(&store, "bbbbbbbb02"), "bbbbbbbb02");
    assert_eq!(story_of(&store, "cccccccc03"), "bbbbbbbb02");
    assert_eq!(story_of(&store, "dddddddd04"), "dddddddd04");
    drop(store);
    // The change is on disk.
    let store = open(&dir);
    assert_eq!(story_of(&store, "cccccccc03"), "bbbbbbbb02");
}
