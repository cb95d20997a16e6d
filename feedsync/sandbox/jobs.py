"""Asynchronous processing: feeds and batches that finish after a few status polls.

A module submits a job when the marketplace accepts work for later (Amazon ``createFeed``,
Walmart bulk feeds, Meta ``items_batch``) and advances it from its status route. After
``polls`` status reads the job is processed exactly once, by the module's ``process_job`` hook,
inside the transaction of the poll that finished it; its result is stored with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from feedsync.sandbox.state import dumps, next_id

QUEUED, IN_PROGRESS, DONE = "QUEUED", "IN_PROGRESS", "DONE"


@dataclass
class Job:
    """One unit of asynchronous work and, once ``DONE``, its result."""

    id: str
    kind: str
    owner: str | None
    status: str
    polls_left: int
    payload: Any
    result: Any
    created_at: float
    done_at: float | None
    due_at: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        """Rebuild from a ``sandbox_jobs`` row."""
        return cls(row["id"], row["kind"], row["owner"], row["status"], row["polls_left"],
                   json.loads(row["payload"]),
                   json.loads(row["result"]) if row["result"] is not None else None,
                   row["created_at"], row["done_at"], row["due_at"])


ProcessHook = Callable[[Job], Any]


class Jobs:
    """One channel's jobs inside the current transaction."""

    def __init__(self, db: sqlite3.Connection, channel: str, now: float,
                 process: ProcessHook) -> None:
        self.db = db
        self.channel = channel
        self.now = now
        self._process = process

    def submit(self, kind: str, payload: Any, *, polls: int = 2, owner: str | None = None,
               job_id: str | None = None, settle_s: float | None = None) -> Job:
        """Queue work; it is processed on the ``polls``-th :meth:`advance` (0 = at once), or
        on any :meth:`advance` once ``settle_s`` seconds of sandbox time have passed (a
        marketplace finishes a feed whether or not anyone asks)."""
        job_id = job_id or str(next_id(self.db, self.channel, f"job:{kind}"))
        due = self.now + settle_s if settle_s is not None else None
        self.db.execute(
            "INSERT INTO sandbox_jobs (channel, id, kind, owner, status, polls_left, payload, "
            "created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.channel, job_id, kind, owner, QUEUED, max(polls, 0), dumps(payload), self.now,
             due))
        if polls <= 0:
            return self.advance(job_id)  # type: ignore[return-value]
        return self.get(job_id)  # type: ignore[return-value]

    def get(self, job_id: str) -> Job | None:
        """The job as it is now (without advancing it)."""
        row = self.db.execute("SELECT * FROM sandbox_jobs WHERE channel = ? AND id = ?",
                              (self.channel, job_id)).fetchone()
        return Job.from_row(row) if row else None

    def advance(self, job_id: str, *, poll: bool = True) -> Job | None:
        """One status poll: QUEUED → IN_PROGRESS → … → DONE (processed once, result kept).
        ``poll=False`` (a listing, not a status read) only finishes jobs past their settle
        time."""
        job = self.get(job_id)
        if job is None or job.status == DONE:
            return job
        due = job.due_at is not None and self.now >= job.due_at
        if not poll and not due:
            return job
        left = max(job.polls_left - 1, 0)
        if left > 0 and not due:
            self.db.execute("UPDATE sandbox_jobs SET status = ?, polls_left = ? "
                            "WHERE channel = ? AND id = ?",
                            (IN_PROGRESS, left, self.channel, job_id))
            return self.get(job_id)
        result = self._process(job)
        self.db.execute("UPDATE sandbox_jobs SET status = ?, polls_left = 0, result = ?, "
                        "done_at = ? WHERE channel = ? AND id = ?",
                        (DONE, dumps(result), self.now, self.channel, job_id))
        return self.get(job_id)

    def recent(self, kind: str, *, owner: str | None = None, limit: int = 100) -> list[Job]:
        """The newest jobs of a kind first (list-recent-feeds read-backs)."""
        sql = "SELECT * FROM sandbox_jobs WHERE channel = ? AND kind = ?"
        args: list[Any] = [self.channel, kind]
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        return [Job.from_row(row) for row in self.db.execute(sql, args)]
