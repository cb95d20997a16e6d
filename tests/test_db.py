"""feedsync.db: migrations when two processes open a fresh workspace database at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlite_utils

from feedsync.db import migrate, open_database


def test_a_step_another_process_applied_meanwhile_is_skipped(tmp_path: Path) -> None:
    # Every command migrates before it takes the workspace lock, so two cron runs can open a
    # fresh workspace together. Replayed deterministically with two connections: the second
    # reads "not applied", then waits for the write lock while the first applies the step.
    path = tmp_path / "feedsync.db"
    first, second = open_database(path), open_database(path)
    asked_for_the_lock = threading.Event()
    second.conn.set_trace_callback(
        lambda sql: None if sql.lstrip().upper().startswith("SELECT") else asked_for_the_lock.set())
    outcome: dict[str, Any] = {}

    def other_process() -> None:
        try:
            outcome["applied"] = migrate(second, "race", steps)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    other = threading.Thread(target=other_process)

    def create(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE race (id INTEGER)")
        other.start()  # this step holds the write lock until it returns
        assert asked_for_the_lock.wait(10), "the other connection never got past its read"

    steps = [create]
    assert migrate(first, "race", steps) == 1
    other.join(20)
    assert not other.is_alive()
    assert outcome == {"applied": 0}
    assert first.execute("SELECT version FROM schema_migrations WHERE component = 'race'"
                         ).fetchall() == [(1,)]
    first.conn.close()
    second.conn.close()


def test_migrate_inside_a_callers_transaction_commits_with_it(tmp_path: Path) -> None:
    db = open_database(tmp_path / "feedsync.db")
    with db.atomic():
        assert migrate(db, "nested", ["CREATE TABLE nested (id INTEGER)"]) == 1
        assert db.conn.in_transaction  # still the caller's transaction
    assert migrate(db, "nested", ["CREATE TABLE nested (id INTEGER)"]) == 0
    assert db.execute("SELECT COUNT(*) FROM nested").fetchone() == (0,)
    db.conn.close()
