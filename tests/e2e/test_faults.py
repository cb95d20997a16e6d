"""A fifth of every marketplace call fails — the marketplace's own 429, a 503, a dropped
connection, or an answer lost after the work was done — and still no order is lost, every SKU
ends up sent or reported on every channel, and stock is reserved exactly once per order."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsync.sandbox import parse_fault
from feedsync.sandbox.buyers import place_orders
from tests.e2e.loop import (
    PLACED_AGO,
    SELLERS,
    available,
    channels,
    query,
    shop,
    sync_until_settled,
)
from tests.sandbox.oracle import SpecOracle

pytestmark = pytest.mark.slow

FAULTS = ["*:429:0.05", "*:5xx:0.05", "*:drop:0.05", "*:lost:0.05"]  # 20 % of the calls
RUNS = 8  # cron runs: each one continues where the faults stopped the last


def test_faults_lose_no_order_and_leave_every_sku_sent_or_reported(
        tmp_path: Path, oracle: SpecOracle) -> None:
    rules = [parse_fault(spec) for spec in FAULTS]
    with shop(tmp_path, first_sync=False, faults=rules, seed=11,
              oracle=oracle) as found:
        skus: list[str] = found.skus  # type: ignore[attr-defined]
        sync_until_settled(found, RUNS)
        for channel in found.feedsync_json("status")["channels"]:
            settled = channel["listed"] + channel["rejected"] + channel["held_invalid"]
            assert settled == len(skus) and channel["pending"] == 0, channel
        before = {sku: available(found, sku) for sku in skus}
        placed: dict[str, list[str]] = {}
        units: dict[str, int] = dict.fromkeys(skus, 0)
        for number, seller in enumerate(s for s in SELLERS if s in channels()):
            orders = place_orders(found.sandbox.app, seller, 3, seed=number,
                                  multi_line_share=0.5, placed_ago=PLACED_AGO)
            placed[seller] = orders.orders
            for sku, count in orders.by_sku.items():
                units[sku] += count
        codes = sync_until_settled(found, RUNS)
        assert found.sandbox.app.faults.injected, "no fault was injected"
        stored = {(r["channel"], r["order_id"]) for r in query(
            found, "SELECT channel, order_id FROM orders")}
        for seller, ids in placed.items():
            missing = [i for i in ids if (seller, i) not in stored]
            assert not missing, f"{seller} orders lost: {missing} (runs exited {codes})"
        reserved = {r["sku"]: r["units"] for r in query(
            found, "SELECT sku, SUM(reserved) AS units FROM stock_ledger GROUP BY sku")}
        for sku in skus:
            assert reserved.get(sku, 0) == units[sku], sku  # reserved once per ordered unit
            assert available(found, sku) == before[sku] - units[sku], sku
        found.clean()
