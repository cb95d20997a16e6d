"""End to end: the real CLI and eBay adapter against the eBay emulation of feedsync's sandbox
(feedsync/sandbox/ebay, written from eBay's documented contract) on loopback.

`feedsync plan ebay` → `push ebay` → buyers order on eBay (one a SKU the catalog does not know,
one cancelled) → `orders pull` (stock reserved, the new quantity reaches eBay in the same run)
→ `orders ship FILE` (twice: the second sends nothing) → `reconcile ebay`. Every request the
sandbox receives is validated against eBay's OAS request schema when the specs are present.
Hostile cases: a 300-character title (truncated by the mapping), an aspect list longer than
allowed (that SKU fails, the others go), tokens revoked mid-run (refreshed), 429s (waited out).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedsync.cli.main import cli
from feedsync.sandbox import BuyerOrder, OrderLine, RunningSandbox, parse_fault, running_sandbox
from tests.conftest import REPO_ROOT, specs_root

FEATURES = "|".join(f"Feature {i}" for i in range(31))
LONG_TITLE = "Stoneware Mug " + "with a very long description of its glaze " * 7
HEADER = ["sku", "item_group_id", "title", "description", "brand", "mpn", "condition",
          "category", "price", "currency", "weight", "weight_unit", "image_urls", "status",
          "color", "size", "variant_axes", "attributes", "quantity", "location"]
MUGS, TEES = "Home > Kitchen > Mugs", "Apparel > Tops > T-Shirts"
CDN = "https://cdn.example.com"
ROWS = [
    ["MUG-BLU", "", "Stoneware Mug Blue", "<p>Glazed stoneware mug.</p>", "Northwind Home",
     "NH-MUG-B", "new", MUGS, "18.00", "USD", "400", "g", f"{CDN}/mug/blue.jpg", "active",
     "Blue", "", "", "", "10", "main"],
    ["MUG-LONG", "", LONG_TITLE, "<p>Glazed.</p>", "Northwind Home", "NH-MUG-L", "new", MUGS,
     "19.00", "USD", "400", "g", f"{CDN}/mug/long.jpg", "active", "Green", "", "", "", "4",
     "main"],
    ["MUG-FEAT", "", "Stoneware Mug Featured", "<p>Glazed.</p>", "Northwind Home", "NH-MUG-F",
     "new", MUGS, "20.00", "USD", "400", "g", f"{CDN}/mug/feat.jpg", "active", "Red", "", "",
     json.dumps({"features": FEATURES}), "4", "main"],
    *([sku, "TEE", "Organic Tee", "<p>Organic cotton.</p>", "Northwind Apparel", f"NW-{sku}",
       "new", TEES, "28.00", "USD", "160", "g", f"{CDN}/tee/{colour.lower()}.jpg", "active",
       colour, size, "color, size", "", stock, "main"]
      for sku, colour, size, stock in (("TEE-BLK-S", "Black", "S", "5"),
                                       ("TEE-BLK-M", "Black", "M", "3"),
                                       ("TEE-WHT-S", "White", "S", "2"))),
]


def catalog_csv() -> str:
    """The test catalog in feedsync's native CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    return out.getvalue()


