"""Benchmark: storing orders page by page (as `orders pull` does) and exporting them.

    python bench/orders.py                   # 10k and 50k orders over a 5k-SKU catalog
    python bench/orders.py --sizes 10k,200k

For each size a fresh workspace database gets a synthetic catalog (5,000 SKUs, two locations),
then each task runs in its own subprocess so the peak RSS printed is that task's alone:

- import: every order new, pages of 100 (one write transaction per page with the ledger,
  inventory, outbox and cursor, exactly the pull's transaction);
- replay: the same pages again (the lookback overlap / a re-run): nothing may change;
- ship: every order updated to shipped (reservations become on-hand decrements);
- export: `orders export --format jsonl` streamed to /dev/null;
- floor: the same pages (same generator) stored the plainest way: one transaction per page,
  ``executemany`` of the orders and their lines into plain tables and of the stock update
  (``reserved = reserved + ?``) into a plain copy of the inventory.

Each line gives CPU seconds (user + sys of that task's process), wall seconds and peak RSS; the
summary per size gives CPU per order and the import's ratio to the floor (issue #19: ≤ 3×, and
CPU per order flat from 10k to 100k). Wall times mean little on a shared machine; CPU does.

Goal: replay much cheaper than import, and peak RSS flat in the number of orders.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.catalog import open_catalog  # noqa: E402
from feedsync.models import (  # noqa: E402
    InventoryLevel,
    Order,
    OrderLine,
    OrderStatus,
    Product,
)
from feedsync.orders.store import OrderStore, write_transaction  # noqa: E402

SKUS = 5_000
PAGE = 100
T0 = datetime(2026, 11, 1, tzinfo=UTC)
TASKS = ("floor", "import", "replay", "ship", "export")

FLOOR_SCHEMA = """
CREATE TABLE orders (channel TEXT, account TEXT, order_id TEXT, status TEXT, created_at TEXT,
    updated_at TEXT, total TEXT, currency TEXT, fulfillment_channel TEXT, raw TEXT,
    PRIMARY KEY (channel, account, order_id));
CREATE TABLE order_lines (channel TEXT, account TEXT, order_id TEXT, line_id TEXT, sku TEXT,
    quantity INTEGER, quantity_shipped INTEGER, unit_price TEXT, currency TEXT,
    PRIMARY KEY (channel, account, order_id, line_id));
CREATE TABLE inventory (sku TEXT, location TEXT, on_hand INTEGER, reserved INTEGER,
    PRIMARY KEY (sku, location));
"""


def parse_size(text: str) -> int:
    """'10k' → 10000, '1M' → 1000000."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def make_catalog(db_path: Path) -> None:
    catalog = open_catalog(db_path)
    with catalog.db.atomic():
        catalog.upsert_products(
            Product(sku=f"SKU-{i:05d}", title=f"Product {i}", price=Decimal("19.99"),
                    currency="USD") for i in range(SKUS))
        catalog.set_inventory(
            InventoryLevel(f"SKU-{i:05d}", loc, 50) for i in range(SKUS) for loc in ("a", "b"))
    catalog.db.close()


