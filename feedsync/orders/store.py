"""Storing orders idempotently: upsert by (channel, account, order id), stock, flags, outbox.

:meth:`OrderStore.upsert_orders` never opens a transaction. ``orders pull`` wraps one page —
orders, lines, ledger, inventory, issues, outbox and the cursor — in one :func:`write_transaction`,
so a crash anywhere inside it leaves the database exactly as before the page.

An incoming version of an order older than the stored one (by the channel's ``updated_at``) is
ignored; an identical one (same content hash) writes nothing. So the overlap that the lookback
window re-reads, and any replay of old pages, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from feedsync.catalog.rows import decimal_text
from feedsync.clock import parse_iso
from feedsync.db import migrate, utcnow_iso

# BEGIN IMMEDIATE (a page reads the ledger, then writes deltas): the one helper of feedsync.db,
# re-exported here for the rest of the orders package.
from feedsync.db import write_transaction as write_transaction
from feedsync.models import Order, OrderLine, OrderStatus
from feedsync.orders import schema
from feedsync.orders.content import iso as iso
from feedsync.orders.content import order_hash, raw_json
from feedsync.orders.page import PageReads, PageWrites
from feedsync.orders.privacy import minimise
from feedsync.orders.stock import LineKey, LineTarget, StockEffect, StockLedger, line_target

MARKETPLACE_FULFILLED = "marketplace"


@dataclass(slots=True)
class Flag:
    """A newly opened issue on an order line (unknown SKU, oversell, invalid line)."""

    channel: str
    order_id: str
    line_id: str
    code: str
    sku: str | None
    message: str


@dataclass
class PageResult:
    """What storing a batch of orders did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    flags: list[Flag] = field(default_factory=list)
    affected_skus: set[str] = field(default_factory=set)  # SKUs whose available changed

    def add(self, other: PageResult) -> None:
        """Accumulate ``other`` into this result."""
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.flags.extend(other.flags)
        self.affected_skus |= other.affected_skus

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "new": self.new, "updated": self.updated, "unchanged": self.unchanged,
            "stale": self.stale, "affected_skus": len(self.affected_skus),
            "flags": [{"order_id": f.order_id, "line_id": f.line_id, "code": f.code,
                       "sku": f.sku, "message": f.message} for f in self.flags],
        }


