"""The Walmart emulator refuses what Walmart refuses (feedsync/sandbox/walmart), over HTTP on
loopback, without the adapter: headers, credentials, feed shapes and quotas, status paging,
ingestion errors, shipping rules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from feedsync.sandbox import BuyerOrder, OrderLine, RunningSandbox, running_sandbox
from feedsync.sandbox.walmart import base

ITEM = {"Orderable": {"sku": "S-1", "productIdentifiers": {"productIdType": "EAN",
                                                           "productId": "4006381333931"},
                      "productName": "Mug", "brand": "Acme", "price": 9.5, "ShippingWeight": 1},
        "Visible": {"Home Decor, Kitchen, & Other": {
            "shortDescription": "A mug", "mainImageUrl": "https://x.example/m.jpg"}}}


class Client:
    """A raw Walmart client for the emulator."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"WM_SVC.NAME": "Walmart Marketplace",
                "WM_QOS.CORRELATION_ID": str(uuid.uuid4()), "WM_SEC.ACCESS_TOKEN": self.token,
                "Accept": "application/json", **extra}

    def login(self, secret: str = base.CLIENT_SECRET) -> requests.Response:
        answer = requests.post(f"{self.root}/v3/token", auth=(base.CLIENT_ID, secret),
                               data={"grant_type": "client_credentials"},
                               headers=self.headers(), timeout=10)
        if answer.ok:
            self.token = answer.json()["access_token"]
        return answer

    def feed(self, feed_type: str, document: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.root}/v3/feeds", params={"feedType": feed_type},
                             files={"file": ("f.json", json.dumps(document))},
                             headers=self.headers(), timeout=10)

    def status(self, feed_id: str, **params: str) -> requests.Response:
        return requests.get(f"{self.root}/v3/feeds/{feed_id.replace('@', '%40')}",
                            params={"includeDetails": "true", **params},
                            headers=self.headers(), timeout=10)


@pytest.fixture
def walmart(tmp_path: Path) -> Iterator[tuple[RunningSandbox, Client]]:
    with running_sandbox(tmp_path / "sandbox.db", channels=["walmart"]) as sandbox:
        client = Client(sandbox.url("walmart"))
        assert client.login().ok
        yield sandbox, client
        assert sandbox.app.internal_errors == []


def _finish(client: Client, feed_id: str) -> dict[str, Any]:
    for _ in range(5):
        body: dict[str, Any] = client.status(feed_id).json()
        if body["feedStatus"] in ("PROCESSED", "ERROR"):
            return body
    raise AssertionError("the feed never finished")


def test_token_and_headers(walmart: tuple[RunningSandbox, Client]) -> None:
    _, client = walmart
    token = requests.post(f"{client.root}/v3/token", auth=(base.CLIENT_ID, base.CLIENT_SECRET),
                          data={"grant_type": "client_credentials"}, timeout=10)
    assert token.status_code == 400  # no WM_SVC.NAME / correlation id
    assert client.login("wrong").status_code == 401
    answer = client.login()
    assert answer.json()["expires_in"] == 900 and answer.json()["token_type"] == "Bearer"
    items = requests.get(f"{client.root}/v3/items", headers={"WM_SEC.ACCESS_TOKEN":
                                                             client.token}, timeout=10)
    assert items.status_code == 400
    assert items.json()["errors"][0]["field"] in ("WM_SVC.NAME", "WM_QOS.CORRELATION_ID")
    stale = requests.get(f"{client.root}/v3/items", headers=client.headers(
        **{"WM_SEC.ACCESS_TOKEN": "expired"}), timeout=10)
    assert stale.status_code == 401


