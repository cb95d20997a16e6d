"""The fast path sends quantities only; a SKU's content or price edit waits for the push."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from feedsync.catalog import open_catalog
from feedsync.cli.main import cli
from tests.conftest import make_product
from tests.orders.conftest import at
from tests.orders.helpers import (
    db_rows,
    live_listings,
    order,
    state_lines,
    write_orders,
    write_workspace,
)


def invoke(root: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def edit(root: Path, sku: str, **changes: Any) -> None:
    catalog = open_catalog(root / "feedsync.db")
    try:
        catalog.upsert_products([make_product(sku, **changes)])
    finally:
        catalog.db.close()


def test_an_edited_sku_that_sells_goes_out_as_its_quantity_alone(listed: Path) -> None:
    old_price = live_listings(listed, "shopb")["SKU-A"]["price"]
    hashes = "SELECT content_hash, price_hash FROM listings WHERE channel = 'shopb' AND sku = ?"
    before = db_rows(listed, hashes, ["SKU-A"])
    edit(listed, "SKU-A", title="Tee, new cut", price=Decimal("29.99"))
    write_orders(listed, [order("O1", at(0), [("1", "SKU-A", 2)])])

    code, data = invoke(listed, "orders", "pull")
    assert code == 0, data
    fast = {c["channel"]: c["pushed"] for c in data["fast_path"]["channels"]}
    assert fast == {"shopa": 1, "shopb": 1}  # the order's own channel gets it too
    [pushed] = state_lines(listed, "shopb", "pushes.jsonl")[-1]
    assert (pushed["action"], pushed["quantity"], pushed["price"]) == (
        "price_quantity", "3", old_price), "the new price is not sent by the fast path"
    assert live_listings(listed, "shopb")["SKU-A"] == {"price": old_price, "quantity": "3"}
    assert db_rows(listed, hashes, ["SKU-A"]) == before

    code, plan = invoke(listed, "plan", "shopb")
    assert code == 0, plan
    [change] = plan["channels"][0]["changes"]
    assert (change["sku"], change["action"]) == ("SKU-A", "update")
    assert set(change["diff"]) == {"title", "price"}, "the next plan still has the edit"

    code, run = invoke(listed, "sync")
    assert code == 0, run
    assert live_listings(listed, "shopb")["SKU-A"]["price"] != old_price
    assert live_listings(listed, "shopb")["SKU-A"]["quantity"] == "3"


def test_sell_outs_through_orders_are_not_judged_by_the_zero_quantity_share(
        tmp_path: Path) -> None:
    from tests.orders.helpers import seed_catalog

    root = write_workspace(tmp_path / "ws")  # default guardrails: at most 30 % to zero
    seed_catalog(root, {f"SKU-{i}": 1 for i in range(10)})
    code, data = invoke(root, "sync")
    assert code == 0, data
    # 5 of 10 listed sell out through orders: 50 % > 30 %, and still every one goes out
    write_orders(root, [order("O1", at(0), [(str(i), f"SKU-{i}", 1) for i in range(5)])])
    code, data = invoke(root, "orders", "pull")
    assert code == 0, data
    for fast in data["fast_path"]["channels"]:
        assert (fast["pushed"], fast["error"]) == (5, None), fast
    for name in ("shopa", "shopb"):
        live = live_listings(root, name)
        assert [live[f"SKU-{i}"]["quantity"] for i in range(10)] == ["0"] * 5 + ["1"] * 5
