"""Issue #17 point 5: progress that helps — throttled redraws on stderr, only on a terminal,
on every command that maps or reads the whole catalog (feed build, validate, plan, push, sync,
catalog import)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from feedsync.cli.progress import Progress
from tests.cli.conftest import run


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_redraws_are_throttled_to_a_few_per_second() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress("google", out, total=200_000, clock=clock)
    for _ in range(200_000):  # 200k items over 10 simulated seconds
        clock.now += 10 / 200_000
        progress.advance()
    progress.close()
    text = out.getvalue()
    assert 38 <= text.count("\r") <= 42, "four redraws a second, not one per item"
    assert len(text) < 4_000, "kilobytes, not the 15 MB of a redraw per item"
    assert text.rstrip("\n").split("\r")[-1].startswith(
        "google: 200,000/200,000 items (100 %) 20,000/s")


def test_a_fast_run_draws_nothing() -> None:
    out = io.StringIO()
    progress = Progress("google", out, total=10, clock=FakeClock())
    list(progress.wrap(range(10)))
    assert out.getvalue() == ""


def test_bytes_are_shown_in_megabytes() -> None:
    clock, out = FakeClock(), io.StringIO()
    progress = Progress("importing big.csv", out, total=50_000_000, unit="bytes", clock=clock)
    clock.now = 2.0
    progress.set(25_000_000)
    assert out.getvalue() == "\rimporting big.csv: 25.0/50.0 MB (50 %) 12.5 MB/s"


@pytest.mark.parametrize("command", [["feed", "build", "google"], ["validate", "google"],
                                     ["sync", "--dry-run"]])
def test_no_progress_when_stderr_is_not_a_terminal(example: Path, command: list[str]) -> None:
    result = run(example, *command)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr and "\r" not in result.stdout


def test_on_a_terminal_progress_goes_to_stderr_only(example: Path) -> None:
    # A real pseudo-terminal on stderr; stdout is a pipe and must stay clean.
    master, slave = pty.openpty()
    env = {**os.environ, "FEEDSYNC_WORKSPACE": str(example)}
    code = ("import feedsync.cli.progress as p; p.INTERVAL = 0.0; "
            "from feedsync.cli.main import main; import sys; "
            "sys.argv = ['feedsync', 'validate', 'google']; main()")
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=slave,
                          env=env, timeout=120, check=False)
    os.close(slave)
    terminal = b""
    try:
        while chunk := os.read(master, 65536):
            terminal += chunk
    except OSError:
        pass
    os.close(master)
    assert done.returncode == 0
    assert b"\r" not in done.stdout and done.stdout.startswith(b"== google")
    assert b"validate google: 58/60 items" in terminal or b"validate google: 60/60 items" in (
        terminal)
