"""``feedsync status``: per channel, what is listed, pending, rejected (and why), the last run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from feedsync.orders.step import add_order_counts
from feedsync.sync.state import ensure_schema

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.config import Workspace

TOP_CODES = 5


def channel_status(db: sqlite_utils.Database, channel: str, account: str,
                   settings: Any = None) -> dict[str, Any]:
    """One channel's figures (cheap: indexed counts and one JSON aggregation)."""
    key = [channel, account]
    by_status = dict(db.execute(
        "SELECT status, COUNT(*) FROM listings WHERE channel = ? AND account = ?"
        " GROUP BY status", key).fetchall())
    listed = db.execute("SELECT COUNT(*) FROM listings WHERE channel = ? AND account = ?"
                        " AND remote_exists = 1", key).fetchone()[0]
    open_subs = db.execute(
        "SELECT COUNT(*) FROM submissions WHERE channel = ? AND account = ?"
        " AND state IN ('sending', 'pending')", key).fetchone()[0]
    held = db.execute("SELECT COUNT(*) FROM listing_inputs WHERE channel = ? AND account = ?"
                      " AND want = 'hold'", key).fetchone()[0]
    codes = db.execute(
        "SELECT json_extract(j.value, '$.code') AS code, COUNT(*) FROM listings l,"
        " json_each(l.issues) j WHERE l.channel = ? AND l.account = ? AND l.status = 'rejected'"
        " GROUP BY code ORDER BY 2 DESC, 1 LIMIT ?", [*key, TOP_CODES]).fetchall()
    last = db.execute(
        "SELECT r.id, r.command, r.dry_run, s.outcome, s.message, s.finished_at"
        " FROM sync_run_steps s JOIN sync_runs r ON r.id = s.run_id"
        " WHERE s.channel = ? AND (s.account = ? OR s.account IS NULL)"
        " ORDER BY s.id DESC LIMIT 1", key).fetchone()
    return {
        "channel": channel,
        "account": account,
        "enabled": bool(getattr(settings, "enabled", False)),
        "delivery": getattr(settings, "delivery", None),
        "listed": int(listed),
        "live": int(by_status.get("live", 0)),
        "pending": int(by_status.get("pending", 0)),
        "rejected": int(by_status.get("rejected", 0)),
        "deleted": int(by_status.get("deleted", 0)),
        "open_submissions": int(open_subs),
        "held_invalid": int(held),
        "top_rejection_codes": {code: n for code, n in codes},
        "last_run": None if last is None else {
            "run": last[0], "command": last[1], "dry_run": bool(last[2]),
            "outcome": last[3], "message": last[4], "finished_at": last[5],
        },
    }


def workspace_status(workspace: Workspace, db: sqlite_utils.Database,
                     channels: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Status of ``channels`` (default: every configured channel and any with listings)."""
    ensure_schema(db)
    wanted: list[tuple[str, str]] = []
    if channels:
        wanted = [(name, workspace.channel(name).account) for name in channels]
    else:
        wanted = [(name, ch.account) for name, ch in workspace.settings.channels.items()]
        for name, account in db.execute(
                "SELECT DISTINCT channel, account FROM listings ORDER BY 1, 2").fetchall():
            if (name, account) not in wanted:
                wanted.append((name, account))
    rows = [channel_status(db, name, account, workspace.settings.channels.get(name))
            for name, account in wanted]
    add_order_counts(db, rows)  # unacknowledged / unshipped orders (feedsync/orders/step.py)
    return rows


def rejected_listings(db: sqlite_utils.Database, channel: str, account: str,
                      limit: int = 50) -> list[dict[str, Any]]:
    """Rejected SKUs with the channel's issues, most recent first."""
    rows = db.execute(
        "SELECT sku, issues, outcome_at, updated_at FROM listings WHERE channel = ?"
        " AND account = ? AND status = 'rejected' ORDER BY updated_at DESC, sku LIMIT ?",
        [channel, account, limit]).fetchall()
    return [{"sku": sku, "issues": json.loads(issues or "[]"), "at": outcome_at or updated_at}
            for sku, issues, outcome_at, updated_at in rows]
