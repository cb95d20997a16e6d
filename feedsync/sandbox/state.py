"""The sandbox's own SQLite file: core tables (clock, ids, tokens, jobs) and the
marketplace modules' tables.

Every request runs in one ``BEGIN IMMEDIATE`` transaction on a pooled connection, so handlers
see a consistent state, a refused request changes nothing, and other processes (``feedsync
sandbox orders`` placing buyers' orders) can share the file. A restart keeps everything except
rate-limit buckets, which, like the marketplaces', start full.
"""

from __future__ import annotations

import json
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_ids (
    channel TEXT NOT NULL, kind TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (channel, kind));
CREATE TABLE IF NOT EXISTS sandbox_tokens (
    token TEXT PRIMARY KEY, channel TEXT NOT NULL, subject TEXT NOT NULL,
    scope TEXT, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sandbox_jobs (
    channel TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT,
    status TEXT NOT NULL, polls_left INTEGER NOT NULL, payload TEXT NOT NULL,
    result TEXT, created_at REAL NOT NULL, done_at REAL, due_at REAL,
    PRIMARY KEY (channel, id));
CREATE INDEX IF NOT EXISTS sandbox_jobs_kind ON sandbox_jobs (channel, kind, created_at);
"""

_TABLE_NAME = re.compile(r"CREATE\s+(?:TABLE|INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)


def table_names(ddl: str) -> list[str]:
    """The tables and indexes a module's DDL creates (checked against its name prefix)."""
    return _TABLE_NAME.findall(ddl)


class StateStore:
    """A pool of connections to one SQLite file (WAL, so readers never block the writer)."""

    def __init__(self, path: str | Path, *, pool_size: int = 8) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._size = pool_size
        self._writer = threading.RLock()
        self.install(CORE_SCHEMA)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=120.0, isolation_level=None,
                             check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=120000")
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Threads of this process queue on a lock rather than on SQLite's busy handler (which
        polls and can starve a request behind a long feed being processed); the busy
        timeout only arbitrates with other processes sharing the file.
        """
        with self._writer:
            try:
                db = self._pool.get_nowait()
            except queue.Empty:
                db = self._open()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                if self._pool.qsize() < self._size:
                    self._pool.put(db)
                else:
                    db.close()

    def install(self, ddl: str) -> None:
        """Create a module's tables (idempotent DDL)."""
        with self.transaction() as db:
            _run_script(db, ddl)

    def close(self) -> None:
        """Close every pooled connection."""
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def _run_script(db: sqlite3.Connection, ddl: str) -> None:
    # executescript() would COMMIT our open transaction; run statement by statement instead.
    for statement in ddl.split(";"):
        if statement.strip():
            db.execute(statement)


class Clock:
    """Sandbox time: the wall clock plus an offset kept in the state file, so a test (or
    ``POST /_sandbox/clock``) can jump ahead to expire tokens without waiting."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def offset(self, db: sqlite3.Connection) -> float:
        """Seconds the sandbox is ahead of the wall clock."""
        row = db.execute("SELECT value FROM sandbox_meta WHERE key = 'clock_offset'").fetchone()
        return float(row[0]) if row else 0.0

    def now(self, db: sqlite3.Connection) -> float:
        """The sandbox's current time (seconds since the epoch)."""
        return time.time() + self.offset(db)

    def advance(self, seconds: float) -> float:
        """Move sandbox time forward; returns the new offset."""
        with self.store.transaction() as db:
            offset = self.offset(db) + seconds
            db.execute("INSERT INTO sandbox_meta (key, value) VALUES ('clock_offset', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(offset),))
        return offset


def next_id(db: sqlite3.Connection, channel: str, kind: str) -> int:
    """The next number of a per-channel sequence (feed ids, order ids): stable across restarts."""
    db.execute("INSERT INTO sandbox_ids (channel, kind, last) VALUES (?, ?, 1) "
               "ON CONFLICT (channel, kind) DO UPDATE SET last = last + 1", (channel, kind))
    row = db.execute("SELECT last FROM sandbox_ids WHERE channel = ? AND kind = ?",
                     (channel, kind)).fetchone()
    return int(row[0])


def dumps(value: object) -> str:
    """Compact JSON for the jobs table."""
    return json.dumps(value, separators=(",", ":"), default=str)
