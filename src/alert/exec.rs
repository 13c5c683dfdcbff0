//! A local command: `command[0]` runs with `command[1..]` as its arguments
//! (no shell), reads the webhook's JSON body (see [`super::webhook`]) on
//! standard input, and finds the main facts in its environment:
//!
//! | variable                | value                                            |
//! |-------------------------|--------------------------------------------------|
//! | `NEWSHOUND_EVENT`       | `hit`, `update`, `digest` or `test`              |
//! | `NEWSHOUND_DELIVERY_ID` | the same on every retry                          |
//! | `NEWSHOUND_ALERT`       | the `[[alert]]` name                             |
//! | `NEWSHOUND_HIT_ID`      | the (first) hit's id                             |
//! | `NEWSHOUND_TITLE`       | its title, on one line                           |
//! | `NEWSHOUND_URL`         | its article (http(s) only; empty otherwise)      |
//! | `NEWSHOUND_FEED`        | its feed's name                                  |
//! | `NEWSHOUND_LANGUAGE`    | its language code                                |
//! | `NEWSHOUND_TOPICS`      | its matched topics, comma-separated              |
//! | `NEWSHOUND_SCORE`       | its score                                        |
//! | `NEWSHOUND_TEXT`        | the message as plain text (template or built-in) |
//! | `NEWSHOUND_COUNT`       | how many hits the delivery carries               |
//! | `NEWSHOUND_STORY_ID`    | its story's id (empty for hits without one)      |
//!
//! The values are raw feed text (only `NEWSHOUND_TEXT` has its mentions
//! defused): a command that passes them on must escape them for where they go.
//!
//! Exit status 0 accepts the delivery. Anything else (another status, a
//! signal, running past the alert's `timeout`, after which the command is
//! killed) is retried until `max_attempts`, since a command cannot say
//! which failures are for good; the end of its standard error (or, when
//! that is empty, of its output) goes into the error. A program that is
//! missing or cannot be executed fails for good at once.

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdin, Command};
use tokio::sync::Notify;

use super::layout::{self, Budget};
use super::markup::{Plain, safe_url};
use super::kind::{Kind, Loader};
use super::{Accepted, Outgoing, SendContext, SendError, Secret, webhook};

/// Most of the command's error output quoted in an error, in characters.
const TAIL_CHARS: usize = 300;

/// How long output may keep flowing after the command exited: a background
/// process it started may hold the pipes open, and must not turn a
/// success into a timeout.
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// `ENOEXEC` (the same on Linux and the BSDs): the file is not a program.
const ENOEXEC: i32 = 8;

/// A `kind = "exec"` alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Exec {
    /// The program (a path, or a name looked up in `PATH`) and its arguments.
    pub command: Vec<String>,
}

/// The keys of a `kind = "exec"` entry.
#[derive(Debug, Deserialize)]
pub struct ExecKeys {
    /// The program and its arguments, such as `["/usr/local/bin/notify", "--quiet"]`;
    /// no shell. A relative program path is relative to `newshound.toml`.
    #[serde(default)]
    command: Vec<String>,
}

impl Kind for Exec {
    const NAME: &'static str = "exec";
    type Keys = ExecKeys;

    fn build(keys: ExecKeys, loader: &mut impl Loader) -> Option<Exec> {
        let mut command = keys.command;
        if command.first().is_none_or(|p| p.trim().is_empty()) {
            loader.error(
                "command",
                "is required for kind \"exec\": the program and its arguments, such as [\"/usr/local/bin/notify\", \"--quiet\"]".into(),
            );
            return None;
        }
        // A relative program path is relative to the configuration file,
        // like every other path in it; a bare name is looked up in PATH.
        if command[0].contains('/') {
            command[0] = loader.path(&command[0]).display().to_string();
        }
        Some(Exec { command })
    }

    fn secrets(&self) -> Vec<&Secret> {
        Vec::new()
    }

    async fn send(&self, ctx: &SendContext<'_>, out: &Outgoing) -> Result<Accepted, SendError> {
        run(ctx, &self.command, out).await
    }
}

async fn run(
    ctx: &SendContext<'_>,
    command: &[String],
    out: &Outgoing,
) -> Result<Accepted, SendError> {
    let Some((program, args)) = command.split_first() else {
        return Err(SendError::Permanent {
            reason: "no command to run".into(),
        });
    };
    let body = webhook::body(ctx, out)?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout can end whatever it started too.
        .process_group(0)
        // systemd's channel is the service's own, not the command's.
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .kill_on_drop(true);
    for (name, value) in environment(ctx, out) {
        // A NUL cannot be in an environment variable; spawning would fail.
        cmd.env(name, value.replace('\0', ""));
    }
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, &e))?;

    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut out_tail = Tail::default();
    let mut err_tail = Tail::default();
    let exited = Notify::new();
    let run = async {
        let waiting = async {
            let (_, status) = tokio::join!(feed(stdin, &body), child.wait());
            exited.notify_one();
            status
        };
        let reading = async {
            let to_the_end = async {
                tokio::join!(out_tail.read(stdout), err_tail.read(stderr));
            };
            let past_the_exit = async {
                exited.notified().await;
                tokio::time::sleep(PIPE_GRACE).await;
            };
            tokio::select! {
                () = to_the_end => {}
                () = past_the_exit => {}
            }
        };
        tokio::join!(waiting, reading).0
    };
    let result = tokio::time::timeout(ctx.timeout, run).await;

    let status = match result {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => {
            return Err(SendError::Retry {
                reason: format!("waiting for {program}: {e}"),
                after: None,
            });
        }
        Err(_) => {
            // Killed here rather than only on drop, so that the process is
            // gone (and reaped) before the retry may start another; the
            // group first, so that a `sleep` a shell script started goes too.
            if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: killpg only sends a signal; the group id is the
                // child's pid (process_group(0)), which is ours until it is reaped.
                unsafe {
                    libc::killpg(pid, libc::SIGKILL);
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), child.kill()).await;
            return Err(SendError::Retry {
                reason: format!(
                    "timed out after {}; killed",
                    humantime::format_duration(ctx.timeout)
                ),
                after: None,
            });
        }
    };
    judge(status, &err_tail, &out_tail)
}

