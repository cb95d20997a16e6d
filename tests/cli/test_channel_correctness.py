"""Issue #17 point 9: channel correctness, seen through the commands a merchant runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from feedsync.adapters.facebook.render import FieldError, check_price

from tests.cli.conftest import append_config, one_json, run

AMAZON = '''
[channels.amazon]
enabled = true
delivery = "api"
seller_id = "A1SELLERID"
marketplace_ids = ["ATVPDKIKX0DER"]
'''


def test_drafts_and_archived_products_never_reach_a_channel_by_default(example: Path) -> None:
    # The default Amazon mapping has no [filters]: "active only" is the engine's default.
    append_config(example, AMAZON)
    assert "[filters]" not in (example / "mappings" / "amazon.toml").read_text()
    for sku, status in (("LANTERN-SOL", "draft"), ("THERMOS-500", "archived")):
        data = one_json(run(example, "--json", "preview", "amazon", sku))
        assert data["included"] is False and data["sendable"] is False
        assert data["exclusion"] == (
            f"filtered out: status '{status}' is not 'active' (the default; a [filters] set "
            "with a status key decides instead)")
    plan = one_json(run(example, "--json", "plan", "amazon"))
    created = {c["sku"] for c in plan["channels"][0]["changes"]}
    assert "LANTERN-SOL" not in created and "THERMOS-500" not in created


def test_a_mapping_that_names_a_status_decides_itself(example: Path) -> None:
    mapping = example / "mappings" / "amazon.toml"
    mapping.write_text(mapping.read_text() + '\n[filters]\ninclude = [{ status = ["active", '
                       '"draft"] }]\n')
    append_config(example, AMAZON)
    data = one_json(run(example, "--json", "preview", "amazon", "LANTERN-SOL"))
    assert data["included"] is True


def test_google_apparel_without_its_attributes_is_reported_by_validate(example: Path) -> None:
    with sqlite3.connect(example / "feedsync.db") as db:
        db.execute("UPDATE products SET gender = NULL, color = NULL WHERE sku = 'BEANIE-WL'")
    result = run(example, "validate", "google")
    assert result.exit_code == 0, "reported, not left out: it depends on the target country"
    lines = result.stdout.splitlines()
    at = lines.index("BEANIE-WL (sent)")
    category = "'Apparel & Accessories > Clothing Accessories > Hats'"
    for offset, name in ((1, "gender"), (2, "color")):
        assert lines[at + offset].startswith(
            f"  warning {name}: {name} is required by google for apparel sold in Brazil, France,"
            f" Germany, Japan, the UK or the US (google_product_category is {category}) and "
            "has no value (missing_required)")
    data = one_json(run(example, "--json", "validate", "google"))
    assert data["channels"][0]["summary"]["issues_by_code"] == {"warning:missing_required": 2}


@pytest.mark.parametrize(("category", "apparel", "sized"), [
    ("Apparel & Accessories > Clothing > Shirts & Tops", True, True),
    ("Apparel & Accessories > Shoes", True, True),
    ("Apparel & Accessories > Clothing Accessories > Hats", True, False),
    ("1604", True, True), ("166", True, False), ("Home & Garden > Kitchen", False, False)])
def test_which_google_categories_are_apparel(category: str, apparel: bool,
                                             sized: bool) -> None:
    from feedsync.adapters.google.schema import SCHEMA

    from feedsync.mapping.validate import SchemaValidator

    issues = SchemaValidator(SCHEMA).presence("X", {"google_product_category": category}, {})
    missing = {i.field for i in issues if i.code == "missing_required"}
    assert ({"gender", "age_group", "color"} <= missing) is apparel
    assert ("size" in missing) is sized


def test_the_sample_catalog_passes_google_for_apparel(example: Path) -> None:
    data = one_json(run(example, "--json", "validate", "google"))
    assert data["channels"][0]["summary"]["with_warnings"] == 0


@pytest.mark.parametrize("price", ["1e3 USD", "12.5 USD", "12.500 USD", "10.50 JPY",
                                   "-1.00 USD", "١٢.٠٠ USD"])
def test_meta_prices_are_checked_strictly(price: str) -> None:
    with pytest.raises(FieldError, match=r"is not"):
        check_price("price", price)


@pytest.mark.parametrize("price", ["12.99 USD", "12 USD", "1000 JPY", "1.250 KWD"])
def test_meta_prices_in_the_currency_decimals_pass(price: str) -> None:
    assert check_price("price", price) == price


@pytest.mark.parametrize(("price", "ok"), [("12.99 USD", True), ("1.250 KWD", True),
                                         ("12 USD", True), ("12.5 USD", False),
                                         ("1e3 USD", False)])
def test_meta_feed_prices_are_validated_strictly(price: str, ok: bool) -> None:
    # The feed path: the channel schema's price rule, as `feedsync validate facebook` applies it.
    from feedsync.adapters.facebook.schema import SCHEMA

    from feedsync.mapping.validate import SchemaValidator

    issues = SchemaValidator(SCHEMA).validate("SKU-1", {"price": price}, {})
    assert ("invalid_format" not in {i.code for i in issues if i.field == "price"}) is ok


def test_amazon_parents_come_before_their_children(example: Path, specs_dir: Path) -> None:
    # The review file `feed build amazon` writes is what the sync sends: each family's parent
    # listing right before its first child; validated against Amazon's listings feed schema.
    import json

    from jsonschema import Draft7Validator

    append_config(example, AMAZON)
    result = run(example, "feed", "build", "amazon")
    assert result.exit_code == 0, result.output
    # 58 active products less the 6 without a GTIN (held: Amazon refuses them, 90220)
    assert ": 52 items;" in result.stdout, "parents are messages, not items"
    document = json.loads((example / "out" / "amazon.json").read_text())
    schema = json.loads((specs_dir / "amazon" / "listings-feed-schema-v2.json").read_text())
    assert not list(Draft7Validator(schema).iter_errors(document))
    messages = document["messages"]
    position = {m["sku"]: n for n, m in enumerate(messages)}
    parents = [m for m in messages if m.get("requirements") == "LISTING_PRODUCT_ONLY"]
    # the 5 families but TOTE-CNV, whose two totes have no GTIN (held, so no parent either)
    assert sorted(p["sku"] for p in parents) == ["HOOD-MER", "PILLOW-LIN", "SHOE-TRL",
                                                 "TEE-ORG"]
    for parent in parents:
        attrs = parent["attributes"]
        assert attrs["parentage_level"][0]["value"] == "parent"
        assert attrs["variation_theme"][0]["name"]
        assert "purchasable_offer" not in attrs
        children = [m for m in messages if any(
            r.get("parent_sku") == parent["sku"]
            for r in m.get("attributes", {}).get("child_parent_sku_relationship", []))]
        assert children and all(position[parent["sku"]] < position[c["sku"]] for c in children)
    assert [m["messageId"] for m in messages] == list(range(1, len(messages) + 1))
