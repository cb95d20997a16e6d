"""The Amazon emulation, driven by the real Amazon adapter and by raw SP-API calls, every request
checked against the official models (tests/sandbox/oracle.py)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from feedsync.sandbox.amazon.base import (
    CLIENT_ID,
    CLIENT_SECRET,
    MARKETPLACE_ID,
    REFRESH_TOKEN,
    SELLER_ID,
)
from feedsync.sandbox.buyers import place_orders
from tests.sandbox.oracle import SpecOracle
from tests.sandbox.support import Demo, demo

CHANNELS = ["amazon"]
JSON_TYPE = "application/json; charset=UTF-8"


@pytest.fixture
def shop(tmp_path: Path, oracle: SpecOracle) -> Iterator[Demo]:
    with demo(tmp_path, channels=CHANNELS, oracle=oracle) as found:
        yield found
        found.clean()


def _token(base: str) -> str:
    reply = requests.post(f"{base}/auth/o2/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _call(method: str, url: str, token: str, **kw: Any) -> requests.Response:
    return requests.request(method, url, timeout=10,
                            headers={"x-amz-access-token": token, **kw.pop("headers", {})}, **kw)


def test_the_adapter_lists_the_catalog_and_amazon_rejects_what_it_would(shop: Demo) -> None:
    result = shop.feedsync("sync")
    # the six products without a GTIN (Amazon's 90220) are held by local validation, not sent
    assert result.exit_code == 0, result.output
    assert "6 held back for validation errors (feedsync validate amazon)" in result.output
    shown = shop.quantities("amazon", ["TEE-ORG-BLK-S", "TEE-ORG-BLK-M", "SOAP-OAT"])
    assert shown == {"TEE-ORG-BLK-S": 12, "TEE-ORG-BLK-M": 30}  # SOAP-OAT has no GTIN
    calls = shop.sandbox.app.call_counts()["amazon"]
    assert calls["createFeed"] == {"202": 1} and calls["getFeed"]["200"] >= 2
    assert shop.sandbox.app.violations == []


def test_a_quantity_change_takes_the_patch_path(shop: Demo, tmp_path: Path) -> None:
    assert shop.feedsync("sync").exit_code == 0
    inventory = tmp_path / "stock.csv"
    inventory.write_text("sku,quantity,location\nTEE-ORG-BLK-S,5,main\n", encoding="utf-8")
    assert shop.feedsync("catalog", "import", str(inventory)).exit_code == 0
    shop.feedsync("push", "amazon")
    assert shop.quantities("amazon", ["TEE-ORG-BLK-S"]) == {"TEE-ORG-BLK-S": 5}
    assert shop.sandbox.app.call_counts()["amazon"]["patchListingsItem"] == {"200": 1}


def test_expired_access_tokens_are_refused_and_the_adapter_refreshes(shop: Demo) -> None:
    base = shop.sandbox.url("amazon")
    token = _token(base)
    shop.sandbox.admin("clock", {"advance": 3601})
    expired = _call("GET", f"{base}/feeds/2021-06-30/feeds/1", token)
    assert expired.status_code == 403  # SP-API answers an expired token with 403, not 401
    assert expired.json()["errors"][0]["details"] == "The access token you provided has expired."
    assert _call("GET", f"{base}/feeds/2021-06-30/feeds/1", "").status_code == 403
    result = shop.feedsync("sync")
    assert result.exit_code == 0, result.output


def test_lwa_and_feed_documents_follow_the_contract(shop: Demo) -> None:
    base = shop.sandbox.url("amazon")
    refused = requests.post(f"{base}/auth/o2/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": "Atzr|stolen",
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    token = _token(base)
    created = _call("POST", f"{base}/feeds/2021-06-30/documents", token,
                    json={"contentType": JSON_TYPE}).json()
    wrong_type = requests.put(created["url"], data=b"{}", timeout=5,
                              headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 403 and b"SignatureDoesNotMatch" in wrong_type.content
    early = _call("POST", f"{base}/feeds/2021-06-30/feeds", token, json={
        "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [MARKETPLACE_ID],
        "inputFeedDocumentId": created["feedDocumentId"]})
    assert early.status_code == 400 and early.json()["errors"][0]["code"] == "InvalidInput"
    shop.sandbox.admin("clock", {"advance": 301})
    late = requests.put(created["url"], data=b"{}", timeout=5,
                        headers={"Content-Type": JSON_TYPE})
    assert late.status_code == 403 and b"Request has expired" in late.content
    shop.expect_violations("'header' is a required property", "'header' is a required")


def _submit(base: str, token: str, document: bytes) -> str:
    created = _call("POST", f"{base}/feeds/2021-06-30/documents", token,
                    json={"contentType": JSON_TYPE}).json()
    upload = requests.put(created["url"], data=document, timeout=5,
                          headers={"Content-Type": JSON_TYPE})
    assert upload.status_code == 200
    feed = _call("POST", f"{base}/feeds/2021-06-30/feeds", token, json={
        "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [MARKETPLACE_ID],
        "inputFeedDocumentId": created["feedDocumentId"]})
    assert feed.status_code == 202
    return str(feed.json()["feedId"])


def _report(base: str, token: str, feed_id: str) -> tuple[str, dict[str, Any]]:
    statuses = []
    for _ in range(5):
        feed = _call("GET", f"{base}/feeds/2021-06-30/feeds/{feed_id}", token).json()
        statuses.append(feed["processingStatus"])
        if feed["processingStatus"] in ("DONE", "FATAL"):
            break
    assert statuses[0] == "IN_PROGRESS" and len(statuses) == 2  # asynchronous, a few polls
    document = _call("GET", f"{base}/feeds/2021-06-30/documents/"
                     f"{feed['resultFeedDocumentId']}", token).json()
    assert document["compressionAlgorithm"] == "GZIP"
    raw = requests.get(document["url"], timeout=5).content
    return feed["processingStatus"], json.loads(gzip.decompress(raw))


def test_the_official_example_feed_is_processed_into_a_valid_report(
        shop: Demo, specs_dir: Path) -> None:
    from jsonschema import Draft7Validator

    example = json.loads((specs_dir / "amazon" / "listings-feed-schema-v2.example.json")
                         .read_text(encoding="utf-8"))
    example["header"]["sellerId"] = SELLER_ID
    base = shop.sandbox.url("amazon")
    token = _token(base)
    status, report = _report(base, token, _submit(base, token, json.dumps(example).encode()))
    assert status == "DONE"
    schema = json.loads((specs_dir / "amazon" / "listings-feed-processing-report-schema-v2.json")
                        .read_text(encoding="utf-8"))
    assert list(Draft7Validator(schema).iter_errors(report)) == []
    assert report["summary"]["messagesProcessed"] == len(example["messages"])
    broken = json.dumps({"header": {"sellerId": SELLER_ID, "version": "1.0"},
                         "messages": []}).encode()
    status, report = _report(base, token, _submit(base, token, broken))
    assert status == "FATAL" and report["issues"]
    shop.expect_violations("feed document")  # the oracle saw the broken document too


def test_search_orders_enforces_the_window_and_pagination(shop: Demo) -> None:
    assert shop.feedsync("sync").exit_code == 0
    placed = place_orders(shop.sandbox.app, "amazon", 150, placed_ago=600, seed=2,
                          multi_line_share=0.0)
    base = shop.sandbox.url("amazon")
    token = _token(base)
    url = f"{base}/orders/2026-01-01/orders"
    both = _call("GET", url, token, params={"createdAfter": "2020-01-01T00:00:00Z",
                                            "lastUpdatedAfter": "2020-01-01T00:00:00Z"})
    assert both.status_code == 400
    from datetime import UTC, datetime

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    too_recent = _call("GET", url, token, params={"lastUpdatedAfter": "2020-01-01T00:00:00Z",
                                                  "lastUpdatedBefore": now})
    assert too_recent.status_code == 400
    assert "two minutes" in too_recent.json()["errors"][0]["message"]
    query = {"lastUpdatedAfter": "2020-01-01T00:00:00Z", "includedData": "FULFILLMENT"}
    first = _call("GET", url, token, params=query).json()
    assert len(first["orders"]) == 100 and first["orders"][0]["fulfillment"]
    token_ = first["pagination"]["nextToken"]
    changed = _call("GET", url, token, params={**query, "lastUpdatedAfter":
                                               "2021-01-01T00:00:00Z",
                                               "paginationToken": token_})
    assert changed.status_code == 400  # a token is only valid with the same parameters
    second = _call("GET", url, token, params={**query, "paginationToken": token_}).json()
    ids = [o["orderId"] for o in first["orders"] + second["orders"]]
    assert "pagination" not in second and sorted(ids) == sorted(placed.orders)


def test_confirm_shipment_rules(shop: Demo) -> None:
    assert shop.feedsync("sync").exit_code == 0
    [order_id] = place_orders(shop.sandbox.app, "amazon", 1, multi_line_share=0.0,
                              skus=["TEE-ORG-BLK-M"]).orders
    base = shop.sandbox.url("amazon")
    token = _token(base)
    order = _call("GET", f"{base}/orders/2026-01-01/orders/{order_id}", token,
                  params={"includedData": "FULFILLMENT"}).json()["order"]
    item = order["orderItems"][0]
    url = f"{base}/orders/v0/orders/{order_id}/shipmentConfirmation"
    package = {"packageReferenceId": "1", "carrierCode": "Other", "trackingNumber": "T1",
               "shipDate": "2026-12-06T10:00:00Z",
               "orderItems": [{"orderItemId": item["orderItemId"],
                               "quantity": item["quantityOrdered"]}]}
    no_name = _call("POST", url, token, json={"marketplaceId": MARKETPLACE_ID,
                                              "packageDetail": package})
    assert no_name.status_code == 400  # carrierName is required with carrierCode "Other"
    package = {**package, "carrierCode": "UPS"}
    body = {"marketplaceId": MARKETPLACE_ID, "packageDetail": package}
    assert _call("POST", url, token, json=body).status_code == 204
    assert _call("POST", url, token, json=body).status_code == 204  # same package: no change
    second = {**body, "packageDetail": {**package, "packageReferenceId": "2"}}
    assert _call("POST", url, token, json=second).status_code == 400  # nothing left to ship
    shipped = _call("GET", f"{base}/orders/2026-01-01/orders/{order_id}", token,
                    params={"includedData": "FULFILLMENT,PACKAGES"}).json()["order"]
    assert shipped["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert len(shipped["packages"]) == 1


def test_create_feed_is_rate_limited_with_amazons_headers(shop: Demo) -> None:
    base = shop.sandbox.url("amazon")
    token = _token(base)
    document = json.dumps({"header": {"sellerId": SELLER_ID, "version": "2.0"}, "messages": [
        {"messageId": 1, "sku": "X", "operationType": "DELETE"}]}).encode()
    created = _call("POST", f"{base}/feeds/2021-06-30/documents", token,
                    json={"contentType": JSON_TYPE}).json()
    requests.put(created["url"], data=document, timeout=5, headers={"Content-Type": JSON_TYPE})
    answers = []
    for _ in range(16):  # the usage plan: burst 15, then one per two minutes
        answers.append(_call("POST", f"{base}/feeds/2021-06-30/feeds", token, json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [MARKETPLACE_ID],
            "inputFeedDocumentId": created["feedDocumentId"]}))
    assert [a.status_code for a in answers] == [202] * 15 + [429]
    assert answers[-1].json()["errors"][0]["code"] == "QuotaExceeded"
    assert answers[-1].headers["x-amzn-RateLimit-Limit"] == "0.0083"
