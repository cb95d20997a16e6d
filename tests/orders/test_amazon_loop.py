"""The orders loop with the real Amazon adapter (Orders API v2026-01-01, confirmShipment),
HTTP mocked with `responses` from Amazon's own example payloads; no network."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from feedsync.cli.main import cli
from tests.orders.helpers import db_rows, seed_catalog, stock

BASE = "https://sellingpartnerapi-na.amazon.com"
LWA = "https://api.amazon.com/auth/o2/token"
SEARCH = f"{BASE}/orders/2026-01-01/orders"
ORDER_ID = "123-4567890-1234567"


@pytest.fixture
def amazon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(
        '[channels.amazon]\nenabled = true\ndelivery = "api"\nseller_id = "A1SELLERID"\n'
        'marketplace_ids = ["ATVPDKIKX0DER"]\n')
    seed_catalog(root, {"ECHO-DOT-4-CHARCOAL": 5, "FIRE-TV-4K-2021": 1})
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_ID", "amzn1.application-oa2-client.abc")
    monkeypatch.setenv("FEEDSYNC_AMAZON__CLIENT_SECRET", "client-secret-value-123")
    monkeypatch.setenv("FEEDSYNC_AMAZON__REFRESH_TOKEN", "Atzr|refresh-token-value-456")
    return root


def search_page(specs_dir: Path, *, shipped: bool, updated: str) -> dict[str, Any]:
    """Amazon's searchOrders example, one page, as unshipped or shipped."""
    body = json.loads(
        (specs_dir / "amazon" / "examples" / "orders2026.searchOrders.200.json").read_text())
    body = copy.deepcopy(body)
    body.pop("pagination", None)
    order = body["orders"][0]
    order["lastUpdatedTime"] = updated
    if not shipped:
        order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
        for item in order["orderItems"]:
            item.setdefault("fulfillment", {})["quantityFulfilled"] = 0
    return dict(body)


def invoke(root: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["--workspace", str(root), "--json", *args])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


@responses.activate
def test_amazon_order_is_stored_reserved_shipped_and_confirmed_once(
        amazon: Path, specs_dir: Path) -> None:
    responses.add(responses.POST, LWA, json={"access_token": "Atza|access-1",
                                             "token_type": "bearer", "expires_in": 3600})
    responses.add(responses.GET, SEARCH, json=search_page(
        specs_dir, shipped=False, updated="2024-12-25T14:45:00Z"))
    data = invoke(amazon, "orders", "pull", "amazon")
    assert data["pull"]["channels"][0]["new"] == 1
    assert stock(amazon, "ECHO-DOT-4-CHARCOAL") == (5, 2, 3)
    assert stock(amazon, "FIRE-TV-4K-2021") == (1, 1, 0)
    raw = db_rows(amazon, "SELECT raw FROM orders")[0][0]
    for personal in ("John Smith", "buyer-email@marketplace.amazon.com", "555-123-4567",
                     "123 Main Street"):
        assert personal not in raw
    assert db_rows(amazon, "SELECT status, fulfillment_channel, currency FROM orders") == [
        ("unshipped", "merchant", "USD")]

    responses.add(responses.POST, f"{BASE}/orders/v0/orders/{ORDER_ID}/shipmentConfirmation",
                  status=204)
    ship = amazon / "ship.csv"
    ship.write_text(f"order_id,carrier,tracking_number\n{ORDER_ID},UPS,1Z999AA10123456784\n")
    result = invoke(amazon, "orders", "ship", str(ship))
    assert [r["status"] for r in result["results"]] == ["confirmed"]
    sent = [c for c in responses.calls if "shipmentConfirmation" in c.request.url]
    assert len(sent) == 1
    body = json.loads(sent[0].request.body)
    assert body["marketplaceId"] == "ATVPDKIKX0DER"
    assert sorted((i["orderItemId"], i["quantity"]) for i in body["packageDetail"]["orderItems"]
                  ) == [("12345678901234", 2), ("12345678901235", 1)]
    assert stock(amazon, "ECHO-DOT-4-CHARCOAL") == (3, 0, 3)
    assert stock(amazon, "FIRE-TV-4K-2021") == (0, 0, 0)

    # Amazon now reports the order shipped: stored as such, stock not moved twice
    responses.replace(responses.GET, SEARCH, json=search_page(
        specs_dir, shipped=True, updated="2024-12-25T15:10:00Z"))
    invoke(amazon, "orders", "pull", "amazon")
    assert db_rows(amazon, "SELECT status FROM orders") == [("shipped",)]
    assert stock(amazon, "ECHO-DOT-4-CHARCOAL") == (3, 0, 3)
    # and the file run again sends nothing
    again = invoke(amazon, "orders", "ship", str(ship))
    assert [r["status"] for r in again["results"]] == ["already_confirmed"]
    assert len([c for c in responses.calls if "shipmentConfirmation" in c.request.url]) == 1
