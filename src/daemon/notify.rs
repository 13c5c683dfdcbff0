//! systemd's notification protocol (`sd_notify`): datagrams such as
//! `READY=1` or `STATUS=...` to the socket named by `NOTIFY_SOCKET`, and the
//! watchdog interval from `WATCHDOG_USEC`. Without `NOTIFY_SOCKET` (not
//! under systemd, or `Type=simple`) every call does nothing.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::Duration;

/// Where notifications go, if anywhere.
#[derive(Debug)]
pub struct Notifier {
    target: Option<Target>,
}

#[derive(Debug)]
enum Target {
    Path(PathBuf),
    /// Linux abstract socket namespace (`NOTIFY_SOCKET=@name`).
    Abstract(Vec<u8>),
}

impl Notifier {
    /// From `NOTIFY_SOCKET`; a no-op notifier when it is unset or empty.
    pub fn from_env() -> Notifier {
        let target = std::env::var_os("NOTIFY_SOCKET").and_then(|v| {
            let bytes = v.as_encoded_bytes();
            match bytes.first() {
                None => None,
                Some(b'@') => Some(Target::Abstract(bytes[1..].to_vec())),
                Some(_) => Some(Target::Path(PathBuf::from(v))),
            }
        });
        Notifier { target }
    }

    /// A notifier that never sends (tests, `run --once`).
    pub fn disabled() -> Notifier {
        Notifier { target: None }
    }

    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Sends one notification (`READY=1`, `STATUS=...`, several lines at
    /// once). A failure is logged, never fatal: the service works without systemd.
    pub fn notify(&self, state: &str) {
        if let Err(e) = self.send(state) {
            tracing::warn!("cannot notify systemd ({state:?}): {e}");
        }
    }

    fn send(&self, state: &str) -> io::Result<()> {
        let Some(target) = &self.target else {
            return Ok(());
        };
        let socket = UnixDatagram::unbound()?;
        match target {
            Target::Path(p) => socket.send_to(state.as_bytes(), p).map(drop),
            Target::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(state.as_bytes(), &addr).map(drop)
            }
        }
    }

    /// `STATUS=` with one line of text (line breaks would end the field).
    pub fn status(&self, text: &str) {
        self.notify(&format!("STATUS={}", text.replace(['\n', '\r'], " ")));
    }
}

/// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, when it is set
/// and `WATCHDOG_PID` (if set) is this process.
pub fn watchdog_interval() -> Option<Duration> {
    if let Some(pid) = std::env::var_os("WATCHDOG_PID")
        && pid.to_str().and_then(|p| p.parse::<u32>().ok()) != Some(std::process::id())
    {
        return None;
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// `MONOTONIC_USEC=` for `RELOADING=1`: systemd (Type=notify-reload)
/// wants to know when the reload started, on CLOCK_MONOTONIC.
pub fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_MONOTONIC always exists on Linux.
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
    }
    (ts.tv_sec as u64) * 1_000_000 + (ts.tv_nsec as u64) / 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let receiver = UnixDatagram::bind(&path).unwrap();
        let n = Notifier {
            target: Some(Target::Path(path)),
        };
        n.notify("READY=1");
        n.status("2 feeds\nok");
        let mut buf = [0u8; 256];
        let len = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1");
        let len = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"STATUS=2 feeds ok");
    }

    #[test]
    fn a_disabled_notifier_sends_nothing_and_does_not_fail() {
        let n = Notifier::disabled();
        assert!(!n.is_enabled());
        n.notify("READY=1");
    }

    #[test]
    fn the_monotonic_clock_moves_forward() {
        let a = monotonic_usec();
        let b = monotonic_usec();
        assert!(a > 0 && b >= a);
    }
}
