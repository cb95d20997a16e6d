"""The shared adapter contract suite, run against the Meta adapter and a catalog API double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from facebook_double import CatalogApiDouble
from facebook_support import TOKEN
from feedsync.adapters.facebook.adapter import FacebookAdapter

from feedsync.mapping.record import MappedRecord
from feedsync.testing import AdapterContract


class TestFacebookContract(AdapterContract):
    """items_batch and handle polling through the real sync engine."""

    adapter_class = FacebookAdapter
    channel_settings: ClassVar[dict[str, Any]] = {"catalog_id": "1234567890"}
    channel_secrets: ClassVar[dict[str, str]] = {"access_token": TOKEN}

    def sample_records(self) -> list[MappedRecord]:
        def record(sku: str, title: str, price: str) -> MappedRecord:
            return MappedRecord(sku=sku, channel="facebook", fields={
                "id": sku, "title": title, "description": f"{title}, in cotton.",
                "availability": "in stock", "condition": "new", "price": price,
                "link": f"https://shop.example.com/p/{sku.lower()}",
                "image_link": f"https://shop.example.com/i/{sku.lower()}.jpg",
                "brand": "Acme", "quantity_to_sell_on_facebook": "5"})

        return [record("TEE-S", "Tee S", "19.99 USD"), record("TEE-M", "Tee M", "19.99 USD"),
                record("MUG-1", "Mug", "8.50 USD")]

    @pytest.fixture
    def channel_double(self) -> Iterator[CatalogApiDouble]:
        with CatalogApiDouble(token=TOKEN) as double:
            yield double

    def test_items_reach_the_catalog_and_deletes_remove_them(
            self, tmp_path: Path, channel_double: CatalogApiDouble) -> None:
        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome.value == "ok", result.message
        assert sorted(channel_double.items) == ["MUG-1", "TEE-M", "TEE-S"]
        assert channel_double.items["MUG-1"]["quantity_to_sell_on_facebook"] == 5
        assert {v["status"] for v in env.listings().values()} == {"live"}
        # one batch: three items fit in one items_batch call
        assert [c.method for c in channel_double.captured
                if c.operation == "items_batch"] == ["POST"]
        env.mapper.records.pop("MUG-1")
        env.catalog.db.execute("DELETE FROM products WHERE sku = 'MUG-1'")
        removed = env.push(force=True)
        assert removed.outcome.value == "ok", removed.message
        assert "MUG-1" not in channel_double.items
        assert env.listings()["MUG-1"]["status"] == "deleted"
