"""The shared adapter contract suite, run against the eBay adapter and a Sell API double whose
every request body is validated against eBay's OAS request schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ebay_double import CLIENT, EbayDouble
from ebay_records import SETTINGS, record, simple, variant
from feedsync.adapters.ebay.adapter import EbayAdapter

from feedsync.mapping.record import MappedRecord
from feedsync.sync.runs import Outcome
from feedsync.testing import AdapterContract

SECRETS = {"client_id": CLIENT[0], "client_secret": CLIENT[1],
           "refresh_token": "v^1.1#i^1#r^1#contract-refresh-token"}


class TestEbayContract(AdapterContract):
    """Inventory API bulk steps through the real sync engine."""

    adapter_class = EbayAdapter
    channel_settings: ClassVar[dict[str, Any]] = dict(SETTINGS)
    channel_secrets: ClassVar[dict[str, str]] = SECRETS

    def sample_records(self) -> list[MappedRecord]:
        return [record(simple("MUG-01")), record(simple("MUG-02", price="19.50")),
                record(simple("BOWL-01", title="Stoneware Bowl", quantity="3"))]

    @pytest.fixture
    def channel_double(self) -> Iterator[EbayDouble]:
        with EbayDouble() as double:
            yield double

    # --- eBay-specific checks on the same harness --------------------------------------------

    def test_a_first_push_lists_with_one_call_per_bulk_step(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkCreateOrReplaceInventoryItem", "bulkCreateOffer", "bulkPublishOffer"]
        assert {o["status"] for o in channel_double.offers.values()} == {"PUBLISHED"}
        offer_ids = {o["sku"]: o["offerId"] for o in channel_double.offers.values()}
        rows = dict(env.catalog.db.execute(
            "SELECT sku, remote_id FROM listings WHERE channel = 'ebay'").fetchall())
        assert rows == offer_ids, "the offer id is the listing's remote id"

    def test_price_and_quantity_changes_take_bulk_update_price_quantity(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        channel_double.reset_calls()
        env.mapper.records["MUG-01"] = record(simple("MUG-01", price="21.00"))
        env.mapper.records["MUG-02"] = record(simple("MUG-02", price="19.50", quantity="2"))
        env.catalog.db.execute("UPDATE products SET title = title || ' ' WHERE sku IN "
                               "('MUG-01', 'MUG-02')")
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == ["bulkUpdatePriceQuantity"]
        mug1 = channel_double.offer_of("MUG-01")
        assert mug1 is not None and mug1["pricingSummary"]["price"]["value"] == "21.00"
        assert channel_double.items["MUG-02"]["availability"]["shipToLocationAvailability"] == {
            "quantity": 2}

    def test_a_lost_offer_answer_is_resolved_from_the_existing_offer(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        # An earlier attempt created MUG-01's item and offer, but its answer never arrived.
        channel_double.items["MUG-01"] = {"sku": "MUG-01", "product": {"title": "x"},
                                          "availability": {"shipToLocationAvailability": {
                                              "quantity": 1}}}
        channel_double.add_offer({"offerId": "4999", "sku": "MUG-01",
                                  "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
                                  "status": "UNPUBLISHED"})
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert [o["offerId"] for o in channel_double.offers.values()
                if o["sku"] == "MUG-01"] == ["4999"], "no second offer"
        assert channel_double.offers["4999"]["status"] == "PUBLISHED"
        assert channel_double.offers["4999"]["categoryId"] == "20657", "replaced with ours"
        assert "updateOffer" in channel_double.operations()

    def test_families_become_one_inventory_item_group(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        family = [record(variant(f"TEE-{c}-{s}", c.title(), s))
                  for c in ("BLK", "WHT") for s in ("S", "M")]
        env = self.make_env(tmp_path, channel_double, family + self.sample_records()[:1])
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        group = channel_double.groups["TEE-ORG"]
        assert group["variantSKUs"] == ["TEE-BLK-M", "TEE-BLK-S", "TEE-WHT-M", "TEE-WHT-S"]
        assert group["variesBy"]["specifications"] == [
            {"name": "Color", "values": ["Blk", "Wht"]}, {"name": "Size", "values": ["M", "S"]}]
        ops = channel_double.operations()
        assert ops.count("publishOfferByInventoryItemGroup") == 1
        assert ops.count("bulkPublishOffer") == 1  # the one single-SKU listing
        assert all(o["status"] == "PUBLISHED" for o in channel_double.offers.values())

    def test_a_429_waits_and_retries(self, tmp_path: Path,
                                     channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.throttle = 1
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations()[:2] == ["bulkCreateOrReplaceInventoryItem"] * 2
        assert 2.0 in channel_double.clock.sleeps or any(
            s >= 2.0 for s in channel_double.clock.sleeps), "Retry-After honoured"

    def test_a_401_mid_run_refreshes_once(self, tmp_path: Path,
                                          channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        env.mapper.records["MUG-01"] = record(simple("MUG-01", quantity="1"))
        env.catalog.db.execute("UPDATE products SET title = title || ' ' WHERE sku = 'MUG-01'")
        channel_double.expire_token_once = True
        before = channel_double.token_requests
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        # this run's first token, then exactly one refresh after the 401
        assert channel_double.token_requests == before + 2
        assert channel_double.operations()[-2:] == ["bulkUpdatePriceQuantity"] * 2

    def test_a_revoked_refresh_token_names_the_variable(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        channel_double.refuse_auth()
        result = env.push()
        assert result.outcome is Outcome.NEEDS_HUMAN
        assert "FEEDSYNC_EBAY__REFRESH_TOKEN" in (result.message or "")
        assert "contract-refresh-token" not in (result.message or "")

    def test_content_updates_revise_items_and_offers_only_where_needed(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        channel_double.reset_calls()
        # A new title and a new price (inventory item + price), and a new category (offer).
        env.mapper.records["MUG-01"] = record(simple("MUG-01", title="Mug, blue glaze",
                                                     price="22.00"))
        env.mapper.records["MUG-02"] = record(simple("MUG-02", price="19.50",
                                                     category_id="20658"))
        env.catalog.db.execute("UPDATE products SET title = title || ' ' WHERE sku IN "
                               "('MUG-01', 'MUG-02')")
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkCreateOrReplaceInventoryItem", "updateOffer", "bulkUpdatePriceQuantity"]
        assert channel_double.items["MUG-01"]["product"]["title"] == "Mug, blue glaze"
        mug1, mug2 = channel_double.offer_of("MUG-01"), channel_double.offer_of("MUG-02")
        assert mug1 is not None and mug2 is not None
        assert mug1["pricingSummary"]["price"]["value"] == "22.00"
        assert mug2["categoryId"] == "20658" and mug2["status"] == "PUBLISHED"

    def test_deletes_withdraw_the_offer(self, tmp_path: Path,
                                        channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        channel_double.reset_calls()
        del env.mapper.records["BOWL-01"]  # removed from the catalog
        env.catalog.db.execute("DELETE FROM inventory WHERE sku = 'BOWL-01'")
        env.catalog.db.execute("DELETE FROM products WHERE sku = 'BOWL-01'")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == ["bulkGetInventoryItem", "withdrawOffer"]
        bowl = channel_double.offer_of("BOWL-01")
        assert bowl is not None and bowl["status"] == "UNPUBLISHED"
        assert "BOWL-01" in channel_double.items, "the item stays for a relist"
        assert env.listings()["BOWL-01"]["status"] == "deleted"

    def test_the_daily_revision_limit_defers_with_a_note(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        from dataclasses import replace

        from feedsync.adapters.ebay import limits

        tight = tuple(replace(op, per_key_daily_budget=1) if op.operation == limits.REVISION
                      else op for op in limits.OPERATIONS)
        capped = type("CappedEbayAdapter", (EbayAdapter,), {
            "limits": replace(EbayAdapter.limits, operations=tight)})
        env = self.make_env(tmp_path, channel_double)
        assert env.push(capped).outcome is Outcome.OK
        for quantity in ("4", "3"):
            env.mapper.records["MUG-01"] = record(simple("MUG-01", quantity=quantity))
            env.catalog.db.execute("UPDATE products SET title = title || ' ' "
                                   "WHERE sku = 'MUG-01'")
            result = env.push(capped)
        assert result.counts.get("deferred") == 1, result.counts
        [(status, issues)] = env.catalog.db.execute(
            "SELECT status, issues FROM submission_items WHERE sku = 'MUG-01' "
            "ORDER BY submission_id DESC LIMIT 1").fetchall()
        [issue] = json.loads(issues)
        assert status == "deferred" and issue["code"] == "deferred_revision_limit"
        assert "250 revisions per listing a day" in issue["message"]
        assert channel_double.items["MUG-01"]["availability"][
            "shipToLocationAvailability"]["quantity"] == 4, "the second revision waits"

    def test_deletes_can_also_delete_the_inventory_item(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        self.channel_settings = {**SETTINGS, "delete_inventory_item": True}
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        channel_double.reset_calls()
        del env.mapper.records["BOWL-01"]
        env.catalog.db.execute("DELETE FROM inventory WHERE sku = 'BOWL-01'")
        env.catalog.db.execute("DELETE FROM products WHERE sku = 'BOWL-01'")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkGetInventoryItem", "withdrawOffer", "deleteInventoryItem"]
        assert "BOWL-01" not in channel_double.items and channel_double.offer_of("BOWL-01") is None

    def test_an_update_without_a_known_offer_id_reads_it_back(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        offer = channel_double.offer_of("MUG-01")
        assert offer is not None
        env.catalog.db.execute("UPDATE listings SET remote_id = NULL WHERE sku = 'MUG-01'")
        channel_double.reset_calls()
        env.mapper.records["MUG-01"] = record(simple("MUG-01", title="Mug, new title"))
        env.catalog.db.execute("UPDATE products SET title = title || ' ' WHERE sku = 'MUG-01'")
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkCreateOrReplaceInventoryItem", "bulkCreateOffer", "updateOffer",
            "bulkPublishOffer"]
        assert [o["sku"] for o in channel_double.offers.values()].count("MUG-01") == 1
        remote = env.catalog.db.execute(
            "SELECT remote_id FROM listings WHERE sku = 'MUG-01'").fetchone()[0]
        assert remote == offer["offerId"]

    def test_a_missing_secret_is_named(self, tmp_path: Path,
                                       channel_double: EbayDouble) -> None:
        self.channel_secrets = {k: v for k, v in SECRETS.items() if k != "refresh_token"}
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome is Outcome.NEEDS_HUMAN
        assert "FEEDSYNC_EBAY__REFRESH_TOKEN" in (result.message or "")
        assert channel_double.request_count == 0

    def test_missing_policies_and_location_are_named(self) -> None:
        from feedsync.config_channels import channel_problems

        problems = "\n".join(channel_problems(
            {"ebay": {"enabled": True, "delivery": "api", "marketplace_id": "EBAY_US"}},
            "feedsync.toml"))
        for key in ("merchant_location_key", "fulfillment_policy_id", "payment_policy_id",
                    "return_policy_id"):
            assert f"channels.ebay.{key}: required" in problems, problems

    def test_a_delete_whose_offer_is_already_withdrawn_reads_it_back(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        bowl = channel_double.offer_of("BOWL-01")
        assert bowl is not None
        bowl["status"] = "UNPUBLISHED"  # an earlier withdraw whose answer was lost
        channel_double.reset_calls()
        del env.mapper.records["BOWL-01"]
        env.catalog.db.execute("DELETE FROM inventory WHERE sku = 'BOWL-01'")
        env.catalog.db.execute("DELETE FROM products WHERE sku = 'BOWL-01'")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkGetInventoryItem", "withdrawOffer", "getOffers"]
        assert env.listings()["BOWL-01"]["status"] == "deleted"

    def _family_env(self, tmp_path: Path, double: EbayDouble) -> Any:
        family = [record(variant(f"TEE-{c}-{s}", c.title(), s))
                  for c in ("BLK", "WHT") for s in ("S", "M")]
        env = self.make_env(tmp_path, double, family)
        assert env.push().outcome is Outcome.OK
        double.reset_calls()
        return env

    @staticmethod
    def _remove(env: Any, *skus: str) -> None:
        for sku in skus:
            del env.mapper.records[sku]
            env.catalog.db.execute("DELETE FROM inventory WHERE sku = ?", [sku])
            env.catalog.db.execute("DELETE FROM products WHERE sku = ?", [sku])

    def test_deleting_a_variant_removes_it_from_its_group(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self._family_env(tmp_path, channel_double)
        self._remove(env, "TEE-WHT-S", "TEE-WHT-M")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations() == [
            "bulkGetInventoryItem", "getInventoryItemGroup", "getOffers", "getOffers",
            "bulkGetInventoryItem", "createOrReplaceInventoryItemGroup"]
        group = channel_double.groups["TEE-ORG"]
        assert group["variantSKUs"] == ["TEE-BLK-M", "TEE-BLK-S"]
        assert group["variesBy"]["specifications"] == [
            {"name": "Color", "values": ["Blk"]}, {"name": "Size", "values": ["M", "S"]}]
        assert env.listings()["TEE-WHT-S"]["status"] == "deleted"

    def test_a_variant_with_sales_is_zeroed_instead(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self._family_env(tmp_path, channel_double)
        sold = channel_double.offer_of("TEE-WHT-S")
        assert sold is not None
        sold["listing"] = {**sold.get("listing", {}), "soldQuantity": 1}
        sold["sold"] = 1
        self._remove(env, "TEE-WHT-S")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        assert channel_double.operations()[-1] == "bulkUpdatePriceQuantity"
        assert channel_double.items["TEE-WHT-S"]["availability"][
            "shipToLocationAvailability"]["quantity"] == 0
        listing = env.listings()["TEE-WHT-S"]
        assert listing["status"] == "deleted"
        assert [i["code"] for i in listing["issues"]] == ["ebay.variation_kept"]

    def test_deleting_every_variant_ends_the_listing(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        env = self._family_env(tmp_path, channel_double)
        self._remove(env, "TEE-BLK-S", "TEE-BLK-M", "TEE-WHT-S", "TEE-WHT-M")
        result = env.push(force=True)
        assert result.outcome is Outcome.OK, result.message
        ops = channel_double.operations()
        assert ops[:2] == ["bulkGetInventoryItem", "getInventoryItemGroup"]
        assert ops[2:] == ["getOffers"] * 4 + ["withdrawOfferByInventoryItemGroup"]
        assert {o["status"] for o in channel_double.offers.values()} == {"UNPUBLISHED"}

    def test_variants_share_their_listing_revision_budget(
            self, tmp_path: Path, channel_double: EbayDouble) -> None:
        from dataclasses import replace

        from feedsync.adapters.ebay import limits

        tight = tuple(replace(op, per_key_daily_budget=1) if op.operation == limits.REVISION
                      else op for op in limits.OPERATIONS)
        capped = type("CappedEbayAdapter", (EbayAdapter,), {
            "limits": replace(EbayAdapter.limits, operations=tight)})
        family = [record(variant(f"TEE-BLK-{s}", "Black", s)) for s in ("S", "M")]
        env = self.make_env(tmp_path, channel_double, family)
        assert env.push(capped).outcome is Outcome.OK
        for sku in ("TEE-BLK-S", "TEE-BLK-M"):
            env.mapper.records[sku] = record(variant(sku, "Black", sku[-1], quantity="1"))
        env.catalog.db.execute("UPDATE products SET title = title || ' '")
        result = env.push(capped)
        assert (result.counts.get("accepted"), result.counts.get("deferred")) == (1, 1), \
            "one revision of the family's listing was left today"
