"""The reservation ledger: how orders move stock, idempotently.

Every order line has at most one ``stock_ledger`` entry saying what that line *currently* holds:
``reserved`` units and ``decremented`` (already taken off ``on_hand``) at one location. When an
order is stored, each line's *target* is computed from its state alone (:func:`line_target`) and
only the difference between the entry and the target is applied to ``inventory``. Replaying the
same history therefore changes nothing the second time, and the order in which versions of an
order arrive does not matter once the newest is stored.

Targets by order status (``shipped`` is the line's ``shipped_high``, clamped to its quantity):

================================  ====================  ===========
status                            reserved              decremented
================================  ====================  ===========
pending, unshipped, part. shipped quantity − shipped     shipped
shipped                           0                     quantity
cancelled, refunded               0                     shipped
fulfilled by the marketplace      0                     0
================================  ====================  ===========

Units that shipped stay decremented after a cancellation or refund: they left the warehouse, and
a return is restocked by the merchant's next inventory import.

A SKU whose stock the store does not track (``products.stock_tracked = 0``: in stock without a
count) holds nothing: its lines target zero, so an order never makes it 0 or negative.

Location: the first time a line needs stock, it is placed at ``[orders] reserve_location`` when
that location stocks the SKU with enough available units for the line, otherwise at the location
with the most available units (ties: the configured location, then by name); a SKU without any
stock row gets a row at the configured location (or ``default``) with ``on_hand = 0``. The entry
remembers the location so releasing and shipping touch the same row.

The CHECK constraints (``on_hand >= 0``, ``reserved >= 0``) are never violated: a decrement larger
than ``on_hand`` clamps at zero and reports the shortfall, and a reservation larger than what is
available is recorded in full (the units are owed) so ``available`` goes negative and the caller
flags an oversell. Channels are sent ``max(available, 0)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import sqlite_utils

from feedsync.models import OrderStatus
from feedsync.orders.page import PageWrites

DEFAULT_LOCATION = "default"

_OPEN = frozenset({OrderStatus.PENDING, OrderStatus.UNSHIPPED, OrderStatus.PARTIALLY_SHIPPED})


class LineKey(NamedTuple):
    """Identity of one order line: (channel, account, order id, line id)."""

    channel: str
    account: str
    order_id: str
    line_id: str


@dataclass(frozen=True, slots=True)
class LineTarget:
    """What one line should hold: reserved units and units taken off on-hand."""

    reserved: int = 0
    decremented: int = 0


class LedgerEntry(NamedTuple):
    """A line's current ledger entry (a tuple: built once per line stored, issue #19)."""

    sku: str
    location: str
    reserved: int
    decremented: int


_NOTHING = LineTarget()


@dataclass(slots=True)
class StockEffect:
    """What applying one line did to one inventory row (actual changes, after clamping)."""

    sku: str
    location: str
    reserved_change: int = 0
    on_hand_change: int = 0
    short: int = 0  # units a decrement could not take because on_hand was already 0

    @property
    def available_change(self) -> int:
        """Change of ``on_hand − reserved`` at this row."""
        return self.on_hand_change - self.reserved_change


def line_target(status: OrderStatus, quantity: int, shipped: int, *,
                local_stock: bool = True) -> LineTarget:
    """The ledger target of one line (see the table in the module docstring). Pure."""
    if not local_stock or quantity <= 0:
        return _NOTHING
    shipped = min(max(shipped, 0), quantity)
    if status in _OPEN:
        return _target(quantity - shipped, shipped)
    if status is OrderStatus.SHIPPED:
        return _target(0, quantity)
    return _target(0, shipped)


@lru_cache(maxsize=1024)
def _target(reserved: int, decremented: int) -> LineTarget:
    # Targets are immutable and few: built once each (a frozen dataclass is slow to build).
    return LineTarget(reserved, decremented)


_IN_CHUNK = 500  # SKUs per IN (...) list: far below SQLite's variable limit


