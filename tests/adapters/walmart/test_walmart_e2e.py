"""End to end: the real CLI and Walmart adapter against the Walmart emulation of feedsync's
sandbox (feedsync/sandbox/walmart, written from Walmart's documented contract) on loopback.

`plan walmart` → `push walmart` (the MP_ITEM feed is still INPROGRESS when the run ends: the next
run resumes it, then sends the quantities) → buyers order on Walmart (one cancels) →
`orders pull` (stored, acknowledged, the new quantities reach Walmart in the same run) →
`orders ship FILE` twice (the second sends nothing) → `reconcile walmart`. Every request the
sandbox receives is checked against Walmart's schemas (``walmart_oracle``). Hostile cases: two
catalog SKUs sharing a GTIN (Walmart's ingestion error names the mapping field), a run killed
after the acknowledgement but before it is recorded, a 429 on the feed endpoint, every token
revoked mid-run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from walmart_oracle import errors, query_parameters, shipping_validator, validator, walmart_dir

from feedsync.cli.main import cli
from feedsync.sandbox import BuyerOrder, OrderLine, RunningSandbox, parse_fault, running_sandbox
from tests.conftest import REPO_ROOT

COLUMNS = ("sku,item_group_id,title,description,brand,gtin,mpn,condition,category,price,currency,"
           "weight,weight_unit,image_urls,status,color,size,variant_axes,quantity,location")
ROWS = (
    ("MUG-BLU", "", "Stoneware Mug Blue", "<p>Glazed stoneware mug.</p>", "Northwind Home",
     "4006381333931", "NH-MUG-B", "Home > Kitchen", "18.00", "400", "mug/blue", "Blue", "", "",
     "10"),
    # the same GTIN as MUG-BLU by mistake: Walmart refuses the second SKU with it
    ("MUG-DUP", "", "Stoneware Mug Copy", "<p>Same GTIN.</p>", "Northwind Home",
     "4006381333931", "NH-MUG-D", "Home > Kitchen", "18.00", "400", "mug/dup", "Blue", "", "",
     "3"),
    ("TEE-BLK-S", "TEE", "Organic Tee Black S", "<p>Organic cotton.</p>", "Northwind Apparel",
     "614141100071", "NW-TEE-BS", "Apparel > Tops", "28.00", "160", "tee/blk", "Black", "S",
     "color, size", "5"),
    ("TEE-BLK-M", "TEE", "Organic Tee Black M", "<p>Organic cotton.</p>", "Northwind Apparel",
     "614141100149", "NW-TEE-BM", "Apparel > Tops", "28.00", "175", "tee/blk", "Black", "M",
     "color, size", "3"),
)


def _catalog() -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS.split(","))
    for (sku, group, title, text, brand, gtin, mpn, category, price, grams, image, color, size,
         axes, quantity) in ROWS:
        writer.writerow([sku, group, title, text, brand, gtin, mpn, "new", category, price,
                         "USD", grams, "g", f"https://cdn.example.com/{image}.jpg", "active",
                         color, size, axes, quantity, "main"])
    return out.getvalue()


CATALOG = _catalog()


@dataclass
class World:
    """The sandbox, the workspace and a CLI runner."""

    sandbox: RunningSandbox
    root: Path
    runner: CliRunner

    def run(self, *args: str, code: int | tuple[int, ...] = 0) -> Any:
        """Run ``feedsync --workspace ROOT --json ARGS``; check the exit code; parse stdout."""
        result = self.runner.invoke(cli, ["--workspace", str(self.root), "--json", *args])
        codes = (code,) if isinstance(code, int) else code
        assert result.exit_code in codes, (args, result.exit_code, result.output,
                                           result.exception)
        return json.loads(result.stdout) if result.stdout.strip() else None

    def process(self, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
        """The same, as a real process (it may SIGKILL itself at a named step)."""
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        env.pop("FEEDSYNC_TEST_CRASH_AT", None)
        if crash_at:
            env["FEEDSYNC_TEST_CRASH_AT"] = crash_at
        return subprocess.run([sys.executable, "-m", "feedsync", "--workspace", str(self.root),
                               "--json", *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    def walmart(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Read the sandbox's Walmart state."""
        with self.sandbox.app.store.transaction() as db:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]

    def quantity(self, sku: str) -> int:
        """Walmart's quantity of ``sku``."""
        [(quantity,)] = self.walmart("SELECT quantity FROM walmart_items WHERE sku = ?", (sku,))
        return int(quantity)

    def buy(self, sku: str, quantity: int, price: str) -> str:
        """A buyer orders on Walmart."""
        market = self.sandbox.app.markets["walmart"]
        with self.sandbox.app.store.transaction() as db:
            return market.place_order(self.sandbox.app.exchange("walmart", db), BuyerOrder(
                (OrderLine(sku, quantity, Decimal(price), "USD"),), "Grace Hopper"))

    def cancel(self, order_id: str) -> bool:
        """The buyer cancels."""
        market = self.sandbox.app.markets["walmart"]
        with self.sandbox.app.store.transaction() as db:
            return market.cancel_order(self.sandbox.app.exchange("walmart", db), order_id)

    def line_statuses(self, order_id: str) -> list[str]:
        """The statuses of an order's lines on Walmart."""
        [(body,)] = self.walmart("SELECT body FROM walmart_orders WHERE po = ?", (order_id,))
        return [s["status"] for line in json.loads(body)["orderLines"]["orderLine"]
                for s in line["orderLineStatuses"]["orderLineStatus"]]


