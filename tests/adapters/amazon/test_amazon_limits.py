"""The declared limits are the usage plans in Amazon's own models."""

from __future__ import annotations

import re

import pytest
from amazon_swagger import operation
from feedsync.adapters.amazon import limits

PLAN = re.compile(r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|")

# operation → (model file, Swagger operationId); createFeed is checked apart (feed-type limit).
SOURCES = {
    limits.SEARCH_ORDERS: ("orders_2026-01-01.json", "searchOrders"),
    limits.GET_ORDER: ("orders_2026-01-01.json", "getOrder"),
    limits.CONFIRM_SHIPMENT: ("ordersV0.json", "confirmShipment"),
    limits.CREATE_FEED_DOCUMENT: ("feeds_2021-06-30.json", "createFeedDocument"),
    limits.GET_FEED: ("feeds_2021-06-30.json", "getFeed"),
    limits.GET_FEED_DOCUMENT: ("feeds_2021-06-30.json", "getFeedDocument"),
    limits.PUT_LISTINGS_ITEM: ("listingsItems_2021-08-01.json", "putListingsItem"),
    limits.PATCH_LISTINGS_ITEM: ("listingsItems_2021-08-01.json", "patchListingsItem"),
    limits.GET_LISTINGS_ITEM: ("listingsItems_2021-08-01.json", "getListingsItem"),
}
BY_NAME = {limit.operation: limit for limit in limits.OPERATIONS}


def _plan(swagger, model: str, operation_id: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    _, _, op = operation(swagger(model), operation_id)
    rate, burst = PLAN.search(op["description"]).groups()  # type: ignore[union-attr]
    return float(rate), int(burst)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_usage_plans_match_the_models(name: str, swagger) -> None:  # type: ignore[no-untyped-def]
    rate, burst = _plan(swagger, *SOURCES[name])
    assert (BY_NAME[name].rate_per_second, BY_NAME[name].burst) == (rate, burst)


def test_create_feed_is_no_looser_than_either_documented_limit(swagger) -> None:  # type: ignore[no-untyped-def]
    rate, burst = _plan(swagger, "feeds_2021-06-30.json", "createFeed")
    limit = BY_NAME[limits.CREATE_FEED]
    assert limit.rate_per_second <= min(rate, 5 / 300)  # and ≤ 5 JSON feeds per 5 minutes
    assert limit.burst <= min(burst, 5)


def test_batch_limits_follow_the_feed_schema(amazon_specs) -> None:  # type: ignore[no-untyped-def]
    import json

    schema = json.loads((amazon_specs / "listings-feed-schema-v2.json").read_text())
    assert limits.LIMITS.max_batch_items == schema["properties"]["messages"]["maxItems"]
    assert limits.LIMITS.max_batch_bytes is not None
    assert limits.LIMITS.max_batch_bytes < limits.MAX_FEED_BYTES == 10 * 1024 * 1024
