"""Reading Walmart back for ``feedsync reconcile``: the seller's items and quantities, walked once.

``feedsync.orders.reconcile`` asks ``fetch_live`` about the catalog in chunks (``CHUNK`` SKUs).
Neither GET /v3/items (getAllItems) nor GET /v3/inventories
(getMultiNodeInventoryForAllSkuAndAllShipNodes) filters by a list of SKUs
(https://developer.walmart.com/us-marketplace/reference/getallitems,
https://developer.walmart.com/us-marketplace/reference/getmultinodeinventoryforallskuandallshipnodes),
so walking both per chunk made the calls grow with chunks × pages (O(n²)). Instead both are walked
once per adapter instance (one run) into a private temporary SQLite file — memory stays flat
however large the seller's catalog is — and every chunk is answered from there, as
``adapters.google.live.ProductsWalk`` does for Merchant Center.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from feedsync.adapters.walmart import items as pages

if TYPE_CHECKING:
    from .client import WalmartClient

_ROWS = 1000  # rows written per executemany
_IN = 500  # SKUs per IN (...) query, well under SQLite's variable limit


class CatalogWalk:
    """Every item and its quantity at one ship node, read once, answered per SKU chunk."""

    def __init__(self, client: WalmartClient, ship_node: str | None) -> None:
        self._client = client
        self.ship_node = ship_node
        self._db: sqlite3.Connection | None = None
        self.walks = 0

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Walmart's live record (with ``quantity``) for each of ``skus`` it has."""
        db = self._walked()
        wanted = list(dict.fromkeys(skus))
        for start in range(0, len(wanted), _IN):
            chunk = wanted[start:start + _IN]
            marks = ", ".join("?" for _ in chunk)
            for record, quantity in db.execute(
                    "SELECT i.record, q.quantity FROM item i LEFT JOIN quantity q"
                    f" ON q.sku = i.sku WHERE i.sku IN ({marks})", chunk).fetchall():
                yield _decoded(record, quantity)

    def _walked(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        db = sqlite3.connect("")  # a private temporary file: flat memory for any catalog
        db.execute("CREATE TABLE quantity (sku TEXT PRIMARY KEY, quantity INTEGER)")
        db.execute("CREATE TABLE item (sku TEXT PRIMARY KEY, record TEXT NOT NULL)")
        cursor: str | None = None
        while True:
            found, cursor = pages.parse_inventories_page(
                self._client.get_inventories(cursor), self.ship_node)
            db.executemany("INSERT OR REPLACE INTO quantity VALUES (?, ?)", found.items())
            if not cursor or not found:
                break
        seen = 0
        item_cursor = "*"
        while True:
            records, next_cursor, total = pages.parse_items_page(
                self._client.get_items(cursor=item_cursor))
            for start in range(0, len(records), _ROWS):
                db.executemany("INSERT OR REPLACE INTO item VALUES (?, ?)",
                               [(r["sku"], _encoded(r)) for r in records[start:start + _ROWS]])
            seen += len(records)
            if not records or not next_cursor or (total is not None and seen >= total):
                break
            item_cursor = next_cursor
        self.walks += 1
        self._db = db
        return db


def _encoded(record: dict[str, Any]) -> str:
    """A live record as JSON; the price (a Decimal) as its exact text."""
    price = record.get("price")
    return json.dumps({**record, "price": str(price)} if price is not None else record)


def _decoded(text: str, quantity: int | None) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(text)
    if record.get("price") is not None:
        record["price"] = Decimal(record["price"])
    record["quantity"] = quantity
    return record
