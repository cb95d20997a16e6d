"""Where the HTTP layer keeps state that must outlive one run.

Three kinds of state: token-bucket levels (so back-to-back cron runs do not burst past a limit
whose window is longer than a run), rolling daily-budget usage, and rotated OAuth refresh tokens.
:class:`SqliteStateStore` keeps them in the workspace database (component ``"http"``; the file is
created 0600 by :func:`feedsync.db.open_database`), the only place a refresh token is ever written.
:class:`MemoryStateStore` is the same contract in memory, for tests and one-off scripts.

Every read-modify-write runs inside :meth:`StateStore.transaction`, which takes SQLite's write
lock up front (``BEGIN IMMEDIATE``), so two processes sharing a workspace cannot both spend the
same token.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

import sqlite_utils

from feedsync.db import migrate, utcnow_iso, write_transaction


@dataclass(frozen=True)
class BucketKey:
    """Identifies one token bucket: (channel, account, operation)."""

    channel: str
    account: str
    operation: str

    def __str__(self) -> str:
        return f"{self.channel}[{self.account}].{self.operation}"


@dataclass
class BucketState:
    """A bucket's level at ``updated_at``; ``rate`` is a rate learned from response headers."""

    tokens: float
    updated_at: float
    rate: float | None = None
    blocked_until: float = 0.0


@dataclass(frozen=True)
class StoredRefreshToken:
    """A rotated refresh token and the fingerprint of the configured token it descends from."""

    token: str
    origin: str


class StateStore(Protocol):
    """Persistence used by buckets, budgets and refreshing auth."""

    def transaction(self) -> AbstractContextManager[None]:
        """A context manager making the enclosed reads and writes atomic."""
        ...

    def get_bucket(self, key: BucketKey) -> BucketState | None:
        """The stored state of a bucket, or None if never used."""
        ...

    def put_bucket(self, key: BucketKey, state: BucketState) -> None:
        """Store a bucket's state."""
        ...

    def usage(self, key: BucketKey, budget_key: str, since_slot: int) -> list[tuple[int, int]]:
        """(slot, calls) rows of one budget key from ``since_slot`` on."""
        ...

    def add_usage(self, key: BucketKey, budget_key: str, slot: int, calls: int) -> None:
        """Add ``calls`` to the usage of ``slot``."""
        ...

    def prune_usage(self, before_slot: int) -> None:
        """Forget usage older than ``before_slot`` (it can no longer count against a window)."""
        ...

    def get_refresh_token(self, channel: str, account: str) -> StoredRefreshToken | None:
        """The rotated refresh token stored for a channel account, if any."""
        ...

    def put_refresh_token(self, channel: str, account: str, token: StoredRefreshToken) -> None:
        """Store a rotated refresh token (replacing the previous one)."""
        ...


class MemoryStateStore:
    """The :class:`StateStore` contract held in dictionaries (tests, scripts)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._buckets: dict[BucketKey, BucketState] = {}
        self._usage: dict[tuple[BucketKey, str], dict[int, int]] = {}
        self._tokens: dict[tuple[str, str], StoredRefreshToken] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise access (there is no partial write to roll back in memory)."""
        with self._lock:
            yield

    def get_bucket(self, key: BucketKey) -> BucketState | None:
        """See :class:`StateStore`."""
        with self._lock:
            state = self._buckets.get(key)
            return None if state is None else BucketState(**vars(state))

    def put_bucket(self, key: BucketKey, state: BucketState) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self._buckets[key] = BucketState(**vars(state))

    def usage(self, key: BucketKey, budget_key: str, since_slot: int) -> list[tuple[int, int]]:
        """See :class:`StateStore`."""
        with self._lock:
            slots = self._usage.get((key, budget_key), {})
            return sorted((s, n) for s, n in slots.items() if s >= since_slot)

    def add_usage(self, key: BucketKey, budget_key: str, slot: int, calls: int) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            slots = self._usage.setdefault((key, budget_key), {})
            slots[slot] = slots.get(slot, 0) + calls

    def prune_usage(self, before_slot: int) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            for ident in list(self._usage):
                kept = {s: n for s, n in self._usage[ident].items() if s >= before_slot}
                if kept:
                    self._usage[ident] = kept
                else:
                    del self._usage[ident]

    def get_refresh_token(self, channel: str, account: str) -> StoredRefreshToken | None:
        """See :class:`StateStore`."""
        with self._lock:
            return self._tokens.get((channel, account))

    def put_refresh_token(self, channel: str, account: str, token: StoredRefreshToken) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self._tokens[(channel, account)] = token


