"""`orders list` / `orders export` (streamed CSV and JSONL) and the per-channel counts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from feedsync.catalog import open_catalog
from feedsync.cli.main import cli
from feedsync.orders.query import CSV_COLUMNS, status_counts
from tests.orders.conftest import at
from tests.orders.helpers import order, write_orders


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--workspace", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.output


def seeded(root: Path) -> Path:
    write_orders(root, [
        order("O1", at(0), [("1", "SKU-A", 2), ("2", "GHOST", 1)]),
        order("O2", at(1), [("1", "SKU-B", 1)], status="shipped", shipped={"1": 1}),
        order("O3", at(2), [("1", "SKU-C", 1)], status="cancelled"),
        order("O4", at(3), [("1", "SKU-A", 1)], fulfillment="marketplace"),
    ])
    run(root, "orders", "pull", "--no-fast-path")
    return root


def test_export_csv_one_row_per_line(ows: Path) -> None:
    out = run(seeded(ows), "orders", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["order_id"], r["sku"], r["quantity"]) for r in rows] == [
        ("O1", "SKU-A", "2"), ("O1", "GHOST", "1"), ("O2", "SKU-B", "1"), ("O3", "SKU-C", "1"),
        ("O4", "SKU-A", "1")]
    assert rows[1]["flags"] == "unknown_sku@2"
    assert rows[0]["total"] == "19.99" and rows[0]["currency"] == "USD"


def test_export_jsonl_to_a_file_with_filters(ows: Path) -> None:
    target = ows / "out" / "orders.jsonl"
    target.parent.mkdir()
    run(seeded(ows), "orders", "export", "--format", "jsonl", "--out", str(target),
        "--status", "unshipped")
    orders = [json.loads(line) for line in target.read_text().splitlines()]
    assert [o["order_id"] for o in orders] == ["O1", "O4"]
    assert [ln["sku"] for ln in orders[0]["lines"]] == ["SKU-A", "GHOST"]
    assert orders[0]["flags"][0]["code"] == "unknown_sku"
    assert not (ows / "out" / "orders.jsonl.part").exists()


def test_list_human_and_json(ows: Path) -> None:
    seeded(ows)
    human = run(ows, "orders", "list", "--limit", "2")
    assert [line.split()[1] for line in human.splitlines()] == ["O4", "O3"]  # newest first
    flagged = run(ows, "orders", "list", "--flagged")
    assert flagged.split()[1] == "O1" and "[unknown_sku]" in flagged
    data = json.loads(run(ows, "--json", "orders", "list", "--status", "cancelled"))
    assert [o["order_id"] for o in data["orders"]] == ["O3"]


def test_status_counts(ows: Path) -> None:
    seeded(ows)
    catalog = open_catalog(ows / "feedsync.db")
    try:
        counts = status_counts(catalog.db)
    finally:
        catalog.db.close()
    # O1 and O4 are open; O4 is fulfilled by the marketplace; all were acknowledged; SKU-A
    # and SKU-B are queued for both channels (the orders' own one too), the fast path was off
    assert counts["shopa"] == {"orders": 4, "unacknowledged": 0, "unshipped": 1,
                               "open_issues": 1, "queued_pushes": 2}
    assert counts["shopb"]["queued_pushes"] == 2
