"""`orders pull` in process: cursor and lookback, idempotency, acknowledgement, fast path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.orders.store import parse_iso
from tests.orders.conftest import at
from tests.orders.helpers import (
    db_rows,
    live_listings,
    order,
    state_lines,
    stock,
    write_orders,
    write_workspace,
)


def pull(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", "orders", "pull",
                                      *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def channel(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["pull"]["channels"] if c["channel"] == name)


def test_pull_stores_reserves_acks_and_advances_the_cursor(ows: Path) -> None:
    write_orders(ows, [order("O1", at(0), [("1", "SKU-A", 2)]),
                       order("O2", at(1), [("1", "SKU-B", 1)]),
                       order("O3", at(2), [("1", "SKU-A", 1), ("2", "SKU-C", 1)])])
    started = datetime.now(UTC)
    code, data = pull(ows)
    finished = datetime.now(UTC)
    assert code == 0, data
    shopa = channel(data, "shopa")
    assert (shopa["new"], shopa["pages"], shopa["acknowledged"]) == (3, 2, 3)
    assert stock(ows, "SKU-A") == (5, 3, 2)
    assert stock(ows, "SKU-C") == (1, 1, 0)
    assert sorted(i for batch in state_lines(ows, "shopa", "acks.jsonl") for i in batch) == [
        "O1", "O2", "O3"]
    assert parse_iso(shopa["cursor"]) == parse_iso(at(2))
    # the first pull reads 30 days back; the next from the cursor minus the 30 min lookback
    code, data = pull(ows)
    assert channel(data, "shopa")["new"] == 0
    sinces = [parse_iso(p["since"]) for p in state_lines(ows, "shopa", "pulls.jsonl")]
    assert sinces[1] == parse_iso(at(2)) - timedelta(minutes=30)
    assert started - timedelta(days=30) <= sinces[0] <= finished - timedelta(days=30)
    assert db_rows(ows, "SELECT COUNT(*) FROM orders") == [(3,)]
    assert stock(ows, "SKU-A") == (5, 3, 2)
    # each order acknowledged once, page by page, right after its page committed
    assert state_lines(ows, "shopa", "acks.jsonl") == [["O1", "O2"], ["O3"]]


def test_rerun_never_duplicates_and_updates_move_stock(ows: Path) -> None:
    write_orders(ows, [order("O1", at(0), [("1", "SKU-A", 2)])])
    pull(ows)
    write_orders(ows, [order("O1", at(10), [("1", "SKU-A", 2)], status="shipped",
                             shipped={"1": 2}),
                       order("O2", at(11), [("1", "SKU-A", 1)], status="cancelled")])
    code, data = pull(ows)
    assert code == 0
    assert (channel(data, "shopa")["new"], channel(data, "shopa")["updated"]) == (1, 1)
    assert stock(ows, "SKU-A") == (3, 0, 3)
    for _ in range(2):
        pull(ows)
    assert db_rows(ows, "SELECT COUNT(*) FROM orders") == [(2,)]
    assert db_rows(ows, "SELECT COUNT(*) FROM order_lines") == [(2,)]
    assert stock(ows, "SKU-A") == (3, 0, 3)


def test_unknown_sku_is_reported_stored_and_never_dropped(ows: Path) -> None:
    write_orders(ows, [order("O1", at(0), [("1", "GHOST", 1), ("2", "SKU-A", 1)])])
    code, data = pull(ows)
    assert code == 0
    flags = channel(data, "shopa")["flags"]
    assert [(f["code"], f["sku"]) for f in flags] == [("unknown_sku", "GHOST")]
    assert db_rows(ows, "SELECT sku, sku_known FROM order_lines ORDER BY line_id") == [
        ("GHOST", 0), ("SKU-A", 1)]
    human = CliRunner().invoke(cli, ["--workspace", str(ows), "orders", "list", "--flagged"])
    assert "O1" in human.output and "unknown_sku" in human.output


def test_acknowledgement_failure_is_retried_next_run(tmp_path: Path) -> None:
    from tests.orders.conftest import STOCK
    from tests.orders.helpers import seed_catalog

    root = write_workspace(tmp_path / "w", shopa="fail_ack = true")
    seed_catalog(root, STOCK)
    write_orders(root, [order("O1", at(0), [("1", "SKU-A", 1)])])
    code, data = pull(root)
    assert code == 75
    assert "acknowledgement endpoint is down" in channel(data, "shopa")["ack_error"]
    assert db_rows(root, "SELECT order_id, acked_at IS NULL, ack_attempts FROM orders") == [
        ("O1", 1, 1)]
    assert stock(root, "SKU-A") == (5, 1, 4)  # stored and reserved all the same
    write_workspace(root)  # the endpoint is back
    code, data = pull(root)
    assert code == 0
    assert channel(data, "shopa")["acknowledged"] == 1
    assert state_lines(root, "shopa", "acks.jsonl") == [["O1"]]


def test_one_broken_channel_does_not_block_the_other(ows: Path) -> None:
    (ows / "shopb_orders.json").write_text("{not json")
    write_orders(ows, [order("O1", at(0), [("1", "SKU-A", 1)])])
    code, data = pull(ows)
    assert code == 3
    assert "JSONDecodeError" in channel(data, "shopb")["error"]
    assert channel(data, "shopa")["new"] == 1


def test_fast_path_pushes_to_every_channel_that_lists_the_skus(listed: Path) -> None:
    # The order's own channel too: feedsync's listing state still holds the quantity it last
    # sent there, so the sell-out goes out now, exempt from the quantity guardrails, rather
    # than in the run's push where max_zero_quantity_share would judge it.
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2), ("2", "SKU-B", 2)])])
    code, data = pull(listed)
    assert code == 0, data
    fast = {c["channel"]: c for c in data["fast_path"]["channels"]}
    assert (fast["shopa"]["pushed"], fast["shopb"]["pushed"]) == (2, 2)
    for name in ("shopa", "shopb"):
        live = live_listings(listed, name)
        assert (live["SKU-A"]["quantity"], live["SKU-B"]["quantity"]) == ("3", "0")
        last_push = state_lines(listed, name, "pushes.jsonl")[-1]
        assert {item["action"] for item in last_push} == {"price_quantity"}
    assert db_rows(listed, "SELECT COUNT(*) FROM stock_outbox") == [(0,)]


def test_no_fast_path_leaves_the_queue_for_the_next_run(listed: Path) -> None:
    write_orders(listed, [order("O1", at(0), [("1", "SKU-C", 1)])])
    code, data = pull(listed, "--no-fast-path")
    assert code == 0 and data["fast_path"] is None
    assert db_rows(listed, "SELECT channel, sku FROM stock_outbox ORDER BY channel") == [
        ("shopa", "SKU-C"), ("shopb", "SKU-C")]
    assert live_listings(listed, "shopb")["SKU-C"]["quantity"] == "1"
    code, data = pull(listed, "shopa")
    assert live_listings(listed, "shopb")["SKU-C"]["quantity"] == "0"
    assert db_rows(listed, "SELECT COUNT(*) FROM stock_outbox") == [(0,)]


def test_unlisted_skus_are_settled_without_a_push(ows: Path) -> None:
    write_orders(ows, [order("O1", at(0), [("1", "SKU-A", 1)])])
    code, data = pull(ows)
    assert code == 0
    assert sorted((c["channel"], c["pushed"], c["not_listed"])
                  for c in data["fast_path"]["channels"]) == [("shopa", 0, 1), ("shopb", 0, 1)]
    assert state_lines(ows, "shopa", "pushes.jsonl") == []
    assert state_lines(ows, "shopb", "pushes.jsonl") == []


def test_named_channel_must_be_configured(ows: Path) -> None:
    result = CliRunner().invoke(cli, ["--workspace", str(ows), "orders", "pull", "nope"])
    assert result.exit_code == 2
    assert "not configured" in result.output


def test_pull_is_refused_while_another_run_holds_the_lock(ows: Path) -> None:
    from feedsync.sync.lock import WorkspaceLock, lock_path

    with WorkspaceLock(lock_path(ows / "feedsync.db"), "push"):
        result = CliRunner().invoke(cli, ["--workspace", str(ows), "orders", "pull"])
    assert result.exit_code == 75
    assert "lock" in result.output
