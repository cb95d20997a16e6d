"""Rendering records into JSON_LISTINGS_FEED messages, validated against Amazon's schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.render import RenderContext

from feedsync.errors import ItemRejected

CTX = RenderContext(marketplace_id="ATVPDKIKX0DER", language_tag="en_US")

FULL: dict[str, Any] = {
    "sku": "TEE-RED-M",
    "product_type": "SHIRT",
    "item_name": "Acme Tee, Red, M",
    "brand": "Acme",
    "product_description": "Soft cotton tee.",
    "bullet_point": ["100% cotton", "Machine washable"],
    "externally_assigned_product_identifier": "4006381333931",
    "part_number": "TEE-1",
    "manufacturer": "Acme Textiles",
    "condition_type": "new_new",
    "color": "Red",
    "size": "M",
    "main_image": "https://shop.example.com/img/tee-red.jpg",
    "other_images": [f"https://shop.example.com/img/tee-{i}.jpg" for i in range(10)],
    "item_package_weight": "0.25",
    "item_package_weight_unit": "kilograms",
    "parentage_level": "child",
    "parent_sku": "TEE",
    "variation_theme": "COLOR/SIZE",
    "currency": "USD",
    "our_price": "19.99",
    "list_price": "24.00",
    "discounted_price": "14.99",
    "discounted_price_start": "2026-11-27",
    "discounted_price_end": "2026-12-01T23:59:59Z",
    "quantity": "7",
}


def _messages() -> list[dict[str, Any]]:
    old = dict(FULL, material="Cotton", brand="Old")
    return [
        render.update_message("TEE-RED-M", FULL, CTX),
        render.content_patch_message("TEE-RED-M", FULL, old, CTX, relationship_changed=False),
        render.price_quantity_message("TEE-RED-M", FULL, CTX, {"price"}),
        render.price_quantity_message("TEE-RED-M", FULL, CTX, {"quantity"}),
        render.price_quantity_message("TEE-RED-M", FULL, CTX, ()),
        render.update_message("TEE", {"sku": "TEE", "product_type": "SHIRT",
                                      "item_name": "Acme Tee", "parentage_level": "parent",
                                      "variation_theme": "COLOR/SIZE"}, CTX),
        render.delete_message("OLD-SKU"),
    ]


def test_every_message_kind_validates_against_the_feed_and_message_schemas(
        feed_validator, message_validator) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(render.feed_bytes("A1SELLER", _messages(), issue_locale="en_US"))
    errors = sorted(feed_validator.iter_errors(document), key=str)
    assert not errors, [e.message for e in errors]
    for message in document["messages"]:
        problems = list(message_validator.iter_errors(message))
        assert not problems, (message["operationType"], [p.message for p in problems])
    assert [m["messageId"] for m in document["messages"]] == list(range(1, 8))
    assert document["header"] == {"sellerId": "A1SELLER", "version": "2.0",
                                  "issueLocale": "en_US"}


def test_the_official_feed_example_is_valid_for_our_validator(feed_validator, amazon_specs
                                                              ) -> None:  # type: ignore[no-untyped-def]
    example = json.loads((amazon_specs / "listings-feed-schema-v2.example.json").read_text())
    assert not list(feed_validator.iter_errors(example))
    # and a broken document is caught (the validator is not vacuous)
    example["messages"][0]["attributes"] = {"item_name": []}
    assert list(feed_validator.iter_errors(example))


def test_full_update_renders_amazon_attribute_shapes() -> None:
    attrs = render.update_message("TEE-RED-M", FULL, CTX)["attributes"]
    assert attrs["item_name"] == [{"value": "Acme Tee, Red, M", "language_tag": "en_US",
                                   "marketplace_id": "ATVPDKIKX0DER"}]
    assert [b["value"] for b in attrs["bullet_point"]] == ["100% cotton", "Machine washable"]
    assert attrs["externally_assigned_product_identifier"] == [
        {"type": "ean", "value": "4006381333931", "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["part_number"] == [{"value": "TEE-1", "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["purchasable_offer"] == [{
        "marketplace_id": "ATVPDKIKX0DER", "currency": "USD",
        "our_price": [{"schedule": [{"value_with_tax": 19.99}]}],
        "discounted_price": [{"schedule": [{"value_with_tax": 14.99,
                                            "start_at": "2026-11-27T00:00:00Z",
                                            "end_at": "2026-12-01T23:59:59Z"}]}],
    }]
    assert attrs["list_price"] == [{"marketplace_id": "ATVPDKIKX0DER", "currency": "USD",
                                     "value_with_tax": 24}]
    assert attrs["fulfillment_availability"] == [{"fulfillment_channel_code": "DEFAULT",
                                                   "quantity": 7}]
    assert attrs["main_product_image_locator"][0]["media_location"].endswith("tee-red.jpg")
    others = [k for k in attrs if k.startswith("other_product_image_locator_")]
    assert others == [f"other_product_image_locator_{i}" for i in range(1, 9)]
    assert attrs["item_package_weight"] == [{"value": 0.25, "unit": "kilograms",
                                             "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["child_parent_sku_relationship"] == [{
        "child_relationship_type": "variation", "parent_sku": "TEE",
        "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["parentage_level"][0]["value"] == "child"
    assert attrs["variation_theme"] == [{"name": "COLOR/SIZE", "marketplace_id": "ATVPDKIKX0DER"}]


def test_content_patch_replaces_managed_attributes_and_deletes_emptied_ones() -> None:
    old = dict(FULL, material="Cotton")
    message = render.content_patch_message("TEE-RED-M", FULL, old, CTX,
                                           relationship_changed=False)
    ops = {(p["op"], p["path"]) for p in message["patches"]}
    assert ("replace", "/attributes/item_name") in ops
    assert ("delete", "/attributes/material") in ops
    assert not any(path.endswith("child_parent_sku_relationship") for _, path in ops)
    delete = next(p for p in message["patches"] if p["op"] == "delete")
    # Amazon deletes by selector values, not by name alone
    assert delete["value"] == [{"marketplace_id": "ATVPDKIKX0DER", "language_tag": "en_US"}]


def test_price_only_patch_touches_only_the_offer() -> None:
    message = render.price_quantity_message("TEE-RED-M", FULL, CTX, {"price"})
    assert [p["path"] for p in message["patches"]] == ["/attributes/purchasable_offer"]
    message = render.price_quantity_message("TEE-RED-M", FULL, CTX, {"quantity"})
    assert message["patches"] == [{"op": "replace", "path": "/attributes/fulfillment_availability",
                                   "value": [{"fulfillment_channel_code": "DEFAULT",
                                              "quantity": 7}]}]


def test_rendering_is_deterministic() -> None:
    assert render.feed_bytes("S", _messages()) == render.feed_bytes("S", _messages())


@pytest.mark.parametrize(("text", "expected"), [
    ("19.99", 19.99), ("20.00", 20), ("0.1", 0.1), ("1234567.89", 1234567.89), ("5", 5),
])
def test_numbers_keep_the_decimal_text(text: str, expected: float) -> None:
    value = render.number(text, sku="S", field="our_price")
    assert value == expected
    assert json.dumps(value) in {text, text.rstrip("0").rstrip(".")}


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"our_price": "nope", "currency": "USD"}, "not a number"),
    ({"our_price": "1.00"}, "needs a currency"),
    ({"item_package_weight": "1"}, "item_package_weight_unit"),
    ({"extra_attributes": "{not json"}, "not valid JSON"),
    ({"extra_attributes": '{"item_name": []}'}, "set by the mapping"),
    ({"extra_attributes": '{"batteries_required": true}'}, "list of objects"),
    ({"extra_attributes": "[1]"}, "JSON object"),
])
def test_bad_values_reject_the_sku_with_a_reason(fields: dict[str, str], fragment: str) -> None:
    record = {"sku": "BAD-1", "product_type": "SHIRT", "item_name": "x", **fields}
    with pytest.raises(ItemRejected) as info:
        render.update_message("BAD-1", record, CTX)
    assert info.value.sku == "BAD-1"
    assert fragment in str(info.value)


def test_extra_attributes_pass_through_in_amazon_shape() -> None:
    extra = [{"value": False, "marketplace_id": "ATVPDKIKX0DER"}]
    record = {"sku": "X", "product_type": "SHIRT", "item_name": "x",
              "extra_attributes": json.dumps({"batteries_required": extra})}
    assert render.update_message("X", record, CTX)["attributes"]["batteries_required"] == extra


def test_missing_product_type_is_rejected() -> None:
    with pytest.raises(ItemRejected, match="product_type"):
        render.update_message("X", {"item_name": "x"}, CTX)


@pytest.mark.parametrize(("code", "kind"), [("12345670", "ean"), ("012345678905", "upc"),
                                            ("4006381333931", "ean"), ("10012345678902", "gtin"),
                                            ("0306406152", "isbn")])
def test_identifier_type_from_length(code: str, kind: str) -> None:
    assert render.identifier_type(code) == kind


def test_message_size_bounds_the_written_bytes() -> None:
    messages = _messages()
    written = len(render.feed_bytes("S", messages))
    assert sum(render.message_size(m) for m in messages) >= written - 100
