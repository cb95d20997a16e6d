"""Storing a page of orders gives exactly what the per-order store of commit e94275e gave.

The order store writes a page's rows in batches (issue #19). The seeded history of
:mod:`tests.orders.page_history` — repeats of an order inside one page, stale versions, SKU
changes, dropped lines, oversells, unknown and untracked SKUs, personal data, several
channels — was stored by the per-order code (one statement per row, every row written as soon
as it was decided) before the batching; the digests below are of what it stored. Each part is
compared on its own so a failure names the table. To see a difference row by row, run
:func:`tests.orders.page_history.store_history` at that commit and at HEAD and compare.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from feedsync.orders.page import PageReads
from feedsync.orders.stock import StockLedger
from tests.orders.page_history import store_history

SCENARIOS: dict[str, dict[str, Any]] = {
    "default": {},
    "no_location_page_7": {"reserve_location": None, "page": 7},
    "personal_kept": {"keep_personal_data": True, "page": 100},
}

# sha256 (first 16 hex digits) of json.dumps(part, sort_keys=True), from the per-order store.
EXPECTED: dict[str, dict[str, str]] = {
    "default": {
        "tables.inventory": "b5fc935283c3b6b0", "tables.order_issues": "2b5015b7af57a4ae",
        "tables.order_lines": "d1d5b5df426d37a8", "tables.orders": "6515bc39b47a4d02",
        "tables.stock_ledger": "996e4cdd1ee6cfb4", "tables.stock_outbox": "a41bf8d4bd5ce0ce",
        "results": "65a2b07f4c96ebb7", "stamped": "4e7e50b9d32adf55"},
    "no_location_page_7": {
        "tables.inventory": "faffce41ab7cd91b", "tables.order_issues": "c5b3ebf07e7fe77b",
        "tables.order_lines": "d1d5b5df426d37a8", "tables.orders": "6515bc39b47a4d02",
        "tables.stock_ledger": "494293d34a86324d", "tables.stock_outbox": "a41bf8d4bd5ce0ce",
        "results": "8d5d407753042aa5", "stamped": "4e7e50b9d32adf55"},
    "personal_kept": {
        "tables.inventory": "f23109eee1b82fe8", "tables.order_issues": "c7ced68c91a11579",
        "tables.order_lines": "d1d5b5df426d37a8", "tables.orders": "13b0a86aad510b62",
        "tables.stock_ledger": "691467f298cefabe", "tables.stock_outbox": "a41bf8d4bd5ce0ce",
        "results": "45164df85c2b0f7f", "stamped": "4e7e50b9d32adf55"},
}


def _digests(stored: dict[str, Any]) -> dict[str, str]:
    parts = {f"tables.{table}": rows for table, rows in stored["tables"].items()}
    parts["results"] = stored["results"]
    parts["stamped"] = stored["stamped"]
    return {name: hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest()[:16]
            for name, part in parts.items()}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_page_stores_what_the_per_order_store_stored(tmp_path: Path, scenario: str) -> None:
    stored = store_history(tmp_path / "orders.db", **SCENARIOS[scenario])
    assert _digests(stored) == EXPECTED[scenario]


def test_the_history_exercises_what_it_claims(tmp_path: Path) -> None:
    stored = store_history(tmp_path / "orders.db")
    codes = {row[4] for row in stored["tables"]["order_issues"]}
    assert {"unknown_sku", "oversell", "invalid_line", "invalid_quantity"} <= codes
    results = stored["results"]
    assert all(sum(r[kind] for r in results) for kind in ("new", "updated", "unchanged", "stale"))
    assert any(row[7] == 0 for row in stored["tables"]["order_issues"])  # resolved ones
    raws = [row[10] for row in stored["tables"]["orders"]]
    assert any("[personal data removed]" in raw for raw in raws)
    assert any("größe" in raw for raw in raws)  # stored as text, not \\u escapes


def test_without_the_page_preload_every_read_sees_the_queued_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read a query: each one flushes the page's queued writes first."""
    monkeypatch.setattr(StockLedger, "preload", lambda self, skus: None)
    monkeypatch.setattr(StockLedger, "preload_orders", lambda self, *args: None)
    monkeypatch.setattr(PageReads, "preload", lambda self, order_ids: None)
    stored = store_history(tmp_path / "orders.db", **SCENARIOS["no_location_page_7"])
    assert _digests(stored) == EXPECTED["no_location_page_7"]
