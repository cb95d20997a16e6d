"""Parsing eBay's answers (fixtures held to the OAS response schemas): bulk responses with
mixed statuses become per-SKU results; orders become feedsync orders; read-back for reconcile."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ebay_oas import assert_valid, fixture, query_parameters, request_validator
from feedsync.adapters.ebay import live, orders, responses, shipments

from feedsync.errors import ChannelError
from feedsync.models import OrderStatus, Severity, Shipment, ShipmentLine
from feedsync.orders.privacy import REMOVED


def test_mixed_bulk_inventory_answer_is_read_per_sku() -> None:
    results = responses.by_sku(fixture("bulk_inventory_item_207.json"),
                               ["TEE-BLK-S", "TEE-BLK-M", "MUG-01", "LOST-1"],
                               "bulkCreateOrReplaceInventoryItem")
    assert results["TEE-BLK-S"].ok and not results["TEE-BLK-S"].issues
    bad = results["TEE-BLK-M"]
    assert not bad.ok and not bad.transient
    assert [(i.code, i.field, i.severity) for i in bad.issues] == [
        ("ebay.25021", "condition", Severity.ERROR)]
    assert "not supported for the category" in bad.issues[0].message
    assert results["MUG-01"].ok and results["MUG-01"].issues[0].severity is Severity.WARNING
    lost = results["LOST-1"]  # not in eBay's answer: never taken as a success
    assert not lost.ok and lost.transient and lost.issues[0].code == "ebay.missing_entry"


def test_offer_exists_error_carries_the_existing_offer_id() -> None:
    body = fixture("bulk_offer_207.json")
    results = responses.by_sku(body, ["TEE-BLK-S", "TEE-WHT-S", "MUG-01"], "bulkCreateOffer")
    assert results["TEE-BLK-S"].offer_id == "5000000001"
    entry = results["TEE-WHT-S"].raw
    assert responses.error_parameter(entry, responses.OFFER_EXISTS, "offerId") == "5000000002"
    assert results["MUG-01"].issues[0].field == "categoryId"


def test_publish_answers_map_offer_ids_back_to_skus() -> None:
    offers = {"5000000001": "TEE-BLK-S", "5000000002": "TEE-WHT-S", "5000000003": "MUG-01"}
    results = responses.by_offer(fixture("bulk_publish_207.json"), offers, "bulkPublishOffer")
    assert results["TEE-BLK-S"].ok and results["TEE-BLK-S"].listing_id == "110550000001"
    assert results["TEE-WHT-S"].issues[0].code == "ebay.25014"
    assert results["MUG-01"].transient  # 25001: a system error, tried again next run


def test_orders_page_becomes_feedsync_orders_without_personal_data() -> None:
    parsed, next_offset = orders.parse_page(fixture("get_orders_page.json"), account="main")
    assert next_offset is None  # total 4, offset 0, limit 200
    by_id = {o.order_id: o for o in parsed}
    first = by_id["12-10001-00001"]
    assert first.status is OrderStatus.UNSHIPPED and first.account == "main"
    assert first.total == Decimal("61.00") and first.currency == "USD"
    assert first.fees == Decimal("7.45")
    line = first.lines[0]
    assert (line.sku, line.quantity, line.unit_price) == ("TEE-BLK-S", 2, Decimal("28.00"))
    assert first.created_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert by_id["12-10002-00002"].status is OrderStatus.CANCELLED
    partial = by_id["12-10003-00003"]
    assert partial.status is OrderStatus.PARTIALLY_SHIPPED
    assert [(ln.sku, ln.quantity_shipped) for ln in partial.lines] == [
        ("NOT-IN-CATALOG-9", 0), ("MUG-01", 1)]
    assert by_id["12-10004-00004"].lines[0].sku is None
    raw = first.raw
    assert raw["buyer"]["username"] == REMOVED
    ship_to = raw["fulfillmentStartInstructions"][0]["shippingStep"]["shipTo"]
    assert ship_to["fullName"] == REMOVED and ship_to["contactAddress"]["countryCode"] == "US"
    kept, _ = orders.parse_page(fixture("get_orders_page.json"), keep_personal_data=True)
    assert kept[0].raw["buyer"]["username"] == "happy_buyer_42"


def test_order_query_follows_the_getorders_contract(ebay_specs) -> None:
    params = orders.order_params(datetime(2026, 1, 15, tzinfo=UTC),
                                 datetime(2026, 1, 15, 12, 0, 0, 250000, tzinfo=UTC), 200)
    assert params == {"filter": "lastmodifieddate:[2026-01-15T00:00:00.000Z.."
                                "2026-01-15T12:00:00.250Z]", "limit": 200, "offset": 200}
    declared = query_parameters("fulfillment", "getOrders")
    assert set(params) <= set(declared)


def test_paging_walks_offsets_and_the_last_page_carries_the_window_end() -> None:
    page = fixture("get_orders_page.json")
    calls: list[dict] = []

    class Api:
        def get_orders(self, params):
            calls.append(dict(params))
            if params["offset"] == 0:
                return {**page, "total": 5, "limit": 4, "orders": page["orders"],
                        "next": "https://api.ebay.com/sell/fulfillment/v1/order?offset=4"}
            return {"total": 5, "limit": 4, "offset": 4, "orders": page["orders"][:1]}

    since = datetime(2026, 1, 15, tzinfo=UTC)
    until = datetime(2026, 1, 15, 12, tzinfo=UTC)
    pages = list(orders.pull_orders(Api(), since, now=lambda: until))
    assert [c["offset"] for c in calls] == [0, 4]
    assert [p.cursor for p in pages] == [since, until]


def test_unknown_fulfilment_status_is_a_clear_error() -> None:
    order = dict(fixture("get_orders_page.json")["orders"][0], orderFulfillmentStatus="LOST")
    with pytest.raises(ChannelError, match=r"12-10001-00001.*'LOST'"):
        orders.parse_order(order)


def test_shipping_fulfillment_body_is_valid_and_read_back_prevents_a_second_one(
        ebay_specs) -> None:
    shipment = Shipment(channel="ebay", account="default", order_id="12-10001-00001",
                        carrier="usps", tracking_number="9405509699937003457459",
                        lines=[ShipmentLine(line_id="10001000001", quantity=2)],
                        shipped_at=datetime(2026, 1, 16, 9, tzinfo=UTC))
    body = shipments.fulfillment_body(shipment)
    assert_valid(request_validator("fulfillment", "createShippingFulfillment"), body)
    assert body["shippingCarrierCode"] == "USPS"
    created: list[str] = []

    class Api:
        def get_shipping_fulfillments(self, order_id):
            return fixture("shipping_fulfillments.json")

        def create_shipping_fulfillment(self, order_id, body):
            created.append(order_id)
            return "new"

    outcome = shipments.push_shipments(Api(), [shipment])[0]
    assert outcome.remote_id == "9405509699937003457459" and created == []
    other = Shipment(channel="ebay", account="default", order_id="12-10001-00001",
                     carrier="UPS", tracking_number="1Z999", lines=shipment.lines)
    assert shipments.push_shipments(Api(), [other])[0].remote_id == "new"
    assert created == ["12-10001-00001"]


def test_read_back_gives_reconcile_entries() -> None:
    quantities = live.item_quantities(fixture("bulk_get_inventory_item.json"))
    assert quantities == {"TEE-BLK-S": 7}
    offer = live.marketplace_offer(fixture("get_offers.json"), "EBAY_US")
    entry = live.live_entry("TEE-BLK-S", quantities["TEE-BLK-S"], offer)
    assert entry == {"sku": "TEE-BLK-S", "present": True, "quantity": 7,
                     "price": Decimal("28.00"), "currency": "USD", "status": "live",
                     "remote_id": "5000000001"}
    assert live.marketplace_offer(fixture("get_offers.json"), "EBAY_GB") is None
    assert live.live_entry("GONE-1", None, None)["present"] is False


@pytest.mark.parametrize(("cost", "currency", "quantity", "unit"), [
    ("28.00", "USD", 2, "14.00"),
    ("3000", "JPY", 3, "1000"),  # a zero-decimal currency keeps no cents
    ("0.10", "EUR", 4, "0.025"),  # was rounded to 0.02: 0.08 of revenue for 0.10
])
def test_unit_price_is_exact_so_revenue_is_the_line_cost(cost: str, currency: str,
                                                         quantity: int, unit: str) -> None:
    """Review finding: the unit price was rounded to 0.01. eBay's lineItemCost is the unit price
    × quantity (sell_fulfillment_v1_oas3.json, LineItem.lineItemCost), so the exact quotient is
    the unit price, and the report's unit_price × quantity (feedsync/report/orders_money.py, over
    the stored text) gives back the line cost exactly."""
    item = dict(fixture("get_orders_page.json")["orders"][0]["lineItems"][0],
                quantity=quantity, lineItemCost={"value": cost, "currency": currency})
    line = orders.parse_line(item, "12-10001-00001")
    assert line.unit_price is not None and format(line.unit_price, "f") == unit
    assert Decimal(format(line.unit_price, "f")) * quantity == Decimal(cost)
    assert line.currency == currency


def test_a_line_cost_that_does_not_divide_is_not_rounded_to_cents(
        caplog: pytest.LogCaptureFixture) -> None:
    """10.00 for 3 units (which eBay's definition of lineItemCost rules out) is kept as the
    unrounded quotient — 3.33 would lose a cent — and logged with the order and line."""
    item = dict(fixture("get_orders_page.json")["orders"][0]["lineItems"][0],
                quantity=3, lineItemCost={"value": "10.00", "currency": "USD"})
    line = orders.parse_line(item, "12-10001-00001")
    assert line.unit_price is not None
    assert abs(line.unit_price * 3 - Decimal("10.00")) < Decimal("1e-20")
    assert "12-10001-00001" in caplog.text and "10.00" in caplog.text
