//! Running the real `newshound` binary as a process.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Runs `newshound --config CONFIG ARGS...` to the end, with no RUST_LOG or
/// NEWSHOUND_CONFIG from the caller's environment.
pub fn newshound(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_newshound"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("NEWSHOUND_CONFIG")
        .output()
        .expect("the binary runs")
}

/// [`newshound`] on a blocking thread, so loopback servers in the same
/// test keep answering while it runs.
pub async fn newshound_async(config: &Path, args: &[&str]) -> Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        newshound(&config, &args)
    })
    .await
    .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Starts `newshound --config CONFIG run` as systemd would, with none of the
/// caller's RUST_LOG, NOTIFY_SOCKET or WATCHDOG_USEC (a test sets those it
/// wants in `envs`); standard error is piped when `stderr` is set, so the
/// test can read it once the process ends.
pub fn start_service(config: &Path, envs: &[(&str, &str)], stderr: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newshound"));
    cmd.arg("--config")
        .arg(config)
        .arg("run")
        .env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .stdout(Stdio::null())
        .stderr(if stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the binary starts")
}
