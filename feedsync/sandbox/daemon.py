"""Running the sandbox in the background (``feedsync sandbox serve --detach`` / ``stop``).

The detached server is this same CLI in a new session; ``server.json`` next to the state file
records its pid and port, so ``stop`` ends exactly that process (after checking it is a
sandbox server) and nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

RUN_FILE = "server.json"
LOG_FILE = "serve.log"


class DaemonError(Exception):
    """The background server could not be started or stopped (the message says why)."""


def run_file(state: Path) -> Path:
    """Where a detached server of ``state`` records its pid and port."""
    return state.parent / RUN_FILE


def healthy(port: int, timeout: float = 1.0) -> bool:
    """True when a sandbox answers on 127.0.0.1:port."""
    try:
        reply = requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=timeout)
    except requests.RequestException:
        return False
    return reply.status_code == 200


def start_detached(args: list[str], state: Path, port: int, *, wait: float = 20.0
                   ) -> dict[str, Any]:
    """Start ``feedsync sandbox serve ARGS`` in the background; wait until it answers."""
    existing = read_run(state)
    if existing and _alive(existing["pid"]) and healthy(existing["port"]):
        raise DaemonError(f"a sandbox already runs for {state} (pid {existing['pid']}, port "
                          f"{existing['port']}): `feedsync sandbox stop` first")
    state.parent.mkdir(parents=True, exist_ok=True)
    log_path = state.parent / LOG_FILE
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # our own CLI, with arguments we built
            [sys.executable, "-m", "feedsync", "sandbox", "serve", *args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DaemonError(f"the sandbox exited with code {process.returncode}; see "
                              f"{log_path}:\n{_tail(log_path)}")
        if healthy(port, timeout=0.5):
            info = {"pid": process.pid, "port": port, "state": str(state)}
            run_file(state).write_text(json.dumps(info) + "\n", encoding="utf-8")
            return info
        time.sleep(0.1)
    process.terminate()
    raise DaemonError(f"the sandbox did not answer on port {port} within {wait:g} s; see "
                      f"{log_path}")


def read_run(state: Path) -> dict[str, Any] | None:
    """The recorded background server of ``state``, if any."""
    path = run_file(state)
    if not path.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data


def stop_detached(state: Path, *, wait: float = 10.0) -> dict[str, Any] | None:
    """Stop the recorded background server (SIGTERM, then SIGKILL); None if none runs."""
    info = read_run(state)
    run_file(state).unlink(missing_ok=True)
    if info is None or not _alive(int(info["pid"])):
        return None
    pid = int(info["pid"])
    if not _is_sandbox(pid):
        raise DaemonError(f"pid {pid} in {run_file(state)} is not a feedsync sandbox; "
                          "not stopping it")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return info


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _is_sandbox(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the run file we wrote
    return b"sandbox" in command and b"serve" in command


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
