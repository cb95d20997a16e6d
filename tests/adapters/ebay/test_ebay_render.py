"""Rendering: every body the adapter builds is valid against eBay's OAS request schema, and what
eBay would reject is refused before it is sent, naming the SKU and the field."""

from __future__ import annotations

import pytest
from ebay_oas import assert_valid, request_validator, schema_validator
from ebay_records import CTX, simple, variant
from feedsync.adapters.ebay import render

from feedsync.errors import ItemRejected


def test_inventory_items_are_valid_bulk_requests(ebay_specs) -> None:
    items = [render.inventory_item("MUG-01", simple(), CTX),
             render.inventory_item("TEE-BLK-S", variant("TEE-BLK-S", "Black", "S"), CTX)]
    assert_valid(request_validator("inventory", "bulkCreateOrReplaceInventoryItem"),
                 {"requests": items})
    mug = items[0]
    assert mug["locale"] == "en_US"
    assert mug["product"]["aspects"] == {"Brand": ["Northwind Home"], "Type": ["Mugs"],
                                         "Color": ["Blue"], "Material": ["Stoneware"]}
    assert mug["availability"] == {"shipToLocationAvailability": {"quantity": 12}}
    assert mug["packageWeightAndSize"] == {
        "weight": {"unit": "POUND", "value": 0.9},
        "dimensions": {"unit": "INCH", "length": 5, "width": 4, "height": 4.5}}


def test_offers_are_valid_bulk_create_and_update_requests(ebay_specs) -> None:
    offer = render.offer("MUG-01", simple(), CTX)
    assert_valid(request_validator("inventory", "bulkCreateOffer"), {"requests": [offer]})
    assert offer["format"] == "FIXED_PRICE" and offer["listingDuration"] == "GTC"
    assert offer["pricingSummary"] == {"price": {"currency": "USD", "value": "18.00"}}
    assert offer["listingPolicies"] == {"fulfillmentPolicyId": "6000001",
                                        "paymentPolicyId": "6000002",
                                        "returnPolicyId": "6000003"}
    update = render.offer_update("MUG-01", simple(), CTX)
    assert_valid(request_validator("inventory", "updateOffer"), update)


def test_price_quantity_requests_are_valid(ebay_specs) -> None:
    both = render.price_quantity("MUG-01", simple(), "5000000001", {"price", "quantity"})
    qty = render.price_quantity("MUG-01", simple(quantity="0"), "5000000001", {"quantity"})
    no_offer = render.price_quantity("MUG-01", simple(), None, {"quantity"})
    assert_valid(request_validator("inventory", "bulkUpdatePriceQuantity"),
                 {"requests": [both, qty, no_offer]})
    assert qty == {"sku": "MUG-01", "shipToLocationAvailability": {"quantity": 0},
                   "offers": [{"offerId": "5000000001", "availableQuantity": 0}]}
    assert both["offers"][0]["price"] == {"currency": "USD", "value": "18.00"}
    assert render.price_quantity("MUG-01", simple(), None, {"price"}) == {"sku": "MUG-01"}
    assert render.offer_entry("MUG-01", simple(), {"price"}) == {
        "price": {"currency": "USD", "value": "18.00"}}


def test_group_varies_by_the_family_options(ebay_specs) -> None:
    members = [("TEE-WHT-S", variant("TEE-WHT-S", "White", "S")),
               ("TEE-BLK-M", variant("TEE-BLK-M", "Black", "M"))]
    existing = {"variantSKUs": ["TEE-BLK-S"], "variesBy": {"specifications": [
        {"name": "Color", "values": ["Black"]}, {"name": "Size", "values": ["S"]}]}}
    body = render.group("TEE-ORG", members, existing, CTX)
    assert_valid(request_validator("inventory", "createOrReplaceInventoryItemGroup"), body)
    assert body["variantSKUs"] == ["TEE-BLK-M", "TEE-BLK-S", "TEE-WHT-S"]
    assert body["title"] == "Organic Cotton T-Shirt", "the family's words, not a variant's"
    assert body["variesBy"]["specifications"] == [
        {"name": "Color", "values": ["Black", "White"]}, {"name": "Size", "values": ["S", "M"]}]
    assert body["aspects"] == {"Brand": ["Northwind Apparel"], "Type": ["T-Shirts"],
                               "Material": ["Organic cotton"]}
    publish = {"inventoryItemGroupKey": "TEE-ORG", "marketplaceId": "EBAY_US"}
    assert_valid(request_validator("inventory", "publishOfferByInventoryItemGroup"), publish)


