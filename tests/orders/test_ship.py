"""`orders ship FILE`: parsing, per-order results, idempotency, stock, channel refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.errors import InputError
from feedsync.orders.shipfile import read_shipments
from tests.orders.conftest import at
from tests.orders.helpers import (
    db_rows,
    order,
    seed_catalog,
    state_lines,
    stock,
    write_orders,
    write_workspace,
)


def invoke(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)


def pulled(root: Path) -> Path:
    write_orders(root, [order("O1", at(0), [("1", "SKU-A", 2), ("2", "SKU-B", 1)]),
                        order("O2", at(1), [("1", "SKU-A", 1)])])
    code, _ = invoke(root, "orders", "pull", "--no-fast-path")
    assert code == 0
    return root


def test_csv_rows_group_into_shipments(tmp_path: Path) -> None:
    path = tmp_path / "ship.csv"
    path.write_text("order_id,carrier,tracking_number,sku,quantity\n"
                    "O1,UPS,1Z1,SKU-A,1\nO1,UPS,1Z1,SKU-B,\nO2,DHL,JD2,,\n"
                    "O3,,X,,\nO4,UPS,T4,SKU-A,two\n")
    requests, bad = read_shipments(path)
    assert [(r.order_id, len(r.lines), r.all_lines) for r in requests] == [
        ("O1", 2, False), ("O2", 0, True)]
    assert [(b.where, b.message) for b in bad] == [
        (f"{path}:5", "carrier is empty"), (f"{path}:6", "quantity 'two' is not a whole number")]


def test_csv_without_required_columns_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ship.csv"
    path.write_text("order,carrier\nO1,UPS\n")
    with pytest.raises(InputError, match=r"ship.csv:1: missing column\(s\) order_id, "
                                         r"tracking_number"):
        read_shipments(path)


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ship.jsonl"
    path.write_text('{"order_id": "O1", "carrier": "UPS", "tracking_number": "T", '
                    '"lines": [{"sku": "SKU-A", "quantity": 1}]}\n'
                    "not json\n"
                    '{"order_id": "O2", "carrier": "UPS", "tracking_number": "T", '
                    '"lines": [{"quantity": 1}]}\n')
    requests, bad = read_shipments(path)
    assert [r.order_id for r in requests] == ["O1"]
    assert [b.where.rsplit(":", 1)[1] for b in bad] == ["2", "3"]


def test_ship_confirms_moves_stock_and_is_idempotent(ows: Path) -> None:
    pulled(ows)
    assert stock(ows, "SKU-A") == (5, 3, 2)
    ship = ows / "ship.csv"
    ship.write_text("order_id,carrier,tracking_number\nO1,UPS,1Z999\n")
    code, data = invoke(ows, "orders", "ship", str(ship))
    assert code == 0, data
    assert [(r["order_id"], r["status"]) for r in data["results"]] == [("O1", "confirmed")]
    assert stock(ows, "SKU-A") == (3, 1, 2)  # O1's 2 units left; O2's 1 still reserved
    assert stock(ows, "SKU-B") == (1, 0, 1)
    assert db_rows(ows, "SELECT status FROM orders WHERE order_id = 'O1'") == [("shipped",)]
    assert db_rows(ows, "SELECT tracking_number, carrier, status FROM shipments") == [
        ("1Z999", "UPS", "confirmed")]
    sent = state_lines(ows, "shopa", "shipments.jsonl")
    assert sent == [{"order_id": "O1", "carrier": "UPS", "tracking_number": "1Z999",
                     "lines": [["1", 2], ["2", 1]]}]
    # again: not sent, stock untouched
    code, data = invoke(ows, "orders", "ship", str(ship))
    assert code == 0
    assert data["results"][0]["status"] == "already_confirmed"
    assert len(state_lines(ows, "shopa", "shipments.jsonl")) == 1
    assert stock(ows, "SKU-A") == (3, 1, 2)
    # the channel later reports the order as shipped, or an older unshipped view: no change
    write_orders(ows, [order("O1", at(5), [("1", "SKU-A", 2), ("2", "SKU-B", 1)],
                             status="shipped", shipped={"1": 2, "2": 1}),
                       order("O2", at(1), [("1", "SKU-A", 1)])])
    invoke(ows, "orders", "pull", "--no-fast-path")
    assert stock(ows, "SKU-A") == (3, 1, 2)
    write_orders(ows, [order("O1", at(6), [("1", "SKU-A", 2), ("2", "SKU-B", 1)])])
    invoke(ows, "orders", "pull", "--no-fast-path")
    assert stock(ows, "SKU-A") == (3, 1, 2)


def test_partial_shipments_by_sku_then_the_rest(ows: Path) -> None:
    pulled(ows)
    first = ows / "first.jsonl"
    first.write_text(json.dumps({"order_id": "O1", "carrier": "UPS", "tracking_number": "T1",
                                 "lines": [{"sku": "SKU-A", "quantity": 1}]}) + "\n")
    code, _ = invoke(ows, "orders", "ship", str(first))
    assert code == 0
    assert db_rows(ows, "SELECT status FROM orders WHERE order_id = 'O1'") == [
        ("partially_shipped",)]
    assert stock(ows, "SKU-A") == (4, 2, 2)
    rest = ows / "rest.csv"
    rest.write_text("order_id,carrier,tracking_number\nO1,UPS,T2\n")
    code, data = invoke(ows, "orders", "ship", str(rest))
    assert code == 0, data
    assert state_lines(ows, "shopa", "shipments.jsonl")[-1]["lines"] == [["1", 1], ["2", 1]]
    assert db_rows(ows, "SELECT status FROM orders WHERE order_id = 'O1'") == [("shipped",)]
    assert stock(ows, "SKU-A") == (3, 1, 2)


def test_each_order_gets_its_own_result(ows: Path) -> None:
    pulled(ows)
    ship = ows / "ship.csv"
    ship.write_text("order_id,carrier,tracking_number,sku,quantity\n"
                    "O1,UPS,T1,SKU-A,5\nNOPE,UPS,T2,,\nO2,UPS,T3,,\n")
    code, data = invoke(ows, "orders", "ship", str(ship))
    assert code == 3
    results = {r["order_id"]: r for r in data["results"]}
    assert results["O1"]["status"] == "error"
    assert results["O1"]["message"] == "order O1: line 1: 5 to ship but only 2 left"
    assert results["NOPE"]["status"] == "error" and "not in the workspace" in \
        results["NOPE"]["message"]
    assert results["O2"]["status"] == "confirmed"


def test_a_refused_shipment_fails_and_is_sent_again_next_time(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "w", shopa='reject_tracking_prefix = "BAD"')
    seed_catalog(root, {"SKU-A": 5, "SKU-B": 2})
    pulled(root)
    ship = root / "ship.csv"
    ship.write_text("order_id,carrier,tracking_number\nO2,UPS,BAD1\n")
    code, data = invoke(root, "orders", "ship", str(ship))
    assert code == 1
    assert data["results"][0]["status"] == "failed"
    assert "bad_tracking" in data["results"][0]["message"]
    assert stock(root, "SKU-A") == (5, 3, 2)
    assert db_rows(root, "SELECT status, attempts FROM shipments") == [("failed", 1)]
    write_workspace(root)
    code, data = invoke(root, "orders", "ship", str(ship))
    assert code == 0 and data["results"][0]["status"] == "confirmed"
    assert db_rows(root, "SELECT status, attempts FROM shipments") == [("confirmed", 2)]
    assert stock(root, "SKU-A") == (4, 2, 2)


def test_a_pending_answer_is_not_a_confirmation(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "w", shopa='pending_tracking_prefix = "SLOW"')
    seed_catalog(root, {"SKU-A": 5, "SKU-B": 2})
    pulled(root)
    ship = root / "ship.csv"
    ship.write_text("order_id,carrier,tracking_number\nO2,UPS,SLOW1\n")
    code, data = invoke(root, "orders", "ship", str(ship))
    assert code == 1
    assert (data["results"][0]["status"], data["results"][0]["message"]) == (
        "failed", "transient: throttled, try again")
    assert db_rows(root, "SELECT status FROM shipments") == [("failed",)]
    assert stock(root, "SKU-A") == (5, 3, 2)


def test_lines_named_twice_add_up_and_cannot_exceed_what_is_left(ows: Path) -> None:
    pulled(ows)
    twice = ows / "twice.csv"
    twice.write_text("order_id,carrier,tracking_number,sku,quantity\n"
                     "O1,UPS,T1,SKU-A,1\nO1,UPS,T1,SKU-A,1\n")
    code, data = invoke(ows, "orders", "ship", str(twice))
    assert code == 0, data
    assert state_lines(ows, "shopa", "shipments.jsonl")[-1]["lines"] == [["1", 2]]
    again = ows / "again.csv"
    again.write_text("order_id,carrier,tracking_number,line_id\nO1,UPS,T2,1\n")
    code, data = invoke(ows, "orders", "ship", str(again))
    assert code == 1
    assert data["results"][0]["message"] == "order O1: line 1 has nothing left to ship"
    too_many = ows / "many.csv"
    too_many.write_text("order_id,carrier,tracking_number,sku,quantity\nO2,UPS,T3,SKU-A,3\n")
    code, data = invoke(ows, "orders", "ship", str(too_many))
    assert data["results"][0]["message"] == "order O2: line 1: 3 to ship but only 1 left"
