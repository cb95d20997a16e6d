"""`catalog import` and the cron job share the catalog safely (issue #16, point 4).

Before: the import took no lock and wrote while `sync` did, failing with a `database is locked`
traceback in about half the trials. Now every writer takes the workspace lock, an import waits
for a running sync a bounded, reported time, and a busy database is exit 75 with a message.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync import db as dbmod
from feedsync.cli.main import cli
from feedsync.sync.lock import WorkspaceLock, lock_path

CSV = "sku,title,price,currency,quantity\nA1,First,1.00,USD,3\n"


def hold_lock(workspace: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process (a stand-in for a running `sync`) holding the workspace lock."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from feedsync.sync.lock import WorkspaceLock, lock_path
        with WorkspaceLock(lock_path(Path({str(workspace / 'feedsync.db')!r})), "sync"):
            print("held", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.slow
def test_import_waits_for_a_running_sync_then_imports(workspace: Path, tmp_path: Path,
                                                      runner: CliRunner) -> None:
    (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
    holder = hold_lock(workspace, 1.5)
    try:
        started = time.monotonic()
        result = runner.invoke(cli, ["-w", str(workspace), "catalog", "import",
                                     str(tmp_path / "c.csv"), "--wait", "30"])
    finally:
        holder.wait(timeout=30)
    assert result.exit_code == 0, result.output
    assert "waiting up to 30 s for the workspace lock" in result.stderr
    assert "`feedsync sync`" in result.stderr
    assert time.monotonic() - started >= 1.0


@pytest.mark.slow
def test_import_gives_up_after_its_bounded_wait_with_exit_75(workspace: Path,
                                                             tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
    holder = hold_lock(workspace, 20)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "feedsync", "-w", str(workspace), "catalog", "import",
             str(tmp_path / "c.csv"), "--wait", "0.5"], capture_output=True, text=True,
            timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75, result.stderr
    assert "waited 0.5 s" in result.stderr and "Traceback" not in result.stderr


def test_a_busy_database_is_exit_75_never_a_traceback(workspace: Path, tmp_path: Path,
                                                      runner: CliRunner,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer outside feedsync's lock (e.g. a sqlite3 shell) keeps the database busy."""
    monkeypatch.setattr(dbmod, "_BUSY_TIMEOUT_MS", 100)
    (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
    assert runner.invoke(cli, ["-w", str(workspace), "catalog", "stats"]).exit_code == 0
    other = sqlite3.connect(workspace / "feedsync.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = runner.invoke(cli, ["-w", str(workspace), "catalog", "import",
                                     str(tmp_path / "c.csv")])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 75, result.output
    assert "database is busy" in result.output
    assert not isinstance(result.exception, sqlite3.Error)


def test_lock_without_wait_still_refuses_at_once(workspace: Path) -> None:
    path = lock_path(workspace / "feedsync.db")
    with WorkspaceLock(path, "sync"):
        started = time.monotonic()
        with pytest.raises(Exception, match="holds the workspace lock"):
            WorkspaceLock(path, "push").acquire()
        assert time.monotonic() - started < 0.5
