//! `newshound hits list|show`: query stored hits.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};

use super::output::{fit, parse_time_arg, print_json};
use super::source::Source;
use super::{CmdResult, Failure};
use crate::model::Hit;
use crate::store::{DetachOutcome, HitQuery};

#[derive(Debug, Subcommand)]
pub enum HitsCommand {
    /// List hits, newest first
    List(ListArgs),
    /// Show one hit with the explanation of its match
    Show(ShowArgs),
    /// Take a wrongly grouped hit out of its story: it becomes a story of
    /// its own, and later hits join it or the old story by their own links
    Detach(ShowArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Published at or after: a duration back from now (24h, 7d), an RFC 3339 time or a date
    #[arg(long)]
    since: Option<String>,
    /// Published before (same forms as --since)
    #[arg(long)]
    until: Option<String>,
    /// Language code (en, pl, ...)
    #[arg(long)]
    lang: Option<String>,
    /// Topic name
    #[arg(long)]
    topic: Option<String>,
    /// Feed name (case-insensitive)
    #[arg(long)]
    feed: Option<String>,
    /// Case-insensitive text in the title, summary or URL
    #[arg(long)]
    search: Option<String>,
    /// The members of this story (its id: the id of its first hit)
    #[arg(long, value_name = "ID")]
    story: Option<String>,
    /// One line per story instead of per hit: first seen, hits, outlets,
    /// languages, title (--limit counts stories)
    #[arg(long)]
    stories: bool,
    /// At most this many hits
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The hit's id, or a unique prefix of at least 6 characters
    id: String,
    #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
    format: ShowFormat,
}

pub fn hits(config_path: &Path, cmd: HitsCommand) -> CmdResult {
    let source = Source::open(config_path)?;
    match cmd {
        HitsCommand::List(args) => {
            let now = Utc::now();
            let time = |v: &Option<String>, flag: &str| {
                v.as_deref()
                    .map(|t| parse_time_arg(t, now))
                    .transpose()
                    .map_err(|e| Failure::input(anyhow::anyhow!("{flag}: {e}")))
            };
            let query = HitQuery {
                since: time(&args.since, "--since")?,
                until: time(&args.until, "--until")?,
                language: args.lang.map(|l| l.to_ascii_lowercase()),
                topic: args.topic,
                feed: args.feed,
                search: args.search,
                story: args.story,
                limit: Some(args.limit),
            };
            if args.stories {
                return print_stories(&source.stories(&query)?, args.format);
            }
            print_list(&source.hits(&query)?, args.format)
        }
        HitsCommand::Detach(args) => {
            let outcome = source
                .detach_hit(&args.id)?
                .ok_or_else(|| no_hit(&args.id))?;
            match args.format {
                ShowFormat::Json => print_json(&outcome),
                ShowFormat::Table => super::output::out(&render_detach(&outcome)),
            }
        }
        HitsCommand::Show(args) => {
            let hit = source.hit(&args.id)?.ok_or_else(|| no_hit(&args.id))?;
            match args.format {
                ShowFormat::Json => print_json(&hit),
                ShowFormat::Table => {
                    let story = hit.story.clone().unwrap_or_else(|| hit.id.clone());
                    let members = source.hits(&HitQuery {
                        story: Some(story),
                        ..HitQuery::default()
                    })?;
                    let mut text = render_hit(&hit);
                    text.push_str(&render_story_members(&hit, &members));
                    super::output::out(&text)
                }
            }
        }
    }
}

/// The answer to an id (or prefix) that names no stored hit.
fn no_hit(id: &str) -> Failure {
    Failure::input(anyhow::anyhow!(
        "no hit with id {id:?}; `newshound hits list` shows the ids"
    ))
}

fn render_detach(outcome: &DetachOutcome) -> String {
    match outcome {
        DetachOutcome::Alone { hit } => {
            format!("hit {hit} is the only hit of its story: there is nothing to take it out of\n")
        }
        DetachOutcome::Detached { hit, from, rest } => {
            let mut text = format!("hit {hit} left story {from} and is a story of its own\n");
            if let Some(rest) = rest {
                text.push_str(&format!(
                    "it was the story's first hit: the {} other hit(s) are now story {}\n",
                    rest.members, rest.story
                ));
            }
            text.push_str("no alert is sent for it; `newshound hits show` shows its story\n");
            text
        }
    }
}

fn print_list(hits: &[Hit], format: ListFormat) -> CmdResult {
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Failure::runtime(e);
    match format {
        ListFormat::Json => print_json(&hits)?,
        ListFormat::Jsonl => print_jsonl(&mut out, hits)?,
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "published",
                "fetched",
                "language",
                "score",
                "topics",
                "feed",
                "title",
                "url",
                "entry_id",
            ])
            .map_err(Failure::runtime)?;
            for h in hits {
                let topics: Vec<&str> = h.topic_names().collect();
                w.write_record([
                    h.id.as_str(),
                    &h.published.to_rfc3339(),
                    &h.fetched.to_rfc3339(),
                    &h.language,
                    &format!("{:.1}", h.score),
                    &topics.join(";"),
                    &h.feed,
                    &h.title,
                    h.url.as_deref().unwrap_or(""),
                    &h.entry_id,
                ])
                .map_err(Failure::runtime)?;
            }
            w.flush().map_err(io)?;
        }
        ListFormat::Table => {
            if hits.is_empty() {
                writeln!(out, "no hits").map_err(io)?;
                return Ok(());
            }
            // 8+1+10+1+2+1+5+1+12+1 = 42 columns before the title; 80 in all.
            writeln!(
                out,
                "{} {} {} {} {} TITLE",
                fit("ID", 8),
                fit("PUBLISHED", 10),
                fit("LG", 2),
                fit("SCORE", 5),
                fit("FEED", 12)
            )
            .map_err(io)?;
            for h in hits {
                let line = format!(
                    "{} {} {} {:>5.1} {} {}",
                    // Eight hex digits: a prefix `hits show` accepts.
                    fit(h.id.get(..8).unwrap_or(&h.id), 8),
                    h.published.format("%Y-%m-%d"),
                    fit(&h.language, 2),
                    h.score,
                    fit(&h.feed, 12),
                    fit(&h.title, 38)
                );
                writeln!(out, "{}", line.trim_end()).map_err(io)?;
            }
        }
    }
    Ok(())
}

