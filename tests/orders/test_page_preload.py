"""The page preload of the stock ledger (issue #19) changes no outcome, only the query count.

A seeded random history — unknown and untracked SKUs, missing SKUs, negative quantities,
duplicate line ids, lines that disappear, every status, marketplace fulfilment, stale versions,
SKUs added later and re-applied — is stored twice: as ``orders pull`` stores it (products,
stock and ledger entries preloaded per page) and with every read a query (the preload turned
off; the page's queued writes are then flushed before each query, so every read sees them).
Every table the orders touch and every page result must be the same.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedsync.catalog import open_catalog
from feedsync.models import InventoryLevel, Order, OrderLine, OrderStatus, Product
from feedsync.orders.page import PageReads
from feedsync.orders.stock import StockLedger
from feedsync.orders.store import OrderStore, PageResult, write_transaction

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = {
    "orders": "channel, account, order_id, status, updated_at, content_hash, unknown_skus, raw",
    "order_lines": "*",
    "stock_ledger": "channel, account, order_id, line_id, sku, location, reserved, decremented",
    "inventory": "sku, location, on_hand, reserved",
    "order_issues": "channel, account, order_id, line_id, code, sku, message,"
                    " resolved_at IS NULL",
    "stock_outbox": "channel, sku",
}


def _view(result: PageResult) -> dict[str, Any]:
    return result.as_dict() | {"skus": sorted(result.affected_skus)}


def _product(sku: str) -> Product:
    return Product(sku=sku, title=sku, price=Decimal("1.00"), currency="USD")


def _page(rng: random.Random, round_no: int) -> list[Order]:
    orders = []
    for n in range(120):
        if round_no and rng.random() < 0.5:
            continue
        lines = [OrderLine(rng.choice(["1", "2", "3", "1"]),
                           None if rng.random() < 0.05 else f"S{rng.randrange(70)}",
                           rng.randint(-1, 4), quantity_shipped=rng.randint(0, 2),
                           unit_price=Decimal("2.50"), currency="USD")
                 for _ in range(rng.randint(0, 3))]
        orders.append(Order(
            channel="amazon", account="eu", order_id=f"O{n}", status=rng.choice(list(OrderStatus)),
            created_at=T0, updated_at=T0 + timedelta(minutes=round_no * 10 - rng.randint(0, 12)),
            total=Decimal("9"), currency="USD",
            fulfillment_channel=rng.choice(["merchant", "marketplace"]), lines=lines,
            raw={"n": n, "round": round_no}))
    return orders


def _store_history(db_path: Path) -> dict[str, Any]:
    catalog = open_catalog(db_path)
    with catalog.db.atomic():
        catalog.upsert_products(_product(f"S{i}") for i in range(60))
        catalog.set_inventory(InventoryLevel(f"S{i}", loc, 3) for i in range(50)
                              for loc in ("a", "b"))
    catalog.db.execute("UPDATE products SET stock_tracked = 0 WHERE sku IN ('S55', 'S56')")
    store = OrderStore(catalog.db, reserve_location="b")
    rng = random.Random(3)
    results = []
    for round_no in range(6):
        orders = _page(rng, round_no)
        for start in range(0, len(orders), 40):
            with write_transaction(catalog.db):
                results.append(_view(store.upsert_orders(
                    "amazon", "eu", orders[start:start + 40], fastpath_targets=["ebay"])))
        if round_no == 3:  # SKUs the orders named arrive in the catalog
            with catalog.db.atomic():
                catalog.upsert_products(_product(f"S{i}") for i in range(60, 66))
            with write_transaction(catalog.db):
                results.append(_view(store.reapply_unknown()))
    tables = {table: catalog.db.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3"
                                        if table != "stock_outbox" else
                                        f"SELECT {columns} FROM {table} ORDER BY 1, 2").fetchall()
              for table, columns in TABLES.items()}
    catalog.db.close()
    return {"tables": tables, "results": results}


def test_preloading_a_page_changes_nothing_but_the_queries(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    preloaded = _store_history(tmp_path / "preloaded.db")
    monkeypatch.setattr(StockLedger, "preload", lambda self, skus: None)
    monkeypatch.setattr(StockLedger, "preload_order", lambda self, *key, **kw: None)
    monkeypatch.setattr(StockLedger, "preload_orders", lambda self, *args: None)
    monkeypatch.setattr(PageReads, "preload", lambda self, order_ids: None)
    queried = _store_history(tmp_path / "queried.db")
    assert preloaded["results"] == queried["results"]
    for table in TABLES:
        assert preloaded["tables"][table] == queried["tables"][table], table
    # the history exercised what it claims to
    codes = {row[4] for row in preloaded["tables"]["order_issues"]}
    assert {"unknown_sku", "oversell", "invalid_line", "invalid_quantity"} <= codes
    assert any(r["stale"] for r in preloaded["results"])
