"""Benchmark: Walmart feeds and calls of a first push and of a 1 % change, against the minimum,
and the hours Walmart's hourly feed quotas make a first push take.

    python bench/walmart_calls.py                       # 100k SKUs, 10,000-item feeds
    python bench/walmart_calls.py --feed-items 1000     # smaller feeds: more feeds, more hours

Everything real but the network: the shipped mappings/walmart.toml through the mapping engine,
the sync engine (plan, batching, submissions, listing state), the Walmart adapter, its client
and feedsync.http (token, throttle buckets with the documented hourly quotas, retries). Walmart
is a ``responses`` stand-in that counts every call and processes each feed at its first status
read with no failures, so the figures are feedsync's own: Walmart's real processing (up to four
hours for items, https://developer.walmart.com/doc/us/mp/us-mp-throttling) comes on top.

Runs are simulated as cron would make them, every ``--cron-minutes`` on a fake clock, each a
``push --wait 0``; the hours are the fake time until every SKU is live. The floor printed next
to each figure comes from the same run: feeds = ⌈items ÷ feed size⌉ MP_ITEM and ⌈items ÷ 10,000⌉
MP_INVENTORY (the largest inventory feeds), calls = one upload and one status read per feed and
one token per run; hours = ⌈item feeds ÷ 10⌉ − 1 (10 MP_ITEM feeds an hour, all usable at once).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.adapters.walmart.adapter import WalmartAdapter  # noqa: E402
from feedsync.adapters.walmart.config import HOSTS  # noqa: E402
from feedsync.adapters.walmart.limits import FEED_QUOTAS, MAX_FEED_ITEMS  # noqa: E402

from feedsync.catalog import open_catalog  # noqa: E402
from feedsync.clock import FakeClock  # noqa: E402
from feedsync.config import load_workspace  # noqa: E402
from feedsync.models import InventoryLevel, Product  # noqa: E402
from feedsync.sync.channels import bind_channel  # noqa: E402
from feedsync.sync.push import PushOptions, push_channel  # noqa: E402

BASE = HOSTS["production"]
CONFIG = """
[workspace]
name = "bench-walmart"