/// One JSON object per line.
fn print_jsonl<T: serde::Serialize>(out: &mut impl Write, rows: &[T]) -> CmdResult {
    for row in rows {
        let line = serde_json::to_string(row).map_err(Failure::runtime)?;
        writeln!(out, "{line}").map_err(Failure::runtime)?;
    }
    Ok(())
}

fn print_stories(rows: &[crate::views::StoryRow], format: ListFormat) -> CmdResult {
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Failure::runtime(e);
    match format {
        ListFormat::Json => print_json(&rows)?,
        ListFormat::Jsonl => print_jsonl(&mut out, rows)?,
        ListFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "story",
                "first_seen",
                "last_seen",
                "hits",
                "feeds",
                "languages",
                "title",
            ])
            .map_err(Failure::runtime)?;
            for r in rows {
                w.write_record([
                    r.story.as_str(),
                    &r.first_seen.to_rfc3339(),
                    &r.last_seen.to_rfc3339(),
                    &r.hits.to_string(),
                    &r.feeds.join(";"),
                    &r.languages.join(";"),
                    &r.title,
                ])
                .map_err(Failure::runtime)?;
            }
            w.flush().map_err(io)?;
        }
        ListFormat::Table => {
            if rows.is_empty() {
                writeln!(out, "no hits").map_err(io)?;
                return Ok(());
            }
            // 8+1+16+1+4+1+4+1+8+1 = 45 columns before the title; 80 in all.
            writeln!(
                out,
                "{} {} {} {} {} TITLE",
                fit("STORY", 8),
                fit("FIRST SEEN", 16),
                fit("HITS", 4),
                fit("SRCS", 4),
                fit("LANGS", 8)
            )
            .map_err(io)?;
            for r in rows {
                let line = format!(
                    "{} {} {:>4} {:>4} {} {}",
                    fit(r.story.get(..8).unwrap_or(&r.story), 8),
                    r.first_seen.format("%Y-%m-%d %H:%M"),
                    r.hits,
                    r.feeds.len(),
                    fit(&r.languages.join(","), 8),
                    fit(&r.title, 35)
                );
                writeln!(out, "{}", line.trim_end()).map_err(io)?;
            }
        }
    }
    Ok(())
}

/// The other members of a hit's story, under `hits show`.
fn render_story_members(hit: &Hit, members: &[Hit]) -> String {
    let story = hit.story.as_deref().unwrap_or(&hit.id);
    let others: Vec<&Hit> = members.iter().filter(|m| m.id != hit.id).collect();
    let mut s = format!("\nstory:      {story}");
    if others.is_empty() {
        s.push_str(" (no other hit)\n");
    } else {
        s.push_str(&format!(" ({} other hits)\n", others.len()));
    }
    if let Some(d) = &hit.detached {
        s.push_str(&format!(
            "detached:   from story {} on {} (hits detach)\n",
            d.from,
            d.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    for m in others {
        s.push_str(&format!(
            "  {} {} {} {}\n",
            m.id.get(..8).unwrap_or(&m.id),
            fit(&m.language, 2),
            fit(&m.feed, 12),
            fit(&m.title, 52)
        ));
    }
    s
}

/// A hit as `hits show` prints it: the item, then why it matched.
pub fn render_hit(h: &Hit) -> String {
    let mut s = String::new();
    s.push_str(&format!("{}\n", h.title));
    if let Some(url) = &h.url {
        s.push_str(&format!("{url}\n"));
    }
    s.push_str(&format!("\nid:         {}\n", h.id));
    s.push_str(&format!("entry id:   {}\n", h.entry_id));
    s.push_str(&format!("feed:       {}\n", h.feed));
    s.push_str(&format!("published:  {}\n", h.published.to_rfc3339()));
    s.push_str(&format!("fetched:    {}\n", h.fetched.to_rfc3339()));
    s.push_str(&format!(
        "language:   {} (confidence {:.2})\n",
        h.language, h.language_confidence
    ));
    s.push_str(&format!("alerts:     {}\n", h.alert_status));
    s.push_str(&super::classify::explain(&h.topics));
    if !h.summary.is_empty() {
        s.push_str(&format!("\n{}\n", h.summary));
    }
    s
}
