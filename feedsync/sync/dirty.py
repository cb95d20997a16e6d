"""Finding the SKUs a plan must look at, in SQL, without rendering anything.

A SKU is *dirty* for a channel when an input of its last render changed — the catalog row
(``products.content_hash``), its available stock, its channel overrides, its channel exclusion,
the render version (mapping file, channel schema, currency rates), or a sale window boundary
that has passed since — or when the channel does not have what the last render wants (a push
failed, was deferred or never happened).

Two ways to find them (:func:`fill_dirty`):

- *incremental* (the usual case): SKUs the catalog triggers stamped after the channel's mark,
  SKUs whose next sale boundary has passed, and SKUs flagged ``needs`` — three index probes, so
  a plan with nothing to do costs milliseconds at any catalog size;
- *full* (no mark yet, a new render version, a trigger that had to be re-created, or
  ``--full``): every SKU's stored inputs are compared with the catalog in one join.

The inputs are read *before* the records are rendered, so a catalog write racing a plan makes
the SKU dirty again next time rather than being missed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import sqlite_utils

from feedsync.sync.state import TOMBSTONE

# Correlated expressions over `products p`; named parameters :channel.
# Stock the store does not track (issue #10) has no count: it gets a value no count can have,
# so switching between tracked and untracked is an input change even at the same count.
UNTRACKED_STOCK = -(2**62)
STOCK_SQL = (f"(CASE WHEN p.stock_tracked = 0 THEN {UNTRACKED_STOCK} ELSE"
             " (SELECT COALESCE(SUM(i.on_hand - i.reserved), 0) FROM inventory i"
             " WHERE i.sku = p.sku) END)")
# The primary key (sku, channel, field) orders the rows, so the signature is stable.
OVERRIDES_SQL = ("(SELECT group_concat(o.field || char(31) || o.value, char(30))"
                 " FROM channel_overrides o WHERE o.sku = p.sku AND o.channel = :channel)")
EXCLUDED_SQL = ("EXISTS (SELECT 1 FROM channel_exclusions e"
                " WHERE e.sku = p.sku AND e.channel = :channel)")

_CHANGED_INPUTS = f"""
SELECT p.sku FROM products p
LEFT JOIN listing_inputs c ON c.channel = :channel AND c.account = :account AND c.sku = p.sku
WHERE (c.sku IS NULL OR c.render_version != :version OR c.src_hash IS NOT p.content_hash
   OR c.src_stock IS NOT {STOCK_SQL} OR c.src_overrides IS NOT {OVERRIDES_SQL}
   OR c.src_excluded != {EXCLUDED_SQL}
   OR (c.next_boundary IS NOT NULL AND c.next_boundary <= :now))
"""

_REMOVED = """
SELECT c.sku FROM listing_inputs c
WHERE c.channel = :channel AND c.account = :account AND c.src_hash IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = c.sku)
"""

# The channel lacks what the last render wants (and nothing for the SKU is in flight).
NEEDS_ACTION = f"""
(l.submission_id IS NULL AND (
   (c.want = 'send' AND (l.sku IS NULL OR l.content_hash IS NOT c.want_content
       OR l.price_hash IS NOT c.want_price OR l.quantity_hash IS NOT c.want_quantity))
   OR (c.want = 'delete' AND l.remote_exists = 1 AND l.content_hash IS NOT '{TOMBSTONE}')))
"""

_UNSYNCED = f"""
SELECT c.sku FROM listing_inputs c
LEFT JOIN listings l ON l.channel = c.channel AND l.account = c.account AND l.sku = c.sku
WHERE c.channel = :channel AND c.account = :account AND {NEEDS_ACTION}
"""

INPUTS_SQL = f"""
SELECT s.value, p.content_hash, p.status, p.sale_start, p.sale_end, {STOCK_SQL},
       {OVERRIDES_SQL}, {EXCLUDED_SQL},
       (SELECT e.reason FROM channel_exclusions e WHERE e.sku = p.sku AND e.channel = :channel)
FROM json_each(:skus) s LEFT JOIN products p ON p.sku = s.value
"""


@dataclass(slots=True)
class Inputs:
    """What one SKU's render depends on, read from the catalog before rendering."""

    sku: str
    src_hash: str | None  # None: not in the catalog any more
    status: str | None
    stock: int
    overrides: str | None
    excluded: bool
    exclusion_reason: str | None
    next_boundary: int | None


