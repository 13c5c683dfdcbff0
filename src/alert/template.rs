//! User templates (minijinja) for the text of an alert.
//!
//! A template sees one hit as [`HitSummary`] fields (`title`, `url`, `feed`,
//! `language`, `topic`, `topics`, `score`, `terms`, `snippet`, `published`,
//! `id`, `story`: the story's id, its first hit's) plus `alert`, the alert's name. Every value it prints is escaped for
//! the target's markup, so a template cannot let feed text through raw;
//! unknown variables are errors, found by `newshound check` against a sample
//! hit rather than at delivery time.

use minijinja::value::{Serde, Value};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::message::HitSummary;
use crate::model::{Hit, TermHit, TopicResult};

pub use super::markup::Escape;

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    hit: &'a HitSummary,
    alert: &'a str,
}

fn environment(escape: Escape) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(move |out, _state, value| {
        if value.is_safe() {
            out.write_str(value.as_str().unwrap_or_default())?;
        } else if value.is_none() {
            // `none` prints as nothing, like an empty optional field
        } else if let Some(s) = value.as_str() {
            out.write_str(&escape(s))?;
        } else {
            out.write_str(&escape(&value.to_string()))?;
        }
        Ok(())
    });
    env
}

/// Renders `source` for one hit, escaping printed values with `escape`.
pub fn render(
    source: &str,
    hit: &HitSummary,
    alert: &str,
    escape: Escape,
) -> Result<String, String> {
    let env = environment(escape);
    let ctx = Value::from(Serde(Context { hit, alert }));
    env.render_str(source, ctx)
        .map(|s| s.trim().to_string())
        .map_err(describe)
}

/// Compiles `source` and renders it against a sample hit: syntax errors and
/// unknown variables come back as a message for `newshound check`.
pub fn check(source: &str) -> Result<(), String> {
    render(source, &sample(), "sample", |s| s.to_string()).map(drop)
}

/// A summary with every field filled, for `check`.
pub fn sample() -> HitSummary {
    HitSummary::new(&sample_hit())
}

/// A stored hit with every field filled, for `check` and `alerts test`.
/// It says it is a test, so nobody mistakes it for a real story.
pub fn sample_hit() -> Hit {
    let now = chrono::Utc::now();
    Hit {
        id: "0000000000000000newshoundtest".into(),
        entry_id: "newshound-test".into(),
        feed: "newshound test".into(),
        feed_url: "https://example.com/newshound-test.xml".into(),
        title: "Test alert from newshound: engineer charged with passing chip designs abroad"
            .into(),
        url: Some("https://example.com/newshound-test".into()),
        published: now,
        fetched: now,
        language: "en".into(),
        language_confidence: 1.0,
        topics: vec![TopicResult {
            topic: "tech-espionage".into(),
            score: 7.5,
            threshold: 3.0,
            matched: true,
            terms: vec![TermHit {
                group: "act".into(),
                term: "charged".into(),
                found: "charged".into(),
                count: 1,
                in_title: true,
                snippet: "This is a test message from newshound; no real article matched.".into(),
                ..Default::default()
            }],
            reasons: vec![],
            ..Default::default()
        }],
        score: 7.5,
        summary: "This is a test message from newshound; no real article matched.".into(),
        authors: vec![],
        categories: vec![],
        alert_status: crate::model::AlertStatus::None,
        story: Some("0000000000000000newshoundtest".into()),
        detached: None,
    }
}

fn describe(e: minijinja::Error) -> String {
    let mut text = format!("template error: {}", e.kind());
    if let Some(detail) = e.detail() {
        text.push_str(": ");
        text.push_str(detail);
    }
    if let Some(line) = e.line() {
        text.push_str(&format!(" (template line {line})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_values_are_escaped_for_the_target() {
        let mut hit = sample();
        hit.title = "<b>@everyone</b>".into();
        let out = render(
            "{{ title }} in {{ feed }}",
            &hit,
            "a",
            super::super::markup::html,
        )
        .expect("renders");
        assert_eq!(
            out,
            "&lt;b&gt;@\u{200B}everyone&lt;/b&gt; in newshound test"
        );
    }

    #[test]
    fn lists_numbers_and_none_render() {
        let mut hit = sample();
        hit.url = None;
        let out = render(
            "{{ score }} {{ terms | join(', ') }} [{{ url }}] {{ alert }}",
            &hit,
            "team",
            |s| s.to_string(),
        )
        .expect("renders");
        assert_eq!(out, "7.5 charged [] team");
    }

    #[test]
    fn check_reports_syntax_errors_and_unknown_variables() {
        assert!(check("{{ title }} {% if url %}{{ url }}{% endif %}").is_ok());
        let e = check("{{ title").unwrap_err();
        assert!(e.contains("syntax"), "{e}");
        let e = check("{{ titel }}").unwrap_err();
        assert!(e.contains("undefined"), "{e}");
    }
}
