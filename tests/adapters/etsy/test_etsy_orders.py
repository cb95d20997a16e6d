"""Receipts → orders, the anchored receipt walk, shipments and reconcile rows.

Fixtures (fixtures/README.md) are validated against the spec's response schemas first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from etsy_oracle import EtsyOracle
from feedsync.adapters.etsy import live, orders, render, shipments
from feedsync.adapters.etsy.render import InventoryChange

from feedsync.adapter import ItemStatus
from feedsync.errors import ChannelError
from feedsync.models import OrderStatus, Shipment

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def receipts(oracle: EtsyOracle) -> dict[str, Any]:
    return oracle.check_response("getShopReceipts", 200, fixture("receipts.json"))


@pytest.fixture
def inventory(oracle: EtsyOracle) -> dict[str, Any]:
    return oracle.check_response("getListingInventory", 200, fixture("inventory.json"))


def test_paid_receipt_becomes_an_order_with_exact_money(receipts: dict[str, Any]) -> None:
    order = orders.parse_receipt(receipts["results"][0], account="shop")
    assert (order.channel, order.account, order.order_id) == ("etsy", "shop", "1000001")
    assert order.status is OrderStatus.UNSHIPPED
    assert order.total == Decimal("45.99") and order.currency == "USD"
    assert order.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    (line,) = order.lines
    assert (line.line_id, line.sku, line.quantity, line.quantity_shipped) == (
        "5000001", "TEE-R-M", 2, 0)
    assert line.unit_price == Decimal("19.50") and line.channel_item_id == "800001"


def test_cancelled_and_refunded_receipts_release_stock(receipts: dict[str, Any]) -> None:
    cancelled = orders.parse_receipt(receipts["results"][1])
    refunded = orders.parse_receipt(receipts["results"][2])
    assert cancelled.status is OrderStatus.CANCELLED
    assert refunded.status is OrderStatus.REFUNDED
    # divisor 1000: 111/1000 EUR is exact, not a float
    assert refunded.lines[0].unit_price == Decimal("0.111")
    assert refunded.total == Decimal("0.333")


def test_shipped_and_partly_shipped() -> None:
    base = {"receipt_id": 1, "status": "paid", "is_paid": True, "created_timestamp": 1767225600,
            "transactions": [{"transaction_id": 1, "quantity": 1, "sku": "A",
                              "shipped_timestamp": 1767229200},
                             {"transaction_id": 2, "quantity": 1, "sku": "B"}]}
    partly = orders.parse_receipt(base)
    assert partly.status is OrderStatus.PARTIALLY_SHIPPED
    assert [ln.quantity_shipped for ln in partly.lines] == [1, 0]
    shipped = orders.parse_receipt({**base, "is_shipped": True})
    assert shipped.status is OrderStatus.SHIPPED
    assert [ln.quantity_shipped for ln in shipped.lines] == [1, 1]
    assert orders.parse_receipt({**base, "status": "open", "is_paid": False,
                                 "transactions": []}).status is OrderStatus.PENDING


def test_bad_money_is_a_channel_error() -> None:
    with pytest.raises(ChannelError, match="currency"):
        orders.money({"amount": 1, "divisor": 100}, receipt_id="1", field="grandtotal")
    with pytest.raises(ChannelError, match="receipt_id"):
        orders.parse_receipt({"status": "paid"})


class FakeReceipts:
    """Serves a fixed list of receipts the way getShopReceipts filters and sorts them."""

    def __init__(self, receipts: list[dict[str, Any]], oracle: EtsyOracle) -> None:
        self.receipts = receipts
        self.oracle = oracle
        self.calls: list[dict[str, Any]] = []

    def get_shop_receipts(self, params: dict[str, Any]) -> dict[str, Any]:
        self.oracle.check_query("getShopReceipts", params)
        self.calls.append(dict(params))
        chosen = sorted((r for r in self.receipts
                         if params["min_last_modified"] <= r["updated_timestamp"]
                         <= params["max_last_modified"]),
                        key=lambda r: (r["updated_timestamp"], r["receipt_id"]))
        page = chosen[params["offset"]:params["offset"] + params["limit"]]
        return {"count": len(chosen), "results": page}


def test_receipt_walk_reads_every_receipt_once_per_second(oracle: EtsyOracle) -> None:
    start = 1767225600
    # 250 receipts, 120 of them in the same second: offsets step over that second's block.
    stamps = [start + 10] * 120 + [start + 20 + i for i in range(130)]
    data = [{"receipt_id": i + 1, "status": "paid", "is_paid": True,
             "created_timestamp": ts, "updated_timestamp": ts, "transactions": []}
            for i, ts in enumerate(stamps)]
    api = FakeReceipts(data, oracle)
    pages = list(orders.pull_receipts(api, datetime.fromtimestamp(start, UTC),
                                      now=lambda: datetime.fromtimestamp(start + 3600, UTC)))
    seen = [o.order_id for p in pages for o in p.orders]
    assert sorted(set(seen), key=int) == [str(i + 1) for i in range(250)]
    assert all(c["limit"] == 100 and c["sort_on"] == "updated" for c in api.calls)
    assert pages[-1].cursor == datetime.fromtimestamp(start + 3600, UTC) - orders.SETTLE


def test_shipment_form_is_valid_and_idempotent(oracle: EtsyOracle) -> None:
    shipment = Shipment(channel="etsy", account="default", order_id="1000001", carrier="USPS",
                        tracking_number="9400100000000000000001")
    body = oracle.check_form("createReceiptShipment", urlencode(shipments.shipment_form(
        shipment)))
    assert body == {"tracking_code": "9400100000000000000001", "carrier_name": "usps"}

    class Api:
        def __init__(self) -> None:
            self.created: list[str] = []
            self.receipt: dict[str, Any] = {"receipt_id": 1000001, "shipments": []}

        def get_shop_receipt(self, receipt_id: str) -> dict[str, Any]:
            return self.receipt

        def create_receipt_shipment(self, receipt_id: str, form: list[tuple[str, str]]
                                    ) -> dict[str, Any]:
            self.created.append(receipt_id)
            self.receipt["shipments"].append({"tracking_code": dict(form)["tracking_code"]})
            return {"receipt_id": int(receipt_id)}

    api = Api()
    first = shipments.push_shipments(api, [shipment])
    again = shipments.push_shipments(api, [shipment])  # e.g. a run whose answer was lost
    assert [o.status for o in first + again] == [ItemStatus.ACCEPTED] * 2
    assert api.created == ["1000001"]
    missing = shipments.push_shipments(api, [Shipment("etsy", "default", "2", "", "")])
    assert missing[0].status is ItemStatus.REJECTED


def test_read_modify_write_keeps_every_variant_outside_the_change(
        oracle: EtsyOracle, inventory: dict[str, Any]) -> None:
    from feedsync.adapters.etsy.config import EtsyConfig

    config = EtsyConfig(shop_id=1)
    red_m = render.variant("TEE-R-M", {"price": "18.00", "quantity": "9", "color": "Red",
                                       "size": "M"}, config)
    products = render.merge_inventory(inventory, InventoryChange(
        upserts=(red_m,), parts={"TEE-R-M": frozenset({"price"})}))
    body = render.inventory_body(products)
    oracle.check_json_body("updateListingInventory", body)
    by_sku = {p["sku"]: p for p in body["products"]}
    assert set(by_sku) == {"TEE-R-M", "TEE-R-L", "TEE-B-M"}
    # only the price part of TEE-R-M changed: its quantity (3) and value ids stay Etsy's
    assert by_sku["TEE-R-M"]["offerings"] == [{"price": 18.0, "quantity": 3,
                                                "is_enabled": True}]
    assert by_sku["TEE-R-M"]["property_values"][0]["value_ids"] == [71001]
    assert by_sku["TEE-R-L"]["offerings"] == [{"price": 21.0, "quantity": 5, "is_enabled": True}]
    assert by_sku["TEE-B-M"]["offerings"][0]["quantity"] == 7


def test_a_removed_variant_is_dropped_from_the_inventory(
        oracle: EtsyOracle, inventory: dict[str, Any]) -> None:
    products = render.merge_inventory(inventory, InventoryChange(
        removals=frozenset({"TEE-B-M"})))
    body = render.inventory_body(products)
    oracle.check_json_body("updateListingInventory", body)
    assert sorted(p["sku"] for p in body["products"]) == ["TEE-R-L", "TEE-R-M"]
    # one colour left: the quantity/sku now vary on the size alone
    assert body["sku_on_property"] == [514] and body["quantity_on_property"] == [514]


def test_live_rows_from_listings_with_inventory(oracle: EtsyOracle,
                                                inventory: dict[str, Any]) -> None:
    listing = {"listing_id": 800001, "state": "active", "title": "Soft tee",
               "inventory": inventory}
    page = oracle.check_response("getListingsByShop", 200, {"count": 1, "results": [listing]})
    rows = {r["sku"]: r for r in live.pick(page["results"], {"TEE-R-M", "TEE-B-M"})}
    assert set(rows) == {"TEE-R-M", "TEE-B-M"}
    assert rows["TEE-R-M"]["quantity"] == 3 and rows["TEE-R-M"]["price"] == Decimal("19.5")
    assert rows["TEE-R-M"]["remote_id"] == "800001"
    inactive = next(live.pick([{**listing, "state": "inactive"}], {"TEE-R-M"}))
    assert inactive["present"] is False and inactive["quantity"] == 0