class StockLedger:
    """Applies line targets to ``inventory`` through ``stock_ledger``.

    It never opens a transaction: callers wrap a page of orders (ledger, inventory and the orders
    themselves) in one, so they commit or vanish together.

    :meth:`preload` and :meth:`preload_order` read a page's products, stock rows and ledger
    entries in a few queries instead of several per line (issue #19); the ledger keeps what it
    preloaded up to date with its own writes, so it must be the only writer of those rows while
    it lives (one page, inside the caller's transaction). Without a preload every read is a query.

    With ``writes`` its ledger and inventory writes are queued there (sent when the caller
    flushes the page) and every query it still makes flushes the queue first.
    """

    def __init__(self, db: sqlite_utils.Database, reserve_location: str | None = None,
                 now: str = "", writes: PageWrites | None = None) -> None:
        self.db = db
        self.reserve_location = reserve_location
        self.now = now
        self._writes = writes
        self._conn_execute = db.conn.execute
        self._products: dict[str, int] = {}  # preloaded SKU → stock_tracked
        self._preloaded: set[str] = set()  # SKUs whose product and stock rows are preloaded
        self._stock: dict[str, dict[str, list[int]]] = {}  # SKU → location → [on_hand, reserved]
        self._entries: dict[tuple[str, str, str], dict[str, LedgerEntry]] = {}  # by order

    def _execute(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        """A query (or an unqueued write) that sees every queued write."""
        if self._writes is not None:
            self._writes.flush()
        return self._conn_execute(sql, params)

    def _write(self, table: str, sql: str, params: Sequence[object]) -> None:
        if self._writes is not None:
            self._writes.add(table, sql, params)
        else:
            self._conn_execute(sql, params)

    def preload(self, skus: Iterable[str]) -> None:
        """Read the product and stock rows of ``skus`` now (a few queries for a whole page)."""
        wanted = sorted(set(skus) - self._preloaded)
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start:start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            self._products.update(self._execute(
                f"SELECT sku, stock_tracked FROM products WHERE sku IN ({marks})", chunk))
            for sku in chunk:
                self._stock[sku] = {}
            for sku, location, on_hand, reserved in self._execute(
                    "SELECT sku, location, on_hand, reserved FROM inventory"
                    f" WHERE sku IN ({marks})", chunk):
                self._stock[sku][location] = [int(on_hand), int(reserved)]
            self._preloaded.update(chunk)

    def preload_order(self, channel: str, account: str, order_id: str, *,
                      new: bool = False) -> None:
        """Read the ledger entries of one order's lines now (one query; none for a ``new``
        order, which has no entries yet)."""
        rows = () if new else self._execute(
            "SELECT line_id, sku, location, reserved, decremented FROM stock_ledger"
            " WHERE channel = ? AND account = ? AND order_id = ?", [channel, account, order_id])
        self._entries[(channel, account, order_id)] = {
            row[0]: LedgerEntry(*row[1:]) for row in rows}

    def preload_orders(self, channel: str, account: str, order_ids: Iterable[str],
                       existing: Iterable[str]) -> None:
        """:meth:`preload_order` for a page of orders in one query per chunk; only the
        ``existing`` ones (already stored) can have entries."""
        entries = self._entries
        for order_id in order_ids:
            entries[(channel, account, order_id)] = {}
        wanted = sorted(set(existing))
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start:start + _IN_CHUNK]
            for order_id, line_id, *entry in self._execute(
                    "SELECT order_id, line_id, sku, location, reserved, decremented FROM"
                    f" stock_ledger WHERE channel = ? AND account = ? AND order_id IN"
                    f" ({', '.join('?' * len(chunk))})", [channel, account, *chunk]):
                entries[(channel, account, order_id)][line_id] = LedgerEntry(*entry)

    def sku_exists(self, sku: str) -> bool:
        """Whether the catalog has ``sku``."""
        if sku in self._preloaded:
            return sku in self._products
        return self._execute("SELECT 1 FROM products WHERE sku = ?", [sku]).fetchone() is not None

    def entry(self, key: LineKey) -> LedgerEntry | None:
        """The current entry of a line, or None when it holds nothing."""
        preloaded = self._entries.get((key.channel, key.account, key.order_id))
        if preloaded is not None:
            return preloaded.get(key.line_id)
        row = self._execute(
            "SELECT sku, location, reserved, decremented FROM stock_ledger"
            " WHERE channel = ? AND account = ? AND order_id = ? AND line_id = ?", list(key)
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def apply(self, key: LineKey, sku: str | None, target: LineTarget) -> list[StockEffect]:
        """Move the line from its current entry to ``target`` for ``sku``; return the effects.

        ``sku`` None (unknown to the catalog) means the line can hold no stock. When a line's SKU
        changes, everything it held is returned to the old SKU first.
        """
        effects: list[StockEffect] = []
        preloaded = self._entries.get(key[:3])
        previous = preloaded.get(key[3]) if preloaded is not None else self.entry(key)
        if previous is not None and previous.sku != sku:
            effects.append(self._move(previous.sku, previous.location,
                                      -previous.reserved, -previous.decremented))
            self._delete(key)
            previous = None
        if sku is None:
            return effects
        reserved, decremented = target.reserved, target.decremented
        if (reserved or decremented) and not (
                self._products.get(sku, 1) if sku in self._preloaded else self._tracked(sku)):
            # Stock the store does not count (issue #10) is never reserved or decremented: an
            # order must not turn "in stock, no count" into 0.
            reserved = decremented = 0
        if previous is None:
            if not (reserved or decremented):
                return effects
            location = self.choose_location(sku, reserved + decremented)
            held_reserved = held_decremented = 0
        else:
            location = previous.location
            held_reserved, held_decremented = previous.reserved, previous.decremented
        if held_reserved == reserved and held_decremented == decremented:
            return effects
        effects.append(self._move(sku, location, reserved - held_reserved,
                                  decremented - held_decremented))
        if preloaded is not None:
            preloaded[key[3]] = LedgerEntry(sku, location, reserved, decremented)
        self._write(
            "stock_ledger",
            "INSERT INTO stock_ledger (channel, account, order_id, line_id, sku, location,"
            " reserved, decremented, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, account, order_id, line_id) DO UPDATE SET"
            " sku = excluded.sku, location = excluded.location, reserved = excluded.reserved,"
            " decremented = excluded.decremented, updated_at = excluded.updated_at",
            [*key, sku, location, reserved, decremented, self.now],
        )
        return effects

    def _tracked(self, sku: str) -> bool:
        if sku in self._preloaded:
            return bool(self._products.get(sku, 1))
        row = self._execute("SELECT stock_tracked FROM products WHERE sku = ?",
                              [sku]).fetchone()
        return row is None or bool(row[0])

    def choose_location(self, sku: str, quantity: int) -> str:
        """Where a new line of ``sku`` takes its ``quantity`` (rule in the module docstring)."""
        stock = self._stock.get(sku)
        preferred = self.reserve_location
        if stock is not None:
            if preferred is not None:
                here = stock.get(preferred)
                if here is not None and here[0] - here[1] >= quantity:
                    return preferred
            elif stock:  # the most available, ties by name: what min() below picks
                best: str | None = None
                most = 0
                for location, (on_hand, reserved) in stock.items():
                    free = on_hand - reserved
                    if best is None or free > most or (free == most and location < best):
                        best, most = location, free
                if best is not None:
                    return best
            rows = [(location, on_hand - reserved) for location, (on_hand, reserved)
                    in stock.items()]
        else:
            rows = self._execute(
                "SELECT location, on_hand - reserved FROM inventory WHERE sku = ?", [sku]
            ).fetchall()
        if not rows:
            return preferred or DEFAULT_LOCATION
        by_location = dict(rows)
        if preferred is not None and by_location.get(preferred, -1) >= quantity:
            return preferred
        return min(rows, key=lambda r: (-r[1], r[0] != preferred, r[0]))[0]

    def _delete(self, key: LineKey) -> None:
        preloaded = self._entries.get((key.channel, key.account, key.order_id))
        if preloaded is not None:
            preloaded.pop(key.line_id, None)
        self._write(
            "stock_ledger",
            "DELETE FROM stock_ledger WHERE channel = ? AND account = ? AND order_id = ?"
            " AND line_id = ?", list(key)
        )

    def _move(self, sku: str, location: str, reserve: int, decrement: int) -> StockEffect:
        """Add ``reserve`` to reserved and take ``decrement`` off on_hand, clamped at zero."""
        stock = self._stock.get(sku)
        if stock is not None:
            row: Sequence[int] | None = stock.get(location)
        else:
            row = self._execute(
                "SELECT on_hand, reserved FROM inventory WHERE sku = ? AND location = ?",
                [sku, location],
            ).fetchone()
        if row is None:
            if not self.sku_exists(sku) or (reserve <= 0 and decrement <= 0):
                # Nothing to release from, or the product left the catalog: nothing to touch.
                return StockEffect(sku, location, short=max(decrement, 0))
            self._write(
                "inventory",
                "INSERT INTO inventory (sku, location, on_hand, reserved, updated_at)"
                " VALUES (?, ?, 0, 0, ?)", [sku, location, self.now],
            )
            row = (0, 0)
        on_hand, reserved = int(row[0]), int(row[1])
        new_reserved = reserved + reserve
        if new_reserved < 0:
            new_reserved = 0
        new_on_hand = on_hand - decrement
        short = 0
        if new_on_hand < 0:
            new_on_hand, short = 0, -new_on_hand
        effect = StockEffect(sku, location, new_reserved - reserved, new_on_hand - on_hand, short)
        if stock is not None:
            stock[location] = [new_on_hand, new_reserved]
        if new_reserved == reserved and new_on_hand == on_hand:
            return effect
        if self._writes is not None:
            self._writes.set_stock(sku, location, new_on_hand, new_reserved, self.now)
        else:
            self._execute(
                "UPDATE inventory SET on_hand = ?, reserved = ?, updated_at = ?"
                " WHERE sku = ? AND location = ?",
                [new_on_hand, new_reserved, self.now, sku, location],
            )
        return effect

    def available(self, sku: str) -> int:
        """Σ(on_hand − reserved) of ``sku`` over its locations (may be negative when oversold)."""
        stock = self._stock.get(sku)
        if stock is not None:
            total = 0
            for on_hand, reserved in stock.values():
                total += on_hand - reserved
            return total
        row = self._execute(
            "SELECT COALESCE(SUM(on_hand - reserved), 0) FROM inventory WHERE sku = ?", [sku]
        ).fetchone()
        return int(row[0])
