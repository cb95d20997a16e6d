"""Amazon createFeed whose answer was lost: read back with getFeeds (issue #16, point 1).

The shared read-back contract (feedsync.testing.readback) against a `responses` double of the
Feeds API 2021-06-30 (paths, parameters and shapes from /work/shared/specs/amazon/
feeds_2021-06-30.json): the double can take a createFeed and drop the connection before
answering (the feed exists), or drop it before reading the request (no feed).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from feedsync.adapters.amazon import readback as amazon_readback

from feedsync.adapter import Action, Batch, RenderedItem
from feedsync.adapter_factory import open_adapter
from feedsync.catalog import open_catalog
from feedsync.config import load_workspace
from feedsync.testing.readback import ReadBackContract

BASE = "https://sellingpartnerapi-na.amazon.com"
LWA = "https://api.amazon.com/auth/o2/token"
FEEDS = f"{BASE}/feeds/2021-06-30"


class FeedsDouble:
    """createFeedDocument, the upload, createFeed (which can lose) and getFeeds."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.feeds: list[dict[str, Any]] = []
        self.lose_answer = 0
        self.lose_request = 0
        self.create_calls = 0
        mock.add(responses.POST, LWA, json={"access_token": "Atza|a", "token_type": "bearer",
                                            "expires_in": 3600})
        mock.add(responses.POST, f"{FEEDS}/documents", json={
            "feedDocumentId": "amzn1.tortuga.doc1", "url": "https://s3.example.com/doc1"})
        mock.add(responses.PUT, "https://s3.example.com/doc1", status=200)
        mock.add_callback(responses.POST, f"{FEEDS}/feeds", callback=self.create_feed)
        mock.add_callback(responses.GET, re.compile(re.escape(f"{FEEDS}/feeds") + r"\?.*"),
                          callback=self.get_feeds)

    def create_feed(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.create_calls += 1
        if self.lose_request:
            self.lose_request -= 1
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        body = json.loads(request.body or b"{}")
        feed_id = str(50000 + len(self.feeds))
        self.feeds.append({"feedId": feed_id, "feedType": body["feedType"],
                           "marketplaceIds": body["marketplaceIds"],
                           "createdTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "processingStatus": "IN_QUEUE"})
        if self.lose_answer:
            self.lose_answer -= 1
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return 202, {}, json.dumps({"feedId": feed_id})

    def get_feeds(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        assert "feedTypes=JSON_LISTINGS_FEED" in (request.url or "")
        assert "createdSince=" in (request.url or "")
        return 200, {}, json.dumps({"feeds": self.feeds})


@pytest.fixture
def amazon_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(
        '[channels.amazon]\nenabled = true\ndelivery = "api"\nseller_id = "A1SELLERID"\n'
        'marketplace_ids = ["ATVPDKIKX0DER"]\n', encoding="utf-8")
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_ID", "amzn1.application-oa2-client.abc")
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_SECRET", "client-secret-value-123")
    monkeypatch.setenv("FEEDSYNC_AMAZON__REFRESH_TOKEN", "Atzr|refresh-token-value-456")
    return root


class TestAmazonReadBack(ReadBackContract):
    @pytest.fixture(autouse=True)
    def _double(self, amazon_ws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        self.monkeypatch = monkeypatch
        workspace = load_workspace(amazon_ws)
        catalog = open_catalog(workspace.db_path)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.double = FeedsDouble(mock)
            self.adapter = open_adapter(workspace, catalog.db, "amazon")
            yield
        catalog.db.close()

    def readback_adapter(self) -> Any:
        return self.adapter

    def readback_batch(self, adapter: Any) -> Batch:
        items = [RenderedItem(sku=sku, action=Action.UPDATE, size=200, payload={
            "sku": sku, "operationType": "PATCH", "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": "/attributes/item_name",
                         "value": [{"value": f"Item {sku}"}]}]}) for sku in ("A-1", "A-2")]
        return Batch(channel="amazon", items=items)

    def lose_answer(self) -> contextlib.AbstractContextManager[None]:
        self.double.lose_answer += 1
        return contextlib.nullcontext()

    def lose_request(self) -> contextlib.AbstractContextManager[None]:
        self.double.lose_request += 1
        return contextlib.nullcontext()

    def settle(self, adapter: Any) -> None:
        self.monkeypatch.setattr(amazon_readback, "SETTLE_SECONDS", 0.0)

    def test_a_lost_create_feed_is_sent_once(self) -> None:
        """The HTTP layer never resends the createFeed (non-idempotent): one call, one feed."""
        with self.lose_answer(), pytest.raises(Exception, match="not retried"):
            self.adapter.submit(self.readback_batch(self.adapter))
        assert self.double.create_calls == 1 and len(self.double.feeds) == 1