_STAMPED = "SELECT sku FROM sync_changes WHERE seq > :mark"
_BOUNDARY = ("SELECT sku FROM listing_inputs WHERE channel = :channel AND account = :account"
             " AND next_boundary IS NOT NULL AND next_boundary <= :now")
_NEEDS = "SELECT sku FROM listing_inputs WHERE channel = :channel AND account = :account" \
         " AND needs = 1"

# Recomputes ``listing_inputs.needs`` of the SKUs selected by {where} after their listing
# changed (an outcome, a release): 1 while in flight or while the channel lacks what is wanted.
REFRESH_NEEDS = f"""
UPDATE listing_inputs AS c SET needs = COALESCE((
    SELECT l.submission_id IS NOT NULL OR {NEEDS_ACTION} FROM listings l
    WHERE l.channel = c.channel AND l.account = c.account AND l.sku = c.sku), c.want = 'send')
WHERE c.channel = :channel AND c.account = :account AND c.sku IN ({{where}})
"""


def current_mark(db: sqlite_utils.Database) -> int:
    """The latest change stamp (a plan consumes the changes up to it)."""
    return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM sync_changes").fetchone()[0])



class Mark(NamedTuple):
    """What a channel's last complete plan consumed."""

    seq: int  # the change stamp
    version: str  # the render version it planned with
    mapping_checked: str | None  # the code that compiled that version's mapping (or None)


def read_mark(db: sqlite_utils.Database, channel: str, account: str) -> Mark | None:
    """The channel's :class:`Mark`, or None before its first complete plan."""
    row = db.execute("SELECT seq, render_version, mapping_checked FROM sync_marks"
                     " WHERE channel = ? AND account = ?", [channel, account]).fetchone()
    return Mark(int(row[0]), str(row[1]), row[2]) if row else None


def write_mark(db: sqlite_utils.Database, channel: str, account: str, seq: int,
               version: str, stamp: str, mapping_checked: str | None = None) -> None:
    """Record that every change up to ``seq`` is planned with ``version`` (and that code
    ``mapping_checked`` compiled its mapping)."""
    db.execute("INSERT OR REPLACE INTO sync_marks (channel, account, seq, render_version,"
               " updated_at, mapping_checked) VALUES (?, ?, ?, ?, ?, ?)",
               [channel, account, seq, version, stamp, mapping_checked])


def fill_dirty(db: sqlite_utils.Database, table: str, *, channel: str, account: str,
               version: str, now: datetime, mark: int | None) -> int:
    """Insert every SKU the plan must look at into ``temp.<table>``; return how many.

    ``mark``: the channel's last consumed change stamp (incremental), or None (full).
    """
    params = {"channel": channel, "account": account, "version": version,
              "now": now.timestamp(), "mark": mark}
    if mark is None:
        queries = (_CHANGED_INPUTS, _REMOVED, _UNSYNCED)
    else:
        queries = (_STAMPED, _BOUNDARY, _NEEDS)
    for query in queries:
        db.execute(f"INSERT OR IGNORE INTO temp.{table} (sku) {query}", params)
    return int(db.execute(f"SELECT COUNT(*) FROM temp.{table}").fetchone()[0])


def read_inputs(db: sqlite_utils.Database, channel: str, skus: Sequence[str],
                now: datetime) -> dict[str, Inputs]:
    """The current inputs of ``skus`` (one query for the whole chunk)."""
    rows = db.execute(INPUTS_SQL, {"channel": channel, "skus": json.dumps(list(skus))})
    found: dict[str, Inputs] = {}
    for sku, src_hash, status, start, end, stock, overrides, excluded, reason in rows:
        found[sku] = Inputs(
            sku=sku, src_hash=src_hash, status=status, stock=int(stock or 0),
            overrides=overrides, excluded=bool(excluded), exclusion_reason=reason,
            next_boundary=next_boundary(start, end, now) if src_hash is not None else None,
        )
    return found


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # the catalog stores naive sale dates as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def next_boundary(start: str | None, end: str | None, now: datetime) -> int | None:
    """The next sale start or end after ``now`` (epoch seconds): the SKU is dirty from then."""
    current = now.timestamp()
    # Rounded up: once the clock reaches the stored second, the boundary has really passed.
    future = [math.ceil(t) for t in (_epoch(start), _epoch(end)) if t is not None and t > current]
    return min(future) if future else None