MIGRATIONS: list[str] = [
    """
    CREATE TABLE http_buckets (
        channel TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL,
        tokens REAL NOT NULL, updated_at REAL NOT NULL, rate REAL,
        blocked_until REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (channel, account, operation));
    CREATE TABLE http_budget_usage (
        channel TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL,
        budget_key TEXT NOT NULL, slot INTEGER NOT NULL, calls INTEGER NOT NULL,
        PRIMARY KEY (channel, account, operation, budget_key, slot));
    CREATE INDEX http_budget_usage_slot ON http_budget_usage (slot);
    CREATE TABLE http_refresh_tokens (
        channel TEXT NOT NULL, account TEXT NOT NULL, refresh_token TEXT NOT NULL,
        origin TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (channel, account))
    """,
]


class SqliteStateStore:
    """The :class:`StateStore` contract in the workspace database (component ``"http"``)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # The connection is shared between threads (check_same_thread=False): serialise use.
        self._lock = threading.RLock()
        with self._lock:
            migrate(db, "http", MIGRATIONS)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE (or a savepoint inside a caller's transaction); commit or roll back
        (:func:`feedsync.db.write_transaction`, under this store's thread lock)."""
        with self._lock, write_transaction(self.db):
            yield

    def get_bucket(self, key: BucketKey) -> BucketState | None:
        """See :class:`StateStore`."""
        with self._lock:
            row = self.db.execute(
                "SELECT tokens, updated_at, rate, blocked_until FROM http_buckets"
                " WHERE channel = ? AND account = ? AND operation = ?",
                [key.channel, key.account, key.operation],
            ).fetchone()
        if row is None:
            return None
        return BucketState(tokens=row[0], updated_at=row[1], rate=row[2], blocked_until=row[3])

    def put_bucket(self, key: BucketKey, state: BucketState) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self.db.execute(
                "INSERT INTO http_buckets"
                " (channel, account, operation, tokens, updated_at, rate, blocked_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel, account, operation) DO UPDATE SET"
                " tokens = excluded.tokens, updated_at = excluded.updated_at,"
                " rate = excluded.rate, blocked_until = excluded.blocked_until",
                [key.channel, key.account, key.operation, state.tokens, state.updated_at,
                 state.rate, state.blocked_until],
            )

    def usage(self, key: BucketKey, budget_key: str, since_slot: int) -> list[tuple[int, int]]:
        """See :class:`StateStore`."""
        with self._lock:
            rows = self.db.execute(
                "SELECT slot, calls FROM http_budget_usage WHERE channel = ? AND account = ?"
                " AND operation = ? AND budget_key = ? AND slot >= ? ORDER BY slot",
                [key.channel, key.account, key.operation, budget_key, since_slot],
            ).fetchall()
        return [(int(s), int(n)) for s, n in rows]

    def add_usage(self, key: BucketKey, budget_key: str, slot: int, calls: int) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self.db.execute(
                "INSERT INTO http_budget_usage"
                " (channel, account, operation, budget_key, slot, calls) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel, account, operation, budget_key, slot)"
                " DO UPDATE SET calls = calls + excluded.calls",
                [key.channel, key.account, key.operation, budget_key, slot, calls],
            )

    def prune_usage(self, before_slot: int) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self.db.execute("DELETE FROM http_budget_usage WHERE slot < ?", [before_slot])

    def get_refresh_token(self, channel: str, account: str) -> StoredRefreshToken | None:
        """See :class:`StateStore`."""
        with self._lock:
            row = self.db.execute(
                "SELECT refresh_token, origin FROM http_refresh_tokens"
                " WHERE channel = ? AND account = ?",
                [channel, account],
            ).fetchone()
        return None if row is None else StoredRefreshToken(token=row[0], origin=row[1])

    def put_refresh_token(self, channel: str, account: str, token: StoredRefreshToken) -> None:
        """See :class:`StateStore`."""
        with self._lock:
            self.db.execute(
                "INSERT INTO http_refresh_tokens"
                " (channel, account, refresh_token, origin, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (channel, account) DO UPDATE SET"
                " refresh_token = excluded.refresh_token, origin = excluded.origin,"
                " updated_at = excluded.updated_at",
                [channel, account, token.token, token.origin, utcnow_iso()],
            )
