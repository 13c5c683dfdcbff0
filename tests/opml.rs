//! OPML import/export against the files shipped in the repository: the
//! curated `feeds.toml`, the demo OPML export and the demo feeds.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use newshound::config::opml::{OpmlError, OpmlFeed, append_to_feeds_toml, parse_opml, render_opml};

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn feed(name: &str, url: &str, language: Option<&str>) -> OpmlFeed {
    OpmlFeed {
        name: name.to_string(),
        url: url.to_string(),
        language: language.map(str::to_string),
    }
}

/// The `[[feed]]` tables of a feeds file, as (name, url, language, interval).
fn feed_tables(text: &str) -> Vec<toml::Table> {
    let table: toml::Table = toml::from_str(text).expect("valid TOML");
    table["feed"]
        .as_array()
        .expect("[[feed]] array")
        .iter()
        .map(|v| v.as_table().expect("table").clone())
        .collect()
}

#[test]
fn demo_opml_export_is_read_completely() {
    let feeds = parse_opml(&read("examples/subscriptions.opml")).unwrap();
    assert_eq!(
        feeds,
        vec![
            feed(
                "NCSC UK \u{2013} news & advisories",
                "https://www.ncsc.gov.uk/api/1/services/v1/all-rss-feed.xml",
                Some("en"),
            ),
            feed(
                "SANS Internet Storm Center",
                "https://isc.sans.edu/rssfeed_full.xml",
                None
            ),
            feed(
                "Microsoft Security Blog",
                "https://www.microsoft.com/en-us/security/blog/topic/threat-intelligence/feed/",
                None,
            ),
            feed("Sekurak", "https://sekurak.pl/feed", Some("pl")),
            feed(
                "Zaufana Trzecia Strona",
                "https://zaufanatrzeciastrona.pl/feed/",
                Some("pl")
            ),
            feed(
                "heise Security",
                "https://www.heise.de/security/rss/news-atom.xml",
                None
            ),
        ]
    );
}

#[test]
fn importing_the_demo_export_into_the_curated_list() {
    let existing = read("feeds.toml");
    let imported = parse_opml(&read("examples/subscriptions.opml")).unwrap();
    let (text, added, skipped) = append_to_feeds_toml(&existing, &imported).unwrap();

    assert!(text.starts_with(&existing), "existing text must be kept");
    let added_names: Vec<&str> = added.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        added_names,
        [
            "NCSC UK \u{2013} news & advisories",
            "SANS Internet Storm Center",
            "Microsoft Security Blog (2)",
        ]
    );
    let skipped_names: Vec<&str> = skipped.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        skipped_names,
        ["Sekurak", "Zaufana Trzecia Strona", "heise Security"]
    );

    let before = feed_tables(&existing);
    let after = feed_tables(&text);
    assert_eq!(after.len(), before.len() + 3);
    assert_eq!(after[..before.len()], before[..]);
    let last = &after[after.len() - 1];
    assert_eq!(last["name"].as_str(), Some("Microsoft Security Blog (2)"));
    assert_eq!(
        after[before.len()]["language"].as_str(),
        Some("en"),
        "en-GB becomes en"
    );

    // Importing the result again adds nothing.
    let (again, added, skipped) = append_to_feeds_toml(&text, &imported).unwrap();
    assert_eq!(again, text);
    assert!(added.is_empty());
    assert_eq!(skipped.len(), imported.len());
}

#[test]
fn curated_list_round_trips_through_opml() {
    let tables = feed_tables(&read("feeds.toml"));
    let feeds: Vec<OpmlFeed> = tables
        .iter()
        .map(|t| OpmlFeed {
            name: t["name"].as_str().unwrap().to_string(),
            url: t["url"].as_str().unwrap().to_string(),
            language: t
                .get("language")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        })
        .collect();
    let xml = render_opml(&feeds, "newshound feeds");
    assert_eq!(parse_opml(&xml).unwrap(), feeds);

    // Exported and imported into an empty file: the same list again.
    let (text, added, skipped) = append_to_feeds_toml("", &feeds).unwrap();
    assert_eq!(added, feeds);
    assert!(skipped.is_empty());
    assert_eq!(feed_tables(&text).len(), feeds.len());
}

