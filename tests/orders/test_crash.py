"""Crash safety: a real `feedsync` process SIGKILLs itself at each step, then a re-run converges.

``FEEDSYNC_TEST_CRASH_AT=<step>[@n]`` makes the process kill itself at the n-th time it reaches
the step (feedsync.orders.faults). After each crash a normal run must leave exactly the state a
run that never crashed leaves: every order once, every line once, the same stock, every order
acknowledged, the other channel showing the right quantities and nothing left queued.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.orders.conftest import at
from tests.orders.helpers import db_rows, live_listings, order, run_cli, stock, write_orders

pytestmark = pytest.mark.slow

KILLED = -signal.SIGKILL

# Five orders over three pages (page_size 2) touching every SKU, one unknown SKU, one cancelled.
ORDERS = [
    order("O1", at(0), [("1", "SKU-A", 2)]),
    order("O2", at(1), [("1", "SKU-B", 1), ("2", "GHOST", 1)]),
    order("O3", at(2), [("1", "SKU-A", 1), ("2", "SKU-C", 1)]),
    order("O4", at(3), [("1", "SKU-B", 1)], status="cancelled"),
    order("O5", at(4), [("1", "SKU-A", 1)], status="shipped", shipped={"1": 1}),
]
# SKU-A 5 on hand: O1 reserves 2, O3 1, O5 shipped 1 → on hand 4, reserved 3, available 1.
# SKU-B 2: O2 reserves 1, O4 cancelled → 2, 1, 1.  SKU-C 1: O3 → 1, 1, 0.
EXPECTED_STOCK = {"SKU-A": (4, 3, 1), "SKU-B": (2, 1, 1), "SKU-C": (1, 1, 0)}
EXPECTED_LIVE = {"SKU-A": "1", "SKU-B": "1", "SKU-C": "0"}


def snapshot(root: Path) -> dict[str, Any]:
    return {
        "orders": db_rows(root, "SELECT order_id, status FROM orders ORDER BY order_id"),
        "lines": db_rows(root, "SELECT order_id, line_id, sku, quantity FROM order_lines"
                               " ORDER BY order_id, line_id"),
        "stock": {sku: stock(root, sku) for sku in EXPECTED_STOCK},
        "unacked": db_rows(root, "SELECT COUNT(*) FROM orders WHERE acked_at IS NULL"
                                 " AND status IN ('pending', 'unshipped')"),
        "queued": db_rows(root, "SELECT COUNT(*) FROM stock_outbox"),
        "live": {sku: v["quantity"] for sku, v in live_listings(root, "shopb").items()},
    }


def assert_converged(root: Path) -> None:
    state = snapshot(root)
    assert state["orders"] == [("O1", "unshipped"), ("O2", "unshipped"), ("O3", "unshipped"),
                               ("O4", "cancelled"), ("O5", "shipped")]
    assert len(state["lines"]) == 7
    assert state["stock"] == EXPECTED_STOCK
    assert state["unacked"] == [(0,)]
    assert state["queued"] == [(0,)]
    assert state["live"] == EXPECTED_LIVE


def ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("crash_at", [
    "before_page_upsert@2",
    "after_upsert_before_commit@1",
    "after_upsert_before_commit@3",
    "after_commit_before_ack@2",
    "after_ack_before_record@1",
    "before_fastpath_push@1",
    "after_fastpath_push_before_clear@1",
])
def test_sigkill_at_each_step_then_rerun_converges(listed: Path, crash_at: str) -> None:
    write_orders(listed, ORDERS)
    crashed = run_cli(listed, "orders", "pull", crash_at=crash_at)
    assert crashed.returncode == KILLED, crashed.stdout + crashed.stderr
    after_crash = snapshot(listed)
    if crash_at == "after_upsert_before_commit@1":
        assert after_crash["orders"] == []  # the page never committed: nothing of it
        assert after_crash["stock"] == {"SKU-A": (5, 0, 5), "SKU-B": (2, 0, 2),
                                        "SKU-C": (1, 0, 1)}
    if crash_at == "after_upsert_before_commit@3":
        assert len(after_crash["orders"]) == 4  # pages 1 and 2 committed, page 3 did not
    if crash_at.startswith(("before_fastpath", "after_fastpath")):
        assert after_crash["stock"] == EXPECTED_STOCK  # orders all stored …
        assert after_crash["queued"] != [(0,)]  # … and their quantities still queued
    ok(run_cli(listed, "orders", "pull"))
    assert_converged(listed)
    if crash_at == "after_ack_before_record@1":  # once is enough: a further run is a no-op
        ok(run_cli(listed, "orders", "pull"))
        assert_converged(listed)


def test_crash_after_shipment_push_resends_but_counts_once(listed: Path) -> None:
    write_orders(listed, ORDERS)
    ok(run_cli(listed, "orders", "pull"))
    ship = listed / "ship.csv"
    ship.write_text("order_id,carrier,tracking_number\nO1,UPS,1Z1\n")
    crashed = run_cli(listed, "orders", "ship", str(ship),
                      crash_at="after_shipment_push_before_record")
    assert crashed.returncode == KILLED
    assert db_rows(listed, "SELECT status FROM shipments") == [("sending",)]
    assert stock(listed, "SKU-A") == (4, 3, 1)  # not recorded, so stock has not moved yet
    ok(run_cli(listed, "orders", "ship", str(ship)))
    assert db_rows(listed, "SELECT status, attempts FROM shipments") == [("confirmed", 2)]
    assert stock(listed, "SKU-A") == (2, 1, 1)  # O1's 2 units left once
    ok(run_cli(listed, "orders", "ship", str(ship)))
    assert stock(listed, "SKU-A") == (2, 1, 1)


def test_two_concurrent_pulls_never_double_import(listed: Path) -> None:
    many = [order(f"C{i:03d}", at(i), [("1", "SKU-A" if i % 2 else "SKU-B", 1)])
            for i in range(120)]
    write_orders(listed, many)
    from tests.orders.helpers import REPO_ROOT

    env_path = str(REPO_ROOT)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "feedsync", "--workspace", str(listed), "orders", "pull"],
        cwd=env_path, env={**_env(), "PYTHONPATH": env_path}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        # communicate, not wait(): a child blocked on a full stdout pipe never exits.
        finished = [(*p.communicate(timeout=120), p.returncode) for p in procs]
    finally:
        for p in procs:  # a run that hung must not outlive the test
            if p.poll() is None:
                p.kill()
                p.wait(10)
    for out, err, code in finished:
        # The CLI reports a failed step on stdout: both streams, or a failure says nothing.
        assert code == 0 or (code == 75 and "lock" in err), (
            f"exit {code}\nstdout:\n{out}\nstderr:\n{err}")
    ok(run_cli(listed, "orders", "pull"))  # whichever was refused, the next run is a no-op
    assert db_rows(listed, "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM orders") == [
        (120, 120)]
    assert db_rows(listed, "SELECT COUNT(*) FROM order_lines") == [(120,)]
    assert stock(listed, "SKU-A")[1] == 60 and stock(listed, "SKU-B")[1] == 60


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("FEEDSYNC_TEST_CRASH_AT", None)
    return env
