//! `newshound run [--once]`: the service, or one poll of every feed.

use std::path::Path;

use clap::Args;

use super::{CmdResult, Failure, init_logging, load_config, store_failure};
use crate::daemon::{Service, StartError};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Poll every feed once, print a one-line summary, and exit
    #[arg(long)]
    pub once: bool,
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
        let summary = runtime.block_on(service.run_once());
        super::output::out(&format!("{summary}\n"))?;
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
