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
from feedsync.sandbox.etsy.market import KEYSTRING as ETSY_KEY
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


SMALL = """sku,item_group_id,title,description,price,currency,image_urls,quantity,size,variant_axes
TEE-S,TEE,Linen tee,Soft linen.,30.00,USD,https://cdn.example.com/img/tee.jpg,5,S,size
TEE-M,TEE,Linen tee,Soft linen.,30.00,USD,https://cdn.example.com/img/tee.jpg,6,M,size
TEE-L,TEE,Linen tee,Soft linen.,32.00,USD,https://cdn.example.com/img/tee.jpg,7,L,size
MUG-1,,Stoneware mug,A mug.,18.00,USD,https://cdn.example.com/img/mug.jpg,4,,
CAP-1,,Wool cap,A cap.,25.00,USD,https://cdn.example.com/img/cap.jpg,3,,
BAG-1,,Canvas bag,A bag.,40.00,USD,https://cdn.example.com/img/bag.jpg,2,,
"""


def _shop(tmp_path: Path, oracle: EtsyOracle, monkeypatch: pytest.MonkeyPatch,
          sample: bool) -> Iterator[Demo]:
    # Etsy's 10 requests/second are honoured in real time by the adapter and the sandbox;
    # these tests raise both so they do not sleep (bench/etsy_calls.py counts the calls).
    fast = replace(EtsyAdapter.limits, operations=(
        OperationLimit("*", rate_per_second=10_000, burst=10_000, daily_budget=10_000),))
    monkeypatch.setattr(EtsyAdapter, "limits", fast)
    with demo(tmp_path, channels=CHANNELS, oracle=Observer(oracle), rate_scale=0,
              import_sample=sample) as found:
        if not sample:
            small = tmp_path / "small.csv"
            small.write_text(SMALL, encoding="utf-8")
            imported = found.feedsync("catalog", "import", str(small))
            assert imported.exit_code == 0, imported.output
        yield found
        found.clean()


@pytest.fixture
def shop(tmp_path: Path, oracle: EtsyOracle, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """A sandbox workspace with the sample catalog (60 SKUs)."""
    yield from _shop(tmp_path, oracle, monkeypatch, sample=True)


@pytest.fixture
def small(tmp_path: Path, oracle: EtsyOracle, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[Demo]:
    """A sandbox workspace with six SKUs: a family of three sizes and three single items."""
    yield from _shop(tmp_path, oracle, monkeypatch, sample=False)


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


def test_a_missing_image_keeps_the_family_a_draft(small: Demo, tmp_path: Path) -> None:
    shop = small
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


def _etsy_listing_of(shop: Demo, sku: str) -> dict[str, Any]:
    """The sandbox's listing (with its inventory) that sells ``sku``."""
    with shop.sandbox.app.store.transaction() as db:
        for row in db.execute("SELECT listing_id, data FROM etsy_inventory"):
            inventory = json.loads(row["data"])
            if any(p["sku"] == sku for p in inventory["products"]):
                listing = json.loads(db.execute(
                    "SELECT data FROM etsy_listings WHERE listing_id = ?",
                    (row["listing_id"],)).fetchone()["data"])
                return {**listing, "inventory": inventory}
    raise KeyError(sku)


def test_a_variant_archived_in_the_catalog_leaves_the_etsy_inventory(small: Demo) -> None:
    shop = small
    from feedsync.catalog import open_catalog
    from feedsync.models import ProductStatus

    assert shop.feedsync("push", "etsy").exit_code == 0
    before = _etsy_listing_of(shop, "TEE-M")
    skus = {p["sku"] for p in before["inventory"]["products"]}
    catalog = open_catalog(shop.workspace / "feedsync.db")
    product = catalog.get_product("TEE-M")
    assert product is not None
    product.status = ProductStatus.ARCHIVED
    catalog.upsert_products([product])
    catalog.db.close()
    result = shop.feedsync("push", "etsy")
    assert result.exit_code == 0, result.output
    after = _etsy_listing_of(shop, "TEE-S")
    assert after["listing_id"] == before["listing_id"] and after["state"] == "active"
    assert skus == {"TEE-S", "TEE-M", "TEE-L"}
    assert {p["sku"] for p in after["inventory"]["products"]} == {"TEE-S", "TEE-L"}


def test_a_title_with_four_ampersands_is_held_not_sent(small: Demo, tmp_path: Path) -> None:
    shop = small
    catalog = tmp_path / "amp.csv"
    catalog.write_text("sku,title,description,price,currency,image_urls,quantity\n"
                       "AMP-1,Salt & Pepper & Oil & Vinegar & More,Set.,20.00,USD,"
                       "https://cdn.example.com/img/amp.jpg,3\n", encoding="utf-8")
    assert shop.feedsync("catalog", "import", str(catalog)).exit_code == 0
    validate = shop.feedsync("validate", "etsy")
    assert validate.exit_code == 6 and "AMP-1" in validate.output
    assert "each of % : & + at most once" in validate.output
    shop.feedsync("push", "etsy")
    calls = shop.sandbox.app.call_counts()["etsy"]
    assert calls["createDraftListing"].get("400") is None  # never sent, so never refused
    assert "AMP-1" not in shop.quantities("etsy", ["AMP-1"])


def test_the_day_budget_running_out_mid_push_resumes_without_duplicates(small: Demo) -> None:
    shop = small
    app = shop.sandbox.app
    with app.store.transaction() as db:  # another app run used the day: 12 calls are left
        db.execute("INSERT OR REPLACE INTO etsy_day (app, started, used) VALUES (?, ?, ?)",
                   (ETSY_KEY, app.clock.now(db), 10_000 - 6))
    first = shop.feedsync("push", "etsy")
    assert first.exit_code in (3, 75), first.output
    assert "deferred" in first.output
    drafts = app.call_counts()["etsy"]["createDraftListing"]["201"]
    assert 1 <= drafts <= 2
    # a day later: Etsy's window and feedsync's own block (retry-after) have both passed
    with app.store.transaction() as db:
        db.execute("DELETE FROM etsy_day")
    from feedsync.catalog import open_catalog

    own = open_catalog(shop.workspace / "feedsync.db").db
    own.execute("UPDATE http_buckets SET blocked_until = 0, tokens = 10")
    own.execute("DELETE FROM http_budget_usage")
    own.execute("DELETE FROM etsy_budget")  # the last x-remaining-today is a day old
    own.close()
    second = shop.feedsync("push", "etsy")
    assert second.exit_code == 0, second.output
    calls = app.call_counts()["etsy"]
    with app.store.transaction() as db:
        listings = db.execute("SELECT COUNT(*) AS n FROM etsy_listings").fetchone()["n"]
    assert calls["createDraftListing"]["201"] == listings  # every family once, none twice
    assert listings == 4
    assert shop.quantities("etsy", ["TEE-S", "MUG-1"]) == {"TEE-S": 5, "MUG-1": 4}
