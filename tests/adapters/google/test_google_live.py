"""Merchant Center read-back for `feedsync reconcile` (issue #17 point 6): products.list.

The list answers are validated against the ListProductsResponse schema of the official
Merchant API discovery document (specs/google/discovery/merchantapi.products_v1.json) before
they are served, and the request's query against the list method's parameters there."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from feedsync.adapters.google.adapter import GoogleAdapter
from feedsync.adapters.google.live import live_view, price_text
from google_oracle import errors, validator
from google_support import API, token_response

LIST = re.compile(re.escape(f"{API}/products") + r"(\?.*)?$")


def product(offer: str, *, micros: str = "12500000", availability: str = "IN_STOCK",
            label: str = "US") -> dict[str, Any]:
    return {"name": f"accounts/123/products/en~{label}~{offer}", "offerId": offer,
            "contentLanguage": "en", "feedLabel": label,
            "dataSource": "accounts/123/dataSources/456",
            "productAttributes": {"price": {"amountMicros": micros, "currencyCode": "USD"},
                                  "availability": availability},
            "productStatus": {"destinationStatuses": [
                {"reportingContext": "SHOPPING_ADS", "approvedCountries": ["US"]}]}}


def test_one_walk_answers_every_chunk_of_the_target(
        make_adapter: Callable[..., GoogleAdapter], mocked: responses.RequestsMock,
        discovery: dict[str, Any]) -> None:
    pages = [{"products": [product("A"), product("B", availability="OUT_OF_STOCK"),
                           product("A", label="GB", micros="99000000")],
              "nextPageToken": "page-2"},
             {"products": [product("C", micros="1000000000")]}]
    answer = validator(discovery, "ListProductsResponse", request=False)
    for page in pages:
        assert errors(answer, page) == []
        mocked.add(responses.GET, LIST, json=page)
    token_response(mocked)
    adapter = make_adapter()
    first = list(adapter.fetch_live(["A", "B"]))
    second = list(adapter.fetch_live(["C", "D"]))
    lists = [c.request.url for c in mocked.calls if "/products?" in c.request.url]
    assert len(lists) == 2, "one walk of two pages for the whole run"
    declared = set(discovery["resources"]["accounts"]["resources"]["products"]["methods"]
                   ["list"]["parameters"])
    for url in lists:
        query = dict(parse_qsl(urlsplit(url).query))
        assert set(query) <= declared and int(query["pageSize"]) <= 1000
    assert dict(parse_qsl(urlsplit(lists[1]).query))["pageToken"] == "page-2"
    by_sku = {v["sku"]: v for v in first + second}
    assert set(by_sku) == {"A", "B", "C"}, "other feed labels and unknown SKUs are not shown"
    assert (by_sku["A"]["price"], by_sku["A"]["quantity"]) == ("12.50", 1)
    assert (by_sku["B"]["price"], by_sku["B"]["quantity"]) == ("12.50", 0)
    assert by_sku["C"]["price"] == "1000.00" and by_sku["C"]["currency"] == "USD"


def test_prices_in_micros() -> None:
    assert price_text({"amountMicros": "19990000", "currencyCode": "USD"}) == "19.99"
    assert price_text({"amountMicros": "1234567", "currencyCode": "USD"}) == "1.234567"
    assert price_text({}) is None


def test_a_product_without_attributes_is_present_without_figures() -> None:
    view = live_view({"offerId": "X", "name": "accounts/1/products/en~US~X"})
    assert view["present"] is True and view["price"] is None and view["quantity"] is None
