"""Amazon variation families (issue #17 point 9): the parent SKU is sent as its own listing
(parentage_level parent, variation_theme, no offer) before its children, in the same feed.

Every feed is validated against Amazon's listings feed schema and message schema
(specs/amazon/listings-feed-schema-v2.json, listings-feed-message-schema-v2.json)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import test_amazon_contract as contract
from amazon_double import SellingPartnerDouble
from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.families import catalog_family_names, family_name, word_prefix
from feedsync.adapters.amazon.parents import fold_outcomes, parents_of_children, with_parents
from feedsync.adapters.amazon.render import RenderContext
from feedsync.adapters.amazon.report import outcomes, parse_report

from feedsync.adapter import ItemStatus
from feedsync.catalog import Catalog, open_catalog
from feedsync.mapping.record import MappedRecord
from feedsync.models import Product
from feedsync.sync.runs import Outcome

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


# --- the parent's title: whole words the whole catalog family shares (reviewer finding 3) ----

def mug(sku: str, name: str) -> dict[str, Any]:
    """A child whose item_name carries its colour although no colour attribute is mapped."""
    return {"sku": sku, "product_type": "DRINKING_CUP", "item_name": name, "brand": "Acme",
            "condition_type": "new_new", "parentage_level": "child", "parent_sku": "MUG",
            "variation_theme": "COLOR", "currency": "USD", "our_price": "12.00",
            "quantity": "4"}


MUG_FAMILY = {"MUG-RED": "Ceramic Mug Red", "MUG-ROSE": "Ceramic Mug Rose",
              "MUG-BLUE": "Ceramic Mug <b>Blue</b>"}  # a store title with markup


def _catalog(tmp_path: Path, titles: dict[str, str], group: str = "MUG") -> Catalog:
    catalog = open_catalog(tmp_path / "catalog.db")
    catalog.upsert_products(Product(sku=sku, title=title, price=Decimal("12.00"),
                                    currency="USD", item_group_id=group)
                            for sku, title in titles.items())
    return catalog


def _parent_name(skus: list[str], catalog: Catalog | None, feed_validator: Any,
                 message_validator: Any, names: dict[str, str] | None = None) -> str:
    names = names or MUG_FAMILY
    messages = [render.update_message(s, mug(s, names[s]), CTX) for s in skus]
    out, out_skus = with_parents(messages, skus, catalog.db if catalog else None)
    assert out_skus == ["MUG", *skus]
    document = json.loads(render.feed_bytes("A1SELLER", out, issue_locale="en_US"))
    assert not sorted(feed_validator.iter_errors(document), key=str)
    for message in document["messages"]:
        assert not list(message_validator.iter_errors(message)), message["sku"]
    return str(document["messages"][0]["attributes"]["item_name"][0]["value"])


@pytest.mark.parametrize("batch", [["MUG-RED", "MUG-ROSE"], ["MUG-RED"], ["MUG-ROSE"],
                                   ["MUG-BLUE", "MUG-ROSE", "MUG-RED"]])
def test_the_parent_title_is_the_familys_shared_words_whatever_the_batch(
        tmp_path: Path, batch: list[str], feed_validator: Any, message_validator: Any) -> None:
    catalog = _catalog(tmp_path, MUG_FAMILY)
    names = {**MUG_FAMILY, "MUG-BLUE": "Ceramic Mug Blue"}  # as the mapping's strip_html makes it
    assert _parent_name(batch, catalog, feed_validator, message_validator, names) == (
        "Ceramic Mug")


def test_without_the_catalog_the_batch_is_cut_on_word_boundaries(
        feed_validator: Any, message_validator: Any) -> None:
    assert _parent_name(["MUG-RED", "MUG-ROSE"], None, feed_validator,
                        message_validator) == "Ceramic Mug"  # not "Ceramic Mug R"


def test_a_mapping_that_names_items_otherwise_keeps_the_batchs_words(
        tmp_path: Path, feed_validator: Any, message_validator: Any) -> None:
    catalog = _catalog(tmp_path, MUG_FAMILY)
    branded = {"MUG-RED": "Acme Ceramic Mug Red", "MUG-ROSE": "Acme Ceramic Mug Rose"}
    assert _parent_name(["MUG-RED", "MUG-ROSE"], catalog, feed_validator, message_validator,
                        branded) == "Acme Ceramic Mug"


def test_shared_words_end_before_separators() -> None:
    assert word_prefix(["Organic Tee – Black", "Organic Tee, White"]) == "Organic Tee"
    assert word_prefix(["Mug - Red", "Mug - Blue"]) == "Mug"
    assert word_prefix(["Desk Lamp", "desk lamp XL"]) == "Desk Lamp"
    assert word_prefix(["Red Mug", "Blue Mug"]) == ""
    assert family_name(["Red Mug", "Blue Mug"]) == "Red Mug"  # nothing shared: the first


def test_a_family_of_one_catalog_sku_is_named_without_its_variation_values(
        tmp_path: Path) -> None:
    catalog = open_catalog(tmp_path / "catalog.db")
    catalog.upsert_products([Product(sku="TEE-BLK-S", title="Organic Tee – Black, S",
                                     price=Decimal("19.99"), currency="USD",
                                     item_group_id="TEE", color="Black", size="S")])
    assert catalog_family_names(catalog.db, ["TEE", "NONE"]) == {"TEE": "Organic Tee"}


class _Harness(contract.TestAmazonContract):
    """The Amazon contract harness with a mug family (not collected: no Test prefix)."""

    def __init__(self, skus: list[str]) -> None:
        self.skus = skus

    def sample_records(self) -> list[MappedRecord]:
        return [MappedRecord(sku=s, channel="amazon", fields=mug(s, MUG_FAMILY[s]))
                for s in self.skus]


def test_the_sync_names_the_parent_from_the_workspace_catalog(
        tmp_path: Path, feed_validator: Any) -> None:
    """Through the real sync engine: a push carrying one child of a three-SKU family sends
    the parent titled with the family's shared words, read from the workspace's catalog."""
    with SellingPartnerDouble(schemas={"uploadFeedDocument": feed_validator}) as double:
        env = _Harness(["MUG-ROSE"]).make_env(tmp_path, double)
        env.catalog.upsert_products(
            Product(sku=sku, title=title, price=Decimal("12.00"), currency="USD",
                    item_group_id="MUG") for sku, title in MUG_FAMILY.items())
        result = env.push()
        assert result.outcome is Outcome.OK, result.message
        [document] = double.uploaded
    assert not list(feed_validator.iter_errors(document))
    parent = document["messages"][0]
    assert parent["sku"] == "MUG"
    assert parent["attributes"]["item_name"][0]["value"] == "Ceramic Mug"
