"""Benchmark: building `feedsync report` for a large catalog with many orders.

    python bench/report.py                          # 1M SKUs, 100k orders (seeding takes minutes)
    python bench/report.py --skus 100k --orders 10k

A fresh workspace database is seeded with SQL (products, stock, two channels' listings, orders
of two lines each over 30 days): seeding is not what is measured. Then, each in its own
subprocess so the peak RSS printed is that task's alone:

- floor: the least any report must read — one pass of GROUP BY counts over the listings and one
  streamed pass over every order line of the period, summing quantity × price in Python
  Decimal (the report's money must be exact, so the floor pays for Decimal too);
- report: `build_report` + `render_html` as `feedsync report` runs them (the snapshot write
  included).

Printed: CPU seconds (user + sys of the task's own process), wall seconds, peak RSS, and the
report's CPU as a ratio of the floor's CPU from the same run (the machine is shared: compare
ratios, not wall times).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHANNELS = ("amazon", "ebay")


def parse_size(text: str) -> int:
    """'10k' → 10000, '1M' → 1000000."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def _workspace(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "feedsync.toml").write_text(
        '[workspace]\nname = "bench"\n'
        + "".join(f'[channels.{c}]\nenabled = false\ndelivery = "api"\n' for c in CHANNELS)
        + '[fees.ebay]\nreferral_rate = "0.13"\nper_order = "0.30"\n')


def seed(root: Path, skus: int, orders: int) -> None:
    """Products, stock, listings and orders, written directly with SQL."""
    from feedsync.catalog import open_catalog
    from feedsync.orders.store import OrderStore
    from feedsync.sync.state import ensure_schema

    _workspace(root)
    catalog = open_catalog(root / "feedsync.db")
    db = catalog.db
    OrderStore(db)
    ensure_schema(db)
    stamp = "2026-11-01T00:00:00Z"
    rng = random.Random(7)
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO products (sku, title, price, currency, attributes, content_hash,"
            " created_at, updated_at) VALUES (?, ?, ?, 'USD', ?, 'h', ?, ?)",
            ((f"SKU-{i:07d}", f"Product {i}", f"{10 + i % 90}.99",
              json.dumps({"cost": f"{4 + i % 30}.50"}) if i % 10 else "{}", stamp, stamp)
             for i in range(skus)))
        db.conn.executemany(
            "INSERT INTO inventory (sku, location, on_hand, reserved, updated_at)"
            " VALUES (?, 'main', ?, 0, ?)",
            ((f"SKU-{i:07d}", i % 20, stamp) for i in range(skus)))
        for channel in CHANNELS:
            db.conn.executemany(
                "INSERT INTO listings (channel, account, sku, status, remote_exists, issues,"
                " created_at, updated_at) VALUES (?, 'default', ?, ?, ?, ?, ?, ?)",
                ((channel, f"SKU-{i:07d}", "rejected" if i % 50 == 0 else "live",
                  0 if i % 50 == 0 else 1,
                  '[{"code": "missing_gtin", "severity": "error", "message": "GTIN"}]'
                  if i % 50 == 0 else "[]", stamp, stamp) for i in range(skus)))
        for n in range(orders):
            channel = CHANNELS[n % 2]
            placed = (NOW - timedelta(days=rng.randrange(30), minutes=rng.randrange(1440)))
            at = placed.isoformat().replace("+00:00", "Z")
            order_id = f"O-{n:07d}"
            status = "cancelled" if n % 97 == 0 else "shipped"
            db.conn.execute(
                "INSERT INTO orders (channel, account, order_id, status, created_at, updated_at,"
                " currency, fees, fulfillment_channel, content_hash, first_seen_at, stored_at)"
                " VALUES (?, 'default', ?, ?, ?, ?, 'USD', ?, 'merchant', 'h', ?, ?)",
                [channel, order_id, status, at, at,
                 "2.10" if channel == "amazon" else None, at, at])
            for line in range(2):
                sku = f"SKU-{rng.randrange(skus):07d}"
                db.conn.execute(
                    "INSERT INTO order_lines (channel, account, order_id, line_id, position,"
                    " sku, quantity, unit_price, currency, sku_known) VALUES"
                    " (?, 'default', ?, ?, ?, ?, ?, ?, 'USD', 1)",
                    [channel, order_id, str(line), line, sku, 1 + line, "19.99"])
    db.close()


def task_floor(root: Path) -> dict:
    """Counts over the listings, one pass over the period's order lines with Decimal sums."""
    import sqlite3

    conn = sqlite3.connect(root / "feedsync.db")
    counts = conn.execute("SELECT channel, status, COUNT(*) FROM listings"
                          " GROUP BY channel, status").fetchall()
    total = Decimal(0)
    start = (NOW - timedelta(days=29)).date().isoformat()
    for quantity, price in conn.execute(
            "SELECT l.quantity, l.unit_price FROM orders o JOIN order_lines l"
            " ON l.channel = o.channel AND l.account = o.account AND l.order_id = o.order_id"
            " WHERE o.created_at >= ? ORDER BY o.channel, o.account, o.order_id, l.position",
            [start]):
        total += Decimal(price) * quantity
    return {"groups": len(counts), "revenue": str(total)}


def task_report(root: Path) -> dict:
    """`feedsync report` as the CLI runs it."""
    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.report import build_report, render_html

    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    report = build_report(workspace, catalog.db, now=NOW)
    page = render_html(report)
    return {"bytes": len(page), "orders": sum(r["orders"]["orders"] for r in report["channels"])}


def run_task(task: str, root: Path) -> dict:
    """Run one task in this process and report its own resource use."""
    wall = time.perf_counter()
    result = {"floor": task_floor, "report": task_report}[task](root)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.update(task=task, wall=time.perf_counter() - wall, cpu=usage.ru_utime + usage.ru_stime,
                  rss_mb=usage.ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", default="1M")
    parser.add_argument("--orders", default="100k")
    parser.add_argument("--dir", default="/tmp/feedsync-bench-report")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = Path(args.dir)
    if args.task:
        print(json.dumps(run_task(args.task, root)))
        return
    skus, orders = parse_size(args.skus), parse_size(args.orders)
    if root.exists():
        import shutil

        shutil.rmtree(root)
    began = time.perf_counter()
    seed(root, skus, orders)
    print(f"seeded {skus:,} SKUs, {orders:,} orders in {time.perf_counter() - began:.0f} s")
    results = {}
    for task in ("floor", "report"):
        out = subprocess.run([sys.executable, __file__, "--dir", str(root), "--task", task],
                             check=True, capture_output=True, text=True).stdout
        results[task] = json.loads(out.strip().splitlines()[-1])
    floor, report = results["floor"], results["report"]
    print(f"{'task':<8} {'cpu s':>8} {'wall s':>8} {'peak RSS MB':>12}")
    for name in ("floor", "report"):
        r = results[name]
        print(f"{name:<8} {r['cpu']:>8.2f} {r['wall']:>8.2f} {r['rss_mb']:>12.1f}")
    print(f"report / floor (CPU): {report['cpu'] / floor['cpu']:.2f}x; page {report['bytes']:,}"
          f" bytes; {report['orders']:,} orders counted")


if __name__ == "__main__":
    main()
