"""Benchmark: eBay HTTP calls of a first push and of a 1 % change, against the minimum.

    python bench/ebay_calls.py                # 5,000 SKUs (a quick run)
    python bench/ebay_calls.py --skus 100k    # the figure docs/channels/ebay.md quotes

Everything runs through the real sync engine (dirty tracking, plan, batching by the adapter's
limits, submissions, listing state) and the real eBay adapter; the Sell APIs are the in-process
double of the adapter's tests (tests/adapters/ebay/ebay_double.py, request validation off) on
``responses``, so no network is used and every HTTP call is counted by operation.

Minimum, from the same run: every Inventory API bulk call takes at most 25 entries, so a step
over ``n`` SKUs costs at least ⌈n ÷ 25⌉ calls. A first push has three steps per SKU (inventory
item, offer, publish); in the 1 % change a third of the changed SKUs get a new title (one
inventory-item step), a third a new price and a third a new quantity (one
bulkUpdatePriceQuantity step for both). Token requests are reported apart.
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "adapters" / "ebay"))

from ebay_double import CLIENT, EbayDouble  # noqa: E402
from ebay_records import SETTINGS, record, simple  # noqa: E402
from feedsync.adapters.ebay.adapter import EbayAdapter  # noqa: E402
from feedsync.adapters.ebay.schema import SCHEMA  # noqa: E402

from feedsync.catalog import open_catalog  # noqa: E402
from feedsync.clock import FakeClock  # noqa: E402
from feedsync.config import Workspace, parse_settings  # noqa: E402
from feedsync.models import Product  # noqa: E402
from feedsync.sync.channels import bind_channel  # noqa: E402
from feedsync.sync.push import PushOptions, push_channel  # noqa: E402
from feedsync.testing import StaticMapper  # noqa: E402

BULK = 25
SECRETS = {"client_id": CLIENT[0], "client_secret": CLIENT[1], "refresh_token": "bench-token"}


def parse_size(text: str) -> int:
    """``5000``, ``100k`` or ``1M``."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def sku(i: int) -> str:
    return f"SKU-{i:07d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", default="5000")
    parser.add_argument("--changed", type=float, default=0.01, help="share changed (0.01)")
    args = parser.parse_args()
    count = parse_size(args.skus)
    root = Path(tempfile.mkdtemp(prefix="feedsync-ebay-bench-"))
    settings = parse_settings({"workspace": {"name": "bench"}, "channels": {"ebay": {
        "enabled": True, "delivery": "api", **SETTINGS,
        "guardrails": {"max_zero_quantity_share": 1.0, "max_price_change_pct": 1000}}}},
        root / "feedsync.toml")
    workspace = Workspace(root=root, settings=settings, _secrets_file={"ebay": SECRETS})
    catalog = open_catalog(workspace.db_path)
    records = {sku(i): record(simple(sku(i), price=f"{10 + i % 90}.00", quantity="5"))
               for i in range(count)}
    catalog.upsert_products(Product(sku=s, title=s, price=Decimal("10"), currency="USD")
                            for s in records)
    mapper = StaticMapper(schema=SCHEMA, records=records)

    with EbayDouble(validate=False, keep_requests=False) as double:
        def push() -> tuple[Counter[str], float, str]:
            before = Counter(double.counts)
            tokens = double.token_requests
            binding = bind_channel(workspace, catalog.db, "ebay", mapper=mapper,
                                   adapter_cls=EbayAdapter, clock=FakeClock(1_800_000_000.0))
            started = time.process_time()
            result = push_channel(binding, catalog, PushOptions(wait=0.0))
            cpu = time.process_time() - started
            calls = double.counts - before
            calls["(token)"] = double.token_requests - tokens
            return calls, cpu, f"{result.outcome.value} {result.message or ''}".strip()

        first, first_cpu, first_outcome = push()
        changed = max(3, round(count * args.changed))
        step = count // changed
        picked = [sku(i * step) for i in range(changed)]
        titles, prices, quantities = picked[0::3], picked[1::3], picked[2::3]
        for s in titles:
            records[s] = record(simple(s, title=f"Stoneware Mug {s}",
                                       price=records[s].fields["price"], quantity="5"))
        for s in prices:
            price = Decimal(str(records[s].fields["price"])) + 1
            records[s] = record(simple(s, price=f"{price:.2f}", quantity="5"))
        for s in quantities:
            records[s] = record(simple(s, price=records[s].fields["price"], quantity="0"))
        catalog.db.conn.executemany("UPDATE products SET title = title || ' ' WHERE sku = ?",
                                    [[s] for s in picked])
        second, second_cpu, second_outcome = push()

    def report(name: str, calls: Counter[str], minimum: int, cpu: float, outcome: str) -> None:
        api = sum(n for op, n in calls.items() if op != "(token)")
        print(f"{name}: {api} API calls (+{calls['(token)']} token), minimum {minimum}, "
              f"ratio {api / minimum:.3f}, CPU {cpu:.1f} s, outcome {outcome}")
        for op, n in sorted(calls.items()):
            print(f"    {op:<36} {n}")

    print(f"eBay push calls for {count:,} SKUs (bulk calls take ≤ {BULK} entries)")
    report("first push", first, 3 * math.ceil(count / BULK), first_cpu, first_outcome)
    minimum = math.ceil(len(titles) / BULK) + math.ceil((len(prices) + len(quantities)) / BULK)
    report(f"{args.changed:.0%} change ({len(titles)} titles, {len(prices)} prices, "
           f"{len(quantities)} quantities)", second, minimum, second_cpu, second_outcome)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
