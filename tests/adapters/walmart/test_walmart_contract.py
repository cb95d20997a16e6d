"""The shared adapter contract suite, run against the Walmart adapter and its API double, and
the Walmart-specific behaviour on the same harness: feeds resumed across runs, the follow-up
inventory of new items, quotas, a 429 on the feed endpoint, a token expiring mid-run, a lost
upload answer and ingestion errors naming the mapping field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from feedsync.adapters.walmart.adapter import WalmartAdapter
from walmart_double import CLIENT, WalmartDouble

from feedsync.adapter import Action, Batch, PlannedChange, SubmissionState
from feedsync.mapping.record import MappedRecord
from feedsync.sync.runs import Outcome
from feedsync.testing import AdapterContract
from feedsync.testing.capabilities import LineSpec, OrderSpec

SHIP_NODE = "10000003527"


def record(sku: str, name: str, price: str, quantity: str = "5", **extra: Any
           ) -> MappedRecord:
    """A sendable Walmart record (the fields the shipped mapping produces)."""
    return MappedRecord(sku=sku, channel="walmart", fields={
        "sku": sku, "product_id": "4006381333931", "product_name": name, "brand": "Acme",
        "category": "Clothing", "short_description": f"{name}, in cotton.",
        "main_image_url": f"https://shop.example.com/i/{sku.lower()}.jpg",
        "shipping_weight": "0.5", "price": price, "currency": "USD", "quantity": quantity,
        **extra})


# The Walmart adapter with one item per feed: several feeds of one type in one push.
ONE_ITEM_PER_FEED = type("OneItemFeeds", (WalmartAdapter,), {
    "limits": replace(WalmartAdapter.limits, max_batch_items=1)})


class WalmartContractBase(AdapterContract):
    """Settings, secrets and records shared by the Walmart contract tests."""

    adapter_class = WalmartAdapter
    channel_settings: ClassVar[dict[str, Any]] = {"ship_node": SHIP_NODE}
    channel_secrets: ClassVar[dict[str, str]] = {"client_id": CLIENT[0],
                                                 "client_secret": CLIENT[1]}

    def sample_records(self) -> list[MappedRecord]:
        return [record("TEE-S", "Tee S", "19.99"), record("TEE-M", "Tee M", "19.99"),
                record("MUG-1", "Mug", "8.50", quantity="12")]

    @pytest.fixture
    def channel_double(self) -> Iterator[WalmartDouble]:
        with WalmartDouble() as double:
            yield double


class TestWalmartContract(WalmartContractBase):
    """The shared suite, and Walmart's own behaviour on the same harness."""

    def test_orders_re_read_from_the_cursor_change_nothing(
            self, tmp_path: Path, channel_double: Any) -> None:
        """The shared test, with one Walmart truth: acknowledging an order changes it on
        Walmart (its lines go Created → Acknowledged), so the first re-read records that change
        once — no new order, no stock moved; a further re-read changes nothing at all."""
        side = self._orders_env(tmp_path, channel_double)
        skus, now = self._skus(), self._now(channel_double)
        for i in range(3):
            channel_double.add_order(OrderSpec(f"R-{i}", now - timedelta(minutes=20 - i),
                                               (LineSpec(skus[0], 1),)))
        first = side.pull()
        assert first.error is None and first.acked == 3, (first.error, first.ack_error)
        again = side.pull()
        assert again.error is None and again.result.new == 0
        assert again.result.updated == 3  # Acknowledged now, as Walmart says
        assert side.reserved(skus[0]) == 3 and len(side.orders()) == 3
        third = side.pull()
        assert third.result.new == 0 and third.result.updated == 0
        channel_double.add_order(OrderSpec("R-9", now - timedelta(minutes=5),
                                           (LineSpec(skus[1], 2),)))
        later = side.pull()
        assert later.result.new == 1 and side.reserved(skus[1]) == 2

    # --- what a push sends -----------------------------------------------------------------

    def test_new_items_go_as_one_mp_item_feed_then_their_quantities(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        ops = channel_double.operations()
        assert ops.count("uploadFeed") == 1
        assert ops.count("updateInventoryForAnItem") == 3  # after Walmart ingested the items
        assert ops.index("updateInventoryForAnItem") > ops.index("getFeedItemStatus")
        [feed] = channel_double.feeds.values()
        assert feed["type"] == "MP_ITEM" and len(feed["entries"]) == 3
        assert channel_double.items["MUG-1"]["quantity"] == 12
        assert channel_double.items["MUG-1"]["price"] == 8.5
        assert {v["status"] for v in env.listings().values()} == {"live"}
        # every call carried its own correlation id
        assert len(set(channel_double.correlation_ids)) == len(channel_double.correlation_ids)

    def test_price_and_quantity_changes_use_their_own_feeds_and_calls(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        before = len(channel_double.feeds)
        env.mapper.records["TEE-M"] = record("TEE-M", "Tee M", "17.50")   # price only
        env.mapper.records["MUG-1"] = record("MUG-1", "Mug", "8.50", quantity="3")  # sold 9
        env.mapper.version = "static-2"  # records changed: the plan renders them again
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        new = list(channel_double.feeds.values())[before:]
        assert [f["type"] for f in new] == ["price"]
        assert [e["sku"] for e in new[0]["entries"]] == ["TEE-M"]
        assert channel_double.items["TEE-M"]["price"] == 17.5
        assert channel_double.items["MUG-1"]["quantity"] == 3  # PUT /v3/inventory, at once

    def test_many_quantities_go_as_an_mp_inventory_feed(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        records = self._many(25)
        env = self.make_env(tmp_path, channel_double, records)
        assert env.push().outcome is Outcome.OK
        for r in records:
            env.mapper.records[r.sku] = MappedRecord(
                sku=r.sku, channel="walmart", fields={**r.fields, "quantity": "1"})
        env.mapper.version = "static-2"
        # the first push's follow-up was already a feed (25 SKUs > inventory_api_max_items)
        first = [f["type"] for f in channel_double.feeds.values()]
        assert first == ["MP_ITEM", "MP_INVENTORY"]
        puts = channel_double.operations().count("updateInventoryForAnItem")
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        inventory = list(channel_double.feeds.values())[2:]
        assert [f["type"] for f in inventory] == ["MP_INVENTORY"]
        assert len(inventory[0]["entries"]) == 25
        assert inventory[0]["entries"][0]["shipNodes"][0]["shipNode"] == SHIP_NODE
        assert channel_double.operations().count("updateInventoryForAnItem") == puts
        assert {v["quantity"] for v in channel_double.items.values()} == {1}

    def test_a_removed_item_is_retired(self, tmp_path: Path,
                                       channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        env.mapper.records["MUG-1"] = MappedRecord(sku="MUG-1", channel="walmart",
                                                   included=False, exclusion="discontinued")
        env.mapper.version = "static-2"
        result = env.push(force=True)  # one of three is over the 20 % delete guardrail
        assert result.outcome is Outcome.OK, result.message
        retire = [f for f in channel_double.feeds.values() if f["type"] == "RETIRE_ITEM"]
        assert [e["sku"] for e in retire[0]["entries"]] == ["MUG-1"]
        assert channel_double.items["MUG-1"]["retired"]
        assert env.listings()["MUG-1"]["status"] == "deleted"

    # --- hostile cases --------------------------------------------------------------------

    def test_ingestion_errors_reject_the_sku_naming_the_mapping_field(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.reject(["TEE-S"])
        result = env.push()
        assert result.outcome is Outcome.PARTIAL
        [issue] = env.listings()["TEE-S"]["issues"]
        assert issue["field"] == "product_name" and issue["code"] == "ERR_EXT_DATA_0101001"
        assert issue["source"] == "walmart"
        assert "TEE-S" not in {sku for sku, v in channel_double.items.items()
                               if v.get("quantity")}  # no inventory for a refused item

    def test_a_feed_still_in_progress_is_resumed_by_the_next_run(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        channel_double.processing_polls = 4  # a run polls at its start and at its end
        env = self.make_env(tmp_path, channel_double)
        env.wait = 0.0  # a cron run does not wait for Walmart's processing
        first = env.push()
        assert first.outcome is Outcome.OK, first.message
        assert {v["status"] for v in env.listings().values()} == {"pending"}
        assert env.count("submissions") == 1
        second = env.push()  # still INPROGRESS: nothing is sent again
        assert {v["status"] for v in env.listings().values()} == {"pending"}
        assert channel_double.operations().count("uploadFeed") == 1
        assert second.counts.get("items", 0) == 0
        channel_double.clock.advance(16 * 60)  # the token has expired meanwhile
        third = env.push()
        assert third.outcome is Outcome.OK, third.message
        assert {v["status"] for v in env.listings().values()} == {"live"}
        assert channel_double.token_requests == 3  # one token per run (never cached globally)
        assert "unauthorized" not in channel_double.operations()
        assert channel_double.operations().count("uploadFeed") == 1

    def test_a_token_expiring_between_upload_and_status_is_renewed_first(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        adapter = env.bind().adapter()
        items = [adapter.render_item(PlannedChange(r.sku, Action.CREATE, r))
                 for r in self.sample_records()]
        submission = adapter.submit(Batch(channel="walmart", items=items))
        assert submission.state is SubmissionState.PENDING
        channel_double.clock.advance(800)  # 900 s tokens, renewed 120 s ahead of expiry
        for _ in range(3):
            submission = adapter.poll(submission)
        assert submission.state is SubmissionState.DONE
        assert channel_double.token_requests == 2
        assert "unauthorized" not in channel_double.operations()

    def test_refused_credentials_never_show_the_secret(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.refuse_auth()
        result = env.push()
        assert result.outcome is Outcome.NEEDS_HUMAN
        stored = " ".join(str(row) for row in env.catalog.db.execute(
            "SELECT error, detail FROM submissions").fetchall())
        for text in (result.message, json.dumps(result.details, default=str), stored):
            assert CLIENT[1] not in text and "wm-access-" not in text

    def test_a_token_refused_mid_run_is_refreshed_and_the_call_resent(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.expire_token_once = True
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.token_requests == 2
        assert channel_double.operations().count("unauthorized") == 1
        assert len(channel_double.feeds) == 1

    def test_a_429_on_the_feed_endpoint_waits_for_retry_after(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.throttle_feeds(1)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations().count("uploadFeed") == 2
        assert len(channel_double.feeds) == 1
        assert 5.0 in channel_double.clock.sleeps

    def test_a_lost_upload_answer_is_resolved_by_reading_back(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.lose_next_upload()
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert len(channel_double.feeds) == 1, "the feed was not sent twice"
        assert "getAllFeedStatuses" in channel_double.operations()
        assert {v["status"] for v in env.listings().values()} == {"live"}

    def test_a_lost_upload_never_adopts_the_feed_of_another_batch(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        # One item per feed: the first batch's feed is created and answered; the second
        # batch's upload never arrives. Walmart then lists one MP_ITEM feed submitted within
        # the clock-skew window — the first batch's. Adopting it would take its outcomes for a
        # SKU that was never sent; the upload must be sent again instead.
        records = self._many(2)
        env = self.make_env(tmp_path, channel_double, records)
        channel_double.drop_upload(2)
        result = env.push(ONE_ITEM_PER_FEED)
        assert result.outcome is Outcome.OK, result.message
        assert "getAllFeedStatuses" in channel_double.operations()
        sent = sorted(str(entry["Orderable"]["sku"]) for feed in channel_double.feeds.values()
                      for entry in feed["entries"])
        assert sent == sorted(r.sku for r in records), "each SKU went out in a feed of its own"
        assert len(channel_double.feeds) == 2
        assert {v["status"] for v in env.listings().values()} == {"live"}

    def test_a_lost_upload_after_an_earlier_run_does_not_adopt_that_runs_feed(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        records = self._many(2)
        env = self.make_env(tmp_path, channel_double, records[:1])
        assert env.push().outcome is Outcome.OK
        env = self.make_env(tmp_path, channel_double, records)  # a SKU added: a new run
        channel_double.drop_upload(1)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert len(channel_double.feeds) == 2, "the new SKU's feed was sent again, not adopted"
        assert {v["status"] for v in env.listings().values()} == {"live"}

    def test_a_spent_hourly_quota_defers_with_a_note(
            self, tmp_path: Path, channel_double: WalmartDouble) -> None:
        records = self._many(12)
        env = self.make_env(tmp_path, channel_double, records)
        result = env.push(ONE_ITEM_PER_FEED)
        assert result.outcome is not Outcome.OK
        assert len(channel_double.feeds) == 10  # MP_ITEM: 10 feeds an hour
        assert result.outcome is Outcome.PARTIAL and result.counts["deferred"] == 2
        waiting = result.details["deferred"]
        assert len(waiting) == 2 and len(env.listings()) == 10
        notes = {i["message"] for entry in waiting for i in entry["issues"]}
        assert all("10 MP_ITEM feeds an hour" in n and "later run" in n for n in notes), notes
        channel_double.clock.advance(3600)
        later = env.push(ONE_ITEM_PER_FEED)
        assert later.outcome is Outcome.OK, later.message
        assert len(channel_double.feeds) == 12
        assert {v["status"] for v in env.listings().values()} == {"live"}