[channels.walmart]
enabled = true
delivery = "api"
ship_node = "10000003527"
"""
SECRETS = '[walmart]\nclient_id = "bench-client"\nclient_secret = "bench-secret"\n'
WORDS = ["soft", "durable", "organic", "cotton", "classic", "modern", "premium", "everyday"]


def gtin13(i: int) -> str:
    """A valid EAN-13 (GS1 check digit) unique per ``i``."""
    body = f"400{i:09d}"
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def product(i: int, rng: random.Random) -> Product:
    words = " ".join(rng.choice(WORDS) for _ in range(3))
    return Product(
        sku=f"SKU-{i:07d}", title=f"{words.title()} item {i}", currency="USD",
        price=Decimal(rng.randint(500, 20000)) / 100, brand="Acme", gtin=gtin13(i),
        description=f"<p>A {words} product, number {i}.</p>", category="Home > Kitchen",
        weight=Decimal(rng.randint(100, 2000)), weight_unit="g",
        images=[f"https://shop.example.com/img/{i}.jpg"])


class CountingWalmart:
    """Answers the Walmart calls the adapter makes, and counts them."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.feed_items: Counter[str] = Counter()
        self._feeds = 0

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, f"{BASE}/v3/token", callback=self._token)
        mock.add_callback(responses.POST, f"{BASE}/v3/feeds", callback=self._upload)
        mock.add_callback(responses.GET, re.compile(re.escape(BASE) + r"/v3/feeds/.+"),
                          callback=self._status)
        mock.add_callback(responses.PUT, re.compile(re.escape(BASE) + r"/v3/inventory.*"),
                          callback=self._put)

    @staticmethod
    def _json(body: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["token"] += 1
        return self._json({"access_token": f"bench-{self.calls['token']}",
                           "token_type": "Bearer", "expires_in": 900})

    def _upload(self, request: Any) -> tuple[int, dict[str, str], str]:
        feed_type = parse_qs(urlsplit(request.url).query)["feedType"][0]
        body = request.body if isinstance(request.body, bytes) else b""
        marker = {"MP_ITEM": b'"Orderable"', "price": b'"pricing"',
                  "MP_INVENTORY": b'"shipNodes"', "RETIRE_ITEM": b'{"sku"'}[feed_type]
        self.calls[f"feed:{feed_type}"] += 1
        self.feed_items[feed_type] += body.count(marker)
        self._feeds += 1
        return self._json({"feedId": f"F{self._feeds:031X}@AQMBAQA"})

    def _status(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["status"] += 1
        return self._json({"feedId": "x", "feedStatus": "PROCESSED", "itemsReceived": 0,
                           "itemsSucceeded": 0, "itemsFailed": 0, "itemsProcessing": 0,
                           "offset": 0, "limit": 50, "itemDetails": {"itemIngestionStatus": []}})

    def _put(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.calls["inventory PUT"] += 1
        return self._json(json.loads(request.body))

    def snapshot(self) -> Counter[str]:
        return Counter(self.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--feed-items", type=int, default=MAX_FEED_ITEMS,
                        help="items per MP_ITEM feed (Walmart's maximum: 10,000)")
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--cron-minutes", type=float, default=15.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="feedsync-bench-walmart-"))
    (root / "mappings").mkdir()
    (root / "feedsync.toml").write_text(CONFIG)
    (root / "secrets.toml").write_text(SECRETS)
    (root / "mappings" / "walmart.toml").write_text(
        (ROOT / "mappings" / "walmart.toml").read_text())
    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    rng = random.Random(7)
    started = time.process_time()
    catalog.upsert_products(product(i, rng) for i in range(args.skus))
    catalog.set_inventory(InventoryLevel(f"SKU-{i:07d}", "main", rng.randint(1, 50))
                          for i in range(args.skus))
    print(f"catalog: {args.skus:,} SKUs ({time.process_time() - started:.1f} CPU s)")

    adapter = type("BenchWalmart", (WalmartAdapter,), {
        "limits": replace(WalmartAdapter.limits, max_batch_items=args.feed_items)})
    clock = FakeClock(start=1_800_000_000.0)
    walmart = CountingWalmart()

    def run() -> dict[str, int]:
        binding = bind_channel(workspace, catalog.db, "walmart", adapter_cls=adapter,
                               clock=clock)
        result = push_channel(binding, catalog, PushOptions(wait=0, sleep=clock.sleep,
                                                            monotonic=clock.time))
        assert result.outcome.value in ("ok", "partial"), result.message
        return dict(result.counts)

    def settle(label: str, items: int) -> int:
        before, runs, t0, cpu = walmart.snapshot(), 0, clock.time(), time.process_time()
        pending, deferred = True, 0
        while pending:
            counts = run()
            runs += 1
            deferred += counts.get("deferred", 0)
            pending = counts.get("deferred", 0) > 0 or catalog.db.execute(
                "SELECT COUNT(*) FROM listings WHERE channel = 'walmart' AND status != 'live'"
            ).fetchone()[0] > 0 or catalog.db.execute(
                "SELECT COUNT(*) FROM submissions WHERE channel = 'walmart' AND state = "
                "'pending'").fetchone()[0] > 0
            if pending:
                clock.advance(args.cron_minutes * 60)
        calls = walmart.snapshot() - before
        feeds = {k.split(":", 1)[1]: v for k, v in calls.items() if k.startswith("feed:")}
        total = sum(calls.values())
        hours = (clock.time() - t0) / 3600
        print(f"{label}: {items:,} SKUs in {runs} run(s) every {args.cron_minutes:g} min, "
              f"{hours:.2f} h until all live ({deferred:,} SKU deferrals to a later run by the "
              f"hourly feed quotas); {time.process_time() - cpu:.1f} CPU s")
        print(f"  feeds: {dict(sorted(feeds.items()))} (items: "
              f"{dict(sorted((k, v) for k, v in walmart.feed_items.items()))})")
        print(f"  calls: {total} = {dict(sorted(calls.items()))}")
        walmart.feed_items.clear()
        return runs

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        walmart.install(mock)
        item_feeds = math.ceil(args.skus / args.feed_items)
        inventory_feeds = math.ceil(args.skus / MAX_FEED_ITEMS)
        runs = settle("first push", args.skus)
        quota = FEED_QUOTAS["MP_ITEM"]
        print(f"  floor: {item_feeds} MP_ITEM + ≥ {inventory_feeds} MP_INVENTORY feeds, "
              f"calls ≥ {2 * (item_feeds + inventory_feeds) + runs} (an upload and a status "
              f"read per feed, a token per run), hours ≥ "
              f"{max(0, math.ceil(item_feeds / quota) - 1)} ({quota} MP_ITEM feeds an hour)")

        clock.advance(3600)  # the change comes later: the hour's feed quotas are full again
        changed = max(int(args.skus * args.changed), 3)
        picked = sorted(rng.sample(range(args.skus), changed))
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
        catalog.set_inventory(InventoryLevel(f"SKU-{i:07d}", "main", 1)
                              for i in picked[2 * third:])
        settle(f"{args.changed:.0%} change", changed)
        print("  floor: 1 MP_ITEM (titles) + 1 price + 1 MP_INVENTORY feed, calls ≥ 7 "
              "(3 uploads, 3 status reads, 1 token)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