#[test]
fn curated_list_is_well_formed() {
    const ENABLED: [&str; 12] = [
        "en", "pl", "de", "fr", "es", "it", "nl", "cs", "ru", "uk", "zh", "ja",
    ];
    let tables = feed_tables(&read("feeds.toml"));
    assert!(tables.len() >= 45, "only {} feeds", tables.len());

    let mut names = HashSet::new();
    let mut urls = HashSet::new();
    let mut per_language: BTreeMap<String, usize> = BTreeMap::new();
    for t in &tables {
        for key in t.keys() {
            assert!(
                ["name", "url", "language", "interval"].contains(&key.as_str()),
                "unknown key {key}"
            );
        }
        let name = t["name"].as_str().expect("name");
        let url = t["url"].as_str().expect("url");
        assert!(!name.trim().is_empty());
        assert!(names.insert(name.to_lowercase()), "duplicate name {name}");
        assert!(
            urls.insert(url.trim_end_matches('/').to_string()),
            "duplicate url {url}"
        );
        let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(parsed.scheme(), "https", "{url}");
        assert_eq!(url.trim(), url);

        let language = t["language"]
            .as_str()
            .expect("every curated feed has a language");
        assert!(ENABLED.contains(&language), "{name}: language {language}");
        *per_language.entry(language.to_string()).or_default() += 1;

        if let Some(interval) = t.get("interval") {
            let interval = interval.as_str().expect("interval is a string");
            let d = humantime::parse_duration(interval)
                .unwrap_or_else(|e| panic!("{name}: interval {interval}: {e}"));
            assert!(d.as_secs() >= 300, "{name}: interval below 5 minutes");
        }
    }
    for (language, minimum) in [("en", 18), ("pl", 8), ("de", 7), ("fr", 6)] {
        let n = per_language.get(language).copied().unwrap_or(0);
        assert!(n >= minimum, "{language}: {n} feeds, want {minimum}");
    }
    assert!(per_language.len() >= 6, "{per_language:?}");
}

#[test]
fn demo_feeds_are_local_and_parse() {
    let dir = repo_file("examples");
    let tables = feed_tables(&read("examples/feeds.toml"));
    let mut counts = Vec::new();
    for t in &tables {
        let url = t["url"].as_str().unwrap();
        let relative = url
            .strip_prefix("file:")
            .filter(|p| !p.starts_with('/'))
            .unwrap_or_else(|| panic!("{url}: expected a relative file: URL"));
        let path = dir.join(relative);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let parsed = feed_rs::parser::parse(bytes.as_slice())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in &parsed.entries {
            assert!(!entry.id.is_empty());
            assert!(!entry.links.is_empty());
            let published = entry.published.or(entry.updated).expect("a date");
            assert_eq!(chrono::Datelike::year(&published), 2026);
        }
        counts.push((relative.to_string(), parsed.entries.len()));
    }
    assert_eq!(
        counts,
        [
            ("feeds/en-security.xml".to_string(), 8),
            ("feeds/pl-wiadomosci.xml".to_string(), 6),
            ("feeds/pl-latin2.xml".to_string(), 3),
        ]
    );
}

#[test]
fn latin2_demo_feed_is_really_latin2() {
    let bytes = std::fs::read(repo_file("examples/feeds/pl-latin2.xml")).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "must not be valid UTF-8"
    );
    let (text, _, errors) = encoding_rs::ISO_8859_2.decode(&bytes);
    assert!(!errors);
    assert!(text.contains("encoding=\"ISO-8859-2\""));
    assert!(text.contains("Zażółć gęślą jaźń"));
    assert!(text.contains("szpiegostwa"));

    // The feed parser honours the declared encoding.
    let parsed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    let title = &parsed.entries[0].title.as_ref().unwrap().content;
    assert!(title.contains("werbował pracowników"), "{title}");
}

#[test]
fn malformed_opml_is_an_error_with_a_position() {
    let err = parse_opml(
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\">\n<body>\n<outline text=\"x\" xmlUrl=\"https://a.example/\">\n</body>\n</opml>\n",
    )
    .unwrap_err();
    assert!(matches!(err, OpmlError::Xml { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("line 5"), "{message}");

    assert!(matches!(
        parse_opml(&read("examples/feeds/en-security.xml")),
        Err(OpmlError::NotOpml(root)) if root == "rss"
    ));
}

#[test]
fn unreadable_feeds_file_is_an_error() {
    let new = [feed("A", "https://a.example/feed", None)];
    assert!(matches!(
        append_to_feeds_toml("[[feed]]\nname = \"unterminated\n", &new),
        Err(OpmlError::FeedsToml(_))
    ));
}
