"""`feedsync feed build amazon` and `feedsync validate amazon --remote SKU…` end to end."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from amazon_fixtures import BASE, MARKETPLACE, SELLER, add_token, example
from amazon_swagger import body_validator, check_query
from click.testing import CliRunner

from feedsync.catalog import open_catalog
from feedsync.cli.main import cli
from feedsync.models import InventoryLevel
from tests.conftest import make_product

AMAZON_SECTION = f"""
[channels.amazon]
enabled = true
delivery = "api"
seller_id = "{SELLER}"
marketplace_ids = ["{MARKETPLACE}"]
"""


@pytest.fixture
def amazon_ws(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with (workspace / "feedsync.toml").open("a") as handle:
        handle.write(AMAZON_SECTION)
    catalog = open_catalog(workspace / "feedsync.db")
    catalog.upsert_products([make_product("TEE-1"), make_product("TEE-2", gtin=None),
                             make_product("MUG-1", category="Kitchen")])
    catalog.set_inventory([InventoryLevel("TEE-1", "main", 5), InventoryLevel("TEE-2", "main", 2)])
    catalog.db.close()
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_ID", "amzn1.application-oa2-client.abc")
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_SECRET", "client-secret-value-123")
    monkeypatch.setenv("FEEDSYNC_AMAZON__REFRESH_TOKEN", "Atzr|refresh-token-value-456")
    return workspace


def test_feed_build_writes_the_document_that_would_be_sent(amazon_ws: Path, runner: CliRunner,
                                                           feed_validator) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["-w", str(amazon_ws), "feed", "build", "amazon"])
    assert result.exit_code == 0, result.output
    document = json.loads((amazon_ws / "out" / "amazon.json").read_text())
    assert not list(feed_validator.iter_errors(document))
    assert document["header"] == {"sellerId": SELLER, "version": "2.0"}
    # TEE-2 has no GTIN: held locally (Amazon would refuse it with 90220)
    assert [m["sku"] for m in document["messages"]] == ["MUG-1", "TEE-1"]
    tee = document["messages"][1]
    assert tee["operationType"] == "UPDATE" and tee["productType"] == "SHIRT"
    assert tee["attributes"]["fulfillment_availability"][0]["quantity"] == 5
    assert tee["attributes"]["item_name"][0]["marketplace_id"] == MARKETPLACE
    # a second build of the same catalog is byte-identical and counted by the format
    from feedsync.adapters.amazon.feed import FEED_FORMATS

    with (amazon_ws / "out" / "amazon.json").open("rb") as handle:
        assert FEED_FORMATS["json"].count_items(handle) == 2


@responses.activate
def test_validate_remote_shows_amazons_own_issues(amazon_ws: Path, runner: CliRunner,
                                                  amazon_specs, swagger) -> None:  # type: ignore[no-untyped-def]
    model = swagger("listingsItems_2021-08-01.json")
    add_token(responses.mock)
    valid = example(amazon_specs, "listingsItems.putListingsItem.200.sandbox-static-1.json")
    invalid = example(amazon_specs, "listingsItems.putListingsItem.200.sandbox-static-2.json")
    responses.add(responses.PUT, f"{BASE}/listings/2021-08-01/items/{SELLER}/TEE-1",
                  json=dict(valid, sku="TEE-1"))
    responses.add(responses.PUT, f"{BASE}/listings/2021-08-01/items/{SELLER}/MUG-1",
                  json=dict(invalid, sku="MUG-1"))
    result = runner.invoke(cli, ["-w", str(amazon_ws), "validate", "amazon", "--remote",
                                 "TEE-1", "MUG-1"])
    assert result.exit_code == 6, result.output
    assert "TEE-1: Amazon says VALID · ASIN B07N4M94X4" in result.output
    assert "MUG-1: Amazon says INVALID" in result.output
    assert "condition_type: 'condition_type' is required but not supplied. (90220)" in result.output
    puts = [c for c in responses.calls if c.request.method == "PUT"]
    assert len(puts) == 2
    for call in puts:
        query = check_query(model, "putListingsItem", call.request.url)
        assert query["mode"] == "VALIDATION_PREVIEW"
        assert query["marketplaceIds"] == MARKETPLACE
        body = json.loads(call.request.body)
        assert not list(body_validator(model, "ListingsItemPutRequest").iter_errors(body))
        assert body["requirements"] == "LISTING"

    responses.calls.reset()
    result = runner.invoke(cli, ["-w", str(amazon_ws), "--json", "validate", "amazon",
                                 "--remote", "TEE-1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["skus"][0]["asin"] == "B07N4M94X4"


def test_validate_remote_names_unknown_skus(amazon_ws: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["-w", str(amazon_ws), "validate", "amazon", "--remote", "NOPE"])
    assert result.exit_code == 2
    assert "NOPE" in result.output


def test_sku_is_percent_encoded_in_listing_paths() -> None:
    from feedsync.adapters.amazon.client import sku_path

    path = sku_path(SELLER, "A/B C#1")
    assert path.endswith("/A%2FB%20C%231")
    assert parse_qs(urlsplit(path).query) == {}
