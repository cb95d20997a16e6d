"""Daily listing snapshots: one row per channel, account and day, so the report shows trends.

``feedsync report`` (and ``feedsync sync --report``) records today's listing figures of every
channel it reports on; a later run on the same day replaces that day's row. The table stays
small by construction (channels × days) and is its own migration component, ``report``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlite_utils

from feedsync.db import MigrationStep, migrate, utcnow_iso

COMPONENT = "report"

_V1 = """
CREATE TABLE report_snapshots (
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    listed INTEGER NOT NULL,
    live INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    excluded INTEGER NOT NULL,
    catalog_active INTEGER NOT NULL,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (day, channel, account)
)
"""

MIGRATIONS: list[MigrationStep] = [_V1]

FIGURES = ("listed", "live", "pending", "rejected", "excluded", "catalog_active")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or upgrade the snapshot table (idempotent)."""
    migrate(db, COMPONENT, MIGRATIONS)


def record(db: sqlite_utils.Database, day: date,
           rows: Iterable[Mapping[str, Any]]) -> None:
    """Store ``day``'s figures of each channel row (replacing that day's earlier snapshot)."""
    ensure_schema(db)
    now = utcnow_iso()
    with db.atomic():
        for row in rows:
            db.execute(
                "INSERT INTO report_snapshots (day, channel, account, listed, live, pending,"
                " rejected, excluded, catalog_active, taken_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (day, channel, account) DO UPDATE SET listed = excluded.listed,"
                " live = excluded.live, pending = excluded.pending,"
                " rejected = excluded.rejected, excluded = excluded.excluded,"
                " catalog_active = excluded.catalog_active, taken_at = excluded.taken_at",
                [day.isoformat(), row["channel"], row["account"],
                 *(int(row[name]) for name in FIGURES), now])


def history(db: sqlite_utils.Database, channel: str, account: str,
            since: date) -> list[dict[str, Any]]:
    """The snapshots of one channel from ``since`` on, oldest first."""
    ensure_schema(db)
    cursor = db.execute(
        "SELECT day, listed, live, pending, rejected, excluded, catalog_active"
        " FROM report_snapshots WHERE channel = ? AND account = ? AND day >= ? ORDER BY day",
        [channel, account, since.isoformat()])
    names = ("day", *FIGURES)
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
