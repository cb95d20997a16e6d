"""Reading processed products back at any scale: a few ``products.get``, else one list walk.

After a first push of 100,000 products, the next run has 100,000 inserts to check. One
``products.get`` each would be 100,000 calls; ``products.list`` returns 1,000 products a page,
so one walk of the account is 100 calls. For three pending products, on the other hand, three
gets beat walking a catalog of a million. :class:`StatusReader` does both: the first
``get_threshold`` lookups of a run are gets; past that it walks ``products.list`` once into a
temporary table of the workspace database (streamed, so memory stays flat) and answers the rest
from there, walking again only when the copy is older than ``max_age`` seconds.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import sqlite_utils

from feedsync.http import Clock

from .client import MerchantClient
from .render import product_key

CHUNK = 1000
# One temporary table per reader: two Google accounts pushed in one run share the connection.
_TABLES = itertools.count(1)


class StatusReader:
    """Per-run lookups of processed products by product key (``lang~label~offer``)."""

    def __init__(self, client: Callable[[], MerchantClient], db: sqlite_utils.Database,
                 clock: Clock, *, get_threshold: int = 100, max_age: float = 300.0) -> None:
        self._client = client
        self._db = db
        self._clock = clock
        self.get_threshold = get_threshold
        self.max_age = max_age
        self.gets = 0
        self.walks = 0
        self._walked_at: float | None = None
        self.table = f"google_status_walk_{next(_TABLES)}"

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The processed product, or None if Google has none (yet) under ``key``."""
        now = self._clock.time()
        if self._walked_at is None and self.gets < self.get_threshold:
            self.gets += 1
            return self._client().get_product(key)
        if self._walked_at is None or now - self._walked_at > self.max_age:
            self._walk()
        row = self._db.execute(f"SELECT product FROM temp.{self.table} WHERE key = ?",
                               [key]).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def _walk(self) -> None:
        """Copy the status of every product of the account into the temporary table."""
        self._walked_at = self._clock.time()
        self.walks += 1
        db = self._db
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY,"
                   " product TEXT NOT NULL)")
        db.execute(f"DELETE FROM temp.{self.table}")
        rows: list[tuple[str, str]] = []
        for product in self._client().list_products():
            offer = product.get("offerId")
            if not offer:
                continue
            key = product_key(str(product.get("contentLanguage", "")),
                              str(product.get("feedLabel", "")), str(offer))
            kept = {"name": product.get("name"), "offerId": offer,
                    "productStatus": product.get("productStatus") or {}}
            rows.append((key, json.dumps(kept, separators=(",", ":"))))
            if len(rows) >= CHUNK:
                self._store(rows)
                rows = []
        self._store(rows)

    def _store(self, rows: list[tuple[str, str]]) -> None:
        if rows:
            with self._db.atomic():
                self._db.conn.executemany(
                    f"INSERT OR REPLACE INTO temp.{self.table} (key, product) VALUES (?, ?)", rows)
