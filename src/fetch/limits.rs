//! Concurrency limits: at most N fetches in flight overall, at most M per host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Holds the global semaphore and one semaphore per host, created on demand.
#[derive(Clone)]
pub struct HostLimits {
    global: Arc<Semaphore>,
    per_host: usize,
    // A std Mutex: held only to look up or insert an Arc, never across an await.
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// Both permits; dropping it frees the slots.
pub struct FetchPermit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl HostLimits {
    pub fn new(global: usize, per_host: usize) -> HostLimits {
        HostLimits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Arc::default(),
        }
    }

    /// Waits for a slot for `url`'s host, then for a global slot. The host
    /// slot comes first so that a feed waiting on a busy host does not hold
    /// a global slot that another host's feed could use.
    pub async fn acquire(&self, url: &str) -> FetchPermit {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        let sem = {
            let mut hosts = self
                .hosts
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // The semaphores are never closed, so acquiring cannot fail.
        let host_permit = sem
            .acquire_owned()
            .await
            .expect("host semaphore is never closed");
        let global_permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("global semaphore is never closed");
        FetchPermit {
            _host: host_permit,
            _global: global_permit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn never_more_than_per_host_in_flight_for_one_host() {
        let limits = HostLimits::new(10, 2);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (limits, in_flight, peak) = (limits.clone(), in_flight.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _p = limits.acquire(&format!("http://one.example/{i}")).await;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
