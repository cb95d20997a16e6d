"""Orders (parsing, cursor paging, cancelled lines) and shipping bodies, on Walmart's examples."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from feedsync.adapters.walmart import orders, shipments
from walmart_oracle import errors, example, query_parameters, shipping_validator

from feedsync.adapter import ItemStatus
from feedsync.errors import ChannelError, TransientError
from feedsync.models import OrderStatus, Shipment, ShipmentLine

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def an_order(statuses: list[tuple[str, str]], quantity: str = "2") -> dict[str, Any]:
    """Walmart's getAnOrder example with one line of ``quantity`` units in these statuses."""
    body = copy.deepcopy(example("orders.getAnOrder.200.ORDER.json"))["order"]
    line = body["orderLines"]["orderLine"][0]
    line["orderLineQuantity"]["amount"] = quantity
    line["orderLineStatuses"]["orderLineStatus"] = [
        {"status": s, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": q}}
        for s, q in statuses]
    return body


@pytest.mark.parametrize(("statuses", "status", "quantity", "shipped"), [
    ([("Created", "2")], OrderStatus.UNSHIPPED, 2, 0),
    ([("Acknowledged", "2")], OrderStatus.UNSHIPPED, 2, 0),
    ([("Acknowledged", "1"), ("Cancelled", "1")], OrderStatus.UNSHIPPED, 1, 0),
    ([("Shipped", "1"), ("Acknowledged", "1")], OrderStatus.PARTIALLY_SHIPPED, 2, 1),
    ([("Shipped", "1"), ("Cancelled", "1")], OrderStatus.SHIPPED, 1, 1),
    ([("Delivered", "2")], OrderStatus.SHIPPED, 2, 2),
    ([("Cancelled", "2")], OrderStatus.CANCELLED, 0, 0),
    ([("Refund", "2")], OrderStatus.REFUNDED, 2, 2),
])
def test_line_statuses_give_quantities_and_order_status(
        walmart_specs: Path, statuses: list[tuple[str, str]], status: OrderStatus,
        quantity: int, shipped: int) -> None:
    order = orders.parse_order(an_order(statuses))
    assert order.status is status
    assert (order.lines[0].quantity, order.lines[0].quantity_shipped) == (quantity, shipped)


def test_a_cancelled_line_releases_its_units_while_others_stay(walmart_specs: Path) -> None:
    body = an_order([("Acknowledged", "2")])
    second = copy.deepcopy(body["orderLines"]["orderLine"][0])
    second["lineNumber"] = "2"
    second["orderLineStatuses"]["orderLineStatus"] = [
        {"status": "Cancelled", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "2"},
         "cancellationReason": "CUSTOMER_REQUESTED_SELLER_TO_CANCEL"}]
    second["statusDate"] = body["orderLines"]["orderLine"][0]["statusDate"] + 60_000
    body["orderLines"]["orderLine"].append(second)
    order = orders.parse_order(body)
    assert order.status is OrderStatus.UNSHIPPED
    assert [(ln.line_id, ln.quantity) for ln in order.lines] == [("1", 2), ("2", 0)]
    # the latest line status date is the order's last update (the upsert keeps the newest)
    assert order.updated_at == datetime.fromtimestamp(second["statusDate"] / 1000, tz=UTC)


def test_order_fields(walmart_specs: Path) -> None:
    order = orders.parse_order(example("orders.getAnOrder.200.ORDER.json")["order"],
                               account="us")
    assert order.channel == "walmart" and order.account == "us"
    assert order.order_id == "1815367951431"
    assert order.fulfillment_channel == "merchant"
    line = order.lines[0]
    assert line.sku and line.title and line.currency == "USD" and line.unit_price is not None


@pytest.mark.parametrize("mutate", [
    lambda o: o.pop("purchaseOrderId"),
    lambda o: o.pop("orderDate"),
    lambda o: o["orderLines"].pop("orderLine"),
    lambda o: o["orderLines"]["orderLine"][0]["orderLineQuantity"].update(amount="two"),
])
def test_broken_orders_are_channel_errors_naming_the_order(walmart_specs: Path,
                                                           mutate: Any) -> None:
    body = an_order([("Created", "1")], "1")
    mutate(body)
    with pytest.raises(ChannelError, match="Walmart order"):
        orders.parse_order(body)


