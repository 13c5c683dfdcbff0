//! SIGHUP: read the configuration again and apply what can change while the
//! service runs: the feeds, the topic packs, the enabled languages and the
//! alerts. A configuration that fails validation is refused whole; the
//! service goes on with the old one and says why (log and `STATUS=`).
//! `[store]`, `[poll]`, `[api]`, `[log]` and `[stories]` need a restart; a change there is
//! reported, not applied.

use std::sync::Arc;

use super::due::Unscheduled;
use super::{AlertTask, Runner, write};
use crate::alert::{Dispatcher, Router};
use crate::classify::Classifier;
use crate::config::{Config, FeedConfig, Settings};
use crate::lang::LanguageDetector;

impl Runner {
    pub(super) async fn reload(&mut self) {
        self.notifier.notify(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}",
            super::notify::monotonic_usec()
        ));
        let path = self.settings.file.clone();
        tracing::info!(config = %path.display(), "reloading the configuration");
        let loaded = tokio::task::spawn_blocking(move || Config::load(&path)).await;
        let config = match loaded {
            Ok(Ok(config)) => config,
            Ok(Err(diags)) => {
                tracing::error!(
                    "reload refused, still running with the previous configuration: {} in {}:\n{diags}",
                    diags.counted(),
                    self.settings.file.display()
                );
                self.refused(&format!(
                    "reload refused ({} in the configuration; see the log)",
                    diags.counted()
                ))
                .await;
                return;
            }
            Err(e) => {
                tracing::error!("reload failed: {e}");
                self.refused("reload failed (see the log)").await;
                return;
            }
        };
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        match self.apply(config).await {
            Ok(summary) => {
                self.metrics.record_reload(true);
                tracing::info!("configuration reloaded: {summary}");
                self.update_status(None).await;
            }
            Err(e) => {
                tracing::error!(
                    "reload refused, still running with the previous configuration: {e}"
                );
                self.refused("reload refused (see the log)").await;
                return;
            }
        }
        self.notifier.notify("READY=1");
    }

    async fn refused(&mut self, note: &str) {
        self.metrics.record_reload(false);
        self.update_status(Some(note)).await;
        self.notifier.notify("READY=1");
    }

    /// Swaps in the new classifier, alerts and feeds. Everything that can
    /// fail (building the language detector and the alert client) happens
    /// before anything is replaced.
    async fn apply(&mut self, config: Config) -> Result<String, String> {
        let Config {
            settings,
            feeds,
            topics,
            ..
        } = config;
        for section in restart_only_changes(&self.settings, &settings) {
            tracing::warn!("[{section}] changed; that takes effect after a restart");
        }

        let classifier = if settings.languages == self.settings.languages {
            self.ctx.classifier.with_matcher(topics.matcher)
        } else {
            let languages = settings.languages.clone();
            let detector = tokio::task::spawn_blocking(move || {
                LanguageDetector::new(&languages).inspect(|d| d.warm_up())
            })
            .await
            .map_err(|e| format!("language detector: {e}"))?
            .map_err(|e| format!("language detector: {e}"))?;
            Classifier::new(detector, topics.matcher)
        };
        let alerts_changed = settings.alerts != self.settings.alerts;
        let dispatcher = if alerts_changed {
            Some(Arc::new(
                Dispatcher::new(
                    self.ctx.store.clone(),
                    &settings.alerts,
                    self.ctx.clock.clone(),
                )
                .map_err(|e| format!("HTTP client for alerts: {e}"))?,
            ))
        } else {
            None
        };

        // Nothing below can fail: the new configuration goes in whole.
        self.ctx.classifier = Arc::new(classifier);
        self.ctx.router = Arc::new(Router::new(&settings.alerts));
        if let Some(dispatcher) = dispatcher {
            if let Some(old) = self.alerts.take() {
                old.stop().await;
            }
            write(&self.live).dispatcher = dispatcher.clone();
            self.alerts = Some(AlertTask::start(dispatcher));
        }
        // `[poll]` applies after a restart, its interval too: the feeds
        // without their own keep the running one.
        let feeds: Vec<FeedConfig> = feeds
            .into_iter()
            .map(|f| f.with_default_interval(self.settings.poll.interval))
            .collect();
        let before: Vec<String> = self.due.feeds().map(|f| f.name.clone()).collect();
        self.schedule(feeds.clone(), Unscheduled::Now);
        let added = self
            .due
            .feeds()
            .filter(|f| !before.contains(&f.name))
            .count();
        let removed = before.iter().filter(|k| !self.due.contains(k)).count();
        write(&self.live).feeds = feeds;
        // Settings that apply at once are taken; the rest keep their old
        // values until a restart, as the warnings said.
        let keep = std::mem::replace(&mut self.settings, settings);
        self.settings.store = keep.store;
        self.settings.poll = keep.poll;
        self.settings.api = keep.api;
        self.settings.log = keep.log;
        self.settings.stories = keep.stories;
        Ok(format!(
            "{} feeds ({added} added, {removed} removed), {} topic pack(s), {} alert(s){}",
            self.due.len(),
            topics.packs.len(),
            self.settings.alerts.iter().filter(|a| a.enabled).count(),
            if alerts_changed { " (restarted)" } else { "" }
        ))
    }
}

/// The sections whose change needs a restart.
fn restart_only_changes(old: &Settings, new: &Settings) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.store != new.store {
        out.push("store");
    }
    if old.poll != new.poll {
        out.push("poll");
    }
    if old.api != new.api {
        out.push("api");
    }
    if old.log != new.log {
        out.push("log");
    }
    if old.stories != new.stories {
        out.push("stories");
    }
    out
}
