"""Google render: feed record → Merchant API ProductInput, checked against the discovery doc."""

from __future__ import annotations

from typing import Any

import pytest
from feedsync.adapters.google import render
from feedsync.adapters.google.render import (
    ATTRIBUTES,
    Target,
    parse_price,
    product_input,
    product_key,
    resource_segment,
    rfc3339,
    split_product_key,
)
from feedsync.adapters.google.schema import SCHEMA
from google_oracle import errors
from jsonschema import Draft202012Validator

from feedsync.errors import ItemRejected

TARGET = Target("123", "accounts/123/dataSources/456", "en", "US")

FULL: dict[str, Any] = {
    "id": "SKU-1",
    "title": "Tee - Red - M",
    "description": "A fine tee.",
    "link": "https://shop.example.com/p/sku-1",
    "image_link": "https://shop.example.com/i/sku-1.jpg",
    "additional_image_link": ["https://shop.example.com/i/a.jpg",
                              "https://shop.example.com/i/b.jpg"],
    "availability": "in_stock",
    "price": "19.99 USD",
    "sale_price": "14.50 USD",
    "sale_price_effective_date": "2026-11-01T00:00:00+01:00/2026-11-30T23:59:59+01:00",
    "google_product_category": "Apparel & Accessories > Clothing > Shirts & Tops",
    "product_type": "Apparel > Shirts",
    "brand": "Acme",
    "gtin": "4006381333931",
    "mpn": "TEE-1",
    "identifier_exists": "yes",
    "condition": "new",
    "item_group_id": "TEE",
    "color": "Red",
    "size": "M",
    "gender": "unisex",
    "age_group": "adult",
    "material": "cotton",
    "pattern": "plain",
    "shipping_weight": "0.25 kg",
    "custom_label_0": "summer",
    "custom_label_4": "top-seller",
}


def test_full_record_converts_to_camel_case_api_shape() -> None:
    body = product_input("SKU-1", FULL, TARGET)
    attrs = body["productAttributes"]
    assert body["offerId"] == "SKU-1"
    assert body["contentLanguage"] == "en" and body["feedLabel"] == "US"
    assert attrs["imageLink"] == FULL["image_link"]
    assert attrs["additionalImageLinks"] == FULL["additional_image_link"]
    assert attrs["availability"] == "IN_STOCK"
    assert attrs["price"] == {"amountMicros": "19990000", "currencyCode": "USD"}
    assert attrs["salePrice"] == {"amountMicros": "14500000", "currencyCode": "USD"}
    assert attrs["salePriceEffectiveDate"] == {"startTime": "2026-10-31T23:00:00Z",
                                               "endTime": "2026-11-30T22:59:59Z"}
    assert attrs["gtins"] == ["4006381333931"]
    assert attrs["productTypes"] == ["Apparel > Shirts"]
    assert attrs["identifierExists"] is True
    assert attrs["condition"] == "NEW" and attrs["gender"] == "UNISEX"
    assert attrs["ageGroup"] == "ADULT"
    assert attrs["shippingWeight"] == {"value": 0.25, "unit": "kg"}
    assert attrs["customLabel0"] == "summer" and attrs["customLabel4"] == "top-seller"
    assert "id" not in attrs and "customAttributes" not in body


def test_every_body_validates_against_the_discovery_document(
        product_input_validator: Draft202012Validator) -> None:
    body = product_input("SKU-1", FULL, TARGET)
    assert errors(product_input_validator, body) == []
    minimal = product_input("SKU-2", {"id": "SKU-2", "title": "x", "price": "1 EUR"}, TARGET)
    assert errors(product_input_validator, minimal) == []


def test_oracle_catches_what_a_wrong_body_would_get_wrong(
        product_input_validator: Draft202012Validator) -> None:
    """The oracle is strict: a float price, an unknown member, a missing label all fail."""
    body = product_input("SKU-1", FULL, TARGET)
    body["productAttributes"]["price"]["amountMicros"] = 19.99
    body["productAttributes"]["imageURL"] = "x"
    del body["feedLabel"]
    found = " | ".join(errors(product_input_validator, body))
    assert "amountMicros" in found and "imageURL" in found and "feedLabel" in found


def test_every_attribute_in_the_table_exists_in_the_api(discovery: dict[str, Any]) -> None:
    api = discovery["schemas"]["ProductAttributes"]["properties"]
    for feed_name, attr in ATTRIBUTES.items():
        assert attr.api in api, f"{feed_name} → {attr.api} is not a ProductAttributes member"


@pytest.mark.parametrize(("constant", "member"), [
    ("AVAILABILITY", "availability"), ("CONDITION", "condition"), ("GENDER", "gender"),
    ("AGE_GROUP", "ageGroup"), ("SIZE_SYSTEM", "sizeSystem"), ("SIZE_TYPE", "sizeTypes"),
    ("ENERGY_CLASS", "energyEfficiencyClass"), ("DESTINATION", "excludedDestinations"),
    ("PAUSE", "pause"), ("PICKUP_METHOD", "pickupMethod"), ("PICKUP_SLA", "pickupSla"),
])
def test_enumerations_match_the_discovery_document(discovery: dict[str, Any], constant: str,
                                                   member: str) -> None:
    node = discovery["schemas"]["ProductAttributes"]["properties"][member]
    values = node.get("enum") or node["items"]["enum"]
    assert set(getattr(render, constant)) == {v for v in values if not v.endswith("UNSPECIFIED")}


def test_schema_fields_all_have_a_typed_api_member() -> None:
    """Every field the google channel schema can produce is typed, none goes generic."""
    untyped = [f.name for f in SCHEMA.fields
               if f.name != SCHEMA.id_field and f.name not in ATTRIBUTES]
    assert untyped == []


