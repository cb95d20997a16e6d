"""`kill -9` of `catalog import` takes its forked reader with it (issue #16, point 5).

Before: the reader, blocked on a pipe whose read end it had inherited, lived forever holding the
database open. The test stops the parent (SIGSTOP) once its reader runs, so the reader fills the
pipe and blocks on it, then kills the parent with SIGKILL and checks that the reader is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedsync.catalog.importers import reading

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the reader is forked only on Linux")]


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_killed_import_leaves_no_reader_behind(workspace: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    row = "S{0},Product {0},9.99,USD,3\n"
    with big.open("w", encoding="utf-8") as out:
        out.write("sku,title,price,currency,quantity\n")
        size = 0
        index = 0
        while size < reading.CHILD_MIN_BYTES * 1.5:
            line = row.format(index)
            out.write(line)
            size += len(line)
            index += 1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-m", "feedsync", "-w", str(workspace), "catalog", "stats"],
                   check=True, capture_output=True, env=env)
    parent = subprocess.Popen(
        [sys.executable, "-m", "feedsync", "-w", str(workspace), "catalog", "import", str(big)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert wait_until(lambda: children_of(parent.pid), 20), "the reader never started"
        parent.send_signal(signal.SIGSTOP)  # the parent stops reading the pipe
        readers = children_of(parent.pid)
        assert readers, "no reader process to check"  # else the checks below pass vacuously
        time.sleep(0.5)  # the reader fills the pipe and blocks on it
        assert all(alive(pid) for pid in readers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        gone = wait_until(lambda: not any(alive(pid) for pid in readers), 5)
        for pid in readers:  # never leave a process behind, whatever the outcome
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        assert gone, f"reader process(es) {readers} outlived the killed import"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
