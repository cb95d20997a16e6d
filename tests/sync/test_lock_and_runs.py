"""The workspace lock and the runs journal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedsync.errors import ExitCode, LockBusy
from feedsync.sync.lock import WorkspaceLock, lock_path
from feedsync.sync.push import PushOptions
from feedsync.sync.runner import RunContext, push_step, run_steps
from feedsync.sync.runs import Outcome, RunJournal, StepResult, exit_code_for
from feedsync.testing import FakeAdapter, FakeChannel
from tests.sync.conftest import SyncEnv


def test_a_second_run_is_refused_at_once_with_the_holder_named(tmp_path: Path) -> None:
    path = tmp_path / "feedsync.db.lock"
    with WorkspaceLock(path, "push"):
        started = time.monotonic()
        with pytest.raises(LockBusy) as caught:
            WorkspaceLock(path, "sync").acquire()
        assert time.monotonic() - started < 1
        message = caught.value.message
        assert f"pid {os.getpid()}" in message and "`feedsync push`" in message
        assert caught.value.exit_code == ExitCode.TEMPFAIL
    with WorkspaceLock(path, "sync") as again:  # released on exit
        assert not again.stale_takeover


def test_a_stale_lock_record_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "feedsync.db.lock"
    path.write_text(json.dumps({"pid": 999999, "host": "gone", "command": "sync",
                                "started_at": "2026-01-01T00:00:00Z"}))
    with WorkspaceLock(path, "push") as lock:
        assert lock.stale_takeover and lock.previous["pid"] == 999999
        assert json.loads(path.read_text())["pid"] == os.getpid()


@pytest.mark.slow
def test_the_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    path = tmp_path / "feedsync.db.lock"
    code = ("import sys, time; from pathlib import Path; "
            "from feedsync.sync.lock import WorkspaceLock; "
            f"WorkspaceLock(Path({str(path)!r}), 'sync').acquire(); "
            "print('held', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match=f"pid {child.pid}"):
            WorkspaceLock(path, "push").acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        with WorkspaceLock(path, "push") as lock:
            assert lock.previous["pid"] == child.pid
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def test_runs_are_journaled_with_steps_and_exit_codes(env: SyncEnv) -> None:
    env.add_many(3)
    env.channel.reject["SKU-001"] = ("bad", "bad item")
    report = run_steps(env.workspace, env.catalog, "push", [("push", push_step)],
                       env.options(), binder=lambda name: env.bind(name))
    assert report.exit_code == ExitCode.PARTIAL
    run = env.catalog.db.execute(
        "SELECT command, status, exit_code, finished_at FROM sync_runs").fetchone()
    assert run[:3] == ("push", "partial", 3) and run[3]
    step = env.catalog.db.execute(
        "SELECT step, channel, outcome, counts FROM sync_run_steps").fetchone()
    assert step[:3] == ("push", "fake", "partial")
    assert json.loads(step[3])["rejected"] == 1


def test_a_run_holding_the_lock_refuses_another(env: SyncEnv) -> None:
    with WorkspaceLock(lock_path(env.workspace.db_path), "sync"), pytest.raises(LockBusy):
        run_steps(env.workspace, env.catalog, "push", [("push", push_step)], env.options(),
                  binder=lambda name: env.bind(name))


def test_a_run_left_running_by_a_dead_process_is_closed_as_crashed(env: SyncEnv) -> None:
    RunJournal(env.catalog.db, "sync")  # never finished: the process "died"
    report = run_steps(env.workspace, env.catalog, "push", [], env.options())
    assert report.crashed_before == 1
    statuses = [r[0] for r in env.catalog.db.execute("SELECT status FROM sync_runs ORDER BY id")]
    assert statuses == ["crashed", "ok"]


def test_one_failing_channel_does_not_stop_the_others(env: SyncEnv) -> None:
    env.configure('[channels.other]\nenabled = true\ndelivery = "api"\n'
                  'adapter = "feedsync.testing.fake"\n')
    env.add_many(2)
    other = FakeChannel()
    env.channel.auth_failure = True

    def binder(name: str):  # type: ignore[no-untyped-def]
        channel = env.channel if name == "fake" else other
        return env.bind(name, extras={"fake_channel": channel}, adapter_cls=FakeAdapter)

    report = run_steps(env.workspace, env.catalog, "push", [("push", push_step)],
                       env.options(), binder=binder)
    outcomes = {r.channel: r.outcome for r in report.results}
    assert outcomes == {"fake": Outcome.NEEDS_HUMAN, "other": Outcome.OK}
    assert report.exit_code == ExitCode.NEEDS_HUMAN
    assert sorted(other.items) == ["SKU-000", "SKU-001"]


def test_a_broken_step_is_journaled_and_the_next_step_runs(env: SyncEnv) -> None:
    def broken(ctx: RunContext) -> list[StepResult]:
        raise RuntimeError("boom")

    def fine(ctx: RunContext) -> list[StepResult]:
        return [StepResult(step="fine", outcome=Outcome.OK)]

    report = run_steps(env.workspace, env.catalog, "sync", [("broken", broken), ("fine", fine)],
                       PushOptions())
    assert [(r.step, r.outcome) for r in report.results] == [
        ("broken", Outcome.ERROR), ("fine", Outcome.OK)]
    assert report.exit_code == ExitCode.PARTIAL


@pytest.mark.parametrize(("outcomes", "code"), [
    ([], ExitCode.OK),
    ([Outcome.OK, Outcome.SKIPPED], ExitCode.OK),
    ([Outcome.OK, Outcome.PARTIAL], ExitCode.PARTIAL),
    ([Outcome.OK, Outcome.TRANSIENT], ExitCode.PARTIAL),
    ([Outcome.TRANSIENT, Outcome.TRANSIENT], ExitCode.TEMPFAIL),
    ([Outcome.ERROR], ExitCode.ERROR),
    ([Outcome.OK, Outcome.NEEDS_HUMAN, Outcome.PARTIAL], ExitCode.NEEDS_HUMAN),
    ([Outcome.NEEDS_HUMAN, Outcome.REFUSED], ExitCode.GUARDRAIL),
])
def test_exit_codes(outcomes: list[Outcome], code: ExitCode) -> None:
    assert exit_code_for(StepResult(step="s", outcome=o) for o in outcomes) == code


def test_status_says_the_last_run_died_before_it_finished(env: SyncEnv) -> None:
    """QA: after `kill -9` of a sync, `status` printed `last run: #1 sync … ok — …` with
    nothing saying the run never finished. The run's own state is shown, text and JSON."""
    from feedsync.sync.report import status_lines
    from feedsync.sync.status import workspace_status

    journal = RunJournal(env.catalog.db, "sync")  # a sync that took its first step …
    journal.add(StepResult(step="push", outcome=Outcome.OK, channel="fake", account="default",
                           message="fake: 3 sent in 1 batch(es), 3 accepted"))
    row = workspace_status(env.workspace, env.catalog.db, ["fake"])[0]
    assert row["last_run"]["run_status"] == "running"  # this process: it is still running
    assert "still running" in "\n".join(status_lines([row]))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    env.catalog.db.execute("UPDATE sync_runs SET pid = ? WHERE id = ?",
                           [gone.pid, journal.run_id])  # … then was killed
    row = workspace_status(env.workspace, env.catalog.db, ["fake"])[0]
    assert row["last_run"]["run_status"] == "crashed"
    text = "\n".join(status_lines([row]))
    assert f"last run: #{journal.run_id} sync" in text
    assert "crashed (the process died before the run finished; the next run resumes)" in text
    run_steps(env.workspace, env.catalog, "push", [], env.options())  # closes it as crashed
    row = workspace_status(env.workspace, env.catalog.db, ["fake"])[0]
    assert row["last_run"]["run_status"] == "crashed"


def test_status_says_a_run_died_before_its_first_step(env: SyncEnv) -> None:
    """A sync killed while it still pulled orders journaled no step: status named only the
    run before it. The unfinished run is said, text and JSON."""
    from feedsync.sync.report import status_lines
    from feedsync.sync.status import workspace_status

    journal = RunJournal(env.catalog.db, "sync")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    env.catalog.db.execute("UPDATE sync_runs SET pid = ? WHERE id = ?",
                           [gone.pid, journal.run_id])
    row = workspace_status(env.workspace, env.catalog.db, ["fake"])[0]
    assert row["unfinished_run"]["run_status"] == "crashed"
    text = "\n".join(status_lines([row]))
    assert f"run #{journal.run_id} sync started" in text and "crashed (the process died" in text
