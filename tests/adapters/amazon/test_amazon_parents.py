"""Amazon variation families (issue #17 point 9): the parent SKU is sent as its own listing
(parentage_level parent, variation_theme, no offer) before its children, in the same feed.

Every feed is validated against Amazon's listings feed schema and message schema
(specs/amazon/listings-feed-schema-v2.json, listings-feed-message-schema-v2.json)."""

from __future__ import annotations

import json
from typing import Any

from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.parents import fold_outcomes, parents_of_children, with_parents
from feedsync.adapters.amazon.render import RenderContext
from feedsync.adapters.amazon.report import outcomes, parse_report

from feedsync.adapter import ItemStatus

CTX = RenderContext(marketplace_id="ATVPDKIKX0DER", language_tag="en_US")


def child(sku: str, color: str, size: str) -> dict[str, Any]:
    return {"sku": sku, "product_type": "SHIRT", "item_name": f"Organic Tee – {color}, {size}",
            "brand": "Acme", "product_description": "Soft cotton tee.",
            "condition_type": "new_new", "color": color, "size": size,
            "main_image": "https://shop.example.com/img/tee.jpg",
            "parentage_level": "child", "parent_sku": "TEE", "variation_theme": "COLOR/SIZE",
            "currency": "USD", "our_price": "19.99", "quantity": "5"}


def _batch() -> tuple[list[dict[str, Any]], list[str]]:
    mug = {"sku": "MUG-1", "product_type": "DRINKING_CUP", "item_name": "Mug",
           "brand": "Acme", "currency": "USD", "our_price": "9.00", "quantity": "3"}
    records = [mug, child("TEE-BLK-S", "Black", "S"), child("TEE-WHT-M", "White", "M")]
    messages = [render.update_message(r["sku"], r, CTX) for r in records]
    messages.append(render.delete_message("OLD-1"))
    return messages, [*[r["sku"] for r in records], "OLD-1"]


def test_the_parent_goes_first_and_validates(feed_validator, message_validator  # type: ignore[no-untyped-def]
                                             ) -> None:
    messages, skus = _batch()
    out, out_skus = with_parents(messages, skus)
    assert out_skus == ["MUG-1", "TEE", "TEE-BLK-S", "TEE-WHT-M", "OLD-1"]
    document = json.loads(render.feed_bytes("A1SELLER", out, issue_locale="en_US"))
    assert not sorted(feed_validator.iter_errors(document), key=str)
    for message in document["messages"]:
        assert not list(message_validator.iter_errors(message)), message["sku"]
    parent = document["messages"][1]
    assert parent["sku"] == "TEE" and parent["operationType"] == "UPDATE"
    assert parent["productType"] == "SHIRT" and parent["requirements"] == "LISTING_PRODUCT_ONLY"
    attrs = parent["attributes"]
    assert attrs["parentage_level"] == [{"value": "parent", "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["variation_theme"] == [{"name": "COLOR/SIZE",
                                         "marketplace_id": "ATVPDKIKX0DER"}]
    assert attrs["item_name"][0]["value"] == "Organic Tee"
    for absent in ("purchasable_offer", "fulfillment_availability",
                   "child_parent_sku_relationship"):
        assert absent not in attrs, "a parent is not for sale and has no parent"
    assert parents_of_children(out, out_skus) == {"TEE-BLK-S": "TEE", "TEE-WHT-M": "TEE"}


def test_no_parent_without_a_child_update() -> None:
    patch = render.price_quantity_message("TEE-BLK-S", child("TEE-BLK-S", "Black", "S"), CTX,
                                          {"price"})
    out, out_skus = with_parents([patch], ["TEE-BLK-S"])
    assert out_skus == ["TEE-BLK-S"] and out == [patch]


def test_a_parent_error_rejects_its_children_and_positions_stay_right() -> None:
    messages, skus = _batch()
    out, out_skus = with_parents(messages, skus)
    # Shaped like listings-feed-processing-report-schema-v2.example.json.
    report = parse_report(json.dumps({
        "header": {"sellerId": "A1SELLER", "version": "2.0", "feedId": "1"},
        "issues": [{"messageId": 2, "sku": "TEE", "code": "90220", "severity": "ERROR",
                    "message": "'department' is required but not supplied.",
                    "attributeNames": ["department"]},
                   {"messageId": 5, "sku": "OLD-1", "code": "1", "severity": "WARNING",
                    "message": "already gone"}],
        "summary": {"errors": 1, "warnings": 1, "messagesProcessed": 5,
                    "messagesAccepted": 4, "messagesInvalid": 1}}).encode())
    results = fold_outcomes(outcomes(report, out_skus, {"OLD-1"}), skus,
                            parents_of_children(out, out_skus))
    by_sku = {o.sku: o for o in results}
    assert list(by_sku) == skus, "only the batch's own SKUs get outcomes"
    assert by_sku["MUG-1"].status is ItemStatus.ACCEPTED
    for sku in ("TEE-BLK-S", "TEE-WHT-M"):
        assert by_sku[sku].status is ItemStatus.REJECTED
        assert by_sku[sku].issues[0].message == (
            "parent TEE: 'department' is required but not supplied.")
    assert by_sku["OLD-1"].status is ItemStatus.DELETED


def test_a_single_child_names_its_family_without_its_variation_values() -> None:
    from feedsync.adapters.amazon.parents import parent_message

    message = render.update_message("TEE-BLK-S", child("TEE-BLK-S", "Black", "S"), CTX)
    assert parent_message("TEE", [message])["attributes"]["item_name"][0]["value"] == (
        "Organic Tee")
