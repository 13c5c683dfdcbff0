//! `newshound run [--once]`: the service, or one poll of every feed.

use std::path::Path;
use std::sync::Arc;

use clap::Args;

use super::{CmdResult, Failure, init_logging, load_config, open_store};
use crate::classify::Classifier;
use crate::daemon;
use crate::fetch::{Fetcher, HostLimits};
use crate::lang::LanguageDetector;
use crate::pipeline::PollContext;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Poll every feed once, print a one-line summary, and exit
    #[arg(long)]
    pub once: bool,
}

pub fn run(config_path: &Path, args: RunArgs) -> CmdResult {
    let config = load_config(config_path)?;
    let settings = config.settings;
    init_logging(&settings.log.level, settings.log.format == "json");
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let store = Arc::new(open_store(&settings.store)?);
    let detector = LanguageDetector::new(&settings.languages).map_err(Failure::input)?;
    let classifier = Arc::new(Classifier::new(detector, config.topics.matcher));
    let fetcher = Fetcher::new(&settings.poll).map_err(Failure::runtime)?;
    let ctx = PollContext {
        fetcher,
        limits: HostLimits::new(settings.poll.concurrency, settings.poll.per_host),
        store,
        classifier,
        poll: settings.poll.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::runtime)?;
    let retention = settings.store.seen_retention;
    if args.once {
        let summary = runtime.block_on(daemon::run_once(&ctx, &config.feeds, retention));
        println!("{summary}");
    } else {
        runtime.block_on(daemon::run(ctx, config.feeds, retention, shutdown_signal()));
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
