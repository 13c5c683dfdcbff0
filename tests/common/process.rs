//! Running the real `newshound` binary as a process.

use std::path::Path;
use std::process::{Command, Output};

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
