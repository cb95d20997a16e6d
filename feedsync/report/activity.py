"""What the channel report shows besides money: rejections, oversells, fast-path latency, runs.

Each function is one indexed query (or a small streamed one) over tables other modules own:
``listings`` / ``listing_inputs`` (feedsync.sync.state), ``order_issues`` / ``orders``
(feedsync.orders.schema) and the run journal ``sync_runs`` / ``sync_run_steps``.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from typing import Any

import sqlite_utils

from feedsync.clock import parse_iso

TOP_REASONS = 5
SKUS_PER_REASON = 10
LAST_RUNS = 10


def excluded_count(db: sqlite_utils.Database, channel: str, account: str) -> int:
    """SKUs kept off the channel on purpose: filtered by the mapping (drafts included),
    excluded by an override, or archived in the store (feedsync.sync.parts.DeleteReason)."""
    return int(db.execute(
        "SELECT COUNT(*) FROM listing_inputs WHERE channel = ? AND account = ?"
        " AND want = 'delete' AND reason IN ('filtered', 'excluded', 'archived')",
        [channel, account]).fetchone()[0])


def rejection_reasons(db: sqlite_utils.Database, channel: str,
                      account: str) -> list[dict[str, Any]]:
    """The most frequent reasons SKUs are not live: the channel's rejections and feedsync's
    own validation holds, each with up to ten SKUs and the command that explains one."""
    reasons: dict[tuple[str, str], dict[str, Any]] = {}
    queries = (
        ("channel", "SELECT sku, issues FROM listings WHERE channel = ? AND account = ?"
                    " AND status = 'rejected' ORDER BY sku"),
        ("validation", "SELECT sku, issues FROM listing_inputs WHERE channel = ?"
                       " AND account = ? AND want = 'hold' ORDER BY sku"),
    )
    for source, sql in queries:
        for sku, issues_json in db.execute(sql, [channel, account]):
            try:
                issues = json.loads(issues_json or "[]")
            except ValueError:
                issues = []
            errors = [i for i in issues if isinstance(i, dict)
                      and i.get("severity", "error") == "error"] or issues[:1]
            for issue in errors[:1]:  # a SKU counts once, under its first error
                code = str(issue.get("code") or "unknown")
                entry = reasons.setdefault((source, code), {
                    "source": source, "code": code, "count": 0,
                    "message": str(issue.get("message") or ""), "skus": []})
                entry["count"] += 1
                if len(entry["skus"]) < SKUS_PER_REASON:
                    entry["skus"].append(sku)
    top = sorted(reasons.values(), key=lambda e: (-e["count"], e["source"], e["code"]))
    for entry in top:
        entry["explain"] = [f"feedsync explain {channel} {sku}" for sku in entry["skus"][:3]]
    return top[:TOP_REASONS]


def oversells(db: sqlite_utils.Database, channel: str, start: str,
              end: str) -> list[dict[str, Any]]:
    """Oversell incidents flagged on this channel's orders placed in ``[start, end)`` (an
    incident belongs to the day its order was placed, like the order's money)."""
    rows = db.execute(
        "SELECT i.order_id, i.sku, i.message, i.detected_at, i.resolved_at FROM order_issues i"
        " JOIN orders o ON o.channel = i.channel AND o.account = i.account"
        " AND o.order_id = i.order_id WHERE i.channel = ? AND i.code = 'oversell'"
        " AND o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at, i.order_id",
        [channel, start, end]).fetchall()
    return [{"order_id": r[0], "sku": r[1], "message": r[2], "detected_at": r[3],
             "resolved_at": r[4]} for r in rows]


def _parse(text: str | None) -> datetime | None:
    """A stored ISO timestamp, or None when absent or unreadable (the figure is skipped)."""
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None


def fast_path_latency(db: sqlite_utils.Database, channel: str, start: str,
                      end: str) -> dict[str, Any]:
    """Seconds from an order being placed on ``channel`` to the other channels' quantities
    being pushed by the same run's fast path (median, worst, samples).

    A run's fast path ends when its last ``fast_path`` step that pushed something finished;
    an order counts when that run stored it (first seen between the run's start and then).
    """
    runs = db.execute(
        "SELECT r.id, r.started_at, MAX(s.finished_at) FROM sync_runs r"
        " JOIN sync_run_steps s ON s.run_id = r.id"
        " WHERE s.step = 'fast_path' AND COALESCE(json_extract(s.counts, '$.pushed'), 0) > 0"
        " AND r.started_at >= ? AND r.started_at < ? GROUP BY r.id", [start, end]).fetchall()
    samples: list[float] = []
    for _run_id, run_start, pushed_at in runs:
        done = _parse(pushed_at)
        if done is None:
            continue
        for (created_at,) in db.execute(
                "SELECT created_at FROM orders WHERE channel = ? AND first_seen_at >= ?"
                " AND first_seen_at <= ?", [channel, run_start, pushed_at]):
            placed = _parse(created_at)
            if placed is not None:
                samples.append(max(0.0, (done - placed).total_seconds()))
    if not samples:
        return {"samples": 0, "median_seconds": None, "worst_seconds": None}
    return {"samples": len(samples), "median_seconds": round(statistics.median(samples), 1),
            "worst_seconds": round(max(samples), 1)}


def last_runs(db: sqlite_utils.Database, channel: str, account: str) -> list[dict[str, Any]]:
    """The last runs that had a step for this channel: outcome, dry run, duration."""
    rows = db.execute(
        "SELECT r.id, r.command, r.dry_run, r.started_at, r.finished_at, r.status,"
        " group_concat(s.step || ':' || s.outcome, ', ')"
        " FROM sync_runs r JOIN sync_run_steps s ON s.run_id = r.id"
        " WHERE s.channel = ? AND (s.account = ? OR s.account IS NULL)"
        " GROUP BY r.id ORDER BY r.id DESC LIMIT ?", [channel, account, LAST_RUNS]).fetchall()
    out = []
    for run_id, command, dry_run, started, finished, status, steps in rows:
        begin, end = _parse(started), _parse(finished)
        duration = None if begin is None or end is None else (end - begin).total_seconds()
        out.append({"run": run_id, "command": command, "dry_run": bool(dry_run),
                    "started_at": started, "finished_at": finished, "status": status,
                    "steps": steps or "", "duration_seconds": duration})
    return out
