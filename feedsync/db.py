"""The workspace database: one SQLite file, opened the same way by every part of feedsync.

Each component (catalog, http state, sync state, orders …) owns its tables and keeps an ordered
list of migration steps; :func:`migrate` applies the ones not yet recorded for that component in
``schema_migrations``. Components are independent, so adding a table for one never renumbers
another's history.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from feedsync.clock import iso_z, utc_now

MigrationStep = str | Callable[[sqlite_utils.Database], None]

_BUSY_TIMEOUT_MS = 15_000


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the workspace database with WAL, foreign keys and a busy timeout.

    The file is created with mode 0600: it holds rotated refresh tokens (see feedsync.http).
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # 32 MB of page cache instead of SQLite's 2 MB: the orders' SKU indexes take random
        # inserts, and past 2 MB each one re-read its leaf page from the OS (issue #19: CPU per
        # order grew with the number of orders). Bounded, so memory stays flat.
        conn.execute("PRAGMA cache_size = -32000")
    db = sqlite_utils.Database(conn)
    _ensure_migrations_table(db)
    return db


def _ensure_migrations_table(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,"
        " PRIMARY KEY (component, version))"
    )


def migrate(db: sqlite_utils.Database, component: str, steps: Sequence[MigrationStep]) -> int:
    """Apply the migration ``steps`` of ``component`` that are not applied yet.

    Step *i* (0-based) is version *i + 1*. Each step and its record commit together, so a crash
    never leaves a half-applied step. Returns the number of steps applied.

    Every command opens the database (and so migrates) before it takes the workspace lock, so
    two processes may migrate a fresh workspace at once: each step is decided again inside a
    write transaction (``BEGIN IMMEDIATE``), and the process that waited for it skips a step the
    other one applied meanwhile instead of failing with "table … already exists".
    """
    done = _applied_versions(db, component)
    applied = 0
    for version, step in enumerate(steps, start=1):
        if version in done:
            continue
        with write_transaction(db):
            if version in _applied_versions(db, component):
                continue  # another process applied it while we waited for the write lock
            if isinstance(step, str):
                for statement in _split_sql(step):
                    db.execute(statement)
            else:
                step(db)
            db.execute(
                "INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)",
                [component, version, utcnow_iso()],
            )
        applied += 1
    return applied


def _applied_versions(db: sqlite_utils.Database, component: str) -> set[int]:
    return {row[0] for row in db.execute(
        "SELECT version FROM schema_migrations WHERE component = ?", [component]).fetchall()}


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT (waiting up to the busy timeout for the write lock); inside a
    caller's transaction, a savepoint of it (that transaction already decides).

    The one helper for a read-then-write that must not race another process: taking the write
    lock at BEGIN means no other writer commits between the read and the write (a deferred
    transaction would fail with SQLITE_BUSY_SNAPSHOT instead of waiting). Used by migrations,
    the orders loop and the HTTP state store.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no ';' inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def utcnow_iso() -> str:
    """The current UTC time as an ISO 8601 string with seconds precision and a Z suffix."""
    return iso_z(utc_now())
