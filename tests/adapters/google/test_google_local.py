"""Google local inventory: the feed file and ``localInventories.insert`` / ``delete`` (issue #18).

Request bodies are validated against ``LocalInventory`` in the official discovery document
``merchantapi.inventories_v1.json`` (specs/google/discovery); the HTTP exchange is answered by
``responses``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import responses
from feedsync.adapters.google.local import local_inventory_body, push_local_inventory
from google_oracle import errors, validator
from google_support import token_response

from feedsync.catalog import open_catalog
from feedsync.local_inventory import LocalRecord, local_records, write_local_feed
from feedsync.models import InventoryLevel, ProductStatus
from tests.conftest import make_product

INVENTORIES = "https://merchantapi.googleapis.com/inventories/v1/accounts/123/products"
STORES = {"berlin": "BER-01", "hamburg": "HAM 02"}


def _segment(sku: str) -> str:
    return base64.urlsafe_b64encode(f"en~US~{sku}".encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def local_validator(specs_dir: Path):
    path = specs_dir / "google" / "discovery" / "merchantapi.inventories_v1.json"
    return validator(json.loads(path.read_text(encoding="utf-8")), "LocalInventory")


@pytest.fixture
def make_adapter(tmp_path: Path, service_account: Path, clock: Any, catalog: Any):
    """The Google adapter on the catalog's own database connection, as the CLI opens it."""
    from feedsync.adapters.google.adapter import GoogleAdapter, GoogleConfig
    from pydantic import SecretStr

    from feedsync.adapter import AdapterContext
    from feedsync.config import Settings, Workspace

    def build() -> GoogleAdapter:
        config = GoogleConfig.model_validate({
            "enabled": True, "delivery": "api", "merchant_id": "123", "data_source": "456",
            "content_language": "en", "feed_label": "US"})
        context = AdapterContext(
            workspace=Workspace(root=tmp_path, settings=Settings()), settings=config,
            secrets={"service_account_file": SecretStr(str(service_account))},
            db=catalog.db, clock=clock)
        return GoogleAdapter(context)

    return build


@pytest.fixture
def catalog(tmp_path: Path):
    catalog = open_catalog(tmp_path / "feedsync.db")
    catalog.upsert_products([make_product("MUG"), make_product("CAP"),
                             make_product("OLD", status=ProductStatus.ARCHIVED)])
    catalog.set_inventory([
        InventoryLevel("MUG", "berlin", 4), InventoryLevel("MUG", "hamburg", 0),
        InventoryLevel("CAP", "berlin", 2), InventoryLevel("CAP", "warehouse", 50),
        InventoryLevel("OLD", "berlin", 9),
    ])
    yield catalog
    catalog.db.close()


def test_records_follow_the_store_map_and_skip_inactive_products(catalog):
    records = list(local_records(catalog.db, STORES))
    assert records == [
        LocalRecord("CAP", "BER-01", 2, "in_stock"),
        LocalRecord("MUG", "BER-01", 4, "in_stock"),
        LocalRecord("MUG", "HAM 02", 0, "out_of_stock"),
    ]


def test_feed_file_is_googles_tsv_and_reports_unmapped_locations(catalog, tmp_path):
    target = tmp_path / "out" / "google-local.tsv"
    summary = write_local_feed(catalog.db, {**STORES, "munich": "MUC-03"}, target)
    assert target.read_text().splitlines() == [
        "store_code\tid\tquantity\tavailability",
        "BER-01\tCAP\t2\tin_stock",
        "BER-01\tMUG\t4\tin_stock",
        "HAM 02\tMUG\t0\tout_of_stock",
    ]
    assert summary.records == 3 and summary.stores == {"BER-01", "HAM 02"}
    assert summary.unmapped_locations == ["warehouse"]  # stock, but no store code: not sent
    assert summary.missing_locations == ["munich"]  # a store code without stock rows


def test_every_body_is_a_valid_local_inventory(local_validator):
    for record in (LocalRecord("MUG", "BER-01", 4, "in_stock"),
                   LocalRecord("MUG", "HAM 02", 0, "out_of_stock"),
                   LocalRecord("TEE", "BER-01", None, "in_stock")):
        body = local_inventory_body(record)
        assert errors(local_validator, body) == [], body
    assert local_inventory_body(LocalRecord("TEE", "BER-01", None, "in_stock")) == {
        "storeCode": "BER-01", "localInventoryAttributes": {"availability": "IN_STOCK"}}


def _insert_url(sku: str) -> str:
    return f"{INVENTORIES}/{_segment(sku)}/localInventories:insert"


def test_push_sends_changes_only_and_removes_stale_records(catalog, make_adapter, mocked,
                                                           local_validator):
    adapter = make_adapter()
    token_response(mocked)
    bodies: list[dict[str, Any]] = []

    def accept(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        bodies.append(body)
        assert errors(local_validator, body) == []
        return 200, {}, json.dumps(body)

    for sku in ("MUG", "CAP"):
        mocked.add_callback(responses.POST, _insert_url(sku), callback=accept)
    first = push_local_inventory(adapter, catalog.db, STORES)
    assert (first.sent, first.unchanged, first.failed, first.stopped) == (3, 0, [], None)
    assert {b["storeCode"] for b in bodies} == {"BER-01", "HAM 02"}

    again = push_local_inventory(adapter, catalog.db, STORES)
    assert (again.sent, again.unchanged) == (0, 3)

    catalog.set_inventory([InventoryLevel("MUG", "berlin", 1)])
    catalog.db.execute("DELETE FROM inventory WHERE sku = 'CAP'")
    catalog.db.conn.commit()
    delete_url = f"{INVENTORIES}/{_segment('CAP')}/localInventories/BER-01"
    mocked.add(responses.DELETE, delete_url, status=404)  # already gone is fine
    third = push_local_inventory(adapter, catalog.db, STORES)
    assert (third.sent, third.unchanged, third.deleted) == (1, 1, 1)
    assert bodies[-1] == {"storeCode": "BER-01",
                          "localInventoryAttributes": {"availability": "IN_STOCK",
                                                       "quantity": "1"}}


def test_one_refused_record_does_not_stop_the_others(catalog, make_adapter, mocked):
    adapter = make_adapter()
    token_response(mocked)
    refusal = {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                         "message": "Product not found"}}
    mocked.add(responses.POST, _insert_url("CAP"), status=400, json=refusal)
    mocked.add(responses.POST, _insert_url("MUG"), json={})
    result = push_local_inventory(adapter, catalog.db, STORES)
    assert result.sent == 2 and result.stopped is None
    assert [(f["sku"], f["store_code"]) for f in result.failed] == [("CAP", "BER-01")]
    # the refused record was not remembered: the next push tries it again
    retry = push_local_inventory(adapter, catalog.db, STORES, dry_run=True)
    assert (retry.sent, retry.unchanged) == (1, 2)


def test_a_channel_level_failure_stops_and_keeps_the_rest(catalog, make_adapter, mocked):
    adapter = make_adapter()
    token_response(mocked)
    mocked.add(responses.POST, _insert_url("CAP"), status=403,
               json={"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}})
    result = push_local_inventory(adapter, catalog.db, STORES)
    assert result.stopped is not None and result.stopped_code == 4
    assert result.sent == 0
    assert catalog.db.execute("SELECT COUNT(*) FROM local_inventory_sent").fetchone()[0] == 0