@dataclass
class World:
    """The sandbox, the workspace and a CLI runner."""

    sandbox: RunningSandbox
    root: Path
    runner: CliRunner
    violations: list[str]

    def run(self, *args: str, code: int | tuple[int, ...] = 0) -> Any:
        """Run ``feedsync --workspace ROOT --json ARGS``; check the exit code; parse stdout."""
        result = self.runner.invoke(cli, ["--workspace", str(self.root), "--json", *args])
        codes = (code,) if isinstance(code, int) else code
        assert result.exit_code in codes, (args, result.exit_code, result.output,
                                           result.exception)
        return json.loads(result.stdout) if result.stdout.strip() else None

    def ebay(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Read the sandbox's eBay state."""
        with self.sandbox.app.store.transaction() as db:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]

    def buy(self, sku: str, quantity: int, price: str) -> str:
        """A buyer orders ``quantity`` of ``sku`` on eBay."""
        market = self.sandbox.app.markets["ebay"]
        with self.sandbox.app.store.transaction() as db:
            return market.place_order(self.sandbox.app.exchange("ebay", db), BuyerOrder(
                (OrderLine(sku, quantity, Decimal(price), "USD"),), "Ada Lovelace"))

    def cancel(self, order_id: str) -> bool:
        """The buyer cancels ``order_id`` on eBay."""
        market = self.sandbox.app.markets["ebay"]
        with self.sandbox.app.store.transaction() as db:
            return market.cancel_order(self.sandbox.app.exchange("ebay", db), order_id)

    def reserved(self, sku: str) -> int:
        """Units feedsync's catalog holds for open orders of ``sku``."""
        from feedsync.catalog import open_catalog

        catalog = open_catalog(self.root / "feedsync.db")
        try:
            row = catalog.db.execute("SELECT SUM(reserved) FROM inventory WHERE sku = ?",
                                     [sku]).fetchone()
        finally:
            catalog.db.close()
        return int(row[0] or 0)

    def listing(self, sku: str) -> tuple[str, int, str | None]:
        """(offer status, eBay quantity, price) of a SKU on the sandbox."""
        [(status, body, quantity)] = self.ebay(
            "SELECT o.status, o.body, i.quantity FROM ebay_offers o JOIN ebay_items i "
            "ON i.sku = o.sku WHERE o.sku = ?", (sku,))
        price = (json.loads(body).get("pricingSummary") or {}).get("price", {}).get("value")
        return status, quantity, price


def _oas_observer(violations: list[str]) -> Any:
    if not (specs_root() / "ebay").is_dir():
        return lambda *args: None
    from ebay_oas import request_validator

    def observe(channel: str, found: Any, request: Any, response: Any) -> None:
        if channel != "ebay" or not request.body or found is None:
            return
        operation = found.operation
        if operation == "getUserAccessToken":
            return
        api = "fulfillment" if operation == "createShippingFulfillment" else "inventory"
        body = json.loads(request.body)
        for error in request_validator(api, operation).iter_errors(body):
            violations.append(f"{operation}: {'/'.join(map(str, error.absolute_path))}: "
                              f"{error.message}")
    return observe