def oracle(violations: list[str]) -> Any:
    """Every request body and query checked against Walmart's OpenAPI files."""
    if not walmart_dir().is_dir():
        return lambda *args: None
    bodies = {"updateInventoryForAnItem": validator("inventory", "Inventory"),
              "shippingUpdates": shipping_validator()}
    queries = {"getAllOrders": "orders", "getFeedItemStatus": "feeds", "getAllItems": "items",
               "getInventory": "inventory", "updateInventoryForAnItem": "inventory"}

    def observe(channel: str, found: Any, request: Any, response: Any) -> None:
        operation = found.operation
        if operation in bodies:
            violations.extend(f"{operation}: {e}" for e in errors(bodies[operation],
                                                                  json.loads(request.body)))
        if operation in queries:
            declared = query_parameters(queries[operation], operation)
            for name in request.query:
                if name not in declared:
                    violations.append(f"{operation}: undeclared query parameter {name}")
        if operation == "getFeedItemStatus" and int(request.arg("limit") or "50") > 50:
            violations.append("getFeedItemStatus: limit above 50")
    return observe


def _workspace(tmp_path: Path, sandbox: RunningSandbox, runner: CliRunner) -> Path:
    root = tmp_path / "ws"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    market = sandbox.app.markets["walmart"]
    settings = market.workspace_settings(sandbox.url("walmart"))
    lines = ["", "[channels.walmart]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    config = root / "feedsync.toml"
    text = config.read_text().replace("[channels.google]\nenabled = true",
                                      "[channels.google]\nenabled = false").replace(
        "[channels.facebook]\nenabled = true", "[channels.facebook]\nenabled = false")
    config.write_text(text + "\n".join(lines) + "\n")
    secrets = "\n".join(["[walmart]"] + [f"{k} = {json.dumps(v)}"
                                         for k, v in market.secrets().items()])
    (root / "secrets.toml").write_text(secrets + "\n")
    (root / "catalog.csv").write_text(CATALOG)
    assert runner.invoke(cli, ["--workspace", str(root), "catalog", "import",
                               str(root / "catalog.csv")]).exit_code == 0
    return root


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    violations: list[str] = []
    with running_sandbox(tmp_path / "sandbox.db", channels=["walmart"],
                         observers=[oracle(violations)]) as sandbox:
        runner = CliRunner()
        yield World(sandbox, _workspace(tmp_path, sandbox, runner), runner)
        assert sandbox.app.internal_errors == []
        assert sandbox.app.violations == []
        assert violations == [], "requests outside Walmart's schemas"


def _push_until_settled(world: World) -> None:
    """Push runs as cron would (not waiting for Walmart): the first leaves the item feed
    INPROGRESS, the next resume it."""
    world.run("push", "walmart", "--wait", "0", code=(0, 3))
    states = {s for (s,) in world.walmart("SELECT status FROM sandbox_jobs")}
    assert states & {"QUEUED", "IN_PROGRESS"}, "the item feed is still being processed"
    for _ in range(3):
        world.run("push", "walmart", "--wait", "0", code=(0, 3))


def test_plan_push_orders_ship_and_reconcile(world: World, tmp_path: Path) -> None:
    plan = json.dumps(world.run("plan", "walmart"))
    for sku in ("MUG-BLU", "MUG-DUP", "TEE-BLK-S", "TEE-BLK-M"):
        assert sku in plan

    _push_until_settled(world)
    assert world.quantity("MUG-BLU") == 10 and world.quantity("TEE-BLK-M") == 3
    [(body,)] = world.walmart("SELECT body FROM walmart_items WHERE sku = 'TEE-BLK-S'")
    visible = json.loads(body)["Visible"]["Clothing"]
    assert visible["variantGroupId"] == "TEE" and visible["variantAttributeNames"] == [
        "color", "size"]
    assert world.walmart("SELECT COUNT(*) FROM walmart_items WHERE sku = 'MUG-DUP'") == [(0,)]
    status = json.dumps(world.run("status", "walmart", "--rejected"))
    assert "MUG-DUP" in status and "product_id" in status and "already used" in status
    uploads = world.walmart("SELECT COUNT(*) FROM sandbox_jobs WHERE kind = 'feed'")
    world.run("push", "walmart", "--wait", "0", code=(0, 3))  # nothing new to send
    assert world.walmart("SELECT COUNT(*) FROM sandbox_jobs WHERE kind = 'feed'") == uploads

    sold = world.buy("MUG-BLU", 3, "18.00")
    cancelled = world.buy("TEE-BLK-M", 1, "28.00")
    assert world.cancel(cancelled)
    world.run("orders", "pull", "walmart", code=(0, 3))
    ids = json.dumps(world.run("orders", "list"))
    assert sold in ids and cancelled in ids
    assert world.line_statuses(sold) == ["Acknowledged"]
    assert world.line_statuses(cancelled) == ["Cancelled"]
    assert world.quantity("MUG-BLU") == 7  # the catalog's 10 − 3, sent in the same run
    assert world.quantity("TEE-BLK-M") == 3  # the cancelled unit is back

    ship = tmp_path / "ship.csv"
    ship.write_text(f"order_id,channel,carrier,tracking_number\n{sold},walmart,UPS,"
                    "1Z999AA10123456784\n")
    world.run("orders", "ship", str(ship))
    world.run("orders", "ship", str(ship))
    assert world.line_statuses(sold) == ["Shipped"]
    calls = world.sandbox.app.call_counts()["walmart"]
    assert sum(calls["shippingUpdates"].values()) == 1

    clean = json.dumps(world.run("reconcile", "walmart", code=(0, 3)))
    assert '"quantity"' not in clean or "MUG-BLU" not in clean
    with world.sandbox.app.store.transaction() as db:  # someone edits Walmart by hand
        db.execute("UPDATE walmart_items SET quantity = 99 WHERE sku = 'TEE-BLK-S'")
    report = json.dumps(world.run("reconcile", "walmart", code=(0, 1, 3)))
    assert "TEE-BLK-S" in report and "99" in report


@pytest.mark.parametrize("crash_at", ["after_ack_before_record", "after_upsert_before_commit"])
def test_a_run_killed_around_the_acknowledgement_loses_and_duplicates_nothing(
        world: World, crash_at: str) -> None:
    """Killed after Walmart took the acknowledgement but before feedsync recorded it; or killed
    before the page committed, for an order the seller had already acknowledged on Walmart."""
    _push_until_settled(world)
    sold = world.buy("TEE-BLK-S", 2, "28.00")
    if crash_at == "after_upsert_before_commit":  # acknowledged in Seller Center meanwhile
        market = world.sandbox.app.markets["walmart"]
        with world.sandbox.app.store.transaction() as db:
            order = json.loads(db.execute("SELECT body FROM walmart_orders").fetchone()[0])
            order["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0][
                "status"] = "Acknowledged"
            from feedsync.sandbox.walmart.orders import save

            save(world.sandbox.app.exchange("walmart", db), order)
            assert market is not None
    crashed = world.process("orders", "pull", "walmart", crash_at=crash_at)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    assert world.line_statuses(sold) == ["Acknowledged"]  # Walmart has the acknowledgement
    again = world.process("orders", "pull", "walmart")
    assert again.returncode in (0, 3), again.stdout + again.stderr
    orders = world.run("orders", "list")
    assert json.dumps(orders).count(sold) == 1, "stored once"
    assert world.quantity("TEE-BLK-S") == 3  # 5 − 2, reserved once
    import sqlite3

    with sqlite3.connect(world.root / "feedsync.db") as db:
        rows = db.execute("SELECT order_id, acked_at FROM orders").fetchall()
        reserved = db.execute("SELECT SUM(reserved) FROM inventory WHERE sku = 'TEE-BLK-S'"
                              ).fetchone()[0]
    assert [(order_id, acked is not None) for order_id, acked in rows] == [(sold, True)]
    assert reserved == 2


def test_a_429_on_the_feed_endpoint_and_revoked_tokens_are_survived(tmp_path: Path) -> None:
    # seed 0: the first MP_ITEM upload is answered 429 (Retry-After: 1), its retry is not
    faults = [parse_fault("walmart.uploadFeed:429:0.41")]
    violations: list[str] = []
    with running_sandbox(tmp_path / "sandbox.db", channels=["walmart"], faults=faults,
                         seed=0, observers=[oracle(violations)]) as sandbox:
        runner = CliRunner()
        world = World(sandbox, _workspace(tmp_path, sandbox, runner), runner)
        world.run("push", "walmart", "--wait", "0", code=(0, 3))
        assert sandbox.app.faults.injected == {"429": 1}
        assert sum(sandbox.app.call_counts()["walmart"]["uploadFeed"].values()) == 2
        sandbox.admin("revoke", {"channel": "walmart"})  # every token issued so far
        for _ in range(3):
            world.run("push", "walmart", "--wait", "0", code=(0, 3))
        assert world.quantity("MUG-BLU") == 10
        assert sandbox.app.internal_errors == [] and sandbox.app.violations == []
        assert violations == []


def test_a_token_refused_between_upload_and_status_is_renewed(tmp_path: Path) -> None:
    # seed 2: the first feed-status read finds its token revoked (401), no later one does
    faults = [parse_fault("walmart.getFeedItemStatus:revoke:0.09")]
    violations: list[str] = []
    with running_sandbox(tmp_path / "sandbox.db", channels=["walmart"], faults=faults,
                         seed=2, observers=[oracle(violations)]) as sandbox:
        runner = CliRunner()
        world = World(sandbox, _workspace(tmp_path, sandbox, runner), runner)
        _push_until_settled(world)
        assert sandbox.app.faults.injected == {"revoke": 1}
        statuses = sandbox.app.call_counts()["walmart"]["getFeedItemStatus"]
        assert statuses.get("401") == 1 and statuses.get("200", 0) >= 3
        assert world.quantity("MUG-BLU") == 10 and world.quantity("TEE-BLK-S") == 5
        assert sandbox.app.internal_errors == [] and violations == []
