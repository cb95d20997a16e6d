"""End to end on the loopback sandbox (feedsync/sandbox/etsy): plan, push, orders pull, orders
ship, reconcile — the real CLI and adapter, every request checked against Etsy's OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from etsy_oracle import EtsyOracle
from feedsync.adapters.etsy.adapter import EtsyAdapter

from feedsync.http import OperationLimit
from feedsync.sandbox.buyers import place_orders
from tests.sandbox.support import Demo, demo

CHANNELS = ["etsy"]
FORM_OPERATIONS = {"createDraftListing", "updateListing", "createReceiptShipment"}
QUERY_OPERATIONS = {"getListingsByShop", "getShopReceipts"}


class Observer:
    """Checks each request the Etsy sandbox receives against the spec (sandbox observer)."""

    def __init__(self, oracle: EtsyOracle) -> None:
        self.oracle = oracle

    def __call__(self, channel: str, route: Any, request: Any, response: Any) -> None:
        op = route.operation
        if op in FORM_OPERATIONS:
            self.oracle.check_form(op, request.body)
        elif op == "updateListingInventory":
            self.oracle.check_json_body(op, json.loads(request.body))
        if op in QUERY_OPERATIONS:
            self.oracle.check_query(op, {k: v[-1] for k, v in request.query.items()})
        if response.status < 300 and op in ("getShopReceipts", "getListingInventory",
                                            "createDraftListing", "getShopReceipt"):
            self.oracle.check_response(op, response.status, json.loads(response.body))


@pytest.fixture
def shop(tmp_path: Path, oracle: EtsyOracle, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    # Etsy's 10 requests/second are honoured in real time by the adapter and the sandbox;
    # these tests raise both so they do not sleep (bench/etsy_calls.py counts the calls).
    fast = replace(EtsyAdapter.limits, operations=(
        OperationLimit("*", rate_per_second=10_000, burst=10_000, daily_budget=10_000),))
    monkeypatch.setattr(EtsyAdapter, "limits", fast)
    with demo(tmp_path, channels=CHANNELS, oracle=Observer(oracle), rate_scale=0) as found:
        yield found
        found.clean()


def test_plan_push_orders_ship_reconcile(shop: Demo, tmp_path: Path) -> None:
    [plan] = shop.feedsync_json("plan", "etsy")["channels"]
    # one sample SKU breaks Etsy's rules ("20°F": ° is not allowed) and is held, never sent;
    # the others (active ones: drafts and archived products are filtered out) are created
    assert plan["held_invalid"] == 1 and plan["held_codes"] == {"invalid_format": 1}
    assert plan["create"] == plan["listed_after"] >= 50, plan
    result = shop.feedsync("push", "etsy")
    assert result.exit_code == 0, result.output
    assert shop.quantities("etsy", ["TEE-ORG-BLK-S", "TEE-ORG-BLK-M"]) == {
        "TEE-ORG-BLK-S": 12, "TEE-ORG-BLK-M": 30}
    calls = shop.sandbox.app.call_counts()["etsy"]
    families = calls["createDraftListing"]["201"]
    assert calls["updateListingInventory"]["200"] == families  # one inventory per listing
    assert shop.feedsync("push", "etsy").exit_code == 0  # nothing changed: nothing sent
    assert shop.sandbox.app.call_counts()["etsy"]["createDraftListing"]["201"] == families

    placed = place_orders(shop.sandbox.app, "etsy", 3, seed=7, skus=["TEE-ORG-BLK-M"],
                          placed_ago=60)
    pulled = shop.feedsync("orders", "pull", "etsy")
    assert pulled.exit_code == 0, pulled.output
    listed = shop.feedsync_json("orders", "list")
    ids = {o["order_id"] for o in listed["orders"]}
    assert set(placed.orders) <= ids

    ship = tmp_path / "ship.csv"
    ship.write_text("channel,order_id,carrier,tracking_number\n"
                    f"etsy,{placed.orders[0]},usps,9400100000000000000001\n", encoding="utf-8")
    shipped = shop.feedsync("orders", "ship", str(ship))
    assert shipped.exit_code == 0, shipped.output
    again = shop.feedsync("orders", "ship", str(ship))  # idempotent: no second shipment
    assert again.exit_code == 0, again.output
    assert shop.sandbox.app.call_counts()["etsy"]["createReceiptShipment"] == {"200": 1}

    report = shop.feedsync_json("reconcile", "etsy")
    assert report["compared"] >= plan["create"] and report["drift"] == [], report


def test_a_missing_image_keeps_the_family_a_draft(shop: Demo, tmp_path: Path) -> None:
    catalog = tmp_path / "one.csv"
    catalog.write_text(
        "sku,title,description,price,currency,image_urls,quantity\n"
        "MUG-X,Stoneware mug,A mug.,18.00,USD,https://cdn.example.com/missing/mug.jpg,4\n",
        encoding="utf-8")
    assert shop.feedsync("catalog", "import", str(catalog)).exit_code == 0
    result = shop.feedsync("push", "etsy", "--force")
    assert result.exit_code == 3, result.output
    assert "at least one image" in shop.feedsync("status", "etsy", "--rejected").output
    assert "MUG-X" not in shop.quantities("etsy", ["MUG-X"])
