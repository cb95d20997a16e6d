"""Benchmark: the sync engine on a synthetic catalog against a fake channel that counts calls.

    python bench/sync.py                    # 100k SKUs, batches of 5,000 (Meta's items_batch)
    python bench/sync.py --skus 1M          # a million (catalog creation takes minutes)
    python bench/sync.py --max-batch 1000 --max-bytes 4000000

Steps, all through the real engine (ChannelMapper with a Google-like mapping, dirty tracking in
SQL, the plan table, batching, submissions, listing state) and the FakeAdapter/FakeChannel:

1. create the catalog with ``Catalog.upsert_products`` (and stock);
2. first push: everything is created;
3. no-op plan: nothing changed (must cost seconds, not a re-render);
4. change 1 % of SKUs (a third each: title, price +10 %, stock to 0), plan, then push;
5. report the channel calls made against the minimum (changed ÷ max batch, rounded up), the
   wall times, and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.catalog import open_catalog  # noqa: E402
from feedsync.config import load_workspace  # noqa: E402
from feedsync.models import InventoryLevel, Product  # noqa: E402
from feedsync.sync.channels import bind_channel  # noqa: E402
from feedsync.sync.plan import build_plan  # noqa: E402
from feedsync.sync.push import PushOptions, push_channel  # noqa: E402
from feedsync.testing import FakeAdapter, FakeChannel  # noqa: E402

CONFIG = """
[workspace]
name = "bench"

[channels.fake]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"
"""

MAPPING = """
channel = "fake"

[fields]
id = "sku"
title = { from = "title", transforms = ["strip_html", { name = "truncate", args = { max = 150 } }] }
description = { first = ["description", "title"], transforms = [
    "strip_html", { name = "truncate", args = { max = 5000, ellipsis = "…" } }] }
link = "link"
image_link = "image"
brand = "brand"
gtin = { from = "gtin", transform = "gtin" }
price = { rule = "price" }
sale_price = { rule = "sale_price" }
quantity = { rule = "quantity" }
availability = { rule = "availability" }

[filters]
include = [{ status = "active" }]
"""

WORDS = ["soft", "durable", "organic", "cotton", "lightweight", "classic", "modern", "premium",
         "everyday", "comfort", "weatherproof", "stainless", "handmade", "recycled"]


def parse_size(text: str) -> int:
    """'100k' → 100000, '1M' → 1000000."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def product(i: int, rng: random.Random, title_suffix: str = "") -> Product:
    words = " ".join(rng.choice(WORDS) for _ in range(3))
    return Product(
        sku=f"SKU-{i:07d}", title=f"{words.title()} item {i}{title_suffix}",
        price=Decimal(rng.randint(500, 20000)) / 100, currency="USD",
        description=f"<p>A {words} product, number {i}. " + " ".join(
            rng.choice(WORDS) for _ in range(40)) + "</p>",
        brand="Acme", link=f"https://shop.example.com/p/{i}",
        images=[f"https://shop.example.com/img/{i}.jpg"], category="Home > Kitchen",
    )


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", default="100k")
    parser.add_argument("--changed", type=float, default=0.01, help="share changed (0.01)")
    parser.add_argument("--max-batch", type=int, default=5000)
    parser.add_argument("--max-bytes", type=int, default=28_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="workspace (default: a temp dir)")
    args = parser.parse_args()
    count = parse_size(args.skus)
    root = args.dir or Path(tempfile.mkdtemp(prefix="feedsync-bench-sync-"))
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "feedsync.toml").write_text(CONFIG)
    (root / "mappings" / "fake.toml").write_text(MAPPING)
    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    rng = random.Random(7)

    started = time.perf_counter()
    catalog.upsert_products(product(i, rng) for i in range(count))
    catalog.set_inventory(InventoryLevel(f"SKU-{i:07d}", "main", rng.randint(1, 50))
                          for i in range(count))
    print(f"catalog: {count:,} SKUs created in {time.perf_counter() - started:.1f} s")

    channel = FakeChannel(retain=False)
    adapter = FakeAdapter.with_limits(args.max_batch, args.max_bytes)

    def bind():  # type: ignore[no-untyped-def]
        return bind_channel(workspace, catalog.db, "fake", adapter_cls=adapter,
                            extras={"fake_channel": channel})

    def timed_push() -> tuple[float, int, dict[str, int]]:
        calls = channel.request_count
        t0 = time.perf_counter()
        result = push_channel(bind(), catalog, PushOptions(wait=0))
        assert result.outcome.value == "ok", result.message
        return time.perf_counter() - t0, channel.request_count - calls, result.counts

    def timed_plan() -> tuple[float, int, int]:
        t0 = time.perf_counter()
        plan = build_plan(bind(), catalog)
        seconds = time.perf_counter() - t0
        total, examined = plan.total, plan.examined
        plan.close()
        return seconds, total, examined

    seconds, calls, counts = timed_push()
    minimum = math.ceil(count / args.max_batch)
    print(f"first push: {counts.get('items', 0):,} items in {seconds:.1f} s; "
          f"{calls} channel calls (minimum {minimum})")
    seconds, total, examined = timed_plan()
    print(f"no-op plan: {seconds:.2f} s ({total} changes, {examined} SKUs re-rendered)")

    changed = max(int(count * args.changed), 3)
    picked = sorted(rng.sample(range(count), changed))
    third = changed // 3
    edited = []
    for n, i in enumerate(picked[:2 * third]):
        item = catalog.get_product(f"SKU-{i:07d}")
        assert item is not None
        if n < third:
            item.title += " (new)"
        else:
            item.price = (item.price * Decimal("1.1")).quantize(Decimal("0.01"))
        edited.append(item)
    catalog.upsert_products(edited)
    catalog.set_inventory(InventoryLevel(f"SKU-{i:07d}", "main", 0) for i in picked[2 * third:])
    seconds, total, examined = timed_plan()
    print(f"1 % plan: {seconds:.2f} s ({total:,} changes, {examined:,} SKUs re-rendered)")
    seconds, calls, counts = timed_push()
    minimum = math.ceil(counts.get("items", 0) / args.max_batch)
    print(f"1 % push: {counts.get('items', 0):,} items in {seconds:.2f} s; {calls} channel "
          f"call(s), minimum {minimum} (changed ÷ max batch {args.max_batch}, rounded up)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    print(f"workspace: {root}")


if __name__ == "__main__":
    main()
