"""Reading stored orders: streaming iteration, CSV/JSONL export, and per-channel counts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import IO, Any

import sqlite_utils

from feedsync.db import migrate
from feedsync.orders import schema
from feedsync.spreadsheet import SpreadsheetWriter

ORDER_COLUMNS: tuple[str, ...] = (
    "channel", "account", "order_id", "status", "created_at", "updated_at", "total", "currency",
    "fees", "fulfillment_channel", "unknown_skus", "ack_required", "acked_at", "ack_error",
    "first_seen_at", "stored_at",
)
LINE_COLUMNS: tuple[str, ...] = (
    "line_id", "sku", "quantity", "quantity_shipped", "quantity_confirmed", "shipped_high",
    "unit_price", "currency", "title", "channel_item_id", "sku_known",
)
CSV_COLUMNS: tuple[str, ...] = (
    *ORDER_COLUMNS, *(f"line_{c}" if c in ("currency",) else c for c in LINE_COLUMNS), "flags",
)


def _where(channels: Sequence[str], status: Sequence[str], since: str | None,
           flagged: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if channels:
        clauses.append(f"o.channel IN ({', '.join('?' for _ in channels)})")
        params.extend(channels)
    if status:
        clauses.append(f"o.status IN ({', '.join('?' for _ in status)})")
        params.extend(status)
    if since:
        clauses.append("o.created_at >= ?")
        params.append(since)
    if flagged:
        clauses.append("EXISTS (SELECT 1 FROM order_issues i WHERE i.channel = o.channel AND"
                       " i.account = o.account AND i.order_id = o.order_id AND"
                       " i.resolved_at IS NULL)")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def iter_orders(db: sqlite_utils.Database, *, channels: Sequence[str] = (),
                status: Sequence[str] = (), since: str | None = None,
                flagged: bool = False) -> Iterator[dict[str, Any]]:
    """Stream orders (with ``lines`` and open ``flags``) ordered by channel, account, order id.

    Three cursors in the same order are merged, so memory stays flat however many orders.
    """
    migrate(db, schema.COMPONENT, schema.MIGRATIONS)
    where, params = _where(channels, status, since, flagged)
    key = "o.channel, o.account, o.order_id"
    orders = db.conn.execute(
        f"SELECT {', '.join('o.' + c for c in ORDER_COLUMNS)} FROM orders o{where}"
        f" ORDER BY {key}", params,
    )
    lines = db.conn.execute(
        f"SELECT l.channel, l.account, l.order_id, {', '.join('l.' + c for c in LINE_COLUMNS)}"
        f" FROM order_lines l JOIN orders o USING (channel, account, order_id){where}"
        f" ORDER BY {key}, l.position", params,
    )
    issues = db.conn.execute(
        f"SELECT i.channel, i.account, i.order_id, i.line_id, i.code, i.message FROM order_issues"
        f" i JOIN orders o USING (channel, account, order_id){where}"
        f"{' AND' if where else ' WHERE'} i.resolved_at IS NULL ORDER BY {key}, i.line_id",
        params,
    )
    next_line, next_issue = lines.fetchone(), issues.fetchone()
    for values in orders:
        order = dict(zip(ORDER_COLUMNS, values, strict=True))
        ident = (order["channel"], order["account"], order["order_id"])
        order["lines"], order["flags"] = [], []
        while next_line is not None and tuple(next_line[:3]) < ident:
            next_line = lines.fetchone()
        while next_line is not None and tuple(next_line[:3]) == ident:
            order["lines"].append(dict(zip(LINE_COLUMNS, next_line[3:], strict=True)))
            next_line = lines.fetchone()
        while next_issue is not None and tuple(next_issue[:3]) < ident:
            next_issue = issues.fetchone()
        while next_issue is not None and tuple(next_issue[:3]) == ident:
            order["flags"].append({"line_id": next_issue[3], "code": next_issue[4],
                                   "message": next_issue[5]})
            next_issue = issues.fetchone()
        yield order


def recent_orders(db: sqlite_utils.Database, limit: int, *, channels: Sequence[str] = (),
                  status: Sequence[str] = (), since: str | None = None,
                  flagged: bool = False) -> list[dict[str, Any]]:
    """The ``limit`` most recently created orders (newest first), with lines and open flags."""
    migrate(db, schema.COMPONENT, schema.MIGRATIONS)
    where, params = _where(channels, status, since, flagged)
    rows = db.conn.execute(
        f"SELECT {', '.join('o.' + c for c in ORDER_COLUMNS)} FROM orders o{where}"
        " ORDER BY o.created_at DESC, o.order_id DESC LIMIT ?", [*params, limit],
    ).fetchall()
    found = []
    for values in rows:
        order = dict(zip(ORDER_COLUMNS, values, strict=True))
        key = [order["channel"], order["account"], order["order_id"]]
        order["lines"] = [dict(zip(LINE_COLUMNS, line, strict=True)) for line in db.execute(
            f"SELECT {', '.join(LINE_COLUMNS)} FROM order_lines WHERE channel = ? AND"
            " account = ? AND order_id = ? ORDER BY position", key).fetchall()]
        order["flags"] = [{"line_id": lid, "code": code, "message": message}
                          for lid, code, message in db.execute(
            "SELECT line_id, code, message FROM order_issues WHERE channel = ? AND account = ?"
            " AND order_id = ? AND resolved_at IS NULL ORDER BY line_id", key).fetchall()]
        found.append(order)
    return found


def write_jsonl(orders: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """One order per line, lines nested; returns the number of orders written."""
    count = 0
    for order in orders:
        out.write(json.dumps(order, ensure_ascii=False, sort_keys=False) + "\n")
        count += 1
    return count


def write_csv(orders: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """One row per order line (order columns repeated; an order without lines gets one row)."""
    writer = SpreadsheetWriter(out)  # neutralised cells; a bare \r in a cell is quoted
    writer.writerow(CSV_COLUMNS)
    count = 0
    for order in orders:
        head = [order[c] for c in ORDER_COLUMNS]
        flags = "; ".join(f"{f['code']}" + (f"@{f['line_id']}" if f["line_id"] else "")
                          for f in order["flags"])
        for line in order["lines"] or [dict.fromkeys(LINE_COLUMNS)]:
            # Buyer names and addresses come from strangers: no formula reaches a spreadsheet.
            writer.writerow([*head, *(line[c] for c in LINE_COLUMNS), flags])
        count += 1
    return count


def status_counts(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """Per channel: orders, unacknowledged, unshipped, open issues and queued quantity pushes.

    ``unacknowledged``: stored open orders a channel that requires acknowledgement has not had
    acknowledged yet. ``unshipped``: open merchant-fulfilled orders (unshipped or partially
    shipped). ``queued_pushes`` counts SKUs waiting for the fast path *to* that channel.
    """
    migrate(db, schema.COMPONENT, schema.MIGRATIONS)
    counts: dict[str, dict[str, int]] = {}

    def bucket(channel: str) -> dict[str, int]:
        return counts.setdefault(channel, dict.fromkeys(
            ("orders", "unacknowledged", "unshipped", "open_issues", "queued_pushes"), 0))

    for channel, total, unacked, unshipped in db.execute(
        "SELECT channel, COUNT(*),"
        " SUM(ack_required = 1 AND acked_at IS NULL AND status IN ('pending', 'unshipped')),"
        " SUM(status IN ('unshipped', 'partially_shipped') AND"
        " COALESCE(fulfillment_channel, '') != 'marketplace')"
        " FROM orders GROUP BY channel"
    ).fetchall():
        entry = bucket(channel)
        entry.update(orders=int(total), unacknowledged=int(unacked or 0),
                     unshipped=int(unshipped or 0))
    for channel, n in db.execute(
        "SELECT channel, COUNT(*) FROM order_issues WHERE resolved_at IS NULL GROUP BY channel"
    ).fetchall():
        bucket(channel)["open_issues"] = int(n)
    for channel, n in db.execute(
        "SELECT channel, COUNT(*) FROM stock_outbox GROUP BY channel"
    ).fetchall():
        bucket(channel)["queued_pushes"] = int(n)
    return dict(sorted(counts.items()))
