"""The shipped mappings/amazon.toml: catalog products → Amazon records → a valid feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.schema import SCHEMA

from feedsync.mapping import ChannelMapper
from tests.conftest import REPO_ROOT, make_product

NOW = datetime(2026, 11, 24, tzinfo=UTC)
CTX = render.RenderContext(marketplace_id="ATVPDKIKX0DER")


def _mapper() -> ChannelMapper:
    return ChannelMapper(SCHEMA, REPO_ROOT / "mappings" / "amazon.toml")


def test_default_mapping_fills_the_common_attributes(feed_validator) -> None:  # type: ignore[no-untyped-def]
    variant = make_product("TEE-RED-M", item_group_id="TEE", color="Red", size="M",
                           variant_axes=["color", "size"], weight=Decimal("250"),
                           weight_unit="g", sale_price=Decimal("14.99"), mpn="TEE-1",
                           images=["https://shop.example.com/1.jpg",
                                   "https://shop.example.com/2.jpg"],
                           attributes={"bullet_points": "Soft | Warm"},
                           sale_end=datetime(2026, 12, 1, tzinfo=UTC))
    plain = make_product("MUG-1", category="Kitchen", condition="Used")
    mapper = _mapper()
    records = [mapper.map_product(p, available=q, now=NOW, overrides={}, exclusion=None)
               for p, q in ((variant, 3), (plain, 0))]
    assert all(r.sendable for r in records), [r.issues for r in records]
    tee, mug = records
    assert tee.fields["product_type"] == "SHIRT" and mug.fields["product_type"] == "PRODUCT"
    assert tee.fields["bullet_point"] == ["Soft", "Warm"]
    assert tee.fields["item_package_weight"] == "0.25"
    assert (tee.fields["parentage_level"], tee.fields["parent_sku"]) == ("child", "TEE")
    assert tee.fields["variation_theme"] == "COLOR/SIZE"
    assert (tee.fields["our_price"], tee.fields["discounted_price"]) == ("19.99", "14.99")
    assert mug.fields["condition_type"] == "used_good"
    assert mug.fields["quantity"] == "0"
    assert "parentage_level" not in mug.fields
    messages = [render.update_message(r.sku, r.fields, CTX) for r in records]
    document = json.loads(render.feed_bytes("A1SELLER", messages))
    assert not list(feed_validator.iter_errors(document))
    offer = document["messages"][0]["attributes"]["purchasable_offer"][0]
    assert offer["discounted_price"][0]["schedule"][0] == {
        "value_with_tax": 14.99, "end_at": "2026-12-01T00:00:00+00:00"}
