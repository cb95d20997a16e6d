"""Read-back in the sandbox: Amazon searchListingsItems and the Meta catalog's products edge,
driven by `feedsync reconcile` and by raw calls. Every request and answer is checked by the spec
oracle (tests/sandbox/oracle.py) against listingsItems_2021-08-01.json (query parameters, the
ItemSearchResults / ErrorList schemas) and Meta's ProductCatalog.json / ProductItem.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from feedsync.sandbox.amazon.base import (
    CLIENT_ID,
    CLIENT_SECRET,
    MARKETPLACE_ID,
    REFRESH_TOKEN,
    SELLER_ID,
)
from feedsync.sandbox.facebook import CATALOG_ID, SYSTEM_USER_TOKEN
from tests.sandbox.oracle import SpecOracle
from tests.sandbox.support import Demo, demo

META_AUTH = {"Authorization": f"Bearer {SYSTEM_USER_TOKEN}"}


@pytest.fixture
def shop(tmp_path: Path, oracle: SpecOracle) -> Iterator[Demo]:
    """The family and the mug of the sample catalog, pushed to Amazon and Meta."""
    with demo(tmp_path, channels=["amazon", "facebook"], oracle=oracle, small=True) as found:
        result = found.feedsync("sync")
        assert result.exit_code == 0, result.output
        yield found
        found.clean()


def _reconcile(shop: Demo, channel: str) -> dict[str, Any]:
    result = shop.feedsync("--json", "reconcile", channel)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output.strip().splitlines()[-1]))


def _set_quantity(shop: Demo, table: str, key: str, sku: str, quantity: int) -> None:
    # Straight into the sandbox's state, as a sale or a seller edit on the marketplace would.
    with shop.sandbox.app.store.transaction() as db:
        changed = db.execute(f"UPDATE {table} SET quantity = ? WHERE {key} = ?",
                             (quantity, sku)).rowcount
    assert changed == 1


@pytest.mark.parametrize(("channel", "table", "key"), [
    ("amazon", "amazon_listings", "sku"), ("facebook", "facebook_items", "retailer_id")])
def test_reconcile_reads_back_and_finds_exactly_the_changed_quantity(
        shop: Demo, channel: str, table: str, key: str) -> None:
    clean = _reconcile(shop, channel)
    assert clean["compared"] == 9 and clean["drift"] == []
    sku = "MUG-STN-350"
    before = shop.quantities(channel, [sku])[sku]
    _set_quantity(shop, table, key, sku, before + 7)
    drifted = _reconcile(shop, channel)
    assert [(d["sku"], d["kind"]) for d in drifted["drift"]] == [(sku, "quantity")]
    assert int(drifted["drift"][0]["live"]) == before + 7
    assert int(drifted["drift"][0]["expected"]) == before
    used = shop.sandbox.app.call_counts()[channel]
    assert used["searchListingsItems" if channel == "amazon" else "catalog_products"]["200"] >= 2


def _amazon(shop: Demo, **params: str) -> requests.Response:
    base = shop.sandbox.url("amazon")
    token = requests.post(f"{base}/auth/o2/token", timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()["access_token"]
    return requests.get(f"{base}/listings/2021-08-01/items/{SELLER_ID}", timeout=10,
                        headers={"x-amz-access-token": token},
                        params={"marketplaceIds": MARKETPLACE_ID, **params})


def test_search_listings_items_pages_with_next_token_and_filters(shop: Demo) -> None:
    with shop.sandbox.app.store.transaction() as db:
        stored = db.execute("SELECT count(*) FROM amazon_listings").fetchone()[0]
    assert stored == 10  # nine sellable SKUs and the family's parent
    seen, token, pages = [], None, 0
    while True:
        extra = {"pageToken": token} if token else {}
        answer = _amazon(shop, pageSize="4", sortBy="sku", sortOrder="ASC",
                         includedData="summaries,fulfillmentAvailability", **extra)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["numberOfResults"] == stored
        assert (pages > 0) == ("previousToken" in body.get("pagination", {}))
        seen += [item["sku"] for item in body["items"]]
        pages += 1
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            break
    assert pages == 3 and seen == sorted(seen) and len(set(seen)) == stored
    by_sku = _amazon(shop, identifiers="MUG-STN-350,NOPE", identifiersType="SKU",
                     includedData="fulfillmentAvailability").json()
    assert [i["sku"] for i in by_sku["items"]] == ["MUG-STN-350"]
    quantity = by_sku["items"][0]["fulfillmentAvailability"][0]["quantity"]
    assert quantity == shop.quantities("amazon", ["MUG-STN-350"])["MUG-STN-350"]
    asin = _amazon(shop, identifiers=by_sku["items"][0]["sku"], identifiersType="SKU").json()[
        "items"][0]["summaries"][0]["asin"]
    by_asin = _amazon(shop, identifiers=asin, identifiersType="ASIN").json()
    assert [i["sku"] for i in by_asin["items"]] == ["MUG-STN-350"]
    assert _amazon(shop, withIssueSeverity="ERROR").json() == {"numberOfResults": 0, "items": []}
    shop.clean()


def test_search_listings_items_refuses_bad_parameters_as_amazon_does(shop: Demo) -> None:
    # The official example listingsItems.searchListingsItems.400: code BAD_REQUEST.
    bad = [{"pageSize": "21"}, {"identifiers": "MUG-STN-350"},
           {"identifiers": ",".join(f"S{n}" for n in range(21)), "identifiersType": "SKU"},
           {"identifiersType": "COLOUR", "identifiers": "x"},
           {"pageToken": "not-a-token"}, {"marketplaceIds": "A1PA6795UKMFR9"}]
    for params in bad:
        answer = _amazon(shop, **params)
        assert answer.status_code == 400, (params, answer.text)
        [error] = answer.json()["errors"]
        assert error["code"] == "BAD_REQUEST" and error["details"], params
    first = _amazon(shop, pageSize="2").json()
    other = _amazon(shop, pageSize="3", pageToken=first["pagination"]["nextToken"])
    assert other.status_code == 400 and "different search" in other.text
    # the oracle flags the two the official model itself forbids (pageSize maximum 20 — its
    # check_query message is empty — and the identifiersType enum); the rest are refused on
    # their values
    shop.expect_violations("amazon searchListingsItems: ", "identifiersType='COLOUR'")


def _meta(shop: Demo, **params: str) -> requests.Response:
    return requests.get(f"{shop.sandbox.url('facebook')}/v26.0/{CATALOG_ID}/products",
                        params=params, headers=META_AUTH, timeout=10)


def test_meta_products_edge_pages_by_cursor_and_filters(shop: Demo) -> None:
    ids: list[str] = []
    answer = _meta(shop, fields="retailer_id,price,currency,quantity_to_sell_on_facebook",
                   limit="4")
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [item["retailer_id"] for item in body["data"]]
        assert all(item["price"].startswith("$") and item["currency"] == "USD"
                   for item in body["data"])
        if "next" not in body["paging"]:
            break
        assert body["paging"]["next"].startswith(shop.sandbox.url("facebook"))
        answer = requests.get(body["paging"]["next"], headers=META_AUTH, timeout=10)
    assert len(ids) == 9 and ids == sorted(ids)
    only = _meta(shop, fields="retailer_id,name",
                 filter=json.dumps({"retailer_id": {"is_any": ["MUG-STN-350", "NOPE"]}})).json()
    assert [item["retailer_id"] for item in only["data"]] == ["MUG-STN-350"]
    assert set(only["data"][0]) == {"retailer_id", "name"}
    assert set(_meta(shop).json()["data"][0]) == {"id"}  # Graph's default field
    back = _meta(shop, limit="4", before=_meta(shop, limit="4", after=json.loads(
        _meta(shop, limit="4").text)["paging"]["cursors"]["after"]).json()["paging"][
        "cursors"]["before"]).json()
    assert len(back["data"]) == 4 and "previous" not in back["paging"]
    shop.clean()


def test_meta_products_edge_refuses_bad_parameters_with_graph_errors(shop: Demo) -> None:
    for params, fragment in [({"fields": "retailer_id,colour_name"}, "nonexisting field"),
                             ({"filter": "{retailer_id"}, "filter"),
                             ({"filter": json.dumps({"retailer_id": {"like": "M"}})},
                              "unknown operator"),
                             ({"limit": "0"}, "limit")]:
        answer = _meta(shop, **params)
        assert answer.status_code == 400, params
        error = answer.json()["error"]
        assert error["code"] == 100 and fragment in error["message"], (params, error)
    shop.clean()
