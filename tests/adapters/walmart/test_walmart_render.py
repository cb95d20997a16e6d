"""Rendering against Walmart's own contracts: the official request examples are reproduced
byte for byte where Walmart gives one, and every body is validated against the OpenAPI schema
where Walmart declares one (../shared/specs/walmart)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from feedsync.adapters.walmart import render
from feedsync.adapters.walmart.schema import SCHEMA
from walmart_oracle import errors, example, validator

from feedsync.errors import RenderError
from feedsync.mapping.engine import ChannelMapper
from tests.conftest import REPO_ROOT, make_product

EXAMPLE_ITEM = {  # the fields of the "V4.8 MP_ITEM" example, as a walmart mapping gives them
    "sku": "testCardSku", "product_id": "06146190200012",
    "product_name": "Ying Yang Apron, Abstract Graphic Design Yin Yang Circle Black and White "
                    "Dots Pattern Cosmos and Energy, Unisex Kitchen Bib with Adjustable Neck for "
                    "Cooking Gardening, Adult Size, Red, by Ambesonne",
    "brand": "davidson", "price": "1", "shipping_weight": "1", "must_ship_alone": "No",
    "category": "Home Decor, Kitchen, & Other", "short_description": "shelf",
    "main_image_url": "https://i5-qa.walmartimages.com/asr/9e9d04d1-6520-448e-b336-f40b7fb98707"
                      ".c4c99539377709c2a9e332558177be8b.jpeg",
    "key_features": ["@generated"],
}


def test_mp_item_feed_reproduces_walmarts_v48_example(walmart_specs: Path) -> None:
    document = render.item_feed([render.mp_item("testCardSku", EXAMPLE_ITEM)], version="4.8",
                                sub_category="home_other")
    assert json.loads(document) == example("items.itemBulkUploads.request.V4.8_MP_ITEM.json")


def test_retire_feed_reproduces_walmarts_example(walmart_specs: Path) -> None:
    official = example("items.itemBulkUploads.request.RETIRE_ITEM.json")
    skus = [entry["sku"] for entry in official["RetireItem"]]
    document = render.retire_feed(skus, version="1.0", feed_date="2020-01-22T00:59:14.000Z")
    assert json.loads(document) == official


def test_price_body_is_walmarts_update_price_example_and_valid(walmart_specs: Path) -> None:
    entry = render.price_entry("97964_KFTest", {"price": "10", "currency": "USD"})
    assert entry == example("price.updatePrice.request.json")
    assert not errors(validator("price", "Price"), entry)


def test_price_feed_entries_follow_the_price_schema(walmart_specs: Path) -> None:
    entries = [render.price_entry(f"SKU-{i}", {"price": price})
               for i, price in enumerate(["19.99", "0.5", "1234567.89", "3"])]
    document = json.loads(render.price_feed(entries, version="1.7"))
    official = example("price.priceBulkUploads.request.json1.json")
    assert document.keys() == official.keys()
    assert document["PriceHeader"] == official["PriceHeader"]
    check = validator("price", "Price")
    for entry in document["Price"]:
        assert not errors(check, entry)
    assert [e["pricing"][0]["currentPrice"]["amount"] for e in document["Price"]] == [
        19.99, 0.5, 1234567.89, 3]


def test_single_sku_inventory_body_is_walmarts_example_and_valid(walmart_specs: Path) -> None:
    body = render.inventory_body("97964_KFTest", 10)
    assert body == example("inventory.updateInventoryForAnItem.request.json")
    assert not errors(validator("inventory", "Inventory"), body)


def test_mp_inventory_feed_has_walmarts_multinode_shape(walmart_specs: Path) -> None:
    official = example(
        "inventory.updateBulkInventory.request.MultiNode_Bulk_Inventory_Update_Request.json")
    first_two = official["inventory"][:2]
    entries = [render.inventory_entry(e["sku"], e["shipNodes"][0]["quantity"]["amount"],
                                      e["shipNodes"][0]["shipNode"]) for e in first_two]
    document = json.loads(render.inventory_feed(entries, version="1.5"))
    assert document == {"inventoryHeader": official["inventoryHeader"], "inventory": first_two}
    quantity = validator("inventory", "InputQty")
    for entry in document["inventory"]:
        for node in entry["shipNodes"]:
            assert not errors(quantity, node["quantity"])


@pytest.mark.parametrize(("code", "kind", "sent"), [
    ("614141100071", None, ("UPC", "614141100071")),
    ("4006381333931", None, ("EAN", "4006381333931")),
    ("96385074", None, ("GTIN", "00000096385074")),
    ("00614141100071", None, ("GTIN", "00614141100071")),
    ("614141100071", "GTIN", ("GTIN", "00614141100071")),
    ("9780306406157", "ISBN", ("ISBN", "9780306406157")),
])
def test_product_identifiers(code: str, kind: str | None, sent: tuple[str, str]) -> None:
    fields = {"product_id": code, **({"product_id_type": kind} if kind else {})}
    assert render.product_identifier("S", fields) == {"productIdType": sent[0],
                                                      "productId": sent[1]}


def test_an_identifier_of_the_wrong_length_for_its_type_names_the_field() -> None:
    with pytest.raises(RenderError) as caught:
        render.product_identifier("S-1", {"product_id": "4006381333931", "product_id_type": "UPC"})
    assert caught.value.sku == "S-1"
    assert "product_id" in caught.value.message and "UPC" in caught.value.message


def test_variant_group_from_a_family() -> None:
    fields = dict(EXAMPLE_ITEM, variant_group_id="TEE-ORG", color="Black", size="M",
                  variant_attribute_names=["color", "size"])
    attrs = render.mp_item("testCardSku", fields)["Visible"]["Home Decor, Kitchen, & Other"]
    assert attrs["variantGroupId"] == "TEE-ORG"
    assert attrs["variantAttributeNames"] == ["color", "size"]
    assert attrs["color"] == ["Black"] and attrs["size"] == "M"
    assert "isPrimaryVariant" not in attrs  # Walmart picks the primary unless told
    fields["is_primary_variant"] = "Yes"
    attrs = render.mp_item("testCardSku", fields)["Visible"]["Home Decor, Kitchen, & Other"]
    assert attrs["isPrimaryVariant"] == "Yes"


def test_a_variant_without_attribute_names_is_refused_naming_the_field() -> None:
    with pytest.raises(RenderError, match="variant_attribute_names"):
        render.mp_item("S", dict(EXAMPLE_ITEM, variant_group_id="G"))


def test_images_are_main_and_secondary() -> None:
    fields = dict(EXAMPLE_ITEM, secondary_image_urls=["https://a.example/2.jpg",
                                                      "https://a.example/3.jpg"])
    attrs = render.mp_item("S", fields)["Visible"]["Home Decor, Kitchen, & Other"]
    assert attrs["mainImageUrl"] == EXAMPLE_ITEM["main_image_url"]
    assert attrs["productSecondaryImageURL"] == ["https://a.example/2.jpg",
                                                 "https://a.example/3.jpg"]


def test_extra_attributes_merge_and_may_not_override_mapped_ones() -> None:
    fields = dict(EXAMPLE_ITEM, visible_attributes='{"ageGroup": ["Adult"]}',
                  orderable_attributes='{"electronicsIndicator": "No"}')
    item = render.mp_item("S", fields)
    assert item["Orderable"]["electronicsIndicator"] == "No"
    assert item["Visible"]["Home Decor, Kitchen, & Other"]["ageGroup"] == ["Adult"]
    with pytest.raises(RenderError, match=r"visible_attributes.*shortDescription"):
        render.mp_item("S", dict(EXAMPLE_ITEM, visible_attributes='{"shortDescription": "x"}'))
    with pytest.raises(RenderError, match=r"orderable_attributes.*JSON"):
        render.mp_item("S", dict(EXAMPLE_ITEM, orderable_attributes="{nope"))


@pytest.mark.parametrize(("text", "number"), [("19.99", 19.99), ("3", 3), ("0.10", 0.1),
                                              ("1234567.89", 1234567.89)])
def test_amounts_are_exact_json_numbers(text: str, number: float) -> None:
    value = render.number(text, sku="S", field="price")
    assert value == number and Decimal(repr(value)) == Decimal(text)


@pytest.mark.parametrize("text", ["-1", "abc", "NaN", "0.12345678901234567890"])
def test_bad_amounts_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(RenderError, match="price"):
        render.number(text, sku="S", field="price")


def test_rendering_is_deterministic() -> None:
    first = render.item_feed([render.mp_item("S", EXAMPLE_ITEM)], version="4.8")
    again = render.item_feed([render.mp_item("S", dict(EXAMPLE_ITEM))], version="4.8")
    assert first == again
    assert render.size_of(render.mp_item("S", EXAMPLE_ITEM)) == len(
        render.dumps(render.mp_item("S", EXAMPLE_ITEM)).encode()) + 1


# --- the shipped mapping: what Walmart would refuse is an error before sending ---------------

def _mapper() -> ChannelMapper:
    return ChannelMapper(SCHEMA, REPO_ROOT / "mappings" / "walmart.toml")


def _codes(record: object) -> set[tuple[str, str | None]]:
    return {(i.code, i.field) for i in record.issues  # type: ignore[attr-defined]
            if i.severity.value == "error"}


NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_the_shipped_mapping_renders_a_sendable_product() -> None:
    product = make_product("TEE-1", weight=Decimal("160"), weight_unit="g", mpn="NW-1",
                           category="Apparel > Shirts", item_group_id="TEE",
                           color="Black", size="S", variant_axes=["color", "size"])
    record = _mapper().map_product(product, available=4, now=NOW)
    assert record.sendable, record.issues
    item = render.mp_item(record.sku, record.fields)
    assert item["Orderable"]["productIdentifiers"] == {"productIdType": "EAN",
                                                       "productId": "4006381333931"}
    assert item["Orderable"]["ShippingWeight"] == 0.353  # 160 g in pounds
    visible = item["Visible"]["Clothing"]
    assert visible["variantGroupId"] == "TEE"
    assert visible["variantAttributeNames"] == ["color", "size"]
    assert record.fields["quantity"] == "4" and record.fields["price"] == "19.99"


def test_the_shipped_mapping_catches_what_walmart_refuses() -> None:
    bad_gtin = _mapper().map_product(make_product("A", gtin="4006381333932"), available=1,
                                     now=NOW)
    assert not bad_gtin.sendable
    assert ("invalid_gtin", "product_id") in _codes(bad_gtin)
    no_image = _mapper().map_product(make_product("B", images=[], weight=Decimal(1),
                                                  weight_unit="lb"), available=1, now=NOW)
    assert ("missing_required", "main_image_url") in _codes(no_image)
    no_weight = _mapper().map_product(make_product("C"), available=1, now=NOW)
    assert ("missing_required", "shipping_weight") in _codes(no_weight)
    long_title = _mapper().map_product(make_product("D", title="x " * 300,
                                                    weight=Decimal(1), weight_unit="lb"),
                                       available=1, now=NOW)
    assert long_title.sendable and len(str(long_title.fields["product_name"])) <= 199
