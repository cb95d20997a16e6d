"""Benchmark: storing orders page by page (as `orders pull` does) and exporting them.

    python bench/orders.py                   # 10k and 50k orders over a 5k-SKU catalog
    python bench/orders.py --sizes 10k,200k

For each size a fresh workspace database gets a synthetic catalog (5,000 SKUs, two locations),
then each task runs in its own subprocess so the peak RSS printed is that task's alone:

- import: every order new, pages of 100 (one write transaction per page with the ledger,
  inventory, outbox and cursor, exactly the pull's transaction);
- replay: the same pages again (the lookback overlap / a re-run): nothing may change;
- ship: every order updated to shipped (reservations become on-hand decrements);
- export: `orders export --format jsonl` streamed to /dev/null.

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
TASKS = ("import", "replay", "ship", "export")


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


def run_task(task: str, db_path: Path, count: int) -> dict[str, object]:
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
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"task": task, "orders": count, "seconds": round(seconds, 2),
            "orders_per_s": round(count / seconds) if seconds else None,
            "peak_rss_mb": round(peak_kb / 1024, 1), **stored}


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
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    for size in (parse_size(s) for s in args.sizes.split(",")):
        db_path = out / f"orders-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        make_catalog(db_path)
        for task in TASKS:
            done = subprocess.run(
                [sys.executable, __file__, "--task", task, "--db", str(db_path),
                 "--count", str(size)], check=True, capture_output=True, text=True)
            print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
