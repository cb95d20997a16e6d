"""The orders loop inside `feedsync sync` and `feedsync status` (the sync engine's commands)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from feedsync.cli.main import cli
from tests.orders.conftest import at
from tests.orders.helpers import (
    REPO_ROOT,
    db_rows,
    live_listings,
    order,
    run_cli,
    state_lines,
    stock,
    write_orders,
)


def test_sync_pulls_orders_and_fast_paths_before_its_push(listed: Path) -> None:
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2)]),
                          order("O2", at(1), [("1", "SKU-C", 1)])])
    result = CliRunner().invoke(cli, ["--workspace", str(listed), "--json", "sync"])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output.strip().splitlines()[-1])["steps"]
    kinds = [(s["step"], s["channel"]) for s in steps]
    assert kinds.index(("orders", "shopa")) < kinds.index(("fast_path", "shopb")) \
        < kinds.index(("push", "shopb"))
    fast = {s["channel"]: s["counts"]["pushed"] for s in steps if s["step"] == "fast_path"}
    assert fast == {"shopa": 2, "shopb": 2}  # the orders' own channel too
    for name in ("shopa", "shopb"):
        push = next(s for s in steps if s["step"] == "push" and s["channel"] == name)
        assert push["counts"].get("items", 0) == 0  # the fast path already sent them
        live = live_listings(listed, name)
        assert (live["SKU-A"]["quantity"], live["SKU-C"]["quantity"]) == ("3", "0")
    assert db_rows(listed, "SELECT step, outcome FROM sync_run_steps WHERE step IN"
                           " ('orders', 'fast_path') ORDER BY id") == [
        ("orders", "ok"), ("orders", "ok"), ("fast_path", "ok"), ("fast_path", "ok")]


def test_a_sell_out_on_a_small_channel_goes_out_but_a_zeroing_import_is_refused(
        listed: Path) -> None:
    # Three listed SKUs, default guardrails (max_zero_quantity_share = 0.3). One sells out
    # through an order: 1 of 3 = 33 %, and the zero still reaches both channels without --force.
    write_orders(listed, [order("O1", at(0), [("1", "SKU-C", 1)])])
    result = CliRunner().invoke(cli, ["--workspace", str(listed), "--json", "sync"])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output.strip().splitlines()[-1])["steps"]
    assert {s["channel"]: s["outcome"] for s in steps if s["step"] == "fast_path"} == {
        "shopa": "ok", "shopb": "ok"}
    for name in ("shopa", "shopb"):
        assert live_listings(listed, name)["SKU-C"]["quantity"] == "0"
    # An inventory file that zeroes 2 of 3 is still refused by the run's normal push.
    stock_file = listed / "stock.csv"
    stock_file.write_text("sku,location,quantity\nSKU-A,default,0\nSKU-B,default,0\n")
    imported = CliRunner().invoke(cli, ["--workspace", str(listed), "catalog", "import",
                                        str(stock_file)])
    assert imported.exit_code == 0, imported.output
    refused = CliRunner().invoke(cli, ["--workspace", str(listed), "--json", "sync"])
    assert refused.exit_code == 5, refused.output
    steps = json.loads(refused.output.strip().splitlines()[-1])["steps"]
    for name in ("shopa", "shopb"):
        push = next(s for s in steps if s["step"] == "push" and s["channel"] == name)
        assert push["outcome"] == "refused"
        assert "max_zero_quantity_share" in push["message"] and "2 of 3" in push["message"]
        live = live_listings(listed, name)
        assert (live["SKU-A"]["quantity"], live["SKU-B"]["quantity"]) == ("5", "2")


def test_sync_dry_run_does_not_pull(listed: Path) -> None:
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2)])])
    result = CliRunner().invoke(cli, ["--workspace", str(listed), "sync", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "orders are not pulled" in result.output
    assert db_rows(listed, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'orders'") == [
        (0,)]
    assert state_lines(listed, "shopa", "pulls.jsonl") == []


def test_status_shows_unacknowledged_and_unshipped(tmp_path: Path, listed: Path) -> None:
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2)]),
                          order("O2", at(1), [("1", "SKU-B", 1)], status="shipped",
                                shipped={"1": 1})])
    runner = CliRunner()
    runner.invoke(cli, ["--workspace", str(listed), "orders", "pull"])
    assert db_rows(listed, "SELECT command, status FROM sync_runs") == [("orders pull", "ok")]
    db_rows(listed, "UPDATE orders SET acked_at = NULL WHERE order_id = 'O1'")
    human = runner.invoke(cli, ["--workspace", str(listed), "status"])
    assert human.exit_code == 0, human.output
    assert "orders 2: unacknowledged 1, unshipped 1, open issues 0" in human.output
    data = json.loads(runner.invoke(cli, ["--workspace", str(listed), "--json", "status"]).output)
    shopa = next(c for c in data["channels"] if c["channel"] == "shopa")
    assert (shopa["orders"]["unacknowledged"], shopa["orders"]["unshipped"]) == (1, 1)


@pytest.mark.slow
def test_two_concurrent_syncs_never_double_import(listed: Path) -> None:
    write_orders(listed, [order(f"S{i:03d}", at(i), [("1", "SKU-A", 1)]) for i in range(60)])
    env = {k: v for k, v in os.environ.items() if k != "FEEDSYNC_TEST_CRASH_AT"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    procs = [subprocess.Popen([sys.executable, "-m", "feedsync", "--workspace", str(listed),
                               "sync"], cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        finished = [(*proc.communicate(timeout=120), proc.returncode) for proc in procs]
    finally:
        for proc in procs:  # a run that hung must not outlive the test
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    for out, err, code in finished:
        # The CLI reports a failed step on stdout: both streams, or a failure says nothing.
        # 60 orders of SKU-A's 5 units oversell it: the run that imports them exits 3 and
        # names the oversells; the other is refused by the lock or finds nothing new (0).
        assert code == 0 or (code == 3 and "oversold" in out) or (
            code == 75 and "lock" in err), f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert [code for _, _, code in finished].count(3) == 1
    assert run_cli(listed, "sync").returncode == 0
    assert db_rows(listed, "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM orders") == [
        (60, 60)]
    assert stock(listed, "SKU-A") == (5, 60, -55)
    assert live_listings(listed, "shopb")["SKU-A"]["quantity"] == "0"


@pytest.mark.slow
def test_sigkill_inside_sync_then_sync_again(listed: Path) -> None:
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2)]),
                          order("O2", at(1), [("1", "SKU-B", 1)]),
                          order("O3", at(2), [("1", "SKU-C", 1)])])
    crashed = run_cli(listed, "sync", crash_at="after_upsert_before_commit@2")
    assert crashed.returncode == -signal.SIGKILL
    assert db_rows(listed, "SELECT COUNT(*) FROM orders") == [(2,)]
    done = run_cli(listed, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    assert db_rows(listed, "SELECT COUNT(*) FROM orders") == [(3,)]
    assert [stock(listed, s) for s in ("SKU-A", "SKU-B", "SKU-C")] == [
        (5, 2, 3), (2, 1, 1), (1, 1, 0)]
    live = live_listings(listed, "shopb")
    assert [live[s]["quantity"] for s in ("SKU-A", "SKU-B", "SKU-C")] == ["3", "1", "0"]
    # the run that died is journaled as crashed by the next one
    assert ("crashed",) in db_rows(listed, "SELECT status FROM sync_runs")


def test_an_oversell_found_by_sync_is_said_and_the_run_is_partial(listed: Path) -> None:
    """QA finding: the last unit of SKU-C sold on two channels; `sync` printed only `ok`
    lines and exited 0. The orders step now names the oversell (order, channel, SKU, by how
    much) with the advice to cancel one order, in text and JSON, and is PARTIAL (exit 3)."""
    write_orders(listed, [order("W1", at(0), [("1", "SKU-C", 1)])], channel="shopb")
    write_orders(listed, [order("E1", at(1), [("1", "SKU-C", 1)])], channel="shopa")
    result = CliRunner().invoke(cli, ["--workspace", str(listed), "sync"])
    assert result.exit_code == 3, result.output
    said = [line for line in result.output.splitlines() if "oversold" in line]
    assert len(said) == 1, result.output
    assert ("shopa" in said[0] and "E1" in said[0]) or ("shopb" in said[0] and "W1" in said[0])
    assert "SKU-C" in said[0] and "oversold by 1" in said[0] and "cancel one" in said[0]
    assert "partial" in result.output and "oversell" in result.output
    # A second oversell, seen in the JSON of the run (the first is not said twice).
    write_orders(listed, [order("W1", at(0), [("1", "SKU-C", 1)]),
                          order("W2", at(2), [("1", "SKU-A", 5)])], channel="shopb")
    write_orders(listed, [order("E1", at(1), [("1", "SKU-C", 1)]),
                          order("E2", at(3), [("1", "SKU-A", 1)])], channel="shopa")
    again = CliRunner().invoke(cli, ["--workspace", str(listed), "--json", "sync"])
    assert again.exit_code == 3, again.output
    data = json.loads(again.output.strip().splitlines()[-1])
    pulled = [s for s in data["steps"] if s["step"] == "orders" and s["flags"]]
    assert len(pulled) == 1 and pulled[0]["outcome"] == "partial"
    assert [(f["code"], f["sku"]) for f in pulled[0]["flags"]] == [("oversell", "SKU-A")]
    assert "oversell" in pulled[0]["message"] and "cancel one" in pulled[0]["problems"][0]