class FakeOrdersApi:
    """Serves the official list example split into pages chained by ``nextCursor``."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.calls: list[tuple[dict[str, str] | None, str | None]] = []

    def get_orders(self, params: Mapping[str, str] | None, cursor: str | None = None
                   ) -> dict[str, Any]:
        self.calls.append((dict(params) if params else None, cursor))
        index = 0 if cursor is None else int(dict(parse_qsl(cursor[1:]))["page"])
        meta: dict[str, Any] = {"totalCount": sum(map(len, self.pages)), "limit": 200}
        if index + 1 < len(self.pages):
            meta["nextCursor"] = f"?limit=200&hasMoreElements=true&page={index + 1}"
        return {"list": {"meta": meta, "elements": {"order": self.pages[index]}}}


def test_pull_pages_by_next_cursor_and_moves_the_cursor_only_at_the_end(
        walmart_specs: Path) -> None:
    listed = example("orders.getAllOrders.200.json")["list"]["elements"]["order"]
    api = FakeOrdersApi([listed[:4], listed[4:8], listed[8:]])
    since = NOW - timedelta(hours=1)
    pages = list(orders.pull_orders(api, since, now=lambda: NOW))
    assert [len(p.orders) for p in pages] == [4, 4, 2]
    assert [p.cursor for p in pages] == [since, since, NOW - orders.SETTLE]
    first_params, _ = api.calls[0]
    assert first_params is not None
    declared = query_parameters("orders", "getAllOrders")
    assert set(first_params) <= set(declared)
    assert first_params["limit"] == "200" and first_params["shipNodeType"] == "SellerFulfilled"
    assert first_params["lastModifiedStartDate"] == "2026-12-06T11:00:00Z"
    assert [c for _, c in api.calls[1:]] == ["?limit=200&hasMoreElements=true&page=1",
                                             "?limit=200&hasMoreElements=true&page=2"]


def test_nothing_is_asked_when_the_clock_is_behind_the_cursor() -> None:
    api = FakeOrdersApi([[]])
    assert list(orders.pull_orders(api, NOW + timedelta(seconds=30), now=lambda: NOW)) == []
    assert api.calls == []


# --- shipping -----------------------------------------------------------------------------------

def shipment(**overrides: Any) -> Shipment:
    values: dict[str, Any] = {
        "channel": "walmart", "account": "default", "order_id": "1796277083022",
        "carrier": "fedex", "tracking_number": "22344",
        "lines": [ShipmentLine(line_id="1", quantity=1)],
        "shipped_at": datetime(2020, 2, 4, 13, 11, 6, tzinfo=UTC), "ship_method": "Express",
    }
    values.update(overrides)
    return Shipment(**values)


def test_shipping_body_follows_walmarts_shape(walmart_specs: Path) -> None:
    body = shipments.shipping_body(shipment(), shipment().lines, carrier="FedEx",
                                   method="Express")
    assert not errors(shipping_validator(), body)
    official = example("orders.shippingUpdates.request.json")["orderShipment"]["orderLines"][
        "orderLine"][1]
    line = body["orderShipment"]["orderLines"]["orderLine"][0]
    assert line.keys() <= official.keys() | {"intentToCancelOverride"}
    status = line["orderLineStatuses"]["orderLineStatus"][0]
    official_status = official["orderLineStatuses"]["orderLineStatus"][0]
    assert status["status"] == "Shipped" and status["statusQuantity"] == official_status[
        "statusQuantity"]
    assert status["trackingInfo"]["carrierName"] == {"carrier": "FedEx"}
    assert status["trackingInfo"]["shipDateTime"] == 1580821866000


class FakeShippingApi:
    """An order whose line 1 may already be shipped, and a log of shipping calls."""

    def __init__(self, shipped_tracking: str | None = None, fail: Exception | None = None
                 ) -> None:
        self.order = example("orders.getAnOrder.200.ORDER.json")["order"]
        if shipped_tracking:
            self.order = an_order([("Shipped", "1")], "1")
            status = self.order["orderLines"]["orderLine"][0]["orderLineStatuses"][
                "orderLineStatus"][0]
            status["trackingInfo"] = {"shipDateTime": 1, "carrierName": {"carrier": "FedEx"},
                                      "methodCode": "Express", "trackingNumber": shipped_tracking}
        self.fail = fail
        self.posted: list[dict[str, Any]] = []

    def get_order(self, purchase_order_id: str) -> dict[str, Any]:
        return self.order

    def ship_order_lines(self, purchase_order_id: str, body: Mapping[str, Any]
                         ) -> dict[str, Any]:
        if self.fail is not None:
            raise self.fail
        self.posted.append(dict(body))
        return {"order": self.order}


def test_shipping_is_sent_once_and_a_repeat_is_confirmed_by_reading_back(
        walmart_specs: Path) -> None:
    api = FakeShippingApi()
    [outcome] = shipments.push_shipments(api, [shipment()])
    assert outcome.status is ItemStatus.ACCEPTED and len(api.posted) == 1
    already = FakeShippingApi(shipped_tracking="22344")
    [again] = shipments.push_shipments(already, [shipment()])
    assert again.status is ItemStatus.ACCEPTED and already.posted == []


def test_shipments_walmart_cannot_take_are_refused_per_shipment(walmart_specs: Path) -> None:
    api = FakeShippingApi()
    results = shipments.push_shipments(api, [
        shipment(carrier="Pony Express"), shipment(lines=[]),
        shipment(fulfillment_channel="marketplace"), shipment(order_id="2")])
    assert [r.status for r in results] == [ItemStatus.REJECTED] * 3 + [ItemStatus.ACCEPTED]
    assert results[0].issues[0].code == "unknown_carrier" and "FedEx" in results[0].issues[
        0].message
    assert len(api.posted) == 1


def test_a_transient_failure_leaves_the_shipment_for_the_next_run(walmart_specs: Path) -> None:
    api = FakeShippingApi(fail=TransientError("503 from walmart"))
    [outcome] = shipments.push_shipments(api, [shipment()])
    assert outcome.status is ItemStatus.PENDING


@pytest.mark.parametrize(("word", "code"), [("standard", "Standard"), ("Next Day", "OneDay"),
                                            ("expedited", "Express"), ("rocket", None)])
def test_ship_methods(word: str, code: str | None) -> None:
    assert shipments.method_code(word) == code


def test_the_order_method_is_used_when_the_file_gives_none(walmart_specs: Path) -> None:
    api = FakeShippingApi()
    shipments.push_shipments(api, [shipment(ship_method=None)])
    tracking = api.posted[0]["orderShipment"]["orderLines"]["orderLine"][0][
        "orderLineStatuses"]["orderLineStatus"][0]["trackingInfo"]
    assert tracking["methodCode"] == api.order["shippingInfo"]["methodCode"]
