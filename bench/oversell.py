"""Benchmark: the oversell window — from a sale on one marketplace until every other
marketplace shows the new quantity — through `feedsync sync`, on the sandbox.

    python bench/oversell.py                      # 500 SKUs, 5 rounds of 3 orders (~1 min)
    python bench/oversell.py --skus 100k --rounds 5
    python bench/oversell.py --seller etsy --channels amazon,ebay,etsy,walmart,facebook

Setup: the sandbox (all emulated marketplaces, in this process, loopback), a sandbox workspace,
a synthetic catalog of N standalone products (the sample's mug, N times, with valid GTINs),
one `feedsync sync` to list it everywhere (not timed). Then, per round: buyers place orders on
the seller channel, and `feedsync sync` runs as cron would (a child process: its wall and CPU
seconds are measured). A watcher reads every channel's sandbox state every 20 ms and notes when
each ordered SKU shows its new quantity; the window of a round is the last of those moments
minus the moment the orders were placed.

Printed, from the same run: the window (median, worst), the sandbox calls per round by
channel, and the floor it is judged against:

- floor: a `feedsync --version` process (interpreter and CLI start — any cron job pays it);
- baseline: a `feedsync sync` with no order to propagate (pull everything, push nothing);
- window / baseline and the sync's CPU seconds show what propagating the sale costs on top.

Not included: the seller's own delay before its API lists an order (Amazon's searchOrders
shows orders two minutes old; the Etsy adapter waits 30 s) — printed as a documented constant
to add — and the cron interval between a sale and the next run. Buyers' orders are backdated
by that delay so a round measures feedsync, not the wait. Google is left out by default (it
shows availability, not a quantity, and its per-product pace of 5 inserts/s makes listing 100k
SKUs take hours); Etsy too for the same reason (10 calls/s, several per listing).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.sandbox import running_sandbox  # noqa: E402
from feedsync.sandbox.buyers import place_orders  # noqa: E402
from feedsync.sandbox.workspace import write_sandbox_workspace  # noqa: E402

SAMPLE = ROOT / "samples" / "catalog.csv"
TEMPLATE_SKU = "MUG-STN-350"
VISIBILITY_DELAY = {"amazon": 125.0, "etsy": 30.0}  # the adapters' documented settle times
PLACED_AGO = 130.0


def parse_size(text: str) -> int:
    """'10k' → 10000."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def gtin13(number: int) -> str:
    """A valid EAN-13 (GS1 check digit) from a 12-digit body."""
    body = f"200{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def write_catalog(path: Path, count: int, seed: int) -> list[str]:
    """``count`` copies of the sample mug with their own SKU, GTIN and stock; returns SKUs."""
    with SAMPLE.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        template = next(r for r in reader if r["sku"] == TEMPLATE_SKU)
        fields = list(reader.fieldnames or [])
    draw = random.Random(seed)
    skus = []
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=fields)
        writer.writeheader()
        for number in range(count):
            sku = f"BENCH-{number:06d}"
            skus.append(sku)
            writer.writerow({**template, "sku": sku, "gtin": gtin13(number),
                             "mpn": f"BM-{number:06d}",
                             "title": f"{template['title']} #{number}",
                             "link": f"https://shop.example.com/products/mug-{number}",
                             "quantity": str(draw.randint(20, 60))})
    return skus