def test_a_variant_without_its_varying_aspect_is_refused() -> None:
    broken = variant("TEE-RED-S", "Red", "S", aspect_size="")
    with pytest.raises(ItemRejected, match=r"TEE-RED-S.*'Size'"):
        render.group("TEE-ORG", [("TEE-RED-S", broken)], None, CTX)


def test_a_300_character_title_is_refused_before_sending() -> None:
    with pytest.raises(ItemRejected) as caught:
        render.inventory_item("MUG-01", simple(title="x" * 300), CTX)
    assert caught.value.sku == "MUG-01" and "title is 300 characters" in caught.value.message


def test_too_many_aspect_values_and_too_long_values_are_refused() -> None:
    colours = [f"Colour {i}" for i in range(31)]
    with pytest.raises(ItemRejected, match="'Color' has 31 values"):
        render.inventory_item("MUG-01", simple(aspect_color=colours), CTX)
    with pytest.raises(ItemRejected, match="is 51 characters"):
        render.inventory_item("MUG-01", simple(aspect_type="t" * 51), CTX)
    extra = '{"' + "N" * 41 + '": ["v"]}'
    with pytest.raises(ItemRejected, match="aspect name"):
        render.inventory_item("MUG-01", simple(extra_aspects=extra), CTX)
    many = "{" + ",".join(f'"Aspect {i}": ["v"]' for i in range(45)) + "}"
    with pytest.raises(ItemRejected, match="item specifics"):
        render.inventory_item("MUG-01", simple(extra_aspects=many), CTX)


def test_pictures_must_be_https_and_at_most_24() -> None:
    with pytest.raises(ItemRejected, match="HTTPS"):
        render.inventory_item("MUG-01", simple(image_urls=["http://x.example/a.jpg"]), CTX)
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(25)]
    with pytest.raises(ItemRejected, match="25 pictures"):
        render.inventory_item("MUG-01", simple(image_urls=urls), CTX)
    with pytest.raises(ItemRejected, match="per variant"):
        render.inventory_item("TEE-BLK-S", variant("TEE-BLK-S", "Black", "S",
                                                   image_urls=urls[:13]), CTX)


def test_package_measures_need_their_units() -> None:
    with pytest.raises(ItemRejected, match="package_weight_unit"):
        render.inventory_item("MUG-01", simple(package_weight_unit=""), CTX)
    with pytest.raises(ItemRejected, match="length, width, height"):
        render.inventory_item("MUG-01", simple(package_height=""), CTX)


def test_extra_aspects_merge_and_must_not_repeat_a_mapped_one(ebay_specs) -> None:
    item = render.inventory_item("MUG-01", simple(
        extra_aspects='{"Capacity": "350 ml", "Features": ["Dishwasher Safe"]}'), CTX)
    assert item["product"]["aspects"]["Capacity"] == ["350 ml"]
    assert_valid(schema_validator("inventory", "InventoryItemWithSkuLocale"), item)
    with pytest.raises(ItemRejected, match="already set"):
        render.inventory_item("MUG-01", simple(extra_aspects='{"Brand": ["Other"]}'), CTX)


def test_rendering_is_deterministic() -> None:
    first = render.dumps(render.inventory_item("MUG-01", simple(), CTX))
    assert first == render.dumps(render.inventory_item("MUG-01", simple(), CTX))
