//! `newshound run [--once]`: the service, or one poll of every feed.

use std::path::Path;

use clap::Args;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::{CmdResult, Failure, init_logging, load_config, store_failure};
use crate::daemon::notify::Notifier;
use crate::daemon::{Control, Service, StartError};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Poll every feed once, deliver the alerts, print a one-line summary, and exit
    #[arg(long)]
    pub once: bool,
    /// With --once: how long to keep retrying alerts that fail before
    /// leaving them in the outbox for the next run (e.g. 30s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_wait)]
    pub alert_wait: std::time::Duration,
    /// Log line format, overriding [log] format: text, or json (one object a line, for log shippers)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(text)
}

pub fn run(config_path: &Path, args: RunArgs) -> CmdResult {
    let config = load_config(config_path)?;
    let log = config.settings.log.clone();
    let json = match args.log_format {
        Some(f) => f == LogFormat::Json,
        None => log.format == "json",
    };
    init_logging(&log.level, json);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let start_failure = |e: StartError| match e {
        StartError::Store(e) => store_failure(
            e,
            " (the running service?); `run` needs the store to itself: stop the service first",
        ),
        other => Failure::runtime(other),
    };
    let service = Service::new(config).map_err(start_failure)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::runtime)?;
    if args.once {
        let (summary, alerts) = runtime.block_on(async {
            let summary = service.run_once().await;
            (summary, service.deliver_pending(args.alert_wait).await)
        });
        if alerts == Default::default() {
            super::output::out(&format!("{summary}\n"))?;
        } else {
            super::output::out(&format!("{summary}; {alerts}\n"))?;
        }
        return Ok(());
    }
    runtime.block_on(async {
        let control = signals().map_err(Failure::runtime)?;
        let notifier = Notifier::from_env();
        service
            .serve(control, notifier)
            .await
            .map_err(start_failure)
    })
}

/// Turns signals into [`Control`] messages. Every handler is registered
/// here, once, before the service starts: SIGTERM and SIGINT stop it (a
/// second one exits at once), SIGHUP reloads, SIGUSR1 and SIGUSR2 (whose
/// default would kill the process) are ignored; SIGPIPE is ignored by
/// Rust's runtime already.
fn signals() -> std::io::Result<mpsc::Receiver<Control>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let mut stopping = false;
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = hup.recv() => {
                    tracing::info!("SIGHUP received");
                    if tx.send(Control::Reload).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = usr1.recv() => { tracing::info!("SIGUSR1 ignored"); continue; }
                _ = usr2.recv() => { tracing::info!("SIGUSR2 ignored"); continue; }
            };
            if stopping {
                tracing::warn!("{name} received again: exiting at once");
                std::process::exit(1);
            }
            stopping = true;
            tracing::info!("{name} received; stopping (send it again to exit at once)");
            if tx.send(Control::Stop).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
