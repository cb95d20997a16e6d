"""Issue #17 point 8: the default mappings pass on the example catalog."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import append_config, one_json, run

AMAZON = '''
[channels.amazon]
enabled = true
delivery = "api"
seller_id = "A1SELLERID"
marketplace_ids = ["ATVPDKIKX0DER"]
'''


def test_amazon_routes_the_example_categories_to_real_product_types(example: Path) -> None:
    append_config(example, AMAZON)
    data = one_json(run(example, "--json", "validate", "amazon"))
    summary = data["channels"][0]["summary"]
    # the only errors: the 6 products without a GTIN, which Amazon refuses (90220)
    assert summary["with_warnings"] == 0, data
    assert summary["issues_by_code"] == {"error:missing_required": 6}, data
    assert summary["with_errors"] == 6 and summary["sendable"] == 52
    types = {sku: one_json(run(example, "--json", "preview", "amazon", sku))["fields"]
             ["product_type"] for sku in ("TEE-ORG-BLK-S", "BAG-DWN-20F", "PEN-FTN-M",
                                          "SOAP-OAT")}
    assert types == {"TEE-ORG-BLK-S": "SHIRT", "BAG-DWN-20F": "SLEEPING_BAG",
                     "PEN-FTN-M": "WRITING_INSTRUMENT", "SOAP-OAT": "SKIN_CLEANING_AGENT"}


def test_list_items_stay_apart_in_descriptions(example: Path) -> None:
    assert run(example, "feed", "build", "facebook").exit_code == 0
    feed = (example / "out" / "facebook.csv").read_text()
    assert "Brand: Ridgeline. Ships in recyclable packaging" in feed
    assert "Ridgeline Ships" not in feed
