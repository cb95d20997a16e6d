"""One page of orders: its stored rows read in a few queries, its writes sent in batches.

Storing an order used to cost a statement per row it read or wrote (issue #19). A page now

- reads, for every order it holds, the stored order, its lines and its open unknown-SKU issues
  in one ``IN`` query per table (:class:`PageReads`), and
- queues the rows it writes to ``orders``, ``order_lines``, ``stock_ledger`` and ``inventory``
  (:class:`PageWrites`) and sends them with ``executemany`` at the end of the page.

What is stored is exactly what writing each row at once stored, because

- writes keep their order within a table (consecutive statements of the same text form one
  ``executemany``), and the tables are flushed parent first (``orders`` before ``order_lines``,
  the foreign key); no statement reads another table;
- an inventory row's updates within a page collapse into its last one (they set absolute
  values); the sync plan's change stamps then name the SKU once instead of once per line;
- every read that is not answered from the page's preload flushes the queue first
  (:meth:`PageWrites.flush` before the query), so it sees every earlier write; an order that
  comes twice in one page is read back that way the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

# Flush order: parents first (order_lines references orders).
TABLES = ("orders", "order_lines", "stock_ledger", "inventory")

_IN_CHUNK = 500  # ids per IN (...) list: far below SQLite's variable limit

_INVENTORY_UPDATE = ("UPDATE inventory SET on_hand = ?, reserved = ?, updated_at = ?"
                     " WHERE sku = ? AND location = ?")


class PageWrites:
    """The rows a page writes, queued per table and sent with ``executemany``."""

    __slots__ = ("_conn", "_inventory", "_queued")

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._conn = db.conn
        self._queued: dict[str, list[tuple[str, Sequence[Any]]]] = {t: [] for t in TABLES}
        # (sku, location) → (on_hand, reserved, updated_at): the row's last values this page
        self._inventory: dict[tuple[str, str], tuple[int, int, str]] = {}

    def add(self, table: str, sql: str, params: Sequence[Any]) -> None:
        """Queue one statement on ``table`` (one of :data:`TABLES`)."""
        self._queued[table].append((sql, params))

    def set_stock(self, sku: str, location: str, on_hand: int, reserved: int, now: str) -> None:
        """Queue the new values of an existing (or queued-for-insert) inventory row."""
        self._inventory[(sku, location)] = (on_hand, reserved, now)

    def flush(self) -> None:
        """Send everything queued, table by table, in the order it was queued."""
        inventory = self._inventory
        for table in TABLES:
            queued = self._queued[table]
            if not queued:
                continue
            self._send(queued)
            queued.clear()
        if inventory:
            self._conn.executemany(_INVENTORY_UPDATE, [
                (on_hand, reserved, now, sku, location)
                for (sku, location), (on_hand, reserved, now) in inventory.items()])
            inventory.clear()

    def _send(self, queued: list[tuple[str, Sequence[Any]]]) -> None:
        run: list[Sequence[Any]] = []
        run_sql = queued[0][0]
        for sql, params in queued:
            if sql is not run_sql and sql != run_sql:
                self._conn.executemany(run_sql, run)
                run, run_sql = [], sql
            run.append(params)
        self._conn.executemany(run_sql, run)


class PageReads:
    """What is stored of a page's orders, read before the page writes anything.

    ``stored`` maps an order id to its stored ``(updated_at, content_hash)``; ``lines`` an
    existing order's id to its stored lines' ``{line_id: (quantity_confirmed, shipped_high)}``;
    ``open_unknown`` to the line ids with an open unknown-SKU issue. An order is answered from
    here once: the second time a page holds it, :meth:`take` says so and the caller reads it
    from the database (after flushing the page's writes).
    """

    __slots__ = ("_db", "_key", "_taken", "lines", "open_unknown", "stored")

    def __init__(self, db: sqlite_utils.Database, channel: str, account: str) -> None:
        self._db = db
        self._key = [channel, account]
        self.stored: dict[str, tuple[str, str]] = {}
        self.lines: dict[str, dict[str, tuple[int, int]]] = {}
        self.open_unknown: dict[str, set[str]] = {}
        self._taken: set[str] | None = None  # None: nothing preloaded, every read queries

    def preload(self, order_ids: Iterable[str]) -> None:
        """Read the stored rows of ``order_ids`` (a few queries for a whole page)."""
        wanted = sorted(set(order_ids))
        execute = self._db.conn.execute
        self._taken = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start:start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            params = [*self._key, *chunk]
            where = f"channel = ? AND account = ? AND order_id IN ({marks})"
            for order_id, updated, digest in execute(
                    f"SELECT order_id, updated_at, content_hash FROM orders WHERE {where}",
                    params):
                self.stored[order_id] = (updated, digest)
            existing = [order_id for order_id in chunk if order_id in self.stored]
            if not existing:
                continue
            for order_id in existing:
                self.lines[order_id] = {}
                self.open_unknown[order_id] = set()
            marks = ", ".join("?" * len(existing))
            params = [*self._key, *existing]
            where = f"channel = ? AND account = ? AND order_id IN ({marks})"
            for order_id, line_id, confirmed, high in execute(
                    "SELECT order_id, line_id, quantity_confirmed, shipped_high FROM order_lines"
                    f" WHERE {where}", params):
                self.lines[order_id][line_id] = (int(confirmed), int(high))
            for order_id, line_id in execute(
                    f"SELECT order_id, line_id FROM order_issues WHERE {where}"
                    " AND code = 'unknown_sku' AND resolved_at IS NULL", params):
                self.open_unknown[order_id].add(line_id)

    def take(self, order_id: str) -> bool:
        """True the first time ``order_id`` is asked for after a preload (its preloaded rows
        are current); False otherwise (the caller must read it from the database)."""
        taken = self._taken
        if taken is None or order_id in taken:
            return False
        taken.add(order_id)
        return True
