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
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync import db as dbmod
from feedsync.cli.main import cli
from feedsync.sync.lock import WorkspaceLock, lock_path

CSV = "sku,title,price,currency,quantity\nA1,First,1.00,USD,3\n"


def hold_lock(workspace: Path) -> subprocess.Popen[str]:
    """Another process (a stand-in for a running `sync`) holding the workspace lock until the
    test closes its stdin (:func:`release`): no sleeping, so no race under load."""
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from feedsync.sync.lock import WorkspaceLock, lock_path
        with WorkspaceLock(lock_path(Path({str(workspace / 'feedsync.db')!r})), "sync"):
            print("held", flush=True)
            sys.stdin.read()
        print("released", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def release(holder: subprocess.Popen[str]) -> None:
    """Let the holder release the lock and wait until it has."""
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.close()
    assert holder.stdout.readline().strip() == "released"
    holder.wait(timeout=60)


@pytest.mark.slow
def test_import_waits_for_a_running_sync_then_imports(workspace: Path, tmp_path: Path) -> None:
    """The import says whom it waits for, is still waiting (nothing imported) while the lock
    is held, and imports once the holder releases it: ordered by the test, not by a clock."""
    (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
    holder = hold_lock(workspace)
    importer = subprocess.Popen(
        [sys.executable, "-m", "feedsync", "-w", str(workspace), "catalog", "import",
         str(tmp_path / "c.csv"), "--wait", "300"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert importer.stderr is not None
        said = ""
        while "waiting" not in said:  # blocks until the import reports its wait
            line = importer.stderr.readline()
            assert line, "the import ended without saying it waits"
            said = line
        assert "waiting up to 300 s for the workspace lock" in said, said
        assert "`feedsync sync`" in said
        assert importer.poll() is None, "the import did not wait for the lock"
        assert _skus(workspace) == [], "the import wrote while another run held the lock"
        release(holder)
        out, err = importer.communicate(timeout=120)
    finally:
        for proc in (holder, importer):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert importer.returncode == 0, out + err
    assert "Traceback" not in err
    assert _skus(workspace) == ["A1"]


def _skus(workspace: Path) -> list[str]:
    with sqlite3.connect(workspace / "feedsync.db") as db:
        try:
            return [sku for (sku,) in db.execute("SELECT sku FROM products ORDER BY sku")]
        except sqlite3.OperationalError:  # no catalog tables yet
            return []


@pytest.mark.slow
def test_import_gives_up_after_its_bounded_wait_with_exit_75(workspace: Path,
                                                             tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CSV, encoding="utf-8")
    holder = hold_lock(workspace)  # held until released below, however long the import takes
    try:
        result = subprocess.run(
            [sys.executable, "-m", "feedsync", "-w", str(workspace), "catalog", "import",
             str(tmp_path / "c.csv"), "--wait", "0.5"], capture_output=True, text=True,
            timeout=60)
    finally:
        release(holder)
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


def test_lock_without_wait_still_refuses_at_once(workspace: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """No --wait: refused without polling (the lock module never sleeps), with the holder."""
    from feedsync.sync import lock as lockmod

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the lock waited ({seconds} s) though no wait was asked")

    monkeypatch.setattr(lockmod.time, "sleep", no_sleep)
    path = lock_path(workspace / "feedsync.db")
    with WorkspaceLock(path, "sync"):
        with pytest.raises(Exception, match=r"holds the workspace lock.*sync") as refused:
            WorkspaceLock(path, "push").acquire()
        assert "waited" not in str(refused.value)
