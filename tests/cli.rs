//! The real `newshound` binary, started as a process: `run --once`, the
//! query commands, `check` and `classify`, with their exit codes.

mod common;

use std::path::Path;
use std::process::Command;

use common::process::{newshound, newshound_async, stderr, stdout};
use common::{FeedServer, Route, TestConfig, read_fixture};

#[tokio::test(flavor = "multi_thread")]
async fn run_once_then_query_the_hits_through_the_binary() {
    let server = FeedServer::start().await;
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    let cfg = TestConfig::new(&[("Loopback Wire", server.url("/wire.xml"))], "");

    let run = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        stdout(&run).trim(),
        "feeds: 1 ok, 0 not modified, 0 failed; new items: 3; new hits: 2"
    );

    let list = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    let hits: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 2);
    for key in [
        "id",
        "entry_id",
        "feed",
        "title",
        "url",
        "published",
        "fetched",
        "language",
        "topics",
        "score",
        "summary",
    ] {
        assert!(hits[0].get(key).is_some(), "missing {key}: {}", hits[0]);
    }
    assert_eq!(hits[0]["feed"], "Loopback Wire");
    assert_eq!(hits[0]["entry_id"], "wire-1002");
    assert_eq!(hits[0]["language"], "en");
    assert_eq!(hits[0]["topics"][0]["topic"], "watch");
    assert!(hits[0]["topics"][0]["terms"][0]["term"].is_string());
    assert!(
        hits[0]["published"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-03T11:00:00")
    );

    let jsonl = newshound_async(
        &cfg.path(),
        &["hits", "list", "--format", "jsonl", "--limit", "1"],
    )
    .await;
    assert_eq!(stdout(&jsonl).lines().count(), 1);

    let table = newshound_async(&cfg.path(), &["hits", "list"]).await;
    let text = stdout(&table);
    assert_eq!(text.lines().count(), 3, "{text}");
    for line in text.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "too wide: {line:?}"
        );
    }

    let csv = newshound_async(
        &cfg.path(),
        &["hits", "list", "--format", "csv", "--search", "ENGINEERS"],
    )
    .await;
    let text = stdout(&csv);
    assert!(
        text.starts_with("id,published,fetched,language,score,topics,feed,title,url,entry_id\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");

    let none = newshound_async(
        &cfg.path(),
        &["hits", "list", "--lang", "pl", "--format", "json"],
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&none.stdout).unwrap(),
        serde_json::json!([])
    );
    let old = newshound_async(
        &cfg.path(),
        &["hits", "list", "--until", "2026-11-03", "--format", "jsonl"],
    )
    .await;
    assert_eq!(stdout(&old).lines().count(), 1, "{}", stdout(&old));

    let prefix = &hits[0]["id"].as_str().unwrap()[..8];
    let show = newshound_async(&cfg.path(), &["hits", "show", prefix]).await;
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.contains("topic watch: MATCH"), "{text}");
    assert!(text.contains("stole trade secrets"), "{text}");

    let missing = newshound_async(&cfg.path(), &["hits", "show", "ffffffffff"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no hit with id"),
        "{}",
        stderr(&missing)
    );

    let bad_since = newshound_async(&cfg.path(), &["hits", "list", "--since", "yesterday"]).await;
    assert_eq!(bad_since.status.code(), Some(1));
    assert!(
        stderr(&bad_since).contains("--since"),
        "{}",
        stderr(&bad_since)
    );

    // Queries read the main file only: a topics directory that is gone and
    // a feeds.toml broken since the poll do not stop them; a question about
    // feeds, answered from the store, names the broken file.
    let text = std::fs::read_to_string(cfg.path()).unwrap();
    let moved = text.replace("[topics]\ndir = ", "[topics]\ndir = \"gone\"\n# was ");
    assert_ne!(moved, text);
    std::fs::write(cfg.path(), moved).unwrap();
    std::fs::write(cfg.dir.path().join("feeds.toml"), "[[feed]]\nname = 1\n").unwrap();
    let list = newshound_async(&cfg.path(), &["hits", "list", "--format", "jsonl"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(stdout(&list).lines().count(), 2);
    let alerts = newshound_async(&cfg.path(), &["alerts", "list"]).await;
    assert!(alerts.status.success(), "{}", stderr(&alerts));
    let status = newshound_async(&cfg.path(), &["feeds", "status"]).await;
    assert_eq!(status.status.code(), Some(1));
    assert!(
        stderr(&status).contains("feeds.toml") && stderr(&status).contains("feed[0]"),
        "{}",
        stderr(&status)
    );
}

#[test]
fn run_once_exits_zero_when_every_feed_fails() {
    let cfg = TestConfig::new(
        &[("Nowhere", "http://127.0.0.1:9/feed.xml".to_string())],
        "",
    );
    let run = newshound(&cfg.path(), &["run", "--once"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("0 ok, 0 not modified, 1 failed"),
        "{}",
        stdout(&run)
    );
    assert!(
        stderr(&run).contains("Nowhere"),
        "the failure names the feed: {}",
        stderr(&run)
    );
}

#[test]
fn check_accepts_a_good_configuration() {
    let cfg = TestConfig::new(&[("A", "https://example.org/a.xml".to_string())], "");
    let out = newshound(&cfg.path(), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("feeds: 1 (1 enabled)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_reports_every_problem_with_file_line_column_and_field() {
    let cfg = TestConfig::new(&[], "");
    let main = cfg.path();
    std::fs::write(
        &main,
        "[store]\npath = \"store\"\ncolour = \"blue\"\n[feeds]\nfile = \"feeds.toml\"\n\
         [poll]\ninterval = \"soon\"\nconcurrency = \"many\"\n[languages]\nenabled = [\"en\", \"xx\"]\n",
    )
    .unwrap();
    std::fs::write(
        cfg.dir.path().join("feeds.toml"),
        "[[feed]]\nname = \"A\"\nurl = \"ftp://example.org/a\"\n\n[[feed]]\nname = \"B\"\nurl = \"https://example.org/b\"\ninterval = \"often\"\nlanguag = \"pl\"\n",
    )
    .unwrap();
    let out = newshound(&main, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let main_name = main.display().to_string();
    let feeds_name = cfg.dir.path().join("feeds.toml").display().to_string();
    for expected in [
        format!("{main_name}:3:1: store.colour: unknown field `colour`"),
        format!("{main_name}:7:12: poll.interval:"),
        format!("{main_name}:8:15: poll.concurrency:"),
        format!("{main_name}:10:18: languages.enabled[1]: \"xx\" is not a supported"),
        format!("{feeds_name}:3:7: feed[0].url: scheme \"ftp\" is not supported"),
        format!("{feeds_name}:8:12: feed[1].interval: \"often\" is not a duration"),
        format!("{feeds_name}:9:1: feed[1].languag: unknown field `languag`"),
        "8 problems in the configuration".to_string(),
    ] {
        assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    }
}

#[test]
fn check_reports_pack_problems_of_every_file_with_line_and_field() {
    let cfg = TestConfig::new(&[], "");
    let topics = cfg.dir.path().join("topics");
    std::fs::create_dir(&topics).unwrap();
    let pack = |terms: &str| {
        format!(
            "name = \"t\"\nthreshold = 1.0\n[[group]]\nname = \"g\"\n[group.terms]\nen = [{terms}]\n"
        )
    };
    std::fs::write(topics.join("a.toml"), pack("\"spy\", \"ab*\", \"Spy\"")).unwrap();
    let text = std::fs::read_to_string(cfg.path()).unwrap();
    let text = text.replacen("[topics]\ndir = ", "[topics]\ndir = \"topics\"\n# was ", 1);
    std::fs::write(cfg.path(), text).unwrap();

    // One pack: its problems come from compiling it, still with file, line and field.
    let a = topics.join("a.toml").display().to_string();
    let out = newshound(&cfg.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    for expected in [
        format!("{a}:6:14: group[0].terms.en[1]: \"ab*\": a wildcard needs at least 3 letters"),
        format!("{a}:6:21: group[0].terms.en[2]: duplicate term \"Spy\""),
    ] {
        assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    }

    // A second pack that does not parse: the first one's problems are still told.
    std::fs::write(topics.join("b.toml"), "name = \"u\"\nthreshold = \n").unwrap();
    let out = newshound(&cfg.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let b = topics.join("b.toml").display().to_string();
    for expected in [format!("{a}:6:14: group[0].terms.en[1]"), format!("{b}:2:")] {
        assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    }
}

#[test]
fn an_unset_environment_variable_is_named() {
    let cfg = TestConfig::new(&[], "");
    let text = std::fs::read_to_string(cfg.path()).unwrap();
    std::fs::write(
        cfg.path(),
        text.replace("path = \"store\"", "path = \"${NEWSHOUND_TEST_UNSET_VAR}\""),
    )
    .unwrap();
    let out = newshound(&cfg.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("store.path: environment variable NEWSHOUND_TEST_UNSET_VAR is not set"),
        "{}",
        stderr(&out)
    );
    let set = Command::new(env!("CARGO_BIN_EXE_newshound"))
        .args([
            "--config".as_ref(),
            cfg.path().as_os_str(),
            "check".as_ref(),
        ])
        .env("NEWSHOUND_TEST_UNSET_VAR", "elsewhere")
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("elsewhere"), "{}", stdout(&set));
}

#[test]
fn the_config_file_can_come_from_the_environment() {
    let cfg = TestConfig::new(&[("A", "https://example.org/a.xml".to_string())], "");
    let out = Command::new(env!("CARGO_BIN_EXE_newshound"))
        .arg("check")
        .env("NEWSHOUND_CONFIG", cfg.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_missing_config_file_is_an_input_error() {
    let out = newshound(Path::new("/nonexistent/newshound.toml"), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/newshound.toml: cannot read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn classify_explains_a_text_and_prints_the_design_json() {
    let cfg = TestConfig::new(&[], "");
    let out = newshound(
        &cfg.path(),
        &[
            "classify",
            "--title",
            "Służby specjalne badają szpiegostwo w fabryce chipów",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["language"], "pl");
    assert_eq!(v["matched"], true);
    let topic = &v["topics"][0];
    assert_eq!(topic["topic"], "watch");
    assert!(topic["score"].as_f64().unwrap() >= topic["threshold"].as_f64().unwrap());
    let found: Vec<&str> = topic["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["found"].as_str().unwrap())
        .collect();
    assert!(found.contains(&"szpiegostwo"), "{found:?}");

    let human = newshound(
        &cfg.path(),
        &["classify", "--title", "A quiet day at the harbour"],
    );
    assert!(
        stdout(&human).contains("matched:  no"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn classify_a_feed_file_prints_one_line_per_entry() {
    let cfg = TestConfig::new(&[], "");
    let feed = common::fixture("feeds/wire-en.xml");
    let out = newshound(
        &cfg.path(),
        &["classify", "--feed", feed.to_str().unwrap(), "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let matched: Vec<bool> = lines
        .iter()
        .map(|l| l["matched"].as_bool().unwrap())
        .collect();
    assert_eq!(matched, [true, true, false]);
}

/// `newshound classify --batch` with all three standard streams piped.
fn classify_batch(cfg: &TestConfig) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_newshound"))
        .args([
            "--config".as_ref(),
            cfg.path().as_os_str(),
            "classify".as_ref(),
            "--batch".as_ref(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn classify_batch_answers_every_line_in_order() {
    use std::io::Write;
    let cfg = TestConfig::new(&[], "");
    let mut child = classify_batch(&cfg);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"{\"id\": 1, \"title\": \"Spying on a chip lab\", \"text\": \"Investigators say that a foreign \
              government was spying on the laboratory for years and they describe the case as espionage.\"}\n\
              not json\n\
              {\"id\": \"x\", \"title\": \"Weather\", \"text\": \"Sunny and warm all week.\"}\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a broken line makes the exit code 1"
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["matched"], true);
    assert!(lines[1]["error"].as_str().unwrap().starts_with("line 2:"));
    assert_eq!(lines[2]["id"], "x");
    assert_eq!(lines[2]["matched"], false);
}

#[test]
fn opml_import_appends_keeping_comments_and_skips_duplicates_then_export_round_trips() {
    let cfg = TestConfig::new(&[], "");
    let feeds = cfg.dir.path().join("feeds.toml");
    let original = "# Our feeds, curated by hand.\n\n[[feed]]\nname = \"Sekurak\"\nurl = \"https://sekurak.pl/feed\"\nlanguage = \"pl\"\n";
    std::fs::write(&feeds, original).unwrap();
    let opml = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/subscriptions.opml");

    let import = newshound(
        &cfg.path(),
        &["feeds", "import-opml", opml.to_str().unwrap()],
    );
    assert!(import.status.success(), "{}", stderr(&import));
    let text = std::fs::read_to_string(&feeds).unwrap();
    assert!(
        text.starts_with(original),
        "the original text, comments included, stays as it was"
    );
    assert!(
        stdout(&import).contains("skipped Sekurak <https://sekurak.pl/feed>"),
        "{}",
        stdout(&import)
    );
    assert!(
        text.contains("url = \"https://isc.sans.edu/rssfeed_full.xml\""),
        "{text}"
    );
    assert_eq!(
        text.matches("heise.de/security").count(),
        1,
        "a duplicate inside the OPML is added once"
    );

    let again = newshound(
        &cfg.path(),
        &["feeds", "import-opml", opml.to_str().unwrap()],
    );
    assert!(stdout(&again).contains("0 added"), "{}", stdout(&again));
    assert_eq!(
        std::fs::read_to_string(&feeds).unwrap(),
        text,
        "a second import changes nothing"
    );

    let list = newshound(&cfg.path(), &["feeds", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();

    let export = newshound(&cfg.path(), &["feeds", "export-opml"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let back = newshound::config::opml::parse_opml(&stdout(&export)).unwrap();
    assert_eq!(back.len(), listed.len());
    assert_eq!(back[0].url, "https://sekurak.pl/feed");
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_status_shows_health_after_a_poll() {
    let server = FeedServer::start().await;
    server.serve(
        "/ok.xml",
        Route::feed(read_fixture("feeds/wire-en.xml"))
            .with_validators("\"e1\"", "Mon, 02 Nov 2026 10:00:00 GMT"),
    );
    server.serve(
        "/down.xml",
        Route::feed(Vec::new()).then(common::Scripted::status(503)),
    );
    let cfg = TestConfig::new(
        &[
            ("Up", server.url("/ok.xml")),
            ("Down", server.url("/down.xml")),
        ],
        "",
    );
    assert!(
        newshound_async(&cfg.path(), &["run", "--once"])
            .await
            .status
            .success()
    );

    let status = newshound_async(&cfg.path(), &["feeds", "status", "--format", "json"]).await;
    assert!(status.status.success(), "{}", stderr(&status));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&status.stdout).unwrap();
    let up = rows.iter().find(|r| r["name"] == "Up").unwrap();
    assert_eq!(up["error_count"], 0);
    assert_eq!(up["validators"], true);
    assert!(up["etag"].is_string(), "{up}");
    assert!(up["last_success"].is_string() && up["next_due"].is_string());
    let down = rows.iter().find(|r| r["name"] == "Down").unwrap();
    assert_eq!(down["error_count"], 1);
    assert!(
        down["last_error"].as_str().unwrap().contains("HTTP 503"),
        "{down}"
    );

    let table = newshound_async(&cfg.path(), &["feeds", "status"]).await;
    let text = stdout(&table);
    assert!(
        text.lines()
            .any(|l| l.starts_with("Down") && l.contains("HTTP 503")),
        "{text}"
    );
    for line in text.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "too wide: {line:?}"
        );
    }
}

/// While the service holds the store, a query whose configuration names
/// another API socket (so no service answers it) says so plainly (exit 2),
/// and SIGTERM stops the service cleanly (exit 0) so the store opens again.
#[tokio::test(flavor = "multi_thread")]
async fn a_query_while_the_service_runs_is_refused_plainly_and_sigterm_stops_it() {
    let server = FeedServer::start().await;
    server.serve("/wire.xml", Route::feed(read_fixture("feeds/wire-en.xml")));
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "interval = \"1s\"");
    let service = Command::new(env!("CARGO_BIN_EXE_newshound"))
        .args(["--config".as_ref(), cfg.path().as_os_str(), "run".as_ref()])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + common::WAIT;
    while server.requests("/wire.xml").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the service never polled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let elsewhere = cfg.dir.path().join("elsewhere.toml");
    let text = std::fs::read_to_string(cfg.path()).unwrap();
    std::fs::write(
        &elsewhere,
        text.replace("socket = \"api.sock\"", "socket = \"other.sock\""),
    )
    .unwrap();
    let query = newshound_async(&elsewhere, &["hits", "list"]).await;
    assert_eq!(query.status.code(), Some(2));
    let err = stderr(&query);
    assert!(
        err.contains("is in use by another process, and no newshound service answers on")
            && err.contains("other.sock"),
        "{err}"
    );

    let pid = service.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || service.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(String::from_utf8_lossy(&status.stderr).contains("stopped"));

    let after = newshound_async(&cfg.path(), &["hits", "list", "--format", "json"]).await;
    assert!(after.status.success(), "{}", stderr(&after));
    let hits: Vec<serde_json::Value> = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(hits.len(), 2);
}

#[test]
fn eval_reports_precision_recall_and_explains_each_error() {
    let cfg = TestConfig::new(&[], "");
    let file = common::fixture("eval-watch.jsonl");
    let out = newshound(&cfg.path(), &["eval", file.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let en = &report["by_language"]["en"];
    // w1 matches, w2 is a labelled positive the pack cannot see, w3 a spy
    // film the small test pack wrongly takes.
    assert_eq!(
        (
            en["true_positives"].as_u64(),
            en["false_negatives"].as_u64(),
            en["false_positives"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(report["by_language"]["pl"]["true_positives"], 1);
    assert_eq!(report["overall"]["language_correct"], 5);
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["w2", "w3"]);

    // By default the errors come grouped by reason, one line per pattern.
    let text = newshound(&cfg.path(), &["eval", file.to_str().unwrap()]);
    let text = stdout(&text);
    assert!(
        text.contains("false negatives by reason:\n   1  required group \"act\" did not fire: w2"),
        "{text}"
    );
    assert!(
        text.contains("false positives by reason:\n   1  matched on watch: act: w3"),
        "{text}"
    );
    assert!(!text.contains("false negative w2"), "{text}");
    let text = newshound(&cfg.path(), &["eval", file.to_str().unwrap(), "--details"]);
    let text = stdout(&text);
    assert!(text.contains("false negative w2"), "{text}");
    assert!(text.contains("false positive w3"), "{text}");
    assert!(
        text.contains("required group \"act\" did not fire"),
        "{text}"
    );

    let strict = newshound(
        &cfg.path(),
        &["eval", file.to_str().unwrap(), "--min-recall", "0.9"],
    );
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains("en: precision 0.500, recall 0.500"),
        "{}",
        stderr(&strict)
    );
}

/// `newshound classify --batch < big | head -1`: the closed pipe ends the
/// command quietly with exit 0, not with an error or a panic.
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    use std::io::{BufRead, Write};
    let cfg = TestConfig::new(&[], "");
    let mut child = classify_batch(&cfg);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if stdin
                .write_all(b"{\"id\": 1, \"title\": \"Weather\", \"text\": \"Sunny all week.\"}\n")
                .is_err()
            {
                break;
            }
        }
    });
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("{\"id\":1"), "{first}");
    // The reader is dropped here: the pipe is closed with output still to come.
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_reset_without_the_service_clears_a_gone_feed() {
    let server = FeedServer::start().await;
    server.serve(
        "/wire.xml",
        Route::feed(read_fixture("feeds/wire-en.xml")).then(common::Scripted::status(410)),
    );
    let cfg = TestConfig::new(&[("Wire", server.url("/wire.xml"))], "");
    let first = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(
        stdout(&first).contains("0 failed, 1 gone"),
        "{}",
        stdout(&first)
    );
    let skipped = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(
        stdout(&skipped).starts_with("feeds: 0 ok"),
        "{}",
        stdout(&skipped)
    );
    assert_eq!(server.requests("/wire.xml").len(), 1);

    let reset = newshound_async(&cfg.path(), &["feeds", "reset", "Wire"]).await;
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(
        stdout(&reset).contains("polled again from the next `newshound run`"),
        "{}",
        stdout(&reset)
    );
    let again = newshound_async(&cfg.path(), &["run", "--once"]).await;
    assert!(
        stdout(&again).starts_with("feeds: 1 ok") && stdout(&again).contains("new hits: 2"),
        "{}",
        stdout(&again)
    );
}
