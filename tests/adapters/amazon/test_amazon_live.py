"""Amazon read-back for `feedsync reconcile` (issue #17 point 6): searchListingsItems.

Every request's query is checked against the official Listings Items model
(specs/amazon/listingsItems_2021-08-01.json, operation searchListingsItems); the answers fed to
the parser are Amazon's own examples from that model (specs/amazon/examples/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from amazon_fixtures import BASE, MARKETPLACE, SELLER, add_token, example, make_adapter
from amazon_swagger import check_query
from feedsync.adapters.amazon.live import MAX_IDENTIFIERS, live_view, search_params

from feedsync.adapter import Capability

SEARCH = re.compile(re.escape(f"{BASE}/listings/2021-08-01/items/{SELLER}") + r"\?.*")


def test_the_adapter_declares_the_read_back() -> None:
    adapter, _ = make_adapter()
    assert type(adapter).capabilities & Capability.FETCH_LIVE


def test_official_example_items_become_live_views(amazon_specs: Path) -> None:
    for name in ("listingsItems.searchListingsItems.200.json",
                 "listingsItems.searchListingsItems.200.sandbox-static-0.json"):
        body = example(amazon_specs, name)
        views = [live_view(item, MARKETPLACE) for item in body["items"]]
        assert len(views) == len(body["items"]) and views
        first = views[0]
        assert first["sku"] == "GM-ZDPI-9B4E" and first["present"] is True
        assert first["asin"] == "B071VG5N9D" and first["status"] == "buyable"
        for view, item in zip(views, body["items"], strict=True):
            offers = [o for o in item.get("offers") or [] if o["marketplaceId"] == MARKETPLACE]
            if offers:
                assert view["price"] == str(offers[0]["price"]["amount"])
                assert view["currency"] == offers[0]["price"]["currencyCode"]
            stock = [f for f in item.get("fulfillmentAvailability") or []
                     if f["fulfillmentChannelCode"] == "DEFAULT"]
            assert view["quantity"] == (stock[0].get("quantity") if stock else None)


def test_an_item_in_another_marketplace_only_has_no_price_or_status() -> None:
    view = live_view({"sku": "A", "summaries": [{"marketplaceId": "A2EUQ1WTGCTBG2",
                                                 "status": ["BUYABLE"]}],
                      "offers": [{"marketplaceId": "A2EUQ1WTGCTBG2", "offerType": "B2C",
                                  "price": {"currencyCode": "CAD", "amount": "130.00"}}]},
                     MARKETPLACE)
    assert view == {"sku": "A", "present": True, "price": None, "currency": None,
                    "quantity": None, "status": "inactive", "asin": None}


def test_requests_follow_the_model(amazon_specs: Path, swagger: Any) -> None:
    model = swagger("listingsItems_2021-08-01.json")
    skus = [f"SKU-{n:03d}" for n in range(45)]
    answer = example(amazon_specs, "listingsItems.searchListingsItems.200.json")
    answer = {**answer, "pagination": {}}
    adapter, _ = make_adapter()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, SEARCH, json=answer)
        live = list(adapter.fetch_live(skus))
        calls = [c for c in rsps.calls if "/listings/" in c.request.url]
    assert len(calls) == 3, "45 SKUs are three calls of at most 20 identifiers"
    sent: list[str] = []
    for call in calls:
        query = check_query(model, "searchListingsItems", call.request.url)
        assert query["identifiersType"] == "SKU" and query["marketplaceIds"] == MARKETPLACE
        assert query["includedData"] == "summaries,offers,fulfillmentAvailability"
        assert int(query["pageSize"]) <= 20
        sent += query["identifiers"].split(",")
    assert sent == skus
    assert len(live) == 3 * len(answer["items"])


def test_next_pages_are_followed_and_a_repeated_token_stops(amazon_specs: Path,
                                                           swagger: Any) -> None:
    model = swagger("listingsItems_2021-08-01.json")
    answer = example(amazon_specs, "listingsItems.searchListingsItems.200.json")
    adapter, _ = make_adapter()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, SEARCH, json=answer)  # the example always names a next page
        list(adapter.fetch_live(["GM-ZDPI-9B4E"]))
        calls = [c.request.url for c in rsps.calls if "/listings/" in c.request.url]
    assert len(calls) == 2
    second = dict(parse_qsl(urlsplit(calls[1]).query))
    check_query(model, "searchListingsItems", calls[1])
    assert second["pageToken"] == answer["pagination"]["nextToken"]


def test_more_than_twenty_skus_is_refused_per_call() -> None:
    with pytest.raises(ValueError, match="1 to 20 SKUs"):
        search_params(["X"] * (MAX_IDENTIFIERS + 1), MARKETPLACE)
