"""The shared adapter contract suite, run against the Google adapter and a Merchant API double."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from feedsync.adapters.google.adapter import GoogleAdapter
from google_double import MerchantApiDouble

from feedsync.mapping.record import MappedRecord
from feedsync.testing import AdapterContract
from tests.conftest import specs_root


class TestGoogleContract(AdapterContract):
    """Insert, delete and status read-back through the real sync engine."""

    adapter_class = GoogleAdapter
    # settle_seconds = 0: the double processes at once, so a push polls status in the same run.
    channel_settings: ClassVar[dict[str, Any]] = {
        "merchant_id": "123", "data_source": "456", "content_language": "en",
        "feed_label": "US", "settle_seconds": 0}

    @pytest.fixture(autouse=True)
    def _service_account(self, service_account: Path) -> None:
        self.channel_secrets = {"service_account_file": str(service_account)}

    def sample_records(self) -> list[MappedRecord]:
        def record(sku: str, title: str, price: str) -> MappedRecord:
            return MappedRecord(sku=sku, channel="google", fields={
                "id": sku, "title": title, "description": f"{title}, in cotton.",
                "link": f"https://shop.example.com/p/{sku.lower()}",
                "image_link": f"https://shop.example.com/i/{sku.lower()}.jpg",
                "availability": "in_stock", "price": price, "brand": "Acme",
                "gtin": "4006381333931", "condition": "new"})

        return [record("TEE-S", "Tee S", "19.99 USD"), record("TEE-M", "Tee M", "19.99 USD"),
                record("MUG-1", "Mug", "8.50 USD")]

    @pytest.fixture
    def channel_double(self, request: pytest.FixtureRequest) -> Iterator[MerchantApiDouble]:
        """The Merchant API double; with the official discovery document at hand every
        inserted body is checked against ProductInput (feedsync.testing.HttpChannelDouble)."""
        schemas = {}
        if (specs_root() / "PROVENANCE.md").is_file():
            schemas["productInputs.insert"] = request.getfixturevalue("product_input_validator")
        with MerchantApiDouble(schemas=schemas) as double:
            yield double

    def test_pushed_products_reach_merchant_center_live(
            self, tmp_path: Path, channel_double: MerchantApiDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome.value == "ok", result.message
        assert sorted(channel_double.inputs) == ["en~US~MUG-1", "en~US~TEE-M", "en~US~TEE-S"]
        assert {v["status"] for v in env.listings().values()} == {"live"}
        stored = env.catalog.db.execute(
            "SELECT remote_id FROM listings WHERE sku = 'MUG-1'").fetchone()[0]
        assert stored == "en~US~MUG-1"
        assert json.dumps(channel_double.inputs["en~US~MUG-1"]["productAttributes"]["price"]) \
            == '{"amountMicros": "8500000", "currencyCode": "USD"}'

    def test_a_product_removed_from_the_catalog_is_deleted(
            self, tmp_path: Path, channel_double: MerchantApiDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        assert env.push().outcome.value == "ok"
        env.mapper.records.pop("MUG-1")
        env.catalog.db.execute("DELETE FROM products WHERE sku = 'MUG-1'")
        removed = env.push(force=True)
        assert removed.outcome.value == "ok", removed.message
        assert "en~US~MUG-1" not in channel_double.inputs
        assert ("DELETE", "/products/v1/accounts/123/productInputs/ZW5-VVN-TVVHLTE") in (
            channel_double.requests)
        assert env.listings()["MUG-1"]["status"] == "deleted"

    def test_missing_settings_stop_the_channel_without_touching_skus(
            self, tmp_path: Path, channel_double: MerchantApiDouble) -> None:
        self.channel_settings = {"merchant_id": "123", "data_source": "456"}  # no feed_label
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome.value == "needs_human", result.message
        assert "feed_label" in result.message
        assert env.listings() == {} and channel_double.request_count == 0
