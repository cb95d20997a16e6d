"""The shared adapter contract suite, run against the Amazon adapter and an SP-API double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from amazon_double import SellingPartnerDouble
from amazon_swagger import body_validator
from conftest import load_json
from feedsync.adapters.amazon.adapter import AmazonAdapter
from jsonschema import Draft7Validator

from feedsync.mapping.record import MappedRecord
from feedsync.sync.runs import Outcome
from feedsync.testing import AdapterContract
from tests.conftest import specs_root

SELLER = "A1SELLERID"
MARKETPLACE = "ATVPDKIKX0DER"


def _record(sku: str, name: str, price: str, quantity: str = "5") -> MappedRecord:
    return MappedRecord(sku=sku, channel="amazon", fields={
        "sku": sku, "product_type": "SHIRT", "item_name": name, "brand": "Acme",
        "product_description": f"{name}, in cotton.", "bullet_point": ["Soft", "Durable"],
        "externally_assigned_product_identifier": "4006381333931",
        "condition_type": "new_new", "currency": "USD", "our_price": price,
        "quantity": quantity,
        "main_image": f"https://shop.example.com/i/{sku.lower()}.jpg"})


class TestAmazonContract(AdapterContract):
    """JSON_LISTINGS_FEED submission and processing reports through the real sync engine."""

    adapter_class = AmazonAdapter
    channel_settings: ClassVar[dict[str, Any]] = {
        "seller_id": SELLER, "marketplace_ids": [MARKETPLACE]}
    channel_secrets: ClassVar[dict[str, str]] = {
        "client_id": "amzn1.application-oa2-client.contract",
        "client_secret": "contract-client-secret",
        "refresh_token": "Atzr|contract-refresh-token"}

    def sample_records(self) -> list[MappedRecord]:
        return [_record("TEE-S", "Tee S", "19.99"), _record("TEE-M", "Tee M", "19.99"),
                _record("MUG-1", "Mug", "8.50")]

    @pytest.fixture
    def channel_double(self, request: pytest.FixtureRequest) -> Iterator[SellingPartnerDouble]:
        """The SP-API double; with the official specs at hand every uploaded feed document is
        checked against listings-feed-schema-v2.json and every shipment confirmation against
        ordersV0.json's ConfirmShipmentRequest (feedsync.testing.HttpChannelDouble)."""
        schemas: dict[str, Any] = {}
        if (specs_root() / "PROVENANCE.md").is_file():
            schemas["uploadFeedDocument"] = request.getfixturevalue("feed_validator")
            v0 = load_json(specs_root() / "amazon" / "ordersV0.json")
            schemas["confirmShipment"] = body_validator(v0, "ConfirmShipmentRequest")
        with SellingPartnerDouble(schemas=schemas) as double:
            yield double

    # --- Amazon-specific checks on the same harness --------------------------------------------

    def test_pushed_feeds_follow_the_listings_feed_schema(
            self, tmp_path: Path, channel_double: SellingPartnerDouble,
            feed_validator: Draft7Validator) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        [document] = channel_double.uploaded
        assert not list(feed_validator.iter_errors(document))
        assert document["header"] == {"sellerId": SELLER, "version": "2.0"}
        assert [m["operationType"] for m in document["messages"]] == ["UPDATE"] * 3
        listing = channel_double.listings["MUG-1"]
        assert listing["attributes"]["fulfillment_availability"] == [
            {"fulfillment_channel_code": "DEFAULT", "quantity": 5}]
        assert {v["status"] for v in env.listings().values()} == {"live"}

    def test_a_quantity_only_push_patches_fulfillment_availability_alone(
            self, tmp_path: Path, channel_double: SellingPartnerDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome is Outcome.OK
        before = channel_double.listings["TEE-M"]["attributes"]
        # the merchant renamed and repriced TEE-M, and an order sold 3 of its 5 units
        env.mapper.records["TEE-M"] = _record("TEE-M", "Tee M, new cut", "24.99",
                                              quantity="2")
        result = env.push(skus=["TEE-M"], parts=frozenset({"quantity"}))
        assert result.outcome is Outcome.OK, result.message
        [(sku, body)] = channel_double.patches
        assert sku == "TEE-M" and body["productType"] == "SHIRT"
        assert body["patches"] == [{
            "op": "replace", "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 2}]}]
        after = channel_double.listings["TEE-M"]["attributes"]
        assert after["item_name"] == before["item_name"]
        assert after["purchasable_offer"] == before["purchasable_offer"]

        full = env.push()  # the rename and the new price still go out with the next push
        assert full.outcome is Outcome.OK, full.message
        assert full.counts.get("update") == 1
        attributes = channel_double.listings["TEE-M"]["attributes"]
        assert attributes["item_name"][0]["value"] == "Tee M, new cut"
        assert attributes["fulfillment_availability"][0]["quantity"] == 2
