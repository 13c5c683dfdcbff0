//! `newshound run [--once]`: the service, or one poll of every feed.

use std::path::Path;

use clap::Args;

use super::{CmdResult, Failure, init_logging, load_config, store_failure};
use crate::daemon::{Service, StartError};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Poll every feed once, deliver the alerts, print a one-line summary, and exit
    #[arg(long)]
    pub once: bool,
    /// With --once: how long to keep retrying alerts that fail before
    /// leaving them in the outbox for the next run (e.g. 30s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_wait)]
    pub alert_wait: std::time::Duration,
}

fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(text)
}

pub fn run(config_path: &Path, args: RunArgs) -> CmdResult {
    let config = load_config(config_path)?;
    let log = config.settings.log.clone();
    init_logging(&log.level, log.format == "json");
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let store_path = config.settings.store.path.clone();
    let service = Service::new(config).map_err(|e| match e {
        StartError::Store(e) => store_failure(e, &store_path),
        other => Failure::runtime(other),
    })?;
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
    } else {
        runtime.block_on(service.run(shutdown_signal()));
    }
    Ok(())
}

/// Resolves on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop the service with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
}
