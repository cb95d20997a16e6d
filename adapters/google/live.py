"""Reading Merchant Center back for ``feedsync reconcile``: one ``products.list`` walk.

Merchant API v1 ``GET products/v1/accounts/{account}/products``
(https://developers.google.com/merchant/api/reference/rest/products_v1/accounts.products/list)
cannot filter by offer id, so the account is walked once per run, 1,000 products a page (the
documented maximum ``pageSize``), into a private temporary SQLite file (memory stays flat
however large the account is), and each chunk of SKUs reconcile asks about is answered from
there. Only products of the channel's target (content language and feed label) count: the same
offer id under another label is another product.

The live view: the offer exists, its ``productAttributes.price`` (``amountMicros`` →
decimal text, ``currencyCode``), and in/out of stock from ``productAttributes.availability``
(Google says no more about quantities), plus the status and issues Google reports.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .render import Target
from .status import outcome_from_product

CHUNK = 1000
IN_STOCK = frozenset({"IN_STOCK", "LIMITED_AVAILABILITY", "PREORDER", "BACKORDER",
                      "in_stock", "limited_availability", "preorder", "backorder"})
OUT_OF_STOCK = frozenset({"OUT_OF_STOCK", "out_of_stock"})


def price_text(price: Mapping[str, Any] | None) -> str | None:
    """``{"amountMicros": "12500000"}`` → ``"12.50"`` (at least two decimals)."""
    if not price or price.get("amountMicros") in (None, ""):
        return None
    amount = Decimal(str(price["amountMicros"])) / Decimal(1_000_000)
    return format(amount.quantize(Decimal("0.01")) if amount == amount.quantize(
        Decimal("0.01")) else amount.normalize(), "f")


def live_view(product: Mapping[str, Any]) -> dict[str, Any]:
    """One processed Product as reconcile's live dict. Pure."""
    attributes = product.get("productAttributes") or {}
    availability = str(attributes.get("availability") or "")
    quantity = 1 if availability in IN_STOCK else 0 if availability in OUT_OF_STOCK else None
    sku = str(product.get("offerId", ""))
    outcome = outcome_from_product(sku, dict(product))
    price = attributes.get("price") or {}
    return {"sku": sku, "present": True, "price": price_text(price),
            "currency": price.get("currencyCode"), "quantity": quantity,
            "status": outcome.status.value, "remote_id": outcome.remote_id,
            "issues": [{"code": i.code, "severity": i.severity.value, "field": i.field,
                        "message": i.message} for i in outcome.issues]}


class ProductsWalk:
    """The account's products of one target, walked once, answered per SKU chunk."""

    def __init__(self, list_products: Callable[[], Iterable[dict[str, Any]]],
                 target: Target) -> None:
        self._list = list_products
        self.target = target
        self._db: sqlite3.Connection | None = None
        self.walks = 0

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What Merchant Center shows for ``skus`` (offer id = SKU)."""
        db = self._walked()
        marks = ", ".join("?" for _ in skus)
        for (live,) in db.execute(f"SELECT live FROM live WHERE offer IN ({marks})",
                                  list(skus)).fetchall():
            yield dict(json.loads(live))

    def _walked(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        db = sqlite3.connect("")  # a private temporary file: flat memory for any account
        db.execute("CREATE TABLE live (offer TEXT PRIMARY KEY, live TEXT NOT NULL)")
        rows: list[tuple[str, str]] = []
        for product in self._list():
            if (product.get("contentLanguage") != self.target.content_language
                    or product.get("feedLabel") != self.target.feed_label
                    or not product.get("offerId")):
                continue
            view = live_view(product)
            rows.append((view["sku"], json.dumps(view)))
            if len(rows) >= CHUNK:
                db.executemany("INSERT OR REPLACE INTO live VALUES (?, ?)", rows)
                rows = []
        db.executemany("INSERT OR REPLACE INTO live VALUES (?, ?)", rows)
        self.walks += 1
        self._db = db
        return db
