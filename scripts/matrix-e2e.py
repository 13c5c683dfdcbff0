#!/usr/bin/env python3
"""End-to-end check of the Matrix sink against a real homeserver.

Installs Synapse from PyPI into a virtualenv (once), starts it on loopback
with an SQLite database in a temporary directory, registers a bot user,
creates a room, then lets the real newshound binary post into it:

  1. `alerts test` sends the sample message;
  2. `run --once` on the offline demo feeds (examples/) stores the demo's
     hits and delivers one message per hit.

It then reads the room back through the client-server API and checks that
every message arrived once, with a plain body and an HTML formatted body.

Usage: scripts/matrix-e2e.py --newshound target/release/newshound
Exit status: 0 passed, 1 failed, 3 Synapse could not be installed (skipped).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIPPED = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def install(venv):
    python = os.path.join(venv, "bin", "python")
    if os.path.exists(python):
        probe = subprocess.run([python, "-c", "import synapse"], capture_output=True)
        if probe.returncode == 0:
            return python
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = subprocess.run(
        [python, "-m", "pip", "install", "-q", "matrix-synapse"], capture_output=True, text=True
    )
    if pip.returncode != 0:
        print("matrix-e2e: cannot install matrix-synapse; skipped\n" + pip.stderr[-2000:])
        sys.exit(SKIPPED)
    return python


def start_synapse(python, workdir, port):
    config = os.path.join(workdir, "homeserver.yaml")
    subprocess.run(
        [python, "-m", "synapse.app.homeserver", "--server-name", "localhost",
         "--config-path", config, "--generate-config", "--report-stats=no"],
        cwd=workdir, check=True, capture_output=True,
    )
    # Loopback only, a known port, and no rate limit in the way of a burst of alerts.
    with open(config) as f:
        text = f.read()
    text = text.replace("port: 8008", f"port: {port}").replace("    - ::1\n", "")
    text += (
        "\nrc_message:\n  per_second: 1000\n  burst_count: 1000\n"
        "rc_registration:\n  per_second: 1000\n  burst_count: 1000\n"
        "rc_login:\n  address:\n    per_second: 1000\n    burst_count: 1000\n"
        "  account:\n    per_second: 1000\n    burst_count: 1000\n"
    )
    with open(config, "w") as f:
        f.write(text)
    log = open(os.path.join(workdir, "synapse.out"), "w")
    proc = subprocess.Popen(
        [python, "-m", "synapse.app.homeserver", "--config-path", config],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("matrix-e2e: synapse exited; see " + log.name)
        try:
            call("GET", base + "/_matrix/client/versions")
            return proc, config, base
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("matrix-e2e: synapse did not answer within 120 s")


def newshound(binary, config, *args):
    out = subprocess.run([binary, "--config", config, *args], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "RUST_LOG"})
    print(f"$ newshound {' '.join(args)}\n{out.stdout}{out.stderr}", end="")
    if out.returncode != 0:
        raise SystemExit(f"matrix-e2e: `newshound {' '.join(args)}` exited {out.returncode}")
    return out.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newshound", required=True, help="path of the newshound binary")
    parser.add_argument("--venv", default=os.path.join(ROOT, "target", "synapse-venv"))
    args = parser.parse_args()
    binary = os.path.abspath(args.newshound)

    python = install(args.venv)
    work = tempfile.mkdtemp(prefix="newshound-matrix-")
    proc = None
    try:
        port = free_port()
        proc, config, base = start_synapse(python, work, port)
        subprocess.run(
            [os.path.join(os.path.dirname(python), "register_new_matrix_user"),
             "-c", config, "-u", "hound", "-p", "hound-password", "--no-admin", base],
            check=True, capture_output=True,
        )
        login = call("POST", base + "/_matrix/client/v3/login", body={
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "hound"},
            "password": "hound-password",
        })
        token = login["access_token"]
        room = call("POST", base + "/_matrix/client/v3/createRoom", token, {"name": "alerts"})["room_id"]

        # The demo configuration, with its store in the temp dir and a Matrix alert.
        with open(os.path.join(work, "token"), "w") as f:
            f.write(token + "\n")
        with open(os.path.join(ROOT, "examples", "newshound.toml")) as f:
            demo = f.read()
        examples = os.path.join(ROOT, "examples")
        demo = (demo
                .replace('path = "../target/example-store"', f'path = "{work}/store"')
                .replace('file = "feeds.toml"', f'file = "{examples}/feeds.toml"')
                .replace('dir = "../config/topics"', f'dir = "{ROOT}/config/topics"')
                .replace('socket = "../target/example-api.sock"', f'socket = "{work}/api.sock"'))
        demo += (f'\n[[alert]]\nname = "matrix"\nkind = "matrix"\nhomeserver = "{base}"\n'
                 f'room = "{room}"\ntoken_file = "{work}/token"\n')
        cfg = os.path.join(work, "newshound.toml")
        with open(cfg, "w") as f:
            f.write(demo)

        newshound(binary, cfg, "check")
        newshound(binary, cfg, "alerts", "test", "matrix")
        summary = newshound(binary, cfg, "run", "--once")
        if "alerts: 6 sent, 0 pending, 0 dead" not in summary:
            raise SystemExit("matrix-e2e: expected 6 alerts sent, got: " + summary)

        messages = call(
            "GET", base + f"/_matrix/client/v3/rooms/{urllib.parse.quote(room)}/messages?dir=b&limit=100",
            token,
        )["chunk"]
        texts = [m["content"] for m in messages if m.get("type") == "m.room.message"]
        problems = []
        if len(texts) != 7:
            problems.append(f"expected 7 messages (1 test + 6 hits), found {len(texts)}")
        for c in texts:
            if c.get("format") != "org.matrix.custom.html" or "<a href=" not in c.get("formatted_body", ""):
                problems.append("a message lacks its HTML body: " + json.dumps(c)[:300])
            if token in json.dumps(c):
                problems.append("the access token appears in a message")
        if not any("Test alert from newshound" in c.get("body", "") for c in texts):
            problems.append("the `alerts test` message is missing")
        if problems:
            raise SystemExit("matrix-e2e: " + "; ".join(problems))
        print(f"matrix-e2e: passed: {len(texts)} messages read back from a real Synapse room")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
