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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
import sqlite_utils
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
        self.list_calls = 0
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
        self.list_calls += 1
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


# --- review findings (issue #16 read-back) ---------------------------------------------------


def _open_attempt(db: Any, skus: list[str], started: datetime, *, action: str = "update",
                  detail: dict[str, Any] | None = None) -> int:
    """A ``sending`` submission as push.open_submission leaves it when the answer is lost."""
    stamp = started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sub_id = int(db.execute(
        "INSERT INTO submissions (channel, account, state, items, bytes, created_at,"
        " updated_at, detail) VALUES ('amazon', 'default', 'sending', ?, 0, ?, ?, ?)",
        [len(skus), stamp, stamp, json.dumps(detail or {})]
    ).lastrowid or 0)
    db.conn.executemany("INSERT INTO submission_items (submission_id, sku, action)"
                        " VALUES (?, ?, ?)", [[sub_id, sku, action] for sku in skus])
    return sub_id


class _OnSyncState:
    """The Amazon adapter on the Feeds double, over a workspace with the sync tables."""

    @pytest.fixture(autouse=True)
    def _setup(self, amazon_ws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        from feedsync.sync.state import ensure_schema

        monkeypatch.setattr(amazon_readback, "SETTLE_SECONDS", 0.0)
        workspace = load_workspace(amazon_ws)
        self.catalog = open_catalog(workspace.db_path)
        self.db = self.catalog.db
        ensure_schema(self.db)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.double = FeedsDouble(mock)
            self.adapter = open_adapter(workspace, self.db, "amazon")
            yield
        self.db.close()

    def _state(self, sub_id: int) -> tuple[str, str | None]:
        return tuple(self.db.execute("SELECT state, handle FROM submissions WHERE id = ?",
                                     [sub_id]).fetchone())  # type: ignore[return-value]


class TestLostAttemptsShareNoFeed(_OnSyncState):
    """Finding 1 (HIGH): two lost createFeed answers, only the second batch reached Amazon."""

    def test_one_feed_is_never_adopted_by_two_attempts(self) -> None:
        from feedsync.sync import readback

        started = datetime.now(UTC) - timedelta(minutes=5)
        a = _open_attempt(self.db, ["SKU-A1", "SKU-A2"], started)  # never reached Amazon
        b = _open_attempt(self.db, ["SKU-B1"], started + timedelta(seconds=5))
        self.double.feeds.append({"feedId": "50000", "feedType": "JSON_LISTINGS_FEED",
                                  "createdTime": started.strftime("%Y-%m-%dT%H:%M:%SZ")})
        resolved = readback.resolve_open(self.db, self.adapter, "amazon", "default")
        # Which of the two arrived cannot be told: neither is adopted (nor guessed lost).
        assert resolved.adopted == 0 and resolved.open == 2, resolved
        assert self._state(a) == ("sending", None) and self._state(b) == ("sending", None)

    def test_a_feed_adopted_by_one_attempt_is_no_candidate_for_the_next(self) -> None:
        from feedsync.sync import readback

        now = datetime.now(UTC)
        a = _open_attempt(self.db, ["SKU-A1"], now - timedelta(hours=2))  # arrived, as 50000
        b = _open_attempt(self.db, ["SKU-B1"], now - timedelta(seconds=30))  # never arrived
        # The double lists every feed (as a createdSince inside the skew margin would).
        self.double.feeds.append({"feedId": "50000", "feedType": "JSON_LISTINGS_FEED",
                                  "createdTime": (now - timedelta(hours=2)).strftime(
                                      "%Y-%m-%dT%H:%M:%SZ")})
        resolved = readback.resolve_open(self.db, self.adapter, "amazon", "default")
        # B started long after 50000 was created, so 50000 is A's; once A adopted it, it is
        # ours for B (known handles refreshed after each adoption): B never arrived.
        assert (resolved.adopted, resolved.released) == (1, 1), resolved
        assert self._state(a) == ("pending", "50000") and self._state(b) == ("lost", None)

    def test_a_lost_patch_attempt_is_sent_again_not_matched_to_a_feed(self) -> None:
        from feedsync.sync import readback

        started = datetime.now(UTC) - timedelta(minutes=5)
        p = _open_attempt(self.db, ["SKU-P1"], started, action="price_quantity")
        self.double.feeds.append({"feedId": "50000", "feedType": "JSON_LISTINGS_FEED"})
        resolved = readback.resolve_open(self.db, self.adapter, "amazon", "default")
        assert resolved.released == 1 and self._state(p)[0] == "lost"
        assert self.double.list_calls == 0  # answered without asking for feeds


def _tee(sku: str) -> RenderedItem:
    """A variation child's UPDATE, as the default mapping renders it (parent_sku = TEE)."""
    return RenderedItem(sku=sku, action=Action.UPDATE, size=300, payload={
        "sku": sku, "operationType": "UPDATE", "productType": "SHIRT", "requirements": "LISTING",
        "attributes": {"item_name": [{"value": f"Tee {sku}"}],
                       "child_parent_sku_relationship": [{"child_relationship_type": "variation",
                                                          "parent_sku": "TEE"}]}})


class TestAdoptedFeedKeepsMessageOrder(_OnSyncState):
    """Finding 2 (HIGH): an adopted feed whose batch held a variation family maps the
    processing report by message number: the parent the adapter inserted must count."""

    def test_the_message_order_is_noted_before_create_feed_and_used_on_adoption(self) -> None:
        from feedsync.adapters.amazon.parents import fold_outcomes
        from feedsync.adapters.amazon.report import outcomes, parse_report

        from feedsync.errors import OutcomeUnknown
        from feedsync.sync import readback

        skus = ["TEE-A", "TEE-B", "TEE-C"]
        sub_id = _open_attempt(self.db, skus, datetime.now(UTC))  # as push does, then submit
        self.double.lose_answer += 1
        with pytest.raises(OutcomeUnknown):
            self.adapter.submit(Batch(channel="amazon", items=[_tee(s) for s in skus]))
        resolved = readback.resolve_open(self.db, self.adapter, "amazon", "default")
        assert resolved.adopted == 1, resolved
        detail = json.loads(self.db.execute("SELECT detail FROM submissions WHERE id = ?",
                                            [sub_id]).fetchone()[0])
        assert detail["message_skus"] == ["TEE", "TEE-A", "TEE-B", "TEE-C"]
        # Amazon's report names message 3 only (TEE-B, after the inserted parent TEE).
        report = parse_report({"header": {}, "summary": {"messagesProcessed": 4}, "issues": [
            {"messageId": 3, "code": "90220", "severity": "ERROR", "message": "bad size"}]})
        results = fold_outcomes(outcomes(report, detail["message_skus"]), skus,
                                detail["children"])
        assert {o.sku: o.status.value for o in results} == {
            "TEE-A": "accepted", "TEE-B": "rejected", "TEE-C": "accepted"}

    def test_an_old_attempt_of_a_family_without_the_noted_order_is_not_adopted(self) -> None:
        from feedsync.adapters.amazon.readback import message_order

        from feedsync.sync.readback import Attempt

        catalog = sqlite_utils.Database(memory=True)
        catalog["products"].insert_all([{"sku": "TEE-A", "item_group_id": "TEE"},
                                        {"sku": "MUG-1", "item_group_id": None}])
        started = datetime.now(UTC)
        tee = Attempt(1, "amazon", "default", ["TEE-A"], {"TEE-A": "update"}, started)
        mug = Attempt(2, "amazon", "default", ["MUG-1"], {"MUG-1": "update"}, started)
        assert message_order(tee, catalog) is None  # a parent may have shifted the numbers
        assert message_order(tee, None) is None  # no catalog to tell: undecided
        assert message_order(mug, catalog) == (["MUG-1"], {})  # plan order, nothing inserted
        self.double.feeds.append({"feedId": "50000", "feedType": "JSON_LISTINGS_FEED"})
        _open_attempt(self.db, ["TEE-A"], started - timedelta(minutes=5))
        self.db.execute(
            "INSERT INTO products (sku, title, price, currency, item_group_id, content_hash,"
            " created_at, updated_at) VALUES ('TEE-A', 'Tee A', 10, 'USD', 'TEE', 'h',"
            " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
        from feedsync.sync import readback

        resolved = readback.resolve_open(self.db, self.adapter, "amazon", "default")
        assert (resolved.adopted, resolved.open) == (0, 1), resolved
