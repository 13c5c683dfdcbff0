//! `newshound check`: load and validate everything, report every problem.

use std::path::Path;

use super::{CmdResult, load_config};

pub fn check(config_path: &Path) -> CmdResult {
    let config = load_config(config_path)?;
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    let s = &config.settings;
    let enabled = config.feeds.iter().filter(|f| f.enabled).count();
    let topics: Vec<&str> = config
        .topics
        .packs
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut text = format!("{}: ok\n", s.file.display());
    text.push_str(&format!(
        "  feeds: {} ({} enabled) from {}\n",
        config.feeds.len(),
        enabled,
        s.feeds_file.display()
    ));
    text.push_str(&format!(
        "  topics: {} from {}\n",
        topics.join(", "),
        s.topics_dir.display()
    ));
    text.push_str(&format!("  languages: {}\n", s.languages.join(", ")));
    text.push_str(&format!("  store: {}\n", s.store.path.display()));
    if !s.alerts.is_empty() {
        // Name and kind only: the targets may hold secrets.
        let names: Vec<String> = s
            .alerts
            .iter()
            .map(|a| {
                let off = if a.enabled { "" } else { ", disabled" };
                format!("{} ({}{off})", a.name, a.kind())
            })
            .collect();
        text.push_str(&format!("  alerts: {}\n", names.join(", ")));
    }
    super::output::out(&text)
}
