"""Order parsing on every official Orders API v2026-01-01 example, and the page walk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from amazon_swagger import check_query
from feedsync.adapters.amazon import orders as amazon_orders
from feedsync.adapters.amazon.orders import parse_order, parse_search_response, pull_orders

from feedsync.errors import ChannelError
from tests.conftest import specs_root

EXAMPLES = specs_root() / "amazon" / "examples"
SUCCESS = sorted(p.name for p in EXAMPLES.glob("orders2026.*.200*.json"))
FAILURE = sorted(p.name for p in EXAMPLES.glob("orders2026.*.400*.json"))


def _body(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return data["response"] if "response" in data and "request" in data else data


def _payloads(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["orders"] if "orders" in body else [body["order"]]


def test_examples_exist(amazon_specs) -> None:  # type: ignore[no-untyped-def]
    assert len(SUCCESS) >= 8 and FAILURE  # every searchOrders / getOrder example and case


@pytest.mark.parametrize("name", SUCCESS)
def test_every_official_example_parses(name: str, amazon_specs) -> None:  # type: ignore[no-untyped-def]
    body = _body(amazon_specs / "examples" / name)
    for payload in _payloads(body):
        order = parse_order(payload, account="eu")
        assert order.channel == "amazon" and order.account == "eu"
        assert order.order_id == payload["orderId"]
        assert order.status is amazon_orders.STATUS_MAP[payload["fulfillment"]["fulfillmentStatus"]]
        assert order.created_at.tzinfo is not None and order.updated_at >= order.created_at
        grand = payload["proceeds"]["grandTotal"]
        assert order.total == Decimal(grand["amount"]) and order.currency == grand["currencyCode"]
        assert isinstance(order.total, Decimal)
        assert order.fulfillment_channel in {"merchant", "marketplace"}
        assert len(order.lines) == len(payload["orderItems"])
        for line, item in zip(order.lines, payload["orderItems"], strict=True):
            assert line.line_id == item["orderItemId"]
            assert line.sku == item["product"]["sellerSku"]
            assert line.quantity == item["quantityOrdered"]
            unit = item["product"]["price"]["unitPrice"]
            assert line.unit_price == Decimal(unit["amount"])
            assert line.currency == unit["currencyCode"]
            assert line.quantity_shipped == item["fulfillment"]["quantityFulfilled"]
        # personal data is not kept unless asked for
        assert "buyer" not in order.raw and "recipient" not in order.raw
        assert parse_order(payload, keep_personal_data=True).raw == payload
    if "orders" in body:
        _, token = parse_search_response(body)
        assert token == (body.get("pagination") or {}).get("nextToken")


@pytest.mark.parametrize("name", [n for n in SUCCESS if "sandbox" in n])
def test_sandbox_requests_use_only_declared_parameters(name: str, swagger,
                                                       amazon_specs) -> None:  # type: ignore[no-untyped-def]
    # The sandbox cases are requests Amazon answers; our own query builder must produce the
    # same shape (checked in test_search_params_are_declared_in_the_model).
    request = json.loads((amazon_specs / "examples" / name).read_text())["request"]
    operation = name.split(".")[1]
    model = swagger("orders_2026-01-01.json")
    query = "&".join(
        f"{k}={','.join(v['value']) if isinstance(v['value'], list) else v['value']}"
        for k, v in request["parameters"].items() if k != "orderId")
    check_query(model, operation, f"https://x/?{query}")


def test_search_params_are_declared_in_the_model(swagger) -> None:  # type: ignore[no-untyped-def]
    params = amazon_orders.search_params(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC),
        fulfilled_by=["MERCHANT", "AMAZON"], included_data=["FULFILLMENT", "PROCEEDS"],
        marketplace_ids=["ATVPDKIKX0DER"])
    query = "&".join(f"{k}={v}" for k, v in {**params, "paginationToken": "t"}.items())
    checked = check_query(swagger("orders_2026-01-01.json"), "searchOrders", f"https://x/?{query}")
    assert checked["lastUpdatedAfter"] == "2026-01-01T00:00:00Z"
    assert checked["maxResultsPerPage"] == "100"


@pytest.mark.parametrize("mutate", [
    lambda o: o.pop("orderItems"),
    lambda o: o.__setitem__("createdTime", "yesterday"),
    lambda o: o["fulfillment"].__setitem__("fulfillmentStatus", "TELEPORTED"),
    lambda o: o.pop("fulfillment"),
    lambda o: o["proceeds"]["grandTotal"].__setitem__("amount", "12,50"),
])
def test_malformed_orders_name_the_order(mutate, amazon_specs) -> None:  # type: ignore[no-untyped-def]
    payload = _payloads(_body(amazon_specs / "examples" / SUCCESS[0]))[0]
    payload = json.loads(json.dumps(payload))
    mutate(payload)
    with pytest.raises(ChannelError, match=payload["orderId"]):
        parse_order(payload)


# --- pulling pages --------------------------------------------------------------------------

class FakeApi:
    """Answers searchOrders from a list of pages; records every query."""

    def __init__(self, pages: list[dict[str, Any]], clock: list[datetime],
                 step: timedelta = timedelta(0)) -> None:
        self.pages = pages
        self.queries: list[dict[str, Any]] = []
        self.clock = clock
        self.step = step

    def search_orders(self, params: dict[str, Any]) -> dict[str, Any]:
        self.queries.append(dict(params))
        self.clock[0] += self.step
        token = params.get("paginationToken")
        index = 0 if token is None else int(token)
        page = dict(self.pages[index])
        if index + 1 < len(self.pages):
            page["pagination"] = {"nextToken": str(index + 1)}
        return page


def _order(order_id: str, updated: str) -> dict[str, Any]:
    return {"orderId": order_id, "createdTime": "2026-01-01T00:00:00Z",
            "lastUpdatedTime": updated, "salesChannel": {"channelName": "AMAZON"},
            "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT"},
            "orderItems": [{"orderItemId": "1", "quantityOrdered": 2,
                            "product": {"sellerSku": "SKU-1"}}]}


def test_pages_keep_parameters_and_only_the_last_advances_the_cursor() -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    since = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    api = FakeApi([{"orders": [_order("A", "2026-03-01T10:00:00Z")]},
                   {"orders": [_order("B", "2026-03-01T01:00:00Z")]},
                   {"orders": []}], now)
    pages = list(pull_orders(api, since, now=lambda: now[0], fulfilled_by=["MERCHANT"],
                             marketplace_ids=["ATVPDKIKX0DER"]))
    assert [[o.order_id for o in p.orders] for p in pages] == [["A"], ["B"], []]
    assert [p.cursor for p in pages[:-1]] == [since, since]
    assert pages[-1].cursor == now[0] - amazon_orders.SETTLE
    first = api.queries[0]
    for query in api.queries[1:]:
        rest = {k: v for k, v in query.items() if k != "paginationToken"}
        assert rest == first
    assert [q.get("paginationToken") for q in api.queries] == [None, "1", "2"]
    assert "FULFILLMENT" in first["includedData"]


def test_an_expired_pagination_token_restarts_from_the_cursor() -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    since = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    api = FakeApi([{"orders": [_order("A", "2026-03-01T10:00:00Z")]},
                   {"orders": [_order("B", "2026-03-01T11:00:00Z")]}], now)
    walk = pull_orders(api, since, now=lambda: now[0])
    first = next(walk)
    assert first.cursor == since
    now[0] += timedelta(hours=25)  # the consumer took longer than a token lives
    pages = list(walk)
    assert [q.get("paginationToken") for q in api.queries] == [None, None, "1"]
    assert api.queries[1]["lastUpdatedAfter"] == api.queries[0]["lastUpdatedAfter"]
    assert pages[-1].cursor == now[0] - amazon_orders.SETTLE


def test_nothing_is_asked_inside_the_two_minute_settle_window() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    api = FakeApi([{"orders": []}], [now])
    assert list(pull_orders(api, now - timedelta(minutes=1), now=lambda: now)) == []
    assert api.queries == []
