//! `newshound alerts list|retry|drop|test`: the outbox as an operator sees it.

use std::path::Path;

use chrono::{DateTime, Local, Utc};
use clap::{Subcommand, ValueEnum};

use super::output::{fit, out, print_json};
use super::source::Source;
use super::{CmdResult, Failure, load_config};
use crate::alert::template::sample_hit;
use crate::alert::{Event, HitSummary, Message, Outgoing, SendError, Sink};
use crate::store::{MIN_PREFIX_CHARS, OutboxSelection, OutboxState};

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List the alerts waiting for delivery and the dead ones, with attempts and last error
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Queue alerts again, attempts reset: by id, every dead one, or all of one alert
    Retry(Selection),
    /// Remove alerts from the outbox for good (they are never sent): by id, every dead one, or all of one alert
    Drop(Selection),
    /// Send a sample message through one alert now and show the service's answer
    Test {
        /// The alert's name, as in [[alert]] name
        name: String,
    },
}

/// Which outbox entries: exactly one of the three.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Selection {
    /// Delivery id or hit id (or a prefix of at least 6 characters)
    id: Option<String>,
    /// Every dead alert
    #[arg(long)]
    all_dead: bool,
    /// Every alert of the [[alert]] with this name (also one no longer configured)
    #[arg(long, value_name = "NAME")]
    alert: Option<String>,
}

impl Selection {
    fn resolve(self) -> Result<OutboxSelection, Failure> {
        match (self.id, self.all_dead, self.alert) {
            (Some(id), _, _) if id.chars().count() < MIN_PREFIX_CHARS => {
                Err(Failure::input(anyhow::anyhow!(
                    "id {id:?} is too short: give at least {MIN_PREFIX_CHARS} characters of a delivery or hit id (see `newshound alerts list`)"
                )))
            }
            (Some(id), _, _) => Ok(OutboxSelection::Id(id)),
            (None, true, _) => Ok(OutboxSelection::AllDead),
            (None, false, Some(name)) => Ok(OutboxSelection::Alert(name)),
            // clap's group makes one of them required.
            (None, false, None) => Err(Failure::input(anyhow::anyhow!(
                "give an id, --all-dead or --alert NAME"
            ))),
        }
    }
}

/// What a selection that matched nothing says.
fn nothing_selected(selection: &OutboxSelection, verb: &str) -> CmdResult {
    match selection {
        OutboxSelection::Id(id) => Err(Failure::input(anyhow::anyhow!(
            "no alert in the outbox has a delivery or hit id starting with {id:?} (see `newshound alerts list`)"
        ))),
        OutboxSelection::AllDead => out(&format!("No dead alerts to {verb}.\n")),
        OutboxSelection::Alert(name) => out(&format!("No alerts of {name:?} to {verb}.\n")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub fn alerts(config_path: &Path, cmd: AlertsCommand) -> CmdResult {
    match cmd {
        AlertsCommand::List { format } => list(config_path, format),
        AlertsCommand::Retry(selection) => retry(config_path, selection.resolve()?),
        AlertsCommand::Drop(selection) => drop_alerts(config_path, selection.resolve()?),
        AlertsCommand::Test { name } => test(config_path, &name),
    }
}

fn list(config_path: &Path, format: Format) -> CmdResult {
    let rows = Source::open(config_path)?.outbox()?;
    match format {
        Format::Json => print_json(&rows),
        Format::Table => {
            if rows.is_empty() {
                return out("No alerts are waiting and none is dead.\n");
            }
            let mut text = format!(
                "{} {} {} {} {} {} LAST ERROR\n",
                fit("STATE", 7),
                fit("ALERT", 14),
                fit("DELIVERY", 10),
                fit("TRIES", 5),
                fit("NEXT TRY", 14),
                fit("TITLE", 14),
            );
            for r in &rows {
                let e = &r.entry;
                let (state, next) = match e.state {
                    OutboxState::Pending => ("pending", when(e.next_attempt)),
                    OutboxState::Dead => ("dead", "-".to_string()),
                };
                let line = format!(
                    "{} {} {} {:>5} {} {} {}",
                    fit(state, 7),
                    fit(&e.alert, 14),
                    fit(&e.delivery_id, 10),
                    e.attempts,
                    fit(&next, 14),
                    fit(r.title.as_deref().unwrap_or("(hit gone)"), 14),
                    e.last_error.as_deref().unwrap_or("")
                );
                // Wide enough for a useful part of the error; `--format json` has all of it.
                text.push_str(fit(&line, 110).trim_end());
                text.push('\n');
            }
            out(&text)
        }
    }
}

fn retry(config_path: &Path, selection: OutboxSelection) -> CmdResult {
    let n = Source::open(config_path)?.retry(&selection)?;
    match n {
        0 => nothing_selected(&selection, "retry"),
        1 => out(
            "1 alert queued again; the running service (or the next `newshound run`) sends it.\n",
        ),
        n => out(&format!(
            "{n} alerts queued again; the running service (or the next `newshound run`) sends them.\n"
        )),
    }
}

fn drop_alerts(config_path: &Path, selection: OutboxSelection) -> CmdResult {
    let n = Source::open(config_path)?.drop_alerts(&selection)?;
    match n {
        0 => nothing_selected(&selection, "drop"),
        1 => out("1 alert dropped; it will not be sent.\n"),
        n => out(&format!("{n} alerts dropped; they will not be sent.\n")),
    }
}

fn test(config_path: &Path, name: &str) -> CmdResult {
    let config = load_config(config_path)?;
    let Some(spec) = config.settings.alerts.iter().find(|a| a.name == name) else {
        let names: Vec<&str> = config
            .settings
            .alerts
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        return Err(Failure::input(anyhow::anyhow!(
            "no [[alert]] named {name:?} in {}; configured: {}",
            config.settings.file.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let client = crate::alert::http_client().map_err(Failure::runtime)?;
    let sink = Sink::new(spec.clone(), client);
    let hit = sample_hit();
    let message = Outgoing {
        delivery_id: format!("test-{}", Utc::now().timestamp_millis()),
        event: Event::Test,
        message: Message::One(Box::new(HitSummary::new(&hit))),
        hits: vec![hit],
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::runtime)?;
    match runtime.block_on(sink.send(&message)) {
        Ok(accepted) => out(&format!(
            "alert {name:?} ({}): accepted: {}\n",
            spec.kind(),
            accepted.answer
        )),
        Err(e) => {
            let verdict = match e {
                SendError::Retry { .. } => "failed (would be retried)",
                SendError::Permanent { .. } => "refused (would not be retried)",
            };
            Err(Failure::runtime(anyhow::anyhow!(
                "alert {name:?} ({}): {verdict}: {}",
                spec.kind(),
                e.reason()
            )))
        }
    }
}

/// A time as `MM-DD HH:MM:SS` in local time.
fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%m-%d %H:%M:%S").to_string()
}
