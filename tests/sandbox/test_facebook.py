"""The Meta catalog emulation, driven by the real facebook adapter and by raw Graph calls; every
items_batch body checked against Meta's published specs (tests/sandbox/oracle.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from feedsync.sandbox.facebook import CATALOG_ID, SYSTEM_USER_TOKEN
from tests.sandbox.oracle import SpecOracle
from tests.sandbox.support import Demo, demo

AUTH = {"Authorization": f"Bearer {SYSTEM_USER_TOKEN}"}


@pytest.fixture
def shop(tmp_path: Path, oracle: SpecOracle) -> Iterator[Demo]:
    with demo(tmp_path, channels=["facebook"], oracle=oracle) as found:
        yield found
        found.clean()


def _batch(shop: Demo, requests_: list[dict[str, Any]], **extra: Any) -> requests.Response:
    return requests.post(f"{shop.sandbox.url('facebook')}/v26.0/{CATALOG_ID}/items_batch",
                         json={"item_type": "PRODUCT_ITEM", "requests": requests_, **extra},
                         headers=AUTH, timeout=10)


def _status(shop: Demo, handle: str) -> dict[str, Any]:
    reply = requests.get(
        f"{shop.sandbox.url('facebook')}/v26.0/{CATALOG_ID}/check_batch_request_status",
        params={"handle": handle, "load_ids_of_invalid_requests": "true"}, headers=AUTH,
        timeout=5)
    return dict(reply.json()["data"][0])


ITEM = {"id": "MUG-1", "title": "Mug", "description": "A mug", "availability": "in stock",
        "condition": "new", "price": "9.99 USD", "link": "https://shop.example.com/mug",
        "image_link": "https://cdn.example.com/mug.jpg", "brand": "Acme",
        "quantity_to_sell_on_facebook": 4}


def test_the_adapter_pushes_the_catalog_in_one_batch(shop: Demo) -> None:
    result = shop.feedsync("sync")
    assert result.exit_code == 0, result.output
    assert "58 accepted" in result.output
    assert shop.quantities("facebook", ["TEE-ORG-BLK-S"]) == {"TEE-ORG-BLK-S": 12}
    calls = shop.sandbox.app.call_counts()["facebook"]
    assert calls["items_batch"] == {"200": 1}
    assert calls["check_batch_request_status"]["200"] >= 2  # processed asynchronously


def test_batches_are_processed_asynchronously_with_errors_by_id(shop: Demo) -> None:
    bad = {**ITEM, "id": "MUG-2", "price": "nine dollars"}
    missing = {"id": "MUG-3", "title": "No price"}
    answer = _batch(shop, [{"method": "UPDATE", "data": ITEM}, {"method": "UPDATE", "data": bad},
                           {"method": "UPDATE", "data": missing},
                           {"method": "PATCH", "data": {"id": "MUG-4"}}])
    assert answer.status_code == 200
    body = answer.json()
    assert body["validation_status"][0]["retailer_id"] == "MUG-4"  # refused on sight
    handle = body["handles"][0]
    assert _status(shop, handle)["status"] == "in_progress"
    done = _status(shop, handle)
    assert done["status"] == "finished" and done["errors_total_count"] == 2
    assert done["ids_of_invalid_requests"] == ["MUG-2", "MUG-3"]
    assert shop.quantities("facebook", ["MUG-1", "MUG-2"]) == {"MUG-1": 4}
    shop.expect_violations("method 'PATCH'")


def test_graph_errors_for_tokens_catalogs_and_oversize_batches(shop: Demo) -> None:
    base = shop.sandbox.url("facebook")
    bad_token = requests.post(f"{base}/v26.0/{CATALOG_ID}/items_batch", timeout=5,
                              headers={"Authorization": "Bearer EAAnotours"},
                              json={"item_type": "PRODUCT_ITEM", "requests": []})
    assert bad_token.status_code == 400 and bad_token.json()["error"]["code"] == 190
    other = requests.post(f"{base}/v26.0/999/items_batch", headers=AUTH, timeout=5,
                          json={"item_type": "PRODUCT_ITEM", "requests": [
                              {"method": "UPDATE", "data": ITEM}]})
    assert other.json()["error"]["code"] == 100
    too_many = _batch(shop, [{"method": "DELETE", "data": {"id": str(i)}}
                             for i in range(5001)])
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == 100
    checked = requests.get(f"{base}/debug_token", headers=AUTH, timeout=5,
                           params={"input_token": SYSTEM_USER_TOKEN}).json()["data"]
    assert checked["is_valid"] and checked["expires_at"] == 0
    shop.expect_violations()


def test_the_catalog_batch_limit_is_a_graph_80014(shop: Demo) -> None:
    answers = [_batch(shop, [{"method": "UPDATE", "data": ITEM}]) for _ in range(101)]
    assert [a.status_code for a in answers[:100]] == [200] * 100
    throttled = answers[100]
    assert throttled.json()["error"]["code"] == 80014
    assert "estimated_time_to_regain_access" in throttled.headers["X-Business-Use-Case-Usage"]
