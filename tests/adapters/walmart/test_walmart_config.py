"""Walmart settings, secrets, limits as data, the throttle-header hint and the auth headers."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from feedsync.adapters.walmart import limits
from feedsync.adapters.walmart.auth import WalmartHeaders
from feedsync.adapters.walmart.config import WalmartConfig, load_credentials
from feedsync.adapters.walmart.errors import error_code
from pydantic import SecretStr, ValidationError

from feedsync.errors import ConfigError


def test_defaults_and_hosts() -> None:
    config = WalmartConfig()
    assert config.item_spec_version == "4.8" and config.inventory_spec_version == "1.5"
    assert config.service_name == "Walmart Marketplace"
    assert limits.API.base_urls.for_environment("production") == \
        "https://marketplace.walmartapis.com"
    assert limits.API.base_urls.for_environment("sandbox") == "https://sandbox.walmartapis.com"
    assert WalmartConfig.REQUIRED_KEYS == {"api": ("ship_node",)}


@pytest.mark.parametrize("settings", [{"item_spec_version": "5.0.20240517"},
                                      {"feed_status_page_size": 51},
                                      {"ship_node": "has spaces"},
                                      {"order_ship_node_types": ["Drones"]},
                                      {"no_such_key": 1}])
def test_bad_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WalmartConfig.model_validate(settings)


def test_missing_ship_node_and_secrets_name_what_to_set() -> None:
    with pytest.raises(ConfigError) as caught:
        WalmartConfig().require_ship_node()
    assert "channels.walmart.ship_node" in str(caught.value.problems)
    with pytest.raises(ConfigError, match="FEEDSYNC_WALMART__CLIENT_SECRET"):
        load_credentials({"client_id": SecretStr("id")})


def test_every_feed_type_has_an_hourly_quota_and_every_operation_a_limit() -> None:
    declared = {op.operation: op for op in limits.OPERATIONS}
    for feed_type, count in limits.FEED_QUOTAS.items():
        bucket = declared[limits.feed_operation(feed_type)]
        assert bucket.burst == count and bucket.rate_per_second == pytest.approx(count / 3600)
    for name in (limits.GET_FEED_STATUS, limits.GET_ALL_ORDERS, limits.ACKNOWLEDGE,
                 limits.SHIPPING, limits.UPDATE_INVENTORY, limits.GET_ALL_ITEMS):
        assert name in declared
    assert limits.LIMITS.max_batch_items == 10_000
    assert limits.LIMITS.max_batch_bytes is not None and limits.LIMITS.max_batch_bytes < 10**7


def _response(status: int, headers: dict[str, str], body: str = "{}") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = body.encode()
    return response


def test_replenishment_headers_hold_the_bucket_only_when_empty() -> None:
    now = 1_800_000_000.0
    empty = _response(429, {"x-current-token-count": "0",
                            "x-next-replenishment-time": str(int((now + 42) * 1000))})
    hint = limits.replenishment_hint(empty, now)
    assert hint is not None and hint.block_until == pytest.approx(now + 42)
    left = _response(200, {"x-current-token-count": "7",
                           "x-next-replenishment-time": str(int((now + 42) * 1000))})
    assert limits.replenishment_hint(left, now) is None
    assert limits.replenishment_hint(_response(200, {}), now) is None


@pytest.mark.parametrize(("body", "code"), [
    ('{"errors": [{"code": "CONTENT_NOT_FOUND.GMP_INVENTORY_API"}]}',
     "CONTENT_NOT_FOUND.GMP_INVENTORY_API"),
    ('{"errors": {"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}}',
     "UNAUTHORIZED.GMP_GATEWAY_API"),
    ('{"error": [{"code": "INVALID_REQUEST_HEADER.GMP_GATEWAY_API"}]}',
     "INVALID_REQUEST_HEADER.GMP_GATEWAY_API"),
    ('{"error": "invalid_client"}', "invalid_client"),
    ("not json", None),
])
def test_error_codes_in_each_of_walmarts_shapes(body: str, code: str | None) -> None:
    assert error_code(_response(400, {}, body)) == code


def test_every_request_gets_its_own_correlation_id() -> None:
    headers = WalmartHeaders("Walmart Marketplace", "channel-type-1")
    first = headers(requests.Request("GET", "https://x.example/v3/items").prepare())
    second = headers(requests.Request("GET", "https://x.example/v3/items").prepare())
    assert first.headers["WM_SVC.NAME"] == "Walmart Marketplace"
    assert first.headers["WM_CONSUMER.CHANNEL.TYPE"] == "channel-type-1"
    assert first.headers["WM_QOS.CORRELATION_ID"] != second.headers["WM_QOS.CORRELATION_ID"]