def orders(count: int, status: OrderStatus, minute_offset: int) -> Iterator[list[Order]]:
    rng = random.Random(7)
    page: list[Order] = []
    for n in range(count):
        lines = [OrderLine(str(k), f"SKU-{rng.randrange(SKUS):05d}", rng.randint(1, 3),
                           quantity_shipped=0, unit_price=Decimal("19.99"), currency="USD")
                 for k in range(rng.randint(1, 3))]
        if status is OrderStatus.SHIPPED:
            for line in lines:
                line.quantity_shipped = line.quantity
        page.append(Order(
            channel="amazon", account="eu", order_id=f"ORD-{n:08d}", status=status,
            created_at=T0 + timedelta(seconds=n), updated_at=T0 + timedelta(
                seconds=n, minutes=minute_offset), total=Decimal("59.97"), currency="USD",
            fulfillment_channel="merchant", lines=lines,
            raw={"orderId": f"ORD-{n:08d}", "buyer": {"buyerEmail": "x@example.com"}}))
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def run_floor(db_path: Path, count: int) -> dict[str, object]:
    """The same pages stored the plainest way (see the module docstring)."""
    import sqlite3

    floor_path = db_path.with_name(db_path.stem + "-floor.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(floor_path) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(floor_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(FLOOR_SCHEMA)
    conn.executemany("INSERT INTO inventory VALUES (?, ?, 50, 0)",
                     [(f"SKU-{i:05d}", loc) for i in range(SKUS) for loc in ("a", "b")])
    stored = 0
    for page in orders(count, OrderStatus.UNSHIPPED, 0):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(o.channel, o.account, o.order_id, str(o.status), o.created_at.isoformat(),
              o.updated_at.isoformat(), str(o.total), o.currency, o.fulfillment_channel,
              json.dumps(o.raw)) for o in page])
        lines = [(o.channel, o.account, o.order_id, ln.line_id, ln.sku, ln.quantity,
                  ln.quantity_shipped, str(ln.unit_price), ln.currency)
                 for o in page for ln in o.lines]
        conn.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", lines)
        conn.executemany("UPDATE inventory SET reserved = reserved + ? WHERE sku = ? AND"
                         " location = 'a'", [(ln[5], ln[4]) for ln in lines])
        conn.execute("COMMIT")
        stored += len(page)
    conn.close()
    return {"new": stored}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_started_cpu = 0.0  # set when the task starts: the imports are nobody's cost


def run_task(task: str, db_path: Path, count: int) -> dict[str, object]:
    global _started_cpu
    _started_cpu = _cpu()
    if task == "floor":
        started = time.perf_counter()
        stored = run_floor(db_path, count)
        return _figures(task, count, started, stored)
    catalog = open_catalog(db_path)
    store = OrderStore(catalog.db)
    started = time.perf_counter()
    if task == "export":
        from feedsync.orders.query import iter_orders, write_jsonl

        with open("/dev/null", "w") as sink:
            written = write_jsonl(iter_orders(catalog.db), sink)
        stored = {"orders": written}
    else:
        status = OrderStatus.SHIPPED if task == "ship" else OrderStatus.UNSHIPPED
        offset = 10 if task == "ship" else 0
        totals = {"new": 0, "updated": 0, "unchanged": 0}
        for page in orders(count, status, offset):
            with write_transaction(catalog.db):
                result = store.upsert_orders("amazon", "eu", page, fastpath_targets=["ebay"])
                store.advance_cursor("amazon", "eu", page[-1].updated_at)
            totals["new"] += result.new
            totals["updated"] += result.updated
            totals["unchanged"] += result.unchanged
        stored = totals
    return _figures(task, count, started, stored)


def _figures(task: str, count: int, started: float, stored: dict[str, int]) -> dict[str, object]:
    """Wall and CPU seconds of the task (the CPU includes generating its input pages)."""
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - _started_cpu
    return {"task": task, "orders": count, "cpu_s": round(cpu, 2), "seconds": round(seconds, 2),
            "cpu_ms_per_order": round(1000 * cpu / count, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), **stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,50k")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:
        print(json.dumps(run_task(args.task, Path(args.db), args.count)))
        return
    per_order: dict[int, float] = {}
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    for size in (parse_size(s) for s in args.sizes.split(",")):
        db_path = out / f"orders-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        make_catalog(db_path)
        cpu: dict[str, float] = {}
        for task in TASKS:
            done = subprocess.run(
                [sys.executable, __file__, "--task", task, "--db", str(db_path),
                 "--count", str(size)], check=True, capture_output=True, text=True)
            print(done.stdout.strip(), flush=True)
            cpu[task] = json.loads(done.stdout)["cpu_s"]
        per_order[size] = 1000 * cpu["import"] / size
        ratio = cpu["import"] / cpu["floor"]
        print(f"# {size} orders: import {cpu['import']:.2f} CPU-s = {ratio:.1f}"
              f"× floor ({cpu['floor']:.2f}); {per_order[size]:.3f} CPU-ms per order; replay "
              f"{cpu['replay'] / cpu['floor']:.1f}× floor; target ≤ 3×", flush=True)
    if len(per_order) > 1:
        first, last = min(per_order), max(per_order)
        print(f"# CPU per order, {last} vs {first} orders: "
              f"{per_order[last] / per_order[first]:.2f}× (flat is 1.0)")


if __name__ == "__main__":
    main()
