"""``feedsync status``: per channel, what is listed, pending, rejected (and why), the last run."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from feedsync.errors import FeedsyncError
from feedsync.feeds.channel import default_target, feed_format
from feedsync.feeds.gate import previous_feed, read_state
from feedsync.orders.step import add_order_counts
from feedsync.sync.readback import undecided
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
        "undecided": undecided(db, channel, account) if open_subs else [],
        "held_invalid": int(held),
        "top_rejection_codes": {code: n for code, n in codes},
        **run_history(db, channel, account),
    }


_STEP_COLUMNS = ("SELECT s.id, r.id, r.command, r.dry_run, s.step, s.outcome, s.message,"
                 " s.counts, s.finished_at, r.status, r.pid, r.host FROM sync_run_steps s"
                 " JOIN sync_runs r"
                 " ON r.id = s.run_id WHERE s.channel = ? AND (s.account = ? OR s.account IS NULL)")


def _step(row: Sequence[Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"run": row[1], "command": row[2], "dry_run": bool(row[3]), "step": row[4],
            "outcome": row[5], "message": row[6], "counts": json.loads(row[7] or "{}"),
            "finished_at": row[8], "run_status": run_state(row[9], row[10], row[11]),
            "_id": row[0]}


def run_state(status: str | None, pid: int | None, host: str | None) -> str:
    """The state of a journaled run: its status, except that a run still ``running`` whose
    process is gone is ``crashed`` (the next run closes it so; status only reads, so it says
    it now). A step can be ok in a run that never finished: status must not hide that."""
    if status != "running":
        return status or "unknown"
    if host not in (None, socket.gethostname()) or pid is None:
        return "running"  # another machine's process: it cannot be checked from here
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return "crashed"
    except PermissionError:  # alive, another user's process
        pass
    return "running"


def run_history(db: sqlite_utils.Database, channel: str, account: str) -> dict[str, Any]:
    """The channel's last real run, a later dry run, and each kind of step (push, feed,
    orders …) whose latest real run did not succeed: a dry run or a skipped step never hides
    a real outcome, and a failure stays shown until that step succeeds again."""
    key = [channel, account]
    real = " AND r.dry_run = 0 AND s.outcome != 'skipped'"
    last = _step(db.execute(_STEP_COLUMNS + real + " ORDER BY s.id DESC LIMIT 1", key)
                 .fetchone())
    dry = _step(db.execute(_STEP_COLUMNS + " AND r.dry_run = 1 ORDER BY s.id DESC LIMIT 1", key)
                .fetchone())
    if dry is not None and last is not None and dry["_id"] < last["_id"]:
        dry = None
    latest_ids = [row[0] for row in db.execute(
        "SELECT MAX(s.id) FROM sync_run_steps s JOIN sync_runs r ON r.id = s.run_id"
        " WHERE s.channel = ? AND (s.account = ? OR s.account IS NULL)" + real
        + " GROUP BY s.step", key).fetchall()]
    failures = []
    for step_id in sorted(latest_ids, reverse=True):
        step = _step(db.execute(_STEP_COLUMNS + " AND s.id = ?", [*key, step_id]).fetchone())
        if step is not None and step["outcome"] != "ok" and step["_id"] != (last or {}).get("_id"):
            failures.append(step)
    for item in (last, dry, *failures):
        if item is not None:
            del item["_id"]
    return {"last_run": last, "last_dry_run": dry, "unresolved_failures": failures,
            "unfinished_run": _unfinished_since(db, last)}


def _unfinished_since(db: sqlite_utils.Database, last: dict[str, Any] | None
                      ) -> dict[str, Any] | None:
    """The newest real run, if it did not finish (crashed or still running) and journaled
    nothing for this channel: a run killed before its first step must not look like none."""
    row = db.execute("SELECT id, command, status, pid, host, started_at FROM sync_runs"
                     " WHERE dry_run = 0 ORDER BY id DESC LIMIT 1").fetchone()
    if row is None or (last is not None and last["run"] >= row[0]):
        return None
    state = run_state(row[2], row[3], row[4])
    if state not in ("crashed", "running"):
        return None
    return {"run": row[0], "command": row[1], "run_status": state, "started_at": row[5]}


def feed_status(workspace: Workspace, db: sqlite_utils.Database,
                channel: str) -> dict[str, Any] | None:
    """What the channel's published feed file holds now: the file of its last successful feed
    build (journaled), else the default target; its item count from the publish gate's state
    when that still describes the file on disk, else counted."""
    row = db.execute(
        "SELECT s.counts FROM sync_run_steps s JOIN sync_runs r ON r.id = s.run_id"
        " WHERE s.channel = ? AND s.step = 'feed' AND s.outcome = 'ok' AND r.dry_run = 0"
        " AND json_extract(s.counts, '$.path') IS NOT NULL ORDER BY s.id DESC LIMIT 1",
        [channel]).fetchone()
    counts = json.loads(row[0]) if row else {}
    try:
        fmt = feed_format(workspace, channel, counts.get("format"))
    except FeedsyncError:
        return None
    # journaled relative to the workspace when inside it (an absolute path stays as it is)
    target = workspace.root / counts["path"] if counts.get("path") else default_target(
        workspace, channel, fmt, False)
    if not target.exists():
        return {"path": str(target), "exists": False, "items": 0, "format": fmt.name,
                "published_at": None}
    state = read_state(target)
    previous = previous_feed(target, fmt)
    return {"path": str(target), "exists": True, "items": previous.items or 0,
            "format": fmt.name,
            "published_at": state.built_at if state is not None and previous.source == "state"
            else None}


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
    rows = []
    for name, account in wanted:
        settings = workspace.settings.channels.get(name)
        row = channel_status(db, name, account, settings)
        if settings is not None and settings.delivery == "file":
            # A file channel lists what its published feed holds (issue #17).
            feed = feed_status(workspace, db, name)
            row["feed"] = feed
            row["listed"] = feed["items"] if feed else 0
        rows.append(row)
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