class OrderStore:
    """Orders, their lines, the stock ledger, issues, cursors and the fast-path outbox."""

    def __init__(self, db: sqlite_utils.Database, *, keep_personal_data: bool = False,
                 reserve_location: str | None = None) -> None:
        self.db = db
        migrate(db, schema.COMPONENT, schema.MIGRATIONS)
        self.keep_personal_data = keep_personal_data
        self.reserve_location = reserve_location

    # --- orders ---------------------------------------------------------------------------

    def upsert_orders(self, channel: str, account: str, orders: Iterable[Order], *,
                      ack_required: bool = False,
                      fastpath_targets: Sequence[str] = ()) -> PageResult:
        """Store ``orders`` under (``channel``, ``account``) and move stock; no transaction.

        ``fastpath_targets`` are the channels whose quantity of every SKU this changes must be
        pushed (the caller leaves out ``channel`` itself).
        """
        result = PageResult()
        now = utcnow_iso()
        writes = PageWrites(self.db)
        ledger = StockLedger(self.db, self.reserve_location, now, writes)
        reads = PageReads(self.db, channel, account)
        page = list(orders)
        # The page's stored orders, lines, issues, ledger entries, products and stock in a few
        # queries, not several per order or line; its writes in a few executemany (issue #19).
        order_ids = [order.order_id for order in page]
        reads.preload(order_ids)
        ledger.preload_orders(channel, account, order_ids, reads.stored)
        ledger.preload(line.sku for order in page for line in order.lines if line.sku)
        for order in page:
            self._upsert_one(channel, account, order, ack_required, ledger, reads, writes, now,
                             result)
        writes.flush()
        self.enqueue(fastpath_targets, result.affected_skus, now)
        return result

    def _upsert_one(self, channel: str, account: str, order: Order, ack_required: bool,
                    ledger: StockLedger, reads: PageReads, writes: PageWrites, now: str,
                    result: PageResult) -> None:
        key = [channel, account, order.order_id]
        first = reads.take(order.order_id)
        if first:
            stored = reads.stored.get(order.order_id)
        else:  # not preloaded, or already written in this page: read what it wrote
            writes.flush()
            stored = self.db.conn.execute(
                "SELECT updated_at, content_hash FROM orders WHERE channel = ? AND account = ?"
                " AND order_id = ?", key,
            ).fetchone()
        if stored is not None and parse_iso(stored[0]) > _aware(order.updated_at):
            result.stale += 1
            return
        raw = minimise(order.raw, self.keep_personal_data)
        created, updated = iso(order.created_at), iso(order.updated_at)
        total = decimal_text(order.total)
        prices = [decimal_text(line.unit_price) for line in order.lines]
        digest = order_hash(order, raw, created, updated, total, prices)
        if stored is not None and stored[1] == digest:
            result.unchanged += 1
            return
        if stored is None:
            result.new += 1
        else:
            result.updated += 1
        # What the lines become: their unknown SKUs are counted now, and what the stored lines
        # and ledger hold is read once for the order rather than once per line. A new order has
        # none: lines, ledger entries and issues are only ever written after their order's row,
        # in its transaction, and orders are never deleted.
        sku_exists = ledger.sku_exists
        known = [line.sku is not None and sku_exists(line.sku) for line in order.lines]
        unknown = known.count(False)
        previous: dict[str, tuple[int, int]] = {}
        open_issues: set[str] = set()
        if first:
            if stored is not None:
                previous = reads.lines[order.order_id]
                open_issues = reads.open_unknown[order.order_id]
        elif stored is None:
            ledger.preload_order(channel, account, order.order_id, new=True)
        else:
            execute = self.db.conn.execute
            previous = {row[0]: (int(row[1]), int(row[2])) for row in execute(
                "SELECT line_id, quantity_confirmed, shipped_high FROM order_lines WHERE"
                " channel = ? AND account = ? AND order_id = ?", key)}
            open_issues = {row[0] for row in execute(
                "SELECT line_id FROM order_issues WHERE channel = ? AND account = ? AND"
                " order_id = ? AND code = 'unknown_sku' AND resolved_at IS NULL", key)}
            ledger.preload_order(channel, account, order.order_id)
        writes.add(
            "orders",
            "INSERT INTO orders (channel, account, order_id, status, created_at, updated_at,"
            " total, currency, fees, fulfillment_channel, raw, content_hash, ack_required,"
            " first_seen_at, stored_at, unknown_skus) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, account, order_id) DO UPDATE SET status = excluded.status,"
            " created_at = excluded.created_at, updated_at = excluded.updated_at,"
            " total = excluded.total, currency = excluded.currency, fees = excluded.fees,"
            " fulfillment_channel = excluded.fulfillment_channel, raw = excluded.raw,"
            " content_hash = excluded.content_hash,"
            " ack_required = MAX(ack_required, excluded.ack_required),"
            " stored_at = excluded.stored_at, unknown_skus = excluded.unknown_skus",
            [*key, str(order.status), created, updated,
             total, order.currency, decimal_text(order.fees),
             order.fulfillment_channel, raw_json(raw), digest,
             int(ack_required), now, now, unknown],
        )
        local = order.fulfillment_channel != MARKETPLACE_FULFILLED
        seen: set[str] = set()
        for position, line in enumerate(order.lines):
            line_id = line.line_id or "?"
            if line_id in seen:
                line_id = self._renamed_line_id(channel, account, order, line, seen, now, result)
            seen.add(line_id)
            self._upsert_line(channel, account, order, line, line_id, position, local,
                              known[position], ledger, writes, prices[position], now, result,
                              previous.get(line_id), line_id in open_issues)
        self._drop_missing_lines(channel, account, order.order_id, seen, previous, ledger,
                                 writes, result)

    def _renamed_line_id(self, channel: str, account: str, order: Order, line: OrderLine,
                         seen: set[str], now: str, result: PageResult) -> str:
        """A line id already ``seen`` in the order (a channel bug): keep the line rather than
        lose it, under a new id, and flag it."""
        base = line.line_id or "?"
        n = 2
        while f"{base}#{n}" in seen:
            n += 1
        line_id = f"{base}#{n}"
        self._flag(result, now, channel, account, order.order_id, line_id, "invalid_line",
                   line.sku, f"order {order.order_id}: line id {base!r} appears twice; "
                   f"stored as {line_id!r}")
        return line_id

    def _upsert_line(self, channel: str, account: str, order: Order, line: OrderLine,
                     line_id: str, position: int, local: bool, known: bool,
                     ledger: StockLedger, writes: PageWrites, price: str | None, now: str,
                     result: PageResult, previous: tuple[int, int] | None,
                     unknown_sku_open: bool) -> None:
        """Store one line (``known``: its SKU is in the catalog; ``previous``: its stored
        confirmed and shipped-high counts; ``price`` its unit price's text) and move its stock;
        ``unknown_sku_open``: it has an open unknown-SKU issue to resolve."""
        lkey = LineKey(channel, account, order.order_id, line_id)
        quantity = line.quantity
        shipped = shipped_stored = line.quantity_shipped
        if quantity < 0 or shipped < 0:
            self._flag(result, now, *lkey, "invalid_quantity", line.sku,
                       f"order {order.order_id} line {line_id}: quantity {quantity}, shipped "
                       f"{shipped} (negative values stored as 0)")
            quantity, shipped = max(quantity, 0), max(shipped, 0)
            shipped_stored = shipped
        if previous is None:
            confirmed = 0
            high = shipped
        else:
            confirmed, high = previous
            high = max(high, shipped, confirmed)
        if order.status is OrderStatus.SHIPPED and quantity > high:
            high = quantity
        writes.add(
            "order_lines",
            "INSERT INTO order_lines (channel, account, order_id, line_id, position, sku,"
            " quantity, quantity_shipped, quantity_confirmed, shipped_high, unit_price, currency,"
            " title, channel_item_id, sku_known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?) ON CONFLICT (channel, account, order_id, line_id) DO UPDATE SET"
            " position = excluded.position, sku = excluded.sku, quantity = excluded.quantity,"
            " quantity_shipped = excluded.quantity_shipped, shipped_high = excluded.shipped_high,"
            " unit_price = excluded.unit_price, currency = excluded.currency,"
            " title = excluded.title, channel_item_id = excluded.channel_item_id,"
            " sku_known = excluded.sku_known",
            [*lkey, position, line.sku, quantity, shipped_stored,
             confirmed, high, price, line.currency or order.currency,
             line.title, line.channel_item_id, int(known)],
        )
        if known:
            if unknown_sku_open:
                self._resolve(lkey, "unknown_sku", now)
        else:
            self._flag(result, now, *lkey, "unknown_sku", line.sku,
                       f"order {order.order_id} line {line_id}: SKU {line.sku!r} is not in the "
                       "catalog; the order is stored but reserves no stock")
        target = line_target(order.status, quantity, high, local_stock=local)
        effects = ledger.apply(lkey, line.sku if known else None, target)
        if effects:
            self.account_effects(effects, lkey, ledger, now, result)

    def account_effects(self, effects: list[StockEffect], lkey: LineKey, ledger: StockLedger,
                        now: str, result: PageResult) -> None:
        """Note SKUs whose availability changed in ``result`` and flag oversells."""
        for effect in effects:
            if effect.on_hand_change != effect.reserved_change:  # available changed
                result.affected_skus.add(effect.sku)
            available = ledger.available(effect.sku)
            if effect.short or (effect.reserved_change > 0 and available < 0):
                owed = max(effect.short, -available)
                self._flag(result, now, *lkey, "oversell", effect.sku,
                           f"order {lkey.order_id} line {lkey.line_id}: SKU {effect.sku} is "
                           f"oversold by {owed} at {effect.location} (available {available})")

    def _drop_missing_lines(self, channel: str, account: str, order_id: str, seen: set[str],
                            stored: Iterable[str], ledger: StockLedger, writes: PageWrites,
                            result: PageResult) -> None:
        """Lines stored before that the channel no longer reports: release their reservation,
        then forget them."""
        for line_id in stored:
            if line_id in seen:
                continue
            lkey = LineKey(channel, account, order_id, line_id)
            entry = ledger.entry(lkey)
            if entry is not None:
                effects = ledger.apply(lkey, entry.sku, LineTarget(0, entry.decremented))
                result.affected_skus.update(e.sku for e in effects if e.available_change)
            writes.add(
                "order_lines",
                "DELETE FROM order_lines WHERE channel = ? AND account = ? AND order_id = ?"
                " AND line_id = ?", list(lkey),
            )

    def reapply_unknown(self) -> PageResult:
        """Lines flagged with an unknown SKU that the catalog now has: reserve their stock.

        Runs inside the caller's transaction; the affected SKUs go to the result (and the
        caller enqueues them for the fast path).
        """
        result = PageResult()
        now = utcnow_iso()
        ledger = StockLedger(self.db, self.reserve_location, now)
        rows = self.db.execute(
            "SELECT l.channel, l.account, l.order_id, l.line_id, l.sku, l.quantity,"
            " l.shipped_high, o.status, o.fulfillment_channel FROM order_lines l"
            " JOIN orders o USING (channel, account, order_id)"
            " WHERE l.sku_known = 0 AND l.sku IN (SELECT sku FROM products)"
        ).fetchall()
        for channel, account, order_id, line_id, sku, quantity, high, status, fc in rows:
            lkey = LineKey(channel, account, order_id, line_id)
            self.db.execute(
                "UPDATE order_lines SET sku_known = 1 WHERE channel = ? AND account = ?"
                " AND order_id = ? AND line_id = ?", list(lkey),
            )
            self.db.execute(
                "UPDATE orders SET unknown_skus = MAX(unknown_skus - 1, 0) WHERE channel = ?"
                " AND account = ? AND order_id = ?", [channel, account, order_id],
            )
            self._resolve(lkey, "unknown_sku", now)
            target = line_target(OrderStatus(status), quantity, high,
                                 local_stock=fc != MARKETPLACE_FULFILLED)
            self.account_effects(ledger.apply(lkey, sku, target), lkey, ledger, now, result)
            result.updated += 1
        return result

    # --- issues ---------------------------------------------------------------------------

    def _flag(self, result: PageResult, now: str, channel: str, account: str, order_id: str,
              line_id: str, code: str, sku: str | None, message: str) -> None:
        existing = self.db.execute(
            "SELECT resolved_at FROM order_issues WHERE channel = ? AND account = ? AND"
            " order_id = ? AND line_id = ? AND code = ?",
            [channel, account, order_id, line_id, code],
        ).fetchone()
        if existing is not None and existing[0] is None:
            return  # already open: reported when it opened
        self.db.execute(
            "INSERT INTO order_issues (channel, account, order_id, line_id, code, sku, message,"
            " detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, account,"
            " order_id, line_id, code) DO UPDATE SET sku = excluded.sku,"
            " message = excluded.message, detected_at = excluded.detected_at, resolved_at = NULL",
            [channel, account, order_id, line_id, code, sku, message, now],
        )
        result.flags.append(Flag(channel, order_id, line_id, code, sku, message))

    def _resolve(self, lkey: LineKey, code: str, now: str) -> None:
        self.db.execute(
            "UPDATE order_issues SET resolved_at = ? WHERE channel = ? AND account = ? AND"
            " order_id = ? AND line_id = ? AND code = ? AND resolved_at IS NULL",
            [now, *lkey, code],
        )

    # --- cursors and outbox ---------------------------------------------------------------

    def cursor(self, channel: str, account: str) -> datetime | None:
        """Where the last committed page of ``orders pull`` reached, or None."""
        row = self.db.execute(
            "SELECT cursor FROM order_cursors WHERE channel = ? AND account = ?",
            [channel, account],
        ).fetchone()
        return parse_iso(row[0]) if row else None

    def advance_cursor(self, channel: str, account: str, value: datetime) -> None:
        """Move the cursor forward to ``value`` (never backwards); no transaction."""
        current = self.cursor(channel, account)
        if current is not None and current >= _aware(value):
            return
        self.db.execute(
            "INSERT INTO order_cursors (channel, account, cursor, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, account) DO UPDATE SET cursor = excluded.cursor,"
            " updated_at = excluded.updated_at",
            [channel, account, iso(value), utcnow_iso()],
        )

    def enqueue(self, channels: Sequence[str], skus: Iterable[str], now: str = "") -> None:
        """Queue ``skus`` for a quantity push to each of ``channels`` (idempotent)."""
        now = now or utcnow_iso()
        rows = [[channel, sku, now] for sku in sorted(skus) for channel in channels]
        if rows:
            self.db.conn.executemany(
                "INSERT INTO stock_outbox (channel, sku, queued_at) VALUES (?, ?, ?)"
                " ON CONFLICT (channel, sku) DO UPDATE SET queued_at = excluded.queued_at", rows,
            )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
