//! Counters of the running service and their Prometheus text rendering
//! (`GET /metrics`). Gauges that live in the store (sizes, outbox) are read
//! at scrape time by the API and passed in.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::pipeline::{PollReport, PollStatus};
use crate::store::StoreStats;

/// Upper bounds (seconds) of the fetch-duration histogram's buckets.
const FETCH_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// What the service has done since it started.
#[derive(Debug, Default)]
pub struct Metrics {
    polls_ok: AtomicU64,
    polls_not_modified: AtomicU64,
    polls_failed: AtomicU64,
    polls_gone: AtomicU64,
    items_new: AtomicU64,
    items_duplicate: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    hits: Mutex<BTreeMap<(String, String), u64>>,
    fetch: Mutex<Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Count per bucket (not cumulative; summed when rendered).
    buckets: [u64; FETCH_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// One alert's delivery figures, for the `alerts_*` series.
#[derive(Debug, Clone, Default)]
pub struct AlertFigures {
    pub alert: String,
    pub sent: u64,
    pub failed: u64,
    pub dead_total: u64,
    pub pending: u64,
}

/// The gauges read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub store: Option<StoreStats>,
    pub feeds: usize,
    pub alerts: Vec<AlertFigures>,
    pub uptime: Duration,
}

impl Metrics {
    pub fn record_poll(&self, r: &PollReport) {
        let counter = match r.status {
            PollStatus::Ok => &self.polls_ok,
            PollStatus::NotModified => &self.polls_not_modified,
            PollStatus::Failed => &self.polls_failed,
            PollStatus::Gone => &self.polls_gone,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.items_new
            .fetch_add(r.new_items as u64, Ordering::Relaxed);
        self.items_duplicate
            .fetch_add(r.duplicates as u64, Ordering::Relaxed);
        if !r.hit_labels.is_empty() {
            let mut hits = lock(&self.hits);
            for label in &r.hit_labels {
                *hits.entry(label.clone()).or_default() += 1;
            }
        }
        if let Some(d) = r.fetch_time {
            let secs = d.as_secs_f64();
            let mut h = lock(&self.fetch);
            if let Some(i) = FETCH_BUCKETS.iter().position(|b| secs <= *b) {
                h.buckets[i] += 1;
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    pub fn record_reload(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self, snap: &Snapshot) -> String {
        let mut out = String::with_capacity(4096);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);

        family(
            &mut out,
            "newshound_polls_total",
            "counter",
            "Feed polls by result.",
        );
        for (result, c) in [
            ("ok", &self.polls_ok),
            ("not_modified", &self.polls_not_modified),
            ("failed", &self.polls_failed),
            ("gone", &self.polls_gone),
        ] {
            sample(
                &mut out,
                "newshound_polls_total",
                &[("result", result)],
                load(c),
            );
        }
        family(
            &mut out,
            "newshound_items_new_total",
            "counter",
            "Feed items seen for the first time.",
        );
        sample(
            &mut out,
            "newshound_items_new_total",
            &[],
            load(&self.items_new),
        );
        family(
            &mut out,
            "newshound_items_duplicate_total",
            "counter",
            "New items that matched but were a stored hit again under another id (not stored, not alerted).",
        );
        sample(
            &mut out,
            "newshound_items_duplicate_total",
            &[],
            load(&self.items_duplicate),
        );

        family(
            &mut out,
            "newshound_hits_total",
            "counter",
            "Hits stored, by matched topic and detected language.",
        );
        for ((topic, language), n) in lock(&self.hits).iter() {
            sample(
                &mut out,
                "newshound_hits_total",
                &[("topic", topic), ("language", language)],
                *n,
            );
        }

        family(
            &mut out,
            "newshound_alerts_sent_total",
            "counter",
            "Alerts delivered, by alert.",
        );
        for a in &snap.alerts {
            sample(
                &mut out,
                "newshound_alerts_sent_total",
                &[("alert", &a.alert)],
                a.sent,
            );
        }
        family(
            &mut out,
            "newshound_alerts_failed_total",
            "counter",
            "Delivery attempts that failed and will be retried, by alert.",
        );
        for a in &snap.alerts {
            sample(
                &mut out,
                "newshound_alerts_failed_total",
                &[("alert", &a.alert)],
                a.failed,
            );
        }
        family(
            &mut out,
            "newshound_alerts_dead_total",
            "counter",
            "Alerts given up on, by alert.",
        );
        for a in &snap.alerts {
            sample(
                &mut out,
                "newshound_alerts_dead_total",
                &[("alert", &a.alert)],
                a.dead_total,
            );
        }
        family(
            &mut out,
            "newshound_alerts_pending",
            "gauge",
            "Alerts waiting in the outbox, by alert.",
        );
        for a in &snap.alerts {
            sample(
                &mut out,
                "newshound_alerts_pending",
                &[("alert", &a.alert)],
                a.pending,
            );
        }

        family(
            &mut out,
            "newshound_fetch_duration_seconds",
            "histogram",
            "Time to fetch a feed (until the body is read).",
        );
        {
            let h = lock(&self.fetch);
            let mut cumulative = 0;
            for (bound, n) in FETCH_BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let le = bound.to_string();
                sample(
                    &mut out,
                    "newshound_fetch_duration_seconds_bucket",
                    &[("le", &le)],
                    cumulative,
                );
            }
            sample(
                &mut out,
                "newshound_fetch_duration_seconds_bucket",
                &[("le", "+Inf")],
                h.count,
            );
            let _ = writeln!(out, "newshound_fetch_duration_seconds_sum {}", h.sum);
            let _ = writeln!(out, "newshound_fetch_duration_seconds_count {}", h.count);
        }

        family(
            &mut out,
            "newshound_reloads_total",
            "counter",
            "Configuration reloads (SIGHUP), by result.",
        );
        sample(
            &mut out,
            "newshound_reloads_total",
            &[("result", "ok")],
            load(&self.reloads_ok),
        );
        sample(
            &mut out,
            "newshound_reloads_total",
            &[("result", "failed")],
            load(&self.reloads_failed),
        );

        family(
            &mut out,
            "newshound_feeds",
            "gauge",
            "Feeds the service polls.",
        );
        sample(&mut out, "newshound_feeds", &[], snap.feeds as u64);
        if let Some(s) = &snap.store {
            family(
                &mut out,
                "newshound_store_size_bytes",
                "gauge",
                "Size of the store on disk.",
            );
            sample(&mut out, "newshound_store_size_bytes", &[], s.size_on_disk);
            family(
                &mut out,
                "newshound_store_hits",
                "gauge",
                "Hits in the store.",
            );
            sample(&mut out, "newshound_store_hits", &[], s.hits as u64);
            family(
                &mut out,
                "newshound_store_seen",
                "gauge",
                "Items remembered as seen.",
            );
            sample(&mut out, "newshound_store_seen", &[], s.seen as u64);
        }
        family(
            &mut out,
            "newshound_uptime_seconds",
            "gauge",
            "Seconds since the service started.",
        );
        sample(
            &mut out,
            "newshound_uptime_seconds",
            &[],
            snap.uptime.as_secs(),
        );
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while counting cannot leave a counter half-written; keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: PollStatus, secs: f64) -> PollReport {
        PollReport {
            feed: "f".into(),
            status,
            items: 3,
            new_items: 2,
            new_hits: vec!["a".into()],
            duplicates: 1,
            hit_labels: vec![("spy".into(), "pl".into())],
            fetch_time: Some(Duration::from_secs_f64(secs)),
            error: None,
            next_due: Some(chrono::Utc::now()),
        }
    }

    #[test]
    fn counters_and_histogram_render_as_prometheus_text() {
        let m = Metrics::default();
        m.record_poll(&report(PollStatus::Ok, 0.2));
        m.record_poll(&report(PollStatus::Failed, 3.0));
        let text = m.render(&Snapshot {
            alerts: vec![AlertFigures {
                alert: "team \"a\"".into(),
                sent: 4,
                ..AlertFigures::default()
            }],
            ..Snapshot::default()
        });
        assert!(
            text.contains("newshound_polls_total{result=\"ok\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("newshound_polls_total{result=\"failed\"} 1\n"));
        assert!(text.contains("newshound_items_new_total 4\n"));
        assert!(text.contains("newshound_items_duplicate_total 2\n"));
        assert!(text.contains("newshound_hits_total{topic=\"spy\",language=\"pl\"} 2\n"));
        assert!(text.contains("newshound_fetch_duration_seconds_bucket{le=\"0.25\"} 1\n"));
        assert!(text.contains("newshound_fetch_duration_seconds_bucket{le=\"5\"} 2\n"));
        assert!(text.contains("newshound_fetch_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("newshound_fetch_duration_seconds_count 2\n"));
        assert!(text.contains("newshound_alerts_sent_total{alert=\"team \\\"a\\\"\"} 4\n"));
        // Every sample line belongs to a family declared before it.
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(
                    declared.iter().any(|d| name.starts_with(d.as_str())),
                    "{name} not declared"
                );
            }
        }
    }
}
