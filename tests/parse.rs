//! `parse_feed` over small hand-written documents in `tests/fixtures/parse/`,
//! one per format or failure the parser must handle.

use chrono::{DateTime, TimeZone, Utc};
use newshound::Item;
use newshound::parse::{FeedSource, ParseError, parse_feed, stable_id};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/parse/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fetched() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn source(url: &str) -> FeedSource<'_> {
    FeedSource {
        name: "Fixture",
        url,
        content_type: None,
        language: None,
        fetched: fetched(),
    }
}

fn parse(name: &str, url: &str) -> Vec<Item> {
    parse_feed(&fixture(name), &source(url)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse_err(name: &str) -> ParseError {
    match parse_feed(&fixture(name), &source("https://errors.example.com/feed")) {
        Ok(items) => panic!("{name}: expected an error, got {} items", items.len()),
        Err(e) => e,
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test date")
        .with_timezone(&Utc)
}

#[test]
fn rss2_with_cdata_html_and_content_encoded() {
    let items = parse("rss2_cdata.xml", "https://security.example.com/feed.xml");
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(
        first.title,
        "Chipmaker accused of passing designs to a foreign intelligence service"
    );
    assert_eq!(
        first.summary,
        "Prosecutors say an engineer copied lithography files and handed them to a foreign intelligence service."
    );
    assert_eq!(
        first.content,
        "Prosecutors say an engineer copied lithography files. The company denies any wrongdoing & says it is cooperating. Files: 1,200 Period: two years"
    );
    assert_eq!(
        first.url.as_deref(),
        Some("https://security.example.com/2024/05/chipmaker-designs")
    );
    assert_eq!(first.entry_id, "sec-desk-1001");
    assert_eq!(
        first.id,
        stable_id("https://security.example.com/feed.xml", "sec-desk-1001")
    );
    assert_eq!(first.published, utc("2024-05-07T07:30:00Z"));
    assert_eq!(first.fetched, fetched());
    assert_eq!(first.authors, ["Ada Reporter"]);
    assert_eq!(first.categories, ["Espionage", "Semiconductors"]);
    assert_eq!(first.declared_language.as_deref(), Some("en"));
    assert_eq!(first.feed, "Fixture");
    assert_eq!(first.feed_url, "https://security.example.com/feed.xml");

    let second = &items[1];
    assert_eq!(
        second.url.as_deref(),
        Some("https://security.example.com/item.html?id=2&ref=rss")
    );
    assert_eq!(
        second.summary,
        "Researchers found a hard-coded login in the vendor’s update – it survives factory resets."
    );
    // no content:encoded: the content is the summary, in full
    assert_eq!(second.content, second.summary);
}

#[test]
fn atom_with_html_and_xhtml_content() {
    let items = parse("atom_html_xhtml.xml", "https://tech.example.de/feed.atom");
    assert_eq!(items.len(), 2);
    let first = &items[0];
    // double-escaped markup in an html title is text the author meant to show
    assert_eq!(
        first.title,
        "Cloud provider <b>shared</b> logs with the military"
    );
    assert_eq!(
        first.summary,
        "Internal emails show access was granted without a warrant."
    );
    assert_eq!(
        first.content,
        "Internal emails show access was granted without a warrant. The provider says the requests were lawful."
    );
    // relative to the feed's xml:base, not to the feed URL; the enclosure is not the article
    assert_eq!(
        first.url.as_deref(),
        Some("https://tech.example.de/blog/posts/7")
    );
    assert_eq!(first.published, utc("2024-05-09T05:15:00Z"));
    assert_eq!(first.authors, ["Berta Beispiel"]);
    assert_eq!(first.categories, ["Surveillance"]);
    assert_eq!(first.declared_language.as_deref(), Some("de"));

    let second = &items[1];
    assert_eq!(
        second.url.as_deref(),
        Some("https://mirror.example.de/archiv/8.html")
    );
    assert_eq!(second.summary, "Only content, no summary.");
    assert_eq!(second.content, "Only content, no summary.");
    // no published date: the updated one
    assert_eq!(second.published, utc("2024-05-08T12:00:00Z"));
}

#[test]
fn json_feed_with_a_numeric_id() {
    let items = parse("feed.json", "https://json.example.org/feed.json");
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(first.entry_id, "9001");
    assert_eq!(
        first.title,
        "Telecom supplier suspected of installing a surveillance module"
    );
    assert_eq!(
        first.summary,
        "Auditors found an unlisted module that mirrored traffic."
    );
    assert_eq!(first.categories, ["backdoor", "telecom"]);
    assert_eq!(first.authors, ["Chloé Exemple"]);
    assert_eq!(first.declared_language.as_deref(), Some("fr"));

    let second = &items[1];
    assert_eq!(
        second.url.as_deref(),
        Some("https://json.example.org/a/second")
    );
    assert_eq!(second.published, utc("2024-05-12T06:00:00Z"));
    // no title: the start of the text, cut at a word
    assert!(second.title.ends_with('…'), "{}", second.title);
    assert!(second.title.chars().count() <= 81, "{}", second.title);
    assert!(
        second
            .title
            .starts_with("A plain text item without a title."),
        "{}",
        second.title
    );
}

#[test]
fn rss_without_version_and_rss_0_94_are_read_as_rss_2() {
    let items = parse("rss_no_version.xml", "http://old.example.net/rss");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "A feed without a version attribute");

    let items = parse("rss_094.xml", "http://old.example.net/rss094");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].url.as_deref(), Some("http://old.example.net/094"));
}

#[test]
fn atom_0_3_entries_and_their_typed_titles_are_not_lost() {
    let items = parse("atom03.xml", "http://old.example.net/atom03");
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Entries of the old namespace are not lost",
            "Nor are their typed titles"
        ]
    );
    assert_eq!(
        items[0].url.as_deref(),
        Some("http://old.example.net/atom03/1")
    );
    assert_eq!(items[1].content, "Escaped HTML content.");
}