def test_item_feed_is_processed_over_polls_with_errors_naming_attributes(
        walmart: tuple[RunningSandbox, Client]) -> None:
    _, client = walmart
    long_name = json.loads(json.dumps(ITEM))
    long_name["Orderable"].update(sku="S-2", productName="x" * 200)
    bad_gtin = json.loads(json.dumps(ITEM))
    bad_gtin["Orderable"].update(sku="S-3", productIdentifiers={"productIdType": "EAN",
                                                                "productId": "4006381333932"})
    feed = client.feed("MP_ITEM", {"MPItemFeedHeader": {"version": "4.8"},
                                   "MPItem": [ITEM, long_name, bad_gtin]})
    assert feed.ok
    feed_id = feed.json()["feedId"]
    assert client.status(feed_id).json()["feedStatus"] in ("RECEIVED", "INPROGRESS")
    done = _finish(client, feed_id)
    rows = {r["sku"]: r for r in done["itemDetails"]["itemIngestionStatus"]}
    assert rows["S-1"]["ingestionStatus"] == "SUCCESS" and done["itemsFailed"] == 2
    assert "productName" in rows["S-2"]["ingestionErrors"]["ingestionError"][0]["description"]
    assert "productId" in rows["S-3"]["ingestionErrors"]["ingestionError"][0]["description"]
    assert client.status(feed_id, limit="51").status_code == 400
    page = client.status(feed_id, offset="1", limit="1").json()
    assert [r["sku"] for r in page["itemDetails"]["itemIngestionStatus"]] == ["S-2"]


def test_a_malformed_feed_ends_in_error_and_the_hourly_quota_answers_429(
        walmart: tuple[RunningSandbox, Client]) -> None:
    _, client = walmart
    wrong = client.feed("price", {"Price": []})
    assert wrong.ok
    assert _finish(client, wrong.json()["feedId"])["feedStatus"] == "ERROR"
    for _ in range(9):  # ten price feeds an hour, the malformed one counted
        assert client.feed("price", {"PriceHeader": {"version": "1.7"}, "Price": []}).ok
    over = client.feed("price", {"PriceHeader": {"version": "1.7"}, "Price": []})
    assert over.status_code == 429
    assert over.headers["x-current-token-count"] == "0"
    assert int(over.headers["x-next-replenishment-time"]) > 0
    assert client.feed("MP_INVENTORY", {"inventoryHeader": {"version": "1.5"},
                                        "inventory": []}).ok  # other feed types unaffected


def test_orders_must_be_acknowledged_before_shipping_with_a_known_carrier(
        walmart: tuple[RunningSandbox, Client]) -> None:
    sandbox, client = walmart
    assert client.feed("MP_ITEM", {"MPItemFeedHeader": {"version": "4.8"}, "MPItem": [ITEM]}).ok
    market = sandbox.app.markets["walmart"]
    with sandbox.app.store.transaction() as db:
        po = market.place_order(sandbox.app.exchange("walmart", db), BuyerOrder(
            (OrderLine("S-1", 2, Decimal("9.50"), "USD"),), "Ada"))

    def ship(carrier: dict[str, str], amount: str = "1") -> requests.Response:
        body = {"orderShipment": {"orderLines": {"orderLine": [{
            "lineNumber": "1", "sellerOrderId": po, "orderLineStatuses": {"orderLineStatus": [{
                "status": "Shipped", "statusQuantity": {"unitOfMeasurement": "EACH",
                                                        "amount": amount},
                "trackingInfo": {"shipDateTime": 1, "carrierName": carrier,
                                 "methodCode": "Standard", "trackingNumber": "T1"}}]}}]}}}
        return requests.post(f"{client.root}/v3/orders/{po}/shipping", json=body,
                             headers=client.headers(), timeout=10)

    assert ship({"carrier": "UPS"}).status_code == 400  # not acknowledged yet
    ack = requests.post(f"{client.root}/v3/orders/{po}/acknowledge", headers=client.headers(),
                        timeout=10)
    assert ack.ok
    assert ship({"carrier": "Pony Express"}).status_code == 400
    assert ship({"carrier": "UPS"}, amount="3").status_code == 400  # more than ordered
    shipped = ship({"carrier": "UPS"})
    assert shipped.ok
    statuses = [s["status"] for s in shipped.json()["order"]["orderLines"]["orderLine"][0][
        "orderLineStatuses"]["orderLineStatus"]]
    assert sorted(statuses) == ["Acknowledged", "Shipped"]
