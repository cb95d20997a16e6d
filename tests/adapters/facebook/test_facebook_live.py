"""Meta catalog read-back for `feedsync reconcile` (issue #17 point 6): the products edge.

Requests are checked against Meta's published Graph API spec of the edge
(specs/meta/api_specs/ProductCatalog.json: GET products and its params; ProductItem.json: the
fields asked for). Meta publishes no example answer for this edge, so the answers below are
built from the ProductItem field types of that spec (availability values from
enum_types.product-subset.json) with display prices as the Graph API writes them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from feedsync.adapters.facebook.adapter import FacebookAdapter
from feedsync.adapters.facebook.live import FIELDS, live_view, price_amount

from feedsync.adapter import Capability

PRODUCTS = re.compile(r"https://graph\.facebook\.com/v\d+\.\d+/1234567890/products\?.*")
GRAPH_GENERIC_PARAMS = {"fields", "limit", "after"}  # every Graph edge takes these


def _edge(specs_dir: Path) -> dict[str, Any]:
    catalog = json.loads((specs_dir / "meta" / "api_specs" / "ProductCatalog.json").read_text())
    [edge] = [a for a in catalog["apis"] if a.get("method") == "GET"
              and a.get("endpoint") == "products"]
    return edge


def _item_fields(specs_dir: Path) -> dict[str, str]:
    item = json.loads((specs_dir / "meta" / "api_specs" / "ProductItem.json").read_text())
    return {f["name"]: f["type"] for f in item["fields"]}


def _availability(specs_dir: Path) -> set[str]:
    enums = json.loads((specs_dir / "meta" / "api_specs" /
                        "enum_types.product-subset.json").read_text())
    return next(set(e["values"]) for e in enums if e["name"] == "ProductItem_availability")


def test_the_adapter_declares_the_read_back() -> None:
    assert FacebookAdapter.capabilities & Capability.FETCH_LIVE


def test_requests_follow_the_spec_and_pages_are_followed(
        specs_dir: Path, make_adapter: Callable[..., FacebookAdapter],
        mocked: responses.RequestsMock) -> None:
    edge = _edge(specs_dir)
    declared = {p["name"] for p in edge["params"]}
    item_fields = _item_fields(specs_dir)
    assert set(FIELDS) <= set(item_fields), "only ProductItem fields are asked for"
    assert edge["return"] == "ProductItem"
    pages = [
        {"data": [{"id": "9001", "retailer_id": "SKU-1", "price": "$1,299.00",
                   "currency": "USD", "availability": "in stock",
                   "quantity_to_sell_on_facebook": 4}],
         "paging": {"cursors": {"before": "b1", "after": "a1"},
                    "next": "https://graph.facebook.com/v26.0/1234567890/products?after=a1"}},
        {"data": [{"id": "9002", "retailer_id": "SKU-2", "price": "12,50 €",
                   "currency": "EUR", "availability": "out of stock"}],
         "paging": {"cursors": {"before": "b2", "after": "a2"}}},
    ]
    for page in pages:
        mocked.add(responses.GET, PRODUCTS, json=page)
    live = list(make_adapter().fetch_live(["SKU-1", "SKU-2", "SKU-3"]))
    calls = [c.request for c in mocked.calls]
    assert len(calls) == 2
    for request in calls:
        query = dict(parse_qsl(urlsplit(request.url).query))
        assert set(query) - GRAPH_GENERIC_PARAMS <= declared, query
        assert json.loads(query["filter"]) == {"retailer_id": {"is_any": [
            "SKU-1", "SKU-2", "SKU-3"]}}
        assert set(query["fields"].split(",")) <= set(item_fields)
        assert request.headers["Authorization"].startswith("Bearer ")
    assert dict(parse_qsl(urlsplit(calls[1].url).query))["after"] == "a1"
    assert live == [
        {"sku": "SKU-1", "present": True, "price": "1299.00", "currency": "USD",
         "quantity": 4, "status": "in stock", "remote_id": "9001", "review_status": None},
        {"sku": "SKU-2", "present": True, "price": "12.50", "currency": "EUR",
         "quantity": 0, "status": "out of stock", "remote_id": "9002",
         "review_status": None},
    ]


def test_every_availability_of_the_spec_is_read(specs_dir: Path) -> None:
    for value in _availability(specs_dir):
        view = live_view({"retailer_id": "A", "availability": value})
        assert view["status"] == value
        out = value in {"out of stock", "discontinued", "mark_as_sold"}
        assert view["quantity"] == (0 if out else None), value


@pytest.mark.parametrize(("shown", "amount"), [
    ("$1,299.00", "1299.00"), ("12,50 €", "12.50"), ("1.299,00 €", "1299.00"),
    ("USD 19.99", "19.99"), ("¥1,299", "1299"), ("1 299,00 €", "1299.00"), (None, None),
    ("free", None)])
def test_display_prices_become_amounts(shown: str | None, amount: str | None) -> None:
    assert price_amount(shown) == amount
