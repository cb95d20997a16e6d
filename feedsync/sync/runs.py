"""The journal of runs: one ``sync_runs`` row per push/sync, one ``sync_run_steps`` row per step.

A run is written as ``running`` when it starts and closed with its status and exit code; a row
still ``running`` when the next run takes the workspace lock belongs to a process that died,
and is closed as ``crashed`` then. Step outcomes and the exit code they add up to live here too.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlite_utils

from feedsync.db import utcnow_iso
from feedsync.errors import ExitCode
from feedsync.sync.state import dumps, ensure_schema


class Outcome(StrEnum):
    """How one step (a channel's push, an orders pull …) ended."""

    OK = "ok"
    PARTIAL = "partial"  # went through, but some SKUs were rejected/deferred or batches failed
    REFUSED = "refused"  # a guardrail refused the plan
    NEEDS_HUMAN = "needs_human"  # configuration or credentials must be fixed
    TRANSIENT = "transient"  # the channel is unavailable now; the next run continues
    ERROR = "error"  # an unexpected failure (a bug, a malformed answer)
    SKIPPED = "skipped"  # nothing to do by API (file delivery, disabled)


@dataclass
class StepResult:
    """What one step reports to the run."""

    step: str
    outcome: Outcome
    channel: str | None = None
    account: str | None = None
    message: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # for output only, not journaled
    started_at: str = field(default_factory=utcnow_iso)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"step": self.step, "channel": self.channel, "account": self.account,
                "outcome": self.outcome.value, "message": self.message,
                "counts": self.counts, **self.details}


def exit_code_for(results: Iterable[StepResult]) -> ExitCode:
    """The process exit code of a run: the most urgent thing a human should know.

    refused → 5; needs a human → 4; every attempted step transient → 75, every one failed →
    1; anything else short of ok → 3 (partial success); otherwise 0.
    """
    outcomes = [r.outcome for r in results if r.outcome is not Outcome.SKIPPED]
    if Outcome.REFUSED in outcomes:
        return ExitCode.GUARDRAIL
    if Outcome.NEEDS_HUMAN in outcomes:
        return ExitCode.NEEDS_HUMAN
    if outcomes and all(o is Outcome.TRANSIENT for o in outcomes):
        return ExitCode.TEMPFAIL
    if outcomes and all(o in (Outcome.TRANSIENT, Outcome.ERROR) for o in outcomes):
        return ExitCode.ERROR
    if any(o is not Outcome.OK for o in outcomes):
        return ExitCode.PARTIAL
    return ExitCode.OK


_STATUS = {
    ExitCode.OK: "ok", ExitCode.PARTIAL: "partial", ExitCode.GUARDRAIL: "refused",
    ExitCode.NEEDS_HUMAN: "needs_human", ExitCode.TEMPFAIL: "transient",
    ExitCode.ERROR: "failed",
}


class RunJournal:
    """Writes one run and its steps."""

    def __init__(self, db: sqlite_utils.Database, command: str, *, dry_run: bool = False) -> None:
        ensure_schema(db)
        self.db = db
        self.command = command
        self.crashed_before = close_dead_runs(db)
        cursor = db.execute(
            "INSERT INTO sync_runs (command, dry_run, pid, host, status, started_at)"
            " VALUES (?, ?, ?, ?, 'running', ?)",
            [command, int(dry_run), os.getpid(), socket.gethostname(), utcnow_iso()],
        )
        self.run_id = int(cursor.lastrowid or 0)
        self.results: list[StepResult] = []

    def add(self, result: StepResult) -> None:
        """Journal one step's result."""
        self.results.append(result)
        self.db.execute(
            "INSERT INTO sync_run_steps (run_id, step, channel, account, outcome, message,"
            " counts, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.run_id, result.step, result.channel, result.account, result.outcome.value,
             result.message, dumps(result.counts), result.started_at, utcnow_iso()],
        )

    def finish(self) -> ExitCode:
        """Close the run with the exit code its steps add up to."""
        code = exit_code_for(self.results)
        summary = {"steps": [{"step": r.step, "channel": r.channel, "outcome": r.outcome.value}
                             for r in self.results]}
        self.db.execute(
            "UPDATE sync_runs SET status = ?, exit_code = ?, finished_at = ?, summary = ?"
            " WHERE id = ?",
            [_STATUS.get(code, "failed"), int(code), utcnow_iso(), dumps(summary), self.run_id],
        )
        return code

    def abort(self, message: str) -> None:
        """Close the run as failed by an error that stopped it as a whole."""
        self.db.execute(
            "UPDATE sync_runs SET status = 'failed', exit_code = ?, finished_at = ?,"
            " summary = ? WHERE id = ? AND status = 'running'",
            [int(ExitCode.ERROR), utcnow_iso(), dumps({"error": message}), self.run_id])


def close_dead_runs(db: sqlite_utils.Database) -> int:
    """Runs left ``running`` by a process that died (call only while holding the lock)."""
    cursor = db.execute(
        "UPDATE sync_runs SET status = 'crashed', finished_at = ? WHERE status = 'running'",
        [utcnow_iso()])
    return int(cursor.rowcount)