#[test]
fn empty_media_descriptions_do_not_lose_the_feed() {
    let items = parse(
        "video_empty_descriptions.xml",
        "https://video.example.com/feed",
    );
    assert_eq!(items.len(), 3);
    // the only text of a video entry is its media description
    assert_eq!(
        items[0].summary,
        "An analyst explains how implants reach hardware before delivery."
    );
    assert_eq!(items[1].summary, "");
    assert_eq!(
        items[2].url.as_deref(),
        Some("https://video.example.com/watch?v=3")
    );
}

#[test]
fn iso_8859_2_polish_feed_decodes_exactly() {
    let items = parse("polish_iso8859_2.xml", "https://wiadomosci.example.pl/rss");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].title,
        "Żądane dane trafiły do obcej służby? Śledztwo w spółce z Łodzi"
    );
    assert!(
        items[0]
            .summary
            .contains("pięciu pracowników przekazało źródłowe pliki")
    );
    assert!(
        items[0]
            .summary
            .ends_with("Ćwiczenia bezpieczeństwa zaplanowano na jesień.")
    );
    assert_eq!(items[0].declared_language.as_deref(), Some("pl"));
}

#[test]
fn windows_1250_polish_feed_decodes_exactly() {
    let expected = "Ślady włamania: źródłem ataku była sieć powiązana z wywiadem, mówią śledczy";
    let items = parse("polish_windows_1250.xml", "https://gazeta.example.pl/rss");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, expected);
    assert!(
        items[0].summary.contains("audytorzy – zaznacza"),
        "{}",
        items[0].summary
    );
    // the configured language applies when the feed declares none
    let mut src = source("https://gazeta.example.pl/rss");
    src.language = Some("pl");
    src.content_type = Some("application/rss+xml; charset=windows-1250");
    let items = parse_feed(&fixture("polish_windows_1250.xml"), &src).expect("parses");
    assert_eq!(items[0].title, expected);
    assert_eq!(items[0].declared_language.as_deref(), Some("pl"));
}

#[test]
fn http_charset_overrides_a_wrong_declaration() {
    // the server knows better than a template that always says UTF-8
    let bytes = fixture("polish_windows_1250.xml");
    let body = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&bytes[..], |p| &bytes[p..]);
    let mut relabelled = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_vec();
    relabelled.extend_from_slice(body);
    let mut src = source("https://gazeta.example.pl/rss");
    src.content_type = Some("text/xml; charset=windows-1250");
    let items = parse_feed(&relabelled, &src).expect("parses");
    assert!(
        items[0].title.starts_with("Ślady włamania"),
        "{}",
        items[0].title
    );
}

#[test]
fn malformed_xml_is_a_clear_error_with_its_line() {
    let err = parse_err("malformed.xml");
    assert!(
        matches!(err, ParseError::MalformedXml { line: Some(6), .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "malformed XML at line 6: ill-formed document: expected `</title>`, but `</titel>` was found"
    );
}

#[test]
fn bare_ampersands_are_read_as_text() {
    let items = parse("bare_ampersand.xml", "https://qa.example.com/rss");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].title,
        "Tools & techniques of an export-control case"
    );
    assert_eq!(
        items[0].url.as_deref(),
        Some("https://qa.example.com/story?id=5&lang=en")
    );
    assert_eq!(items[0].summary, "CDATA may hold a bare & legally");
}

#[test]
fn an_html_page_is_not_a_feed() {
    let err = parse_err("error_page.html");
    assert!(matches!(err, ParseError::NotAFeed(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "not a feed: the document's root element is <html>: a web page, not a feed"
    );
}

#[test]
fn empty_and_non_feed_documents_are_errors() {
    let src = source("https://errors.example.com/feed");
    let message = |bytes: &[u8]| {
        parse_feed(bytes, &src)
            .map(|v| v.len())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        message(b""),
        Err("not a feed: the document is empty".to_owned())
    );
    assert_eq!(
        message(b"<?xml version=\"1.0\"?><opml version=\"2.0\"><body/></opml>"),
        Err(
            "not a feed: the document's root element is <opml>, not <rss>, <feed> or <rdf:RDF>"
                .to_owned()
        )
    );
    assert_eq!(
        message(b"<rss version=\"2.0\"><channel><title>t</title>"),
        Err("malformed XML at line 1: the document ends inside <channel> (truncated?)".to_owned())
    );
    assert_eq!(message(b"<rss version=\"2.0\"><channel/></rss>"), Ok(0));
}

#[test]
fn entries_without_guid_get_stable_distinct_ids() {
    let url = "https://noguid.example.com/rss";
    let items = parse("no_guid.xml", url);
    let entry_ids: Vec<&str> = items.iter().map(|i| i.entry_id.as_str()).collect();
    assert_eq!(
        entry_ids,
        [
            "https://noguid.example.com/stories/linked",
            "Weekly espionage roundup 2024-05-06T08:00:00Z",
            "Weekly espionage roundup 2024-05-13T08:00:00Z",
            "Neither a title nor a link nor a date: only this text.",
        ]
    );
    let mut ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), items.len(), "ids must be distinct");

    // stable: another poll at another time gives the same ids
    let mut later = source(url);
    later.fetched = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let again = parse_feed(&fixture("no_guid.xml"), &later).expect("parses");
    assert_eq!(
        items.iter().map(|i| &i.id).collect::<Vec<_>>(),
        again.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    // and the same entry id in another feed is another item
    let other = parse("no_guid.xml", "https://mirror.example.com/rss");
    assert_ne!(items[1].id, other[1].id);
}
