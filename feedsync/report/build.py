"""Assemble the channel report's figures (the data behind the HTML page and ``--json``).

:func:`build_report` reads the workspace database once per figure family and returns plain
JSON-ready data: money as exact decimal strings per currency (and converted into the catalog's
default currency where rates allow), counts as integers, times as ISO 8601 UTC. It also records
today's listing snapshot of each channel (:mod:`feedsync.report.snapshots`) so later reports
show the trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from feedsync.clock import iso_z
from feedsync.report import activity, snapshots
from feedsync.report.money import Amounts, Converter, as_text, texts
from feedsync.report.orders_money import MONEY_FIGURES, ChannelMoney, channel_money

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.config import Workspace

DEFAULT_DAYS = 30


def period(since: date | None, now: datetime, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The report's days: ``since`` (default: ``days`` ago) up to and including today."""
    today = now.astimezone(UTC).date()
    start = since or today - timedelta(days=days - 1)
    return start, today


def _iso(day: date) -> str:
    return iso_z(datetime.combine(day, time(0), UTC))


def _money(amounts: Amounts, converter: Converter) -> dict[str, Any]:
    total, missing = converter.total(amounts)
    return {"by_currency": texts(amounts),
            "converted": as_text(total, converter.target), "unconverted": missing}


def _channel_orders(money: ChannelMoney | None, converter: Converter,
                    days: list[date]) -> dict[str, Any]:
    money = money or ChannelMoney()
    daily = []
    for day in days:
        bucket = money.daily.get(day.isoformat())
        row: dict[str, Any] = {"day": day.isoformat(),
                               "orders": bucket["orders"] if bucket else 0,
                               "units": bucket["units"] if bucket else 0}
        for name in MONEY_FIGURES:
            total, _missing = converter.total(bucket[name]) if bucket else (None, [])
            row[name] = as_text(total, converter.target) if total is not None else "0"
        daily.append(row)
    return {
        "orders": money.orders, "units": money.units, "cancelled": money.cancelled,
        "refunded": money.refunded, "fees_unknown_orders": money.fees_unknown,
        "cogs_missing_units": money.cogs_missing_units,
        "money": {name: _money(money.totals[name], converter) for name in MONEY_FIGURES},
        "daily": daily,
    }


def build_report(workspace: Workspace, db: sqlite_utils.Database, *,
                 since: date | None = None, channels: Sequence[str] = (),
                 now: datetime | None = None, record_snapshot: bool = True) -> dict[str, Any]:
    """Every figure of ``feedsync report`` for ``channels`` (default: all configured)."""
    from feedsync.sync.status import workspace_status

    now = now or datetime.now(UTC)
    first, last = period(since, now)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    start, end = _iso(first), _iso(last + timedelta(days=1))
    settings = workspace.settings
    converter = Converter(settings.catalog.default_currency, settings.currency_rates)
    statuses = workspace_status(workspace, db, channels)
    active = int(db.execute(
        "SELECT COUNT(*) FROM products WHERE status = 'active'").fetchone()[0])
    money = channel_money(db, start=start, end=end, channels=[s["channel"] for s in statuses],
                          default_currency=converter.target, rates=settings.currency_rates,
                          fee_models=settings.fees)
    rows: list[dict[str, Any]] = []
    for status in statuses:
        name, account = status["channel"], status["account"]
        listing: dict[str, Any] = {key: int(status.get(key, 0)) for key in (
            "listed", "live", "pending", "rejected", "held_invalid")}
        listing["excluded"] = activity.excluded_count(db, name, account)
        reasons = activity.rejection_reasons(db, name, account)
        feed_counts = _last_feed_counts(status)
        if feed_counts is not None:  # a file channel: its last feed build says what it left out
            listing["excluded"] = int(feed_counts.get("excluded", 0))
            listing["held_invalid"] = int(feed_counts.get("skipped", 0))
            if listing["held_invalid"]:
                reasons.insert(0, {
                    "source": "validation", "code": "left_out_of_feed",
                    "count": listing["held_invalid"],
                    "message": "left out of the last feed for validation errors",
                    "skus": [], "explain": [f"feedsync validate {name}"]})
        listing["catalog_active"] = active
        listing["share_listed"] = round(listing["listed"] / active, 4) if active else 0.0
        rows.append({
            "channel": name, "account": account, "enabled": status.get("enabled", False),
            "delivery": status.get("delivery"), "listing": listing,
            "rejection_reasons": reasons,
            "orders": _channel_orders(money.get(name), converter, days),
            "oversells": activity.oversells(db, name, start, end),
            "fast_path": activity.fast_path_latency(db, name, start, end),
            "last_runs": activity.last_runs(db, name, account),
            "fee_model": name in settings.fees,
        })
    if record_snapshot:
        snapshots.record(db, last, [{"channel": r["channel"], "account": r["account"],
                                     **r["listing"]} for r in rows])
    for row in rows:
        row["history"] = snapshots.history(db, row["channel"], row["account"], first)
    return {
        "workspace": settings.workspace.name,
        "generated_at": iso_z(now),
        "since": first.isoformat(), "until": last.isoformat(),
        "currency": converter.target,
        "catalog": {"active": active},
        "channels": rows,
        "summary": [_summary(row) for row in rows],
    }


def _last_feed_counts(status: dict[str, Any]) -> dict[str, Any] | None:
    """The counts of a file channel's last feed build (from ``feedsync status``), if any."""
    if status.get("delivery") != "file":
        return None
    last = status.get("last_run") or {}
    counts = last.get("counts") if last.get("step") == "feed" else None
    return counts if isinstance(counts, dict) else None


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    orders = row["orders"]
    money = orders["money"]
    return {"channel": row["channel"], "listed": row["listing"]["listed"],
            "share_listed": row["listing"]["share_listed"],
            "rejected": row["listing"]["rejected"] + row["listing"]["held_invalid"],
            "orders": orders["orders"], "units": orders["units"],
            "revenue": money["revenue"]["converted"], "fees": money["fees"]["converted"],
            "margin": money["margin"]["converted"],
            "oversells": len(row["oversells"]),
            "fast_path_median_seconds": row["fast_path"]["median_seconds"]}
