"""The shipped mappings/ebay.toml: catalog products → eBay records → valid Inventory API bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ebay_oas import assert_valid, request_validator
from ebay_records import CTX
from feedsync.adapters.ebay import render
from feedsync.adapters.ebay.schema import SCHEMA

from feedsync.errors import RenderError
from feedsync.mapping import ChannelMapper
from tests.conftest import REPO_ROOT, make_product

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def _mapper() -> ChannelMapper:
    return ChannelMapper(SCHEMA, REPO_ROOT / "mappings" / "ebay.toml")


def _map(product, available: int = 3):  # type: ignore[no-untyped-def]
    return _mapper().map_product(product, available=available, now=NOW, overrides={},
                                 exclusion=None)


def test_a_variant_maps_to_valid_item_offer_and_group(ebay_specs) -> None:
    tee = make_product("TEE-RED-M", item_group_id="TEE", title="<b>Organic</b> Tee",
                       category="Apparel > Tops > T-Shirts", color="Red", size="M",
                       gender="unisex", variant_axes=["color", "size"],
                       weight=Decimal("250"), weight_unit="g", length=Decimal("30"),
                       width=Decimal("20"), height=Decimal("2"), dimension_unit="cm",
                       gtin="4006381333931", brand="Northwind", mpn="NW-1",
                       images=["https://shop.example.com/1.jpg"])
    record = _map(tee)
    assert record.sendable, record.issues
    fields = record.fields
    assert fields["title"] == "Organic Tee" and fields["condition"] == "NEW"
    assert fields["category_id"] == "15687" and fields["inventory_item_group_key"] == "TEE"
    assert fields["varies_by"] == ["Color", "Size"]
    assert (fields["aspect_color"], fields["aspect_size"]) == (["Red"], "M")
    assert fields["aspect_department"] == "Unisex Adults"
    assert fields["ean"] == ["4006381333931"] and "upc" not in fields
    assert (fields["package_weight"], fields["package_weight_unit"]) == ("0.55", "POUND")
    assert (fields["package_length"], fields["package_dimension_unit"]) == ("11.8", "INCH")
    item = render.inventory_item(record.sku, fields, CTX)
    assert_valid(request_validator("inventory", "bulkCreateOrReplaceInventoryItem"),
                 {"requests": [item]})
    assert_valid(request_validator("inventory", "bulkCreateOffer"),
                 {"requests": [render.offer(record.sku, fields, CTX)]})
    group = render.group("TEE", [(record.sku, fields)], None, CTX)
    assert_valid(request_validator("inventory", "createOrReplaceInventoryItemGroup"), group)


def test_long_titles_are_truncated_to_eighty_characters() -> None:
    record = _map(make_product("MUG-1", title="Stoneware mug " * 25,
                               category="Home > Kitchen > Mugs"))
    assert record.sendable, record.issues
    assert len(record.fields["title"]) <= 80 and len("Stoneware mug " * 25) > 300


def test_unmapped_categories_and_unknown_conditions_are_held() -> None:
    record = _map(make_product("X-1", category="Garden > Hoses", condition="gently loved"))
    codes = {(i.code, i.field) for i in record.issues}
    assert ("category_unmapped", "category_id") in codes
    assert ("invalid_value", "condition") in codes
    assert not record.sendable


def test_http_pictures_are_refused_by_validation() -> None:
    record = _map(make_product("MUG-2", category="Home > Kitchen > Mugs",
                               images=["http://shop.example.com/1.jpg"]))
    assert any(i.code == "invalid_format" and i.field == "image_urls" for i in record.issues)
    with pytest.raises(RenderError, match="HTTPS"):
        render.inventory_item("MUG-2", dict(record.fields), CTX)
