"""The hand-written response fixtures are held to eBay's response schemas (strict: no unknown
fields), so parsers are tested against the contract's shapes, not their author's beliefs."""

from __future__ import annotations

import pytest
from ebay_oas import assert_valid, fixture, response_validator, schema_validator

CASES = [
    ("bulk_inventory_item_207.json", "inventory", "bulkCreateOrReplaceInventoryItem"),
    ("bulk_offer_207.json", "inventory", "bulkCreateOffer"),
    ("bulk_publish_207.json", "inventory", "bulkPublishOffer"),
    ("bulk_price_quantity_207.json", "inventory", "bulkUpdatePriceQuantity"),
    ("bulk_get_inventory_item.json", "inventory", "bulkGetInventoryItem"),
    ("get_offers.json", "inventory", "getOffers"),
    ("get_orders_page.json", "fulfillment", "getOrders"),
    ("shipping_fulfillments.json", "fulfillment", "getShippingFulfillments"),
]


@pytest.mark.parametrize(("name", "api", "operation_id"), CASES)
def test_fixture_matches_the_response_schema(ebay_specs, name, api, operation_id) -> None:
    assert_valid(response_validator(api, operation_id), fixture(name))


def test_the_strict_oracle_catches_a_misspelt_field(ebay_specs) -> None:
    body = fixture("bulk_offer_207.json")
    body["responses"][0]["offerID"] = "x"
    errors = list(response_validator("inventory", "bulkCreateOffer").iter_errors(body))
    assert errors and "offerID" in errors[0].message


def test_error_entries_are_ebay_error_objects(ebay_specs) -> None:
    validator = schema_validator("inventory", "Error")
    for name, _api, _op in CASES[:4]:
        for entry in fixture(name)["responses"]:
            for error in entry.get("errors", []) + entry.get("warnings", []):
                assert_valid(validator, error)
