"""The Google and Meta schemas use the channels' official names and values (spec oracles).

Google's feed attribute names are snake_case; the Merchant API's ``ProductAttributes`` (discovery
document) spells them in camelCase and its protos in snake_case, with a few plural list fields.
Meta's data-feed names differ from the Graph API's ``ProductItem`` fields for a few attributes.
A misspelt field or enumeration value in adapters/*/schema.py fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from feedsync.mapping.schema import ChannelSchema
from feedsync.registry import channel_schema

# Feed attribute → Merchant API name where it is not the plain camelCase of the feed name.
GOOGLE_API_NAMES = {
    "id": "offerId",  # ProductInput.offerId, not an attribute
    "gtin": "gtins",
    "additional_image_link": "additionalImageLinks",
    "product_type": "productTypes",
}
# Feed attribute → proto field name where they differ (plural list fields and the offer id).
GOOGLE_PROTO_NAMES = {
    "id": "offer_id",
    "gtin": "gtins",
    "additional_image_link": "additional_image_links",
    "product_type": "product_types",
}

# Meta feed field → Graph API ProductItem / ProductCatalog.products field.
META_API_NAMES = {
    "id": "retailer_id",
    "title": "name",
    "link": "url",
    "image_link": "image_url",
    "additional_image_link": "additional_image_urls",
    "mpn": "manufacturer_part_number",
    "item_group_id": "retailer_product_group_id",
    "google_product_category": "category",
    "sale_price_effective_date": ("sale_price_start_date", "sale_price_end_date"),
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@pytest.fixture(scope="module")
def google_discovery(specs_dir: Path) -> dict[str, Any]:
    path = specs_dir / "google" / "discovery" / "merchantapi.products_v1.json"
    return json.loads(path.read_text(encoding="utf-8"))["schemas"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def google_proto_fields(specs_dir: Path) -> set[str]:
    text = ""
    for name in ("merchantapi-merchant_products_v1_products_common.proto",
                 "merchantapi-merchant_products_v1_productinputs.proto"):
        text += (specs_dir / "google" / name).read_text(encoding="utf-8")
    return set(re.findall(r"^\s*(?:optional |repeated )?[\w.]+ (\w+) = \d+", text, re.M))


@pytest.fixture(scope="module")
def meta_specs(specs_dir: Path) -> tuple[set[str], dict[str, list[str]]]:
    root = specs_dir / "meta" / "api_specs"
    item = json.loads((root / "ProductItem.json").read_text(encoding="utf-8"))
    names = {f["name"] for f in item["fields"]}
    catalog = json.loads((root / "ProductCatalog.json").read_text(encoding="utf-8"))
    for api in catalog["apis"]:
        if api.get("endpoint") == "products" and api["method"] == "POST":
            names |= {p["name"] for p in api["params"]}
    enums = json.loads((root / "enum_types.product-subset.json").read_text(encoding="utf-8"))
    return names, {e["name"]: e["values"] for e in enums}


def test_google_field_names_exist_in_the_merchant_api(google_discovery: dict[str, Any],
                                                      google_proto_fields: set[str]) -> None:
    schema = channel_schema("google")
    attributes = google_discovery["ProductAttributes"]["properties"]
    product_input = google_discovery["ProductInput"]["properties"]
    for spec in schema.fields:
        api = GOOGLE_API_NAMES.get(spec.name, camel(spec.name))
        assert api in attributes or api in product_input, f"{spec.name} → {api}"
        proto = GOOGLE_PROTO_NAMES.get(spec.name, spec.name)
        assert proto in google_proto_fields, f"{spec.name}: {proto} not in the protos"


def test_google_repeated_fields_are_arrays(google_discovery: dict[str, Any]) -> None:
    attributes = google_discovery["ProductAttributes"]["properties"]
    for spec in channel_schema("google").fields:
        if spec.repeated:
            assert attributes[GOOGLE_API_NAMES[spec.name]]["type"] == "array"


@pytest.mark.parametrize("field, api", [
    ("availability", "availability"), ("condition", "condition"), ("gender", "gender"),
    ("age_group", "ageGroup"),
])
def test_google_enumerations_are_the_api_enums(google_discovery: dict[str, Any], field: str,
                                               api: str) -> None:
    allowed = channel_schema("google").get(field).allowed  # type: ignore[union-attr]
    assert allowed
    api_values = set(google_discovery["ProductAttributes"]["properties"][api]["enum"])
    for value in allowed:
        assert value.upper() in api_values, f"{field}: {value}"


def test_google_identifier_exists_is_boolean(google_discovery: dict[str, Any]) -> None:
    # The feed writes the boolean as yes/no (product data specification).
    assert google_discovery["ProductAttributes"]["properties"]["identifierExists"]["type"] == \
        "boolean"
    assert channel_schema("google").get("identifier_exists").allowed == {"yes", "no"}  # type: ignore[union-attr]


def test_google_prices_are_price_objects(google_discovery: dict[str, Any]) -> None:
    attributes = google_discovery["ProductAttributes"]["properties"]
    for spec in channel_schema("google").fields:
        if spec.part == "price" and spec.name != "sale_price_effective_date":
            assert attributes[camel(spec.name)]["$ref"] == "Price"
    assert set(google_discovery["Price"]["properties"]) == {"amountMicros", "currencyCode"}


def test_meta_field_names_exist_in_the_graph_api(meta_specs: tuple[set[str], Any]) -> None:
    names, _ = meta_specs
    for spec in channel_schema("facebook").fields:
        api = META_API_NAMES.get(spec.name, spec.name)
        for name in (api if isinstance(api, tuple) else (api,)):
            assert name in names, f"{spec.name} → {name}"


@pytest.mark.parametrize("field", ["availability", "condition", "gender", "age_group"])
def test_meta_enumerations_are_graph_api_values(meta_specs: tuple[set[str], Any],
                                                field: str) -> None:
    _, enums = meta_specs
    allowed = channel_schema("facebook").get(field).allowed  # type: ignore[union-attr]
    assert allowed
    assert set(allowed) <= set(enums[f"ProductItem_{field}"]), field


def test_meta_required_fields_match_the_catalog_api(specs_dir: Path) -> None:
    catalog = json.loads((specs_dir / "meta" / "api_specs" / "ProductCatalog.json")
                         .read_text(encoding="utf-8"))
    post = next(a for a in catalog["apis"]
                if a.get("endpoint") == "products" and a["method"] == "POST")
    required_api = {p["name"] for p in post["params"] if p.get("required")}
    schema = channel_schema("facebook")
    required_feed = {f.name for f in schema.fields if f.required}
    # the API requires name, price and currency; the feed carries currency inside price
    for api in required_api - {"currency"}:
        feed = next((k for k, v in META_API_NAMES.items() if v == api), api)
        assert feed in required_feed, api


@pytest.mark.parametrize("channel", ["google", "facebook"])
def test_schema_shape(channel: str) -> None:
    schema: ChannelSchema = channel_schema(channel)
    assert schema.channel == channel
    assert schema.field_names[0] == schema.id_field == "id"
    parts = {f.name: f.part for f in schema.fields}
    assert parts["price"] == parts["sale_price"] == "price"
    assert parts["availability"] == "quantity"
    assert {f"custom_label_{n}" for n in range(5)} <= set(parts)
    if channel == "facebook":
        assert parts["quantity_to_sell_on_facebook"] == "quantity"


def test_issue_limits() -> None:
    google, meta = channel_schema("google"), channel_schema("facebook")
    limits = {(s.channel, f.name): f.max_length for s in (google, meta) for f in s.fields}
    assert limits[("google", "id")] == 50
    assert limits[("google", "title")] == 150
    assert limits[("google", "description")] == 5000
    assert limits[("facebook", "title")] == 200
    assert limits[("facebook", "description")] == 9999
    assert google.get("additional_image_link").max_items == 10  # type: ignore[union-attr]
