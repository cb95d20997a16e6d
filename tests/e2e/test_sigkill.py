"""`feedsync sync` killed with SIGKILL at random moments (seeded), orders arriving in between;
then cron runs again: every order is stored once, every ordered unit reserved once, and every
channel shows what the catalog has available."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedsync.sandbox.buyers import place_orders
from tests.e2e.loop import (
    PLACED_AGO,
    SELLERS,
    available,
    channels,
    query,
    shop,
    shown_everywhere,
    sync_until_settled,
)
from tests.sandbox.oracle import SpecOracle

pytestmark = pytest.mark.slow

KILLS = 4
SEED = 20261206


def _killed_sync(workspace: Path, after: float) -> int | None:
    """Start `feedsync sync`, SIGKILL it ``after`` seconds later; its exit code if it ended
    first (None when it was killed)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "feedsync", "--workspace", str(workspace), "sync"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        process.wait(timeout=after)
        return process.returncode
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return None


def test_sigkill_at_random_points_then_a_rerun_converges(
        tmp_path: Path, oracle: SpecOracle) -> None:
    draw = random.Random(SEED)
    with shop(tmp_path, oracle=oracle) as found:
        skus: list[str] = found.skus  # type: ignore[attr-defined]
        before = {sku: available(found, sku) for sku in skus}
        units = dict.fromkeys(skus, 0)
        placed: dict[str, list[str]] = {}
        sellers = [s for s in SELLERS if s in channels()]
        killed = 0
        for round_ in range(KILLS):
            seller = sellers[round_ % len(sellers)]
            orders = place_orders(found.sandbox.app, seller, 2, seed=round_,
                                  multi_line_share=0.5, placed_ago=PLACED_AGO)
            placed.setdefault(seller, []).extend(orders.orders)
            for sku, count in orders.by_sku.items():
                units[sku] += count
            # Python and the CLI take about a second to start: kill between 0.8 and 5 s in,
            # anywhere in the pull, the fast path, the push or the polling.
            if _killed_sync(found.workspace, draw.uniform(0.8, 5.0)) is None:
                killed += 1
        assert killed >= 2, "the kills must interrupt runs for this test to mean anything"
        time.sleep(0.5)
        codes = sync_until_settled(found, 8)
        assert codes[-1] == 0, codes
        counted = query(found, "SELECT channel, order_id, COUNT(*) AS n FROM orders "
                        "GROUP BY channel, order_id")
        assert all(r["n"] == 1 for r in counted)
        stored = {(r["channel"], r["order_id"]) for r in counted}
        assert stored == {(s, o) for s, ids in placed.items() for o in ids}
        reserved = {r["sku"]: r["units"] for r in query(
            found, "SELECT sku, SUM(reserved) AS units FROM stock_ledger GROUP BY sku")}
        for sku in skus:
            assert reserved.get(sku, 0) == units[sku], sku  # no double reservation
            assert available(found, sku) == before[sku] - units[sku], sku
        shown = shown_everywhere(found, skus)
        for channel, quantities in shown.items():
            for sku, quantity in quantities.items():
                assert quantity == max(available(found, sku), 0), (channel, sku)
        found.clean()