def test_schema_enumerations_convert() -> None:
    for spec in SCHEMA.fields:
        if spec.allowed is None or spec.name not in ATTRIBUTES:
            continue
        for value in spec.allowed:
            ATTRIBUTES[spec.name].convert(spec.name, value)


@pytest.mark.parametrize(("text", "micros"), [
    ("19.99 USD", "19990000"), ("0 EUR", "0"), ("1234567.123456 JPY", "1234567123456"),
    ("12.3 usd", "12300000"),
])
def test_price_is_exact_decimal_micros(text: str, micros: str) -> None:
    assert parse_price("price", text)["amountMicros"] == micros


@pytest.mark.parametrize("text", ["19.99", "USD 19.99", "1.0000001 USD", "-1 USD", "abc USD",
                                  "NaN USD", "12.99 US"])
def test_bad_prices_are_rejected_for_the_sku(text: str) -> None:
    with pytest.raises(ItemRejected) as caught:
        product_input("SKU-9", {"id": "SKU-9", "price": text}, TARGET)
    assert caught.value.sku == "SKU-9"
    assert "SKU-9" in caught.value.message and "price" in caught.value.message


def test_unknown_enumeration_value_names_field_and_choices() -> None:
    with pytest.raises(ItemRejected) as caught:
        product_input("SKU-3", {"id": "SKU-3", "availability": "sometimes"}, TARGET)
    message = caught.value.message
    assert "availability" in message and "'sometimes'" in message and "in_stock" in message


@pytest.mark.parametrize(("field", "value", "member", "expected"), [
    ("availability", "in stock", "availability", "IN_STOCK"),
    ("availability", "limited_availability", "availability", "LIMITED_AVAILABILITY"),
    ("energy_efficiency_class", "A+++", "energyEfficiencyClass", "APPP"),
    ("pickup_sla", "2-day", "pickupSla", "TWO_DAY"),
    ("pickup_method", "ship to store", "pickupMethod", "SHIP_TO_STORE"),
    ("size_type", ["petite", "maternity"], "sizeTypes", ["PETITE", "MATERNITY"]),
    ("excluded_destination", ["Shopping_ads"], "excludedDestinations", ["SHOPPING_ADS"]),
    ("identifier_exists", "no", "identifierExists", False),
    ("multipack", "6", "multipack", "6"),
    ("availability_date", "2026-12-01", "availabilityDate", "2026-12-01T00:00:00Z"),
    ("product_length", "20 cm", "productLength", {"value": 20.0, "unit": "cm"}),
    ("product_weight", "2 LB", "productWeight", {"value": 2.0, "unit": "lb"}),
    ("product_detail", ["General:Material:Cotton"], "productDetails",
     [{"sectionName": "General", "attributeName": "Material", "attributeValue": "Cotton"}]),
])
def test_typed_conversions(field: str, value: Any, member: str, expected: Any,
                           product_input_validator: Draft202012Validator) -> None:
    body = product_input("S", {"id": "S", field: value}, TARGET)
    assert body["productAttributes"][member] == expected
    assert errors(product_input_validator, body) == []


@pytest.mark.parametrize(("field", "value"), [
    ("shipping_weight", "heavy"), ("shipping_weight", "2 stone"), ("product_length", "2 m"),
    ("identifier_exists", "maybe"), ("multipack", "six"), ("availability_date", "soon"),
    ("sale_price_effective_date", "2026-11-01"), ("product_detail", "Material"),
    ("price", ["1 USD", "2 USD"]),
])
def test_malformed_values_are_item_errors(field: str, value: Any) -> None:
    with pytest.raises(ItemRejected) as caught:
        product_input("S", {"id": "S", field: value}, TARGET)
    assert field in caught.value.message


def test_unknown_attributes_go_in_the_generic_form(
        product_input_validator: Draft202012Validator) -> None:
    body = product_input("S", {"id": "S", "shipping": ["US::Standard:4.95 USD",
                                                        "CA::Express:9.95 USD"]}, TARGET)
    assert body["customAttributes"] == [
        {"name": "shipping", "value": "US::Standard:4.95 USD"},
        {"name": "shipping", "value": "CA::Express:9.95 USD"}]
    assert errors(product_input_validator, body) == []


def test_empty_values_are_left_out() -> None:
    body = product_input("S", {"id": "S", "title": "T", "color": "", "gtin": []}, TARGET)
    assert body["productAttributes"] == {"title": "T"}


def test_rendering_is_deterministic() -> None:
    first = render.encode(product_input("SKU-1", FULL, TARGET))
    second = render.encode(product_input("SKU-1", dict(FULL), TARGET))
    assert first == second
    assert b"\\u" not in render.encode({"t": "Café"})  # UTF-8 kept, not escaped


def test_rfc3339_normalises_offsets_to_utc() -> None:
    assert rfc3339("d", "2026-01-01T00:00-0800") == "2026-01-01T08:00:00Z"
    assert rfc3339("d", "2026-01-01T13:00:00") == "2026-01-01T13:00:00Z"  # no offset: UTC


def test_resource_segment_matches_googles_own_example(discovery: dict[str, Any]) -> None:
    """The delete method's docs encode ``en~US~sku/123`` as ``ZW5-VVN-c2t1LzEyMw``."""
    doc = discovery["resources"]["accounts"]["resources"]["productInputs"]["methods"]["delete"]
    assert "ZW5-VVN-c2t1LzEyMw" in doc["parameters"]["name"]["description"]
    assert resource_segment(product_key("en", "US", "sku/123")) == "ZW5-VVN-c2t1LzEyMw"


def test_product_key_round_trips_offer_ids_with_tildes() -> None:
    assert split_product_key(product_key("de", "DE", "a~b")) == ("de", "DE", "a~b")