fn judge(status: ExitStatus, err: &Tail, out: &Tail) -> Result<Accepted, SendError> {
    let what = match (status.code(), status.signal()) {
        (Some(0), _) => return Ok(Accepted::new("exit 0")),
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => format!("ended with {status}"),
    };
    let said = match err.text() {
        t if t.is_empty() => out.text(),
        t => t,
    };
    let reason = if said.is_empty() {
        what
    } else {
        format!("{what}: {said}")
    };
    Err(SendError::Retry {
        reason,
        after: None,
    })
}

fn spawn_error(program: &str, e: &std::io::Error) -> SendError {
    let reason = format!("cannot run {program}: {e}");
    let for_good = matches!(
        e.kind(),
        ErrorKind::NotFound
            | ErrorKind::PermissionDenied
            | ErrorKind::NotADirectory
            | ErrorKind::IsADirectory
            | ErrorKind::InvalidInput
    ) || e.raw_os_error() == Some(ENOEXEC);
    if for_good {
        SendError::Permanent { reason }
    } else {
        // Out of processes, memory or file handles: that passes.
        SendError::Retry {
            reason,
            after: None,
        }
    }
}

/// Writes the body and closes standard input. A command that exits without
/// reading it all closes the pipe on us: that is its choice, not a failure,
/// and the exit status says how it went. Other write errors are judged the
/// same way, through the exit status.
async fn feed(stdin: Option<ChildStdin>, body: &[u8]) {
    let Some(mut stdin) = stdin else { return };
    if let Err(e) = stdin.write_all(body).await
        && e.kind() != ErrorKind::BrokenPipe
    {
        tracing::debug!("writing to the command's standard input: {e}");
    }
    // Dropping `stdin` closes it: the command sees the end of its input.
}

/// The last bytes of an output stream, read to its end without keeping more.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
}

impl Tail {
    /// A character may take four bytes; a little over the quota keeps
    /// `TAIL_CHARS` whole characters.
    const KEEP: usize = TAIL_CHARS * 4;

    async fn read(&mut self, stream: Option<impl AsyncRead + Unpin>) {
        let Some(mut stream) = stream else { return };
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            self.bytes.extend_from_slice(&chunk[..n]);
            if self.bytes.len() > 2 * Self::KEEP {
                self.bytes.drain(..self.bytes.len() - Self::KEEP);
            }
        }
    }

    /// The last `TAIL_CHARS` characters, white space collapsed to one line.
    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let count = line.chars().count();
        if count <= TAIL_CHARS {
            return line;
        }
        let kept: String = line.chars().skip(count - (TAIL_CHARS - 1)).collect();
        format!("…{kept}")
    }
}

fn environment(ctx: &SendContext<'_>, out: &Outgoing) -> Vec<(&'static str, String)> {
    let first = out.message.hits().first();
    let field = |f: fn(&super::HitSummary) -> String| first.map(f).unwrap_or_default();
    vec![
        ("NEWSHOUND_EVENT", out.event.as_str().to_string()),
        ("NEWSHOUND_DELIVERY_ID", out.delivery_id.clone()),
        ("NEWSHOUND_ALERT", ctx.spec.name.clone()),
        ("NEWSHOUND_HIT_ID", field(|h| h.id.clone())),
        ("NEWSHOUND_TITLE", field(|h| h.title.clone())),
        (
            "NEWSHOUND_URL",
            field(|h| safe_url(h.url.as_deref()).unwrap_or_default()),
        ),
        ("NEWSHOUND_FEED", field(|h| h.feed.clone())),
        ("NEWSHOUND_LANGUAGE", field(|h| h.language.clone())),
        ("NEWSHOUND_TOPICS", field(|h| h.topics.join(","))),
        ("NEWSHOUND_SCORE", field(|h| h.score.to_string())),
        (
            "NEWSHOUND_TEXT",
            ctx.text::<Plain>(out, |m| layout::message::<Plain>(m, Budget::UNLIMITED)),
        ),
        ("NEWSHOUND_COUNT", out.message.hits().len().to_string()),
        // The story the (first) hit belongs to: the key a command that
        // threads follow-ups (`NEWSHOUND_EVENT=update`) groups by.
        ("NEWSHOUND_STORY_ID", field(|h| h.story.clone().unwrap_or_default())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_tail_keeps_the_end_of_long_output_and_no_more() {
        let output = format!("{}THE END", "x\n".repeat(20_000));
        let mut t = Tail::default();
        t.read(Some(output.as_bytes())).await;
        assert!(t.bytes.len() <= 2 * Tail::KEEP);
        let text = t.text();
        assert_eq!(text.chars().count(), TAIL_CHARS);
        assert!(text.starts_with('…') && text.ends_with("THE END"), "{text}");
    }

    #[test]
    fn a_missing_program_fails_for_good_and_a_busy_system_does_not() {
        let missing = std::io::Error::from(ErrorKind::NotFound);
        assert!(matches!(
            spawn_error("notify", &missing),
            SendError::Permanent { reason } if reason.contains("notify")
        ));
        let busy = std::io::Error::from(ErrorKind::WouldBlock);
        assert!(matches!(
            spawn_error("notify", &busy),
            SendError::Retry { .. }
        ));
    }
}
