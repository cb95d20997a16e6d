"""Rendering records into Etsy request bodies, each validated against Etsy's OpenAPI schema."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from etsy_oracle import EtsyOracle
from feedsync.adapters.etsy import render
from feedsync.adapters.etsy.config import EtsyConfig
from feedsync.adapters.etsy.render import InventoryChange, Variant

from feedsync.errors import RenderError

CONFIG = EtsyConfig(shop_id=123, taxonomy_id=449, shipping_profile_id=77,
                    return_policy_id=88, who_made="i_did", when_made="2020_2025")

RED_M = {"sku": "TEE-R-M", "listing_key": "TEE", "title": "Soft & warm tee",
         "description": "Organic cotton.", "tags": ["cotton tee", "gift idea"],
         "materials": ["cotton", "linen"], "color": "Red", "size": "M", "price": "19.50",
         "currency": "USD", "quantity": "3", "item_weight": "200", "item_weight_unit": "g"}
BLUE_M = {**RED_M, "sku": "TEE-B-M", "color": "Blue", "price": "19.50", "quantity": "0"}
RED_L = {**RED_M, "sku": "TEE-R-L", "size": "L", "price": "21.00", "quantity": "5"}


def variants(*records: dict) -> list[Variant]:
    return [render.variant(r["sku"], r, CONFIG) for r in records]


def test_draft_form_is_valid_create_draft_listing(oracle: EtsyOracle) -> None:
    form = render.draft_form(RED_M, variants(RED_M, BLUE_M, RED_L), CONFIG, "TEE-R-M")
    body = oracle.check_form("createDraftListing", urlencode(form))
    assert body["quantity"] == 8 and body["price"] == 19.5
    assert body["tags"] == ["cotton tee", "gift idea"]
    assert body["materials"] == ["cotton", "linen"]
    assert body["taxonomy_id"] == 449 and body["shipping_profile_id"] == 77
    assert body["who_made"] == "i_did" and body["when_made"] == "2020_2025"
    assert body["is_supply"] is False
    assert body["item_weight"] == 200 and body["item_weight_unit"] == "g"


def test_draft_quantity_is_never_zero(oracle: EtsyOracle) -> None:
    form = render.draft_form(BLUE_M, variants(BLUE_M), CONFIG, "TEE-B-M")
    assert oracle.check_form("createDraftListing", urlencode(form))["quantity"] == 1


def test_update_and_state_forms_are_valid_update_listing(oracle: EtsyOracle) -> None:
    body = oracle.check_form("updateListing", urlencode(render.update_form(RED_M, CONFIG, "x")))
    assert "state" not in body and body["title"] == "Soft & warm tee"
    assert oracle.check_form("updateListing", urlencode(render.state_form("active"))) == {
        "state": "active"}
    assert oracle.check_form("updateListing", urlencode(render.state_form("inactive"))) == {
        "state": "inactive"}
    with pytest.raises(ValueError):
        render.state_form("draft")


def test_record_values_win_over_channel_defaults(oracle: EtsyOracle) -> None:
    record = {**RED_M, "who_made": "someone_else", "when_made": "1990s", "taxonomy_id": "1"}
    body = oracle.check_form("updateListing", urlencode(render.update_form(record, CONFIG, "x")))
    assert (body["who_made"], body["when_made"], body["taxonomy_id"]) == (
        "someone_else", "1990s", 1)


@pytest.mark.parametrize("title, reason", [
    ("A & B & C & D & E", "'&' 4 times"),
    ("Tee 😀", "'😀'"),
    ("x" * 141, "longer than 140"),
])
def test_titles_etsy_refuses_are_render_errors(title: str, reason: str) -> None:
    with pytest.raises(RenderError, match="title") as caught:
        render.update_form({**RED_M, "title": title}, CONFIG, "TEE-R-M")
    assert reason in caught.value.message and caught.value.sku == "TEE-R-M"


def test_missing_taxonomy_and_shipping_profile_are_named() -> None:
    bare = EtsyConfig(shop_id=1)
    with pytest.raises(RenderError, match="taxonomy_id"):
        render.update_form(RED_M, bare, "TEE-R-M")
    with pytest.raises(RenderError, match="shipping_profile_id"):
        render.draft_form(RED_M, variants(RED_M), bare.model_copy(update={"taxonomy_id": 1}),
                          "TEE-R-M")


def test_inventory_of_a_new_family(oracle: EtsyOracle) -> None:
    products = render.merge_inventory(None, InventoryChange(
        upserts=tuple(variants(RED_M, BLUE_M, RED_L))))
    body = render.inventory_body(products)
    oracle.check_json_body("updateListingInventory", body)
    assert sorted(p["sku"] for p in body["products"]) == ["TEE-B-M", "TEE-R-L", "TEE-R-M"]
    red_m = next(p for p in body["products"] if p["sku"] == "TEE-R-M")
    assert red_m["property_values"] == [
        {"property_id": 513, "property_name": "Color", "value_ids": [], "values": ["Red"]},
        {"property_id": 514, "property_name": "Size", "value_ids": [], "values": ["M"]}]
    assert red_m["offerings"] == [{"price": 19.5, "quantity": 3, "is_enabled": True}]
    blue = next(p for p in body["products"] if p["sku"] == "TEE-B-M")
    assert blue["offerings"][0] == {"price": 19.5, "quantity": 0, "is_enabled": False}
    # Prices differ by size only (19.50 for M, 21.00 for L); quantities and SKUs need both.
    assert body["price_on_property"] == [514]
    assert body["quantity_on_property"] == [513, 514]
    assert body["sku_on_property"] == [513, 514]


def test_single_product_listing_has_no_properties(oracle: EtsyOracle) -> None:
    single = {k: v for k, v in RED_M.items() if k not in ("color", "size")}
    body = render.inventory_body(render.merge_inventory(None, InventoryChange(
        upserts=(render.variant("MUG", single, CONFIG),))))
    oracle.check_json_body("updateListingInventory", body)
    assert body["products"][0]["property_values"] == []
    assert body["price_on_property"] == body["quantity_on_property"] == []
    assert body["sku_on_property"] == []


def test_configured_property_ids_replace_custom_ones() -> None:
    config = CONFIG.model_copy(update={"property_ids": {"color": 200}})
    assert render.variant("x", RED_M, config).properties == (
        (200, "Color", "Red"), (513, "Size", "M"))


def test_three_axes_and_parentheses_are_refused() -> None:
    with pytest.raises(RenderError, match="at most 2"):
        render.variant("x", {**RED_M, "pattern": "Striped"}, CONFIG)
    with pytest.raises(RenderError, match="parentheses"):
        render.variant("x", {**RED_M, "size": "M (EU 38)"}, CONFIG)


def test_inventory_body_bytes_are_deterministic() -> None:
    a = render.dumps(render.inventory_body(render.merge_inventory(None, InventoryChange(
        upserts=tuple(variants(RED_M, BLUE_M, RED_L))))))
    b = render.dumps(render.inventory_body(render.merge_inventory(None, InventoryChange(
        upserts=tuple(variants(RED_L, RED_M, BLUE_M))))))
    assert a == b


def test_money_is_exact_and_positive() -> None:
    assert render.money("19.99", sku="x", name="price") == Decimal("19.99")
    with pytest.raises(RenderError, match="positive"):
        render.money("0", sku="x", name="price")
    with pytest.raises(RenderError, match="not a decimal"):
        render.money("abc", sku="x", name="price")
    with pytest.raises(RenderError, match="999"):
        render.quantity({"quantity": "1000"}, "x")


def test_json_float_keeps_the_cents() -> None:
    body = render.dumps({"price": float(Decimal("19.99"))})
    assert json.loads(body) == {"price": 19.99} and b"19.99" in body