def feedsync(workspace: Path, *args: str) -> tuple[float, float, int, str]:
    """Run the CLI in a child process: (wall s, CPU s, exit code, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "feedsync", "--workspace", str(workspace),
                           *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode, done.stdout + done.stderr


class Watcher(threading.Thread):
    """Notes when each (channel, SKU) first shows its expected quantity."""

    def __init__(self, sandbox: Any, expected: dict[str, int], channels: list[str]) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.expected, self.channels = sandbox, expected, channels
        self.seen: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        app = self.sandbox.app
        skus = list(self.expected)
        while not self.stop.is_set():
            for channel in self.channels:
                with app.store.transaction() as db:
                    shown = app.markets[channel].quantities(app.exchange(channel, db), skus)
                now = time.perf_counter()
                for sku, quantity in shown.items():
                    if quantity == self.expected[sku]:
                        self.seen.setdefault((channel, sku), now)
            if len(self.seen) == len(skus) * len(self.channels):
                return
            self.stop.wait(0.02)


def calls_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Calls per channel between two call-count snapshots."""
    def total(counts: dict[str, Any], channel: str) -> int:
        return sum(sum(o.values()) for o in counts.get(channel, {}).values())
    return {c: total(after, c) - total(before, c) for c in sorted(after)
            if total(after, c) - total(before, c)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", default="500", help="catalog size (e.g. 500, 10k, 100k)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orders", type=int, default=3, help="orders per round")
    parser.add_argument("--seller", default="ebay", help="the channel buyers order on")
    parser.add_argument("--channels", default="amazon,ebay,walmart,facebook",
                        help="channels listing the catalog (comma-separated)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    count = parse_size(args.skus)
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    if args.seller not in channels:
        parser.error("--seller must be one of --channels")
    with tempfile.TemporaryDirectory(prefix="bench-oversell-") as scratch:
        return run(Path(scratch), count, channels, args)


def run(scratch: Path, count: int, channels: list[str], args: argparse.Namespace) -> int:
    """Set up, measure, print."""
    with running_sandbox(scratch / "sandbox.db", channels=channels) as sandbox:
        workspace = scratch / "shop"
        workspace.mkdir()
        write_sandbox_workspace(workspace, app=sandbox.app)
        write_catalog(scratch / "catalog.csv", count, args.seed)
        started = time.perf_counter()
        for step in (("catalog", "import", str(scratch / "catalog.csv")), ("sync",)):
            wall, _, code, output = feedsync(workspace, *step)
            if code not in (0, 3):
                print(output, file=sys.stderr)
                return 1
        print(f"setup: {count} SKUs listed on {', '.join(channels)} in "
              f"{time.perf_counter() - started:.1f} s (not timed below)")
        floor = [feedsync(workspace, "--version")[:2] for _ in range(3)]
        baseline = [feedsync(workspace, "sync")[:2] for _ in range(3)]
        windows, syncs, calls = [], [], []
        others = [c for c in channels if c != args.seller]
        for round_ in range(args.rounds):
            placed = place_orders(sandbox.app, args.seller, args.orders, seed=args.seed + round_,
                                  multi_line_share=0.3, placed_ago=PLACED_AGO)
            sold_at = time.perf_counter()
            with sandbox.app.store.transaction() as db:
                shown = sandbox.app.markets[args.seller].quantities(
                    sandbox.app.exchange(args.seller, db), list(placed.by_sku))
            watcher = Watcher(sandbox, shown, others)  # the seller already shows the sale
            watcher.start()
            snapshot = sandbox.app.call_counts()
            wall, cpu, code, output = feedsync(workspace, "sync")
            watcher.join(timeout=30)
            watcher.stop.set()
            if len(watcher.seen) < len(shown) * len(others):
                print(f"round {round_}: not every channel shows the sale:\n{output}",
                      file=sys.stderr)
                return 1
            windows.append(max(watcher.seen.values()) - sold_at)
            syncs.append((wall, cpu))
            calls.append(calls_delta(snapshot, sandbox.app.call_counts()))
        report(count, args, channels, windows, syncs, calls, floor, baseline)
    return 0


def report(count: int, args: argparse.Namespace, channels: list[str], windows: list[float],
           syncs: list[tuple[float, float]], calls: list[dict[str, int]],
           floor: list[tuple[float, float]], baseline: list[tuple[float, float]]) -> None:
    """Print the figures (medians over rounds)."""
    def med(values: list[float]) -> float:
        return statistics.median(values)

    floor_wall, base_wall = med([w for w, _ in floor]), med([w for w, _ in baseline])
    print(f"oversell window, {count} SKUs, orders on {args.seller} "
          f"({args.orders} per round, {args.rounds} rounds) → "
          f"{', '.join(c for c in channels if c != args.seller)}:")
    print(f"  window  median {med(windows):.2f} s   worst {max(windows):.2f} s")
    print(f"  sync    median {med([w for w, _ in syncs]):.2f} s wall, "
          f"{med([c for _, c in syncs]):.2f} s CPU")
    print(f"  floor   `feedsync --version` {floor_wall:.2f} s wall, "
          f"{med([c for _, c in floor]):.2f} s CPU")
    print(f"  baseline `feedsync sync`, nothing to propagate: {base_wall:.2f} s wall, "
          f"{med([c for _, c in baseline]):.2f} s CPU")
    print(f"  ratios  window/baseline {med(windows) / base_wall:.2f}   "
          f"window/floor {med(windows) / floor_wall:.2f}")
    per_channel = {c: med([float(r.get(c, 0)) for r in calls]) for c in channels}
    print("  calls per round (median): " + ", ".join(f"{c} {n:g}" for c, n in
                                                      per_channel.items()))
    delay = VISIBILITY_DELAY.get(args.seller)
    if delay:
        print(f"  add {delay:g} s: {args.seller}'s API lists an order only that long after it "
              "is placed (documented; orders were backdated so the rounds measure feedsync)")
    print("  plus the cron interval between the sale and the next `feedsync sync`")


if __name__ == "__main__":
    sys.exit(main())
