"""Shared helpers of the orders tests: a workspace with two fake channels, orders, stock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feedsync.catalog import open_catalog
from feedsync.models import InventoryLevel
from tests.conftest import REPO_ROOT, make_product

FAKE = "feedsync.testing.file_channel"

MAPPING = """\
[fields]
id = "sku"
title = "title"
price = { rule = "price" }
quantity = { rule = "quantity" }
"""


def write_workspace(root: Path, *, extra: str = "", shopa: str = "", shopb: str = "",
                    orders: str = "") -> Path:
    """A workspace with channels shopa (orders come from here) and shopb (fast-path target)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mappings").mkdir(exist_ok=True)
    for name in ("shopa", "shopb"):
        (root / "mappings" / f"{name}.toml").write_text(MAPPING)
    (root / "feedsync.toml").write_text(f"""\
[workspace]
name = "orders-test"

[orders]
lookback_minutes = 30
{orders}

[channels.shopa]
enabled = true
delivery = "api"
adapter = "{FAKE}"
orders_file = "shopa_orders.json"
state_dir = "state/shopa"
{shopa}

[channels.shopb]
enabled = true
delivery = "api"
adapter = "{FAKE}"
orders_file = "shopb_orders.json"
state_dir = "state/shopb"
{shopb}
{extra}
""")
    return root


def seed_catalog(root: Path, stock: dict[str, int | dict[str, int]]) -> None:
    """Products for every SKU in ``stock`` with on-hand quantities (per location if a dict)."""
    catalog = open_catalog(root / "feedsync.db")
    try:
        with catalog.db.atomic():
            catalog.upsert_products(make_product(sku) for sku in stock)
            levels = []
            for sku, value in stock.items():
                per = value if isinstance(value, dict) else {"default": value}
                levels.extend(InventoryLevel(sku, loc, n) for loc, n in per.items())
            catalog.set_inventory(levels)
    finally:
        catalog.db.close()


def order(order_id: str, updated: str, lines: Sequence[tuple[str, str | None, int]] | None = None,
          *, status: str = "unshipped", shipped: dict[str, int] | None = None,
          **extra: Any) -> dict[str, Any]:
    """A fake-channel order payload; ``lines`` are (line id, SKU, quantity)."""
    shipped = shipped or {}
    return {
        "order_id": order_id, "status": status, "updated_at": updated,
        "created_at": extra.pop("created", updated), "currency": "USD", "total": "19.99",
        "lines": [{"line_id": lid, "sku": sku, "quantity": qty, "shipped": shipped.get(lid, 0),
                   "price": "19.99"} for lid, sku, qty in (lines or [])],
        **extra,
    }


def write_orders(root: Path, orders: list[dict[str, Any]], channel: str = "shopa") -> None:
    """Replace what the fake channel serves."""
    path = root / f"{channel}_orders.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(orders))
    tmp.replace(path)


def stock(root: Path, sku: str) -> tuple[int, int, int]:
    """(on_hand, reserved, available) of ``sku`` summed over locations."""
    catalog = open_catalog(root / "feedsync.db")
    try:
        row = catalog.db.execute(
            "SELECT COALESCE(SUM(on_hand), 0), COALESCE(SUM(reserved), 0) FROM inventory"
            " WHERE sku = ?", [sku]).fetchone()
    finally:
        catalog.db.close()
    return int(row[0]), int(row[1]), int(row[0]) - int(row[1])


def state_lines(root: Path, channel: str, name: str) -> list[Any]:
    """Records the fake channel appended to ``state/<channel>/<name>``."""
    path = root / "state" / channel / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def live_listings(root: Path, channel: str) -> dict[str, Any]:
    """What the fake channel shows for each SKU."""
    path = root / "state" / channel / "listings.json"
    return json.loads(path.read_text()) if path.exists() else {}


def run_cli(root: Path, *args: str, crash_at: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m feedsync --workspace root ARGS`` in a real subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("FEEDSYNC_TEST_CRASH_AT", None)
    if crash_at:
        env["FEEDSYNC_TEST_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "feedsync", "--workspace", str(root), *args],
        cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=timeout,
    )


def db_rows(root: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on the workspace database."""
    catalog = open_catalog(root / "feedsync.db")
    try:
        return [tuple(r) for r in catalog.db.execute(sql, list(params)).fetchall()]
    finally:
        catalog.db.close()