def _workspace(tmp_path: Path, sandbox: RunningSandbox, runner: CliRunner) -> Path:
    root = tmp_path / "ws"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    market = sandbox.app.markets["ebay"]
    settings = market.workspace_settings(sandbox.url("ebay"))
    lines = ["", "[channels.ebay]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    config = root / "feedsync.toml"
    text = config.read_text().replace("[channels.google]\nenabled = true",
                                      "[channels.google]\nenabled = false").replace(
        "[channels.facebook]\nenabled = true", "[channels.facebook]\nenabled = false")
    config.write_text(text + "\n".join(lines) + "\n")
    secrets = "\n".join(["[ebay]"] + [f"{k} = {json.dumps(v)}"
                                      for k, v in market.secrets().items()])
    (root / "secrets.toml").write_text(secrets + "\n")
    mapping = (REPO_ROOT / "mappings" / "ebay.toml").read_text()
    mapping = mapping.replace(
        "# extra_aspects = { from = \"attributes.ebay_aspects\" }",
        "aspect_features = { from = \"attributes.features\", transforms = "
        "[{ name = \"split\", args = { sep = \"|\" } }] }")
    (root / "mappings" / "ebay.toml").write_text(mapping)
    (root / "catalog.csv").write_text(catalog_csv())
    assert runner.invoke(cli, ["--workspace", str(root), "catalog", "import",
                               str(root / "catalog.csv")]).exit_code == 0
    return root


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    violations: list[str] = []
    with running_sandbox(tmp_path / "sandbox.db", channels=["ebay"],
                         observers=[_oas_observer(violations)]) as sandbox:
        runner = CliRunner()
        yield World(sandbox, _workspace(tmp_path, sandbox, runner), runner, violations)
        assert sandbox.app.internal_errors == []
        assert sandbox.app.violations == []
        assert violations == [], "requests outside eBay's OAS request schemas"


def test_plan_push_orders_ship_and_reconcile(world: World, tmp_path: Path) -> None:
    plan = world.run("plan", "ebay")
    text = json.dumps(plan)
    for sku in ("MUG-BLU", "MUG-LONG", "MUG-FEAT", "TEE-BLK-S", "TEE-BLK-M", "TEE-WHT-S"):
        assert sku in text

    world.run("push", "ebay", code=3)  # 3: MUG-FEAT's aspect list is refused
    for sku in ("MUG-BLU", "MUG-LONG", "TEE-BLK-S", "TEE-BLK-M", "TEE-WHT-S"):
        assert world.listing(sku)[0] == "PUBLISHED", sku
    assert world.ebay("SELECT COUNT(*) FROM ebay_offers WHERE sku = 'MUG-FEAT'") == [(0,)]
    [(title,)] = world.ebay("SELECT json_extract(body, '$.product.title') FROM ebay_items "
                            "WHERE sku = 'MUG-LONG'")
    assert len(title) <= 80 and len(LONG_TITLE) > 300
    [(group,)] = world.ebay("SELECT body FROM ebay_groups WHERE group_key = 'TEE'")
    group = json.loads(group)
    assert group["variantSKUs"] == ["TEE-BLK-M", "TEE-BLK-S", "TEE-WHT-S"]
    assert group["variesBy"]["specifications"] == [
        {"name": "Color", "values": ["Black", "White"]}, {"name": "Size", "values": ["M", "S"]}]
    status = world.run("status", "ebay", "--rejected")
    assert "MUG-FEAT" in json.dumps(status) and "Feature" in json.dumps(status)

    # A listing made on eBay by hand (not in the catalog), then buyers order.
    world.run("push", "ebay", code=3)  # nothing new to send but MUG-FEAT again
    sold = world.buy("MUG-BLU", 3, "18.00")
    cancelled = world.buy("TEE-WHT-S", 1, "28.00")
    world.run("orders", "pull", "ebay")
    assert world.reserved("TEE-WHT-S") == 1 and world.listing("TEE-WHT-S")[1] == 1
    assert world.cancel(cancelled)  # the buyer cancels on eBay after feedsync reserved
    _hand_made_listing(world)
    stranger = world.buy("HAND-1", 1, "9.00")

    before = _calls(world, "bulkUpdatePriceQuantity")
    pulled = world.run("orders", "pull", "ebay", code=(0, 3))
    flags = pulled["pull"]["channels"][0]["flags"]
    assert [(f["code"], f["sku"]) for f in flags] == [("unknown_sku", "HAND-1")]
    assert _calls(world, "bulkUpdatePriceQuantity") > before, "the fast path reached eBay"
    orders = world.run("orders", "list")
    ids = json.dumps(orders)
    assert sold in ids and cancelled in ids and stranger in ids
    assert world.listing("MUG-BLU")[1] == 7  # eBay sold 3 of 10
    assert world.reserved("MUG-BLU") == 3
    assert world.reserved("TEE-WHT-S") == 0, "the cancellation released the reservation"
    assert world.listing("TEE-WHT-S")[1] == 2

    ship = tmp_path / "ship.csv"
    ship.write_text(f"order_id,channel,carrier,tracking_number\n{sold},ebay,USPS,9400100000000001\n")
    world.run("orders", "ship", str(ship))
    world.run("orders", "ship", str(ship))
    assert world.ebay("SELECT COUNT(*) FROM ebay_fulfillments WHERE order_id = ?",
                      (sold,)) == [(1,)]

    clean = world.run("reconcile", "ebay", code=(0, 3))
    drift = json.dumps(clean)
    assert "MUG-BLU" not in drift or '"quantity"' not in drift
    # Someone changes a quantity on eBay by hand: reconcile reports it.
    with world.sandbox.app.store.transaction() as db:
        from feedsync.sandbox.ebay import store

        store.set_quantity(world.sandbox.app.exchange("ebay", db), "MUG-LONG", 99)
    report = json.dumps(world.run("reconcile", "ebay", code=(0, 3, 1)))
    assert "MUG-LONG" in report and "99" in report


def _calls(world: World, operation: str) -> int:
    counts = world.sandbox.admin("stats")["calls"].get("ebay", {}).get(operation, {})
    return sum(int(n) for status, n in counts.items() if status.startswith("2"))


def _hand_made_listing(world: World) -> None:
    """List HAND-1 straight through the sandbox's API, as a seller would in another tool."""
    import requests

    from feedsync.sandbox.ebay import base

    root = world.sandbox.url("ebay")
    token = requests.post(f"{root}/identity/v1/oauth2/token", auth=(base.CLIENT_ID,
                          base.CLIENT_SECRET), data={"grant_type": "refresh_token",
                          "refresh_token": base.REFRESH_TOKEN}, timeout=10).json()
    headers = {"Authorization": f"Bearer {token['access_token']}",
               "Content-Language": "en-US"}
    item = {"sku": "HAND-1", "locale": "en_US", "condition": "NEW",
            "product": {"title": "Hand-made bowl", "imageUrls": ["https://x.example/b.jpg"]},
            "availability": {"shipToLocationAvailability": {"quantity": 2}}}
    requests.post(f"{root}/sell/inventory/v1/bulk_create_or_replace_inventory_item",
                  json={"requests": [item]}, headers=headers, timeout=10).raise_for_status()
    offer = {"sku": "HAND-1", "marketplaceId": "EBAY_US", "format": "FIXED_PRICE",
             "categoryId": "20657", "listingDuration": "GTC", "availableQuantity": 2,
             "merchantLocationKey": base.LOCATION_KEY, "listingPolicies": base.POLICIES,
             "pricingSummary": {"price": {"value": "9.00", "currency": "USD"}}}
    answer = requests.post(f"{root}/sell/inventory/v1/bulk_create_offer",
                           json={"requests": [offer]}, headers=headers, timeout=10).json()
    offer_id = answer["responses"][0]["offerId"]
    requests.post(f"{root}/sell/inventory/v1/bulk_publish_offer",
                  json={"requests": [{"offerId": offer_id}]}, headers=headers,
                  timeout=10).raise_for_status()


def test_revoked_tokens_mid_run_and_429s_are_survived(tmp_path: Path) -> None:
    violations: list[str] = []
    # seed 0: the first bulkCreateOffer is throttled, its retry is not
    faults = [parse_fault("ebay.bulkCreateOffer:429:0.5")]
    with running_sandbox(tmp_path / "sandbox.db", channels=["ebay"], faults=faults, seed=0,
                         observers=[_oas_observer(violations)]) as sandbox:
        runner = CliRunner()
        world = World(sandbox, _workspace(tmp_path, sandbox, runner), runner, violations)
        world.run("push", "ebay", code=3)
        assert sandbox.app.faults.injected, "the 429 fault fired"
        assert world.listing("MUG-BLU")[0] == "PUBLISHED"
        sandbox.admin("revoke", {"channel": "ebay"})  # every token issued so far is revoked
        world.buy("MUG-BLU", 1, "18.00")
        world.run("orders", "pull", "ebay", code=(0, 3))
        assert world.listing("MUG-BLU")[1] == 9
        assert violations == []


def test_a_revoked_refresh_token_stops_the_channel_with_exit_4(world: World) -> None:
    from feedsync.sandbox.ebay import base

    secrets = world.root / "secrets.toml"
    secrets.write_text(secrets.read_text().replace(base.REFRESH_TOKEN, "revoked-refresh-token"))
    result = world.runner.invoke(cli, ["--workspace", str(world.root), "push", "ebay"])
    assert result.exit_code == 4, result.output
    assert "FEEDSYNC_EBAY__REFRESH_TOKEN" in result.output
    assert "revoked-refresh-token" not in result.output



def test_a_lost_offer_answer_is_read_back_not_duplicated(tmp_path: Path) -> None:
    violations: list[str] = []
    # seed 5: the first bulkCreateOffer is processed but its answer is lost; the next are not
    faults = [parse_fault("ebay.bulkCreateOffer:lost:0.5")]
    with running_sandbox(tmp_path / "sandbox.db", channels=["ebay"], faults=faults, seed=5,
                         observers=[_oas_observer(violations)]) as sandbox:
        runner = CliRunner()
        world = World(sandbox, _workspace(tmp_path, sandbox, runner), runner, violations)
        world.run("push", "ebay", code=(3, 75))  # the batch's outcome is unknown: try later
        assert sandbox.app.faults.injected
        created = world.ebay("SELECT sku, offer_id FROM ebay_offers ORDER BY sku")
        assert created, "eBay did create the offers whose answer was lost"
        world.run("push", "ebay", code=3)  # 3: MUG-FEAT's aspects, as always
        again = world.ebay("SELECT sku, offer_id FROM ebay_offers ORDER BY sku")
        assert again == created, "the existing offers were found again (25002), none added"
        for sku in ("MUG-BLU", "MUG-LONG", "TEE-BLK-S", "TEE-BLK-M", "TEE-WHT-S"):
            assert world.listing(sku)[0] == "PUBLISHED", sku
        assert violations == []


def test_deleting_variants_on_the_sandbox(world: World) -> None:
    world.run("push", "ebay", code=3)
    world.buy("TEE-BLK-M", 1, "28.00")  # a variation with a sale stays on eBay
    world.run("orders", "pull", "ebay")
    catalog = world.root / "catalog.csv"
    kept = [row for row in catalog.read_text().splitlines()
            if not row.startswith(("TEE-WHT-S", "TEE-BLK-M"))]
    catalog.write_text("\n".join(kept) + "\n")
    world.run("catalog", "import", str(catalog), "--prune", "--force", code=(0, 3))
    world.run("push", "ebay", "--force", code=(0, 3))
    [(group,)] = world.ebay("SELECT body FROM ebay_groups WHERE group_key = 'TEE'")
    assert json.loads(group)["variantSKUs"] == ["TEE-BLK-M", "TEE-BLK-S"], \
        "TEE-WHT-S removed; TEE-BLK-M kept (it has a sale)"
    assert world.listing("TEE-WHT-S")[0] == "UNPUBLISHED"
    assert world.listing("TEE-BLK-M")[1] == 0, "eBay's workaround: quantity 0"


def test_an_order_on_another_channel_reaches_ebay_in_the_same_run(world: World) -> None:
    world.run("push", "ebay", code=3)
    # A second channel (feedsync's file channel) sells 4 of the 10 blue mugs.
    (world.root / "mappings" / "shop.toml").write_text(
        '[fields]\nid = "sku"\ntitle = "title"\nprice = { rule = "price" }\n'
        'quantity = { rule = "quantity" }\n')
    with (world.root / "feedsync.toml").open("a") as config:
        config.write('\n[channels.shop]\nenabled = true\ndelivery = "api"\n'
                     'adapter = "feedsync.testing.file_channel"\n'
                     'orders_file = "shop_orders.json"\nstate_dir = "state/shop"\n')
    stamp = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    (world.root / "shop_orders.json").write_text(json.dumps([{
        "order_id": "SHOP-1", "updated_at": stamp, "created_at": stamp,
        "lines": [{"line_id": "1", "sku": "MUG-BLU", "quantity": 4, "price": "18.00"}]}]))
    before = _calls(world, "bulkUpdatePriceQuantity")
    pulled = world.run("orders", "pull", code=(0, 3))
    fast = {c["channel"]: c for c in pulled["fast_path"]["channels"]}
    assert fast["ebay"]["pushed"] == 1, pulled["fast_path"]
    assert _calls(world, "bulkUpdatePriceQuantity") == before + 1
    assert world.listing("MUG-BLU")[1] == 6, "eBay shows what is left after the shop's sale"
