"""Fault run (issue #16): the same shop day with and without 20 % injected faults, per channel.

A small catalog (a variation family and a mug from samples/catalog.csv) is pushed to every
channel the sandbox emulates; buyers order on the selling channels; feedsync pulls, acknowledges,
fast-paths and pushes; every stored merchant-fulfilled order is shipped with `orders ship`. Runs
repeat like cron until nothing is open. The faults (seeded, feedsync/sandbox/faults.py) are a
fifth of every call: the marketplace's own 429, a 503, a dropped connection, an answer lost after
the work was done — across push, orders, acknowledge and ship.

Printed per channel, fault-free vs faulty: calls made, faults injected, calls ÷ (fault-free +
faults) (the issue's bound: at most 1.5), shipments confirmed more than once, create-like calls
processed more than once, orders placed but not stored (lost), SKUs neither live nor rejected
with a reason, and the wall time of the whole day. Exits 1 if an invariant breaks.

    python bench/fault_run.py [--seed 11] [--orders 3] [--share 0.05]
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from feedsync.cli.main import cli  # noqa: E402
from feedsync.registry import builtin_channels  # noqa: E402
from feedsync.sandbox import parse_fault, running_sandbox  # noqa: E402
from feedsync.sandbox.buyers import place_orders  # noqa: E402
from feedsync.sandbox.registry import load_all  # noqa: E402
from feedsync.sandbox.workspace import write_sandbox_workspace  # noqa: E402

SAMPLE = REPO / "samples" / "catalog.csv"
FAMILY, MUG = "HOOD-MER", "MUG-STN-350"
SELLERS = ("amazon", "ebay", "etsy", "walmart")
PLACED_AGO = 130.0  # Amazon lists orders two minutes old; the pull's lookback still reads them
# Seconds between runs while something is open. Cron runs every few minutes, longer than any
# read-back settle window (Amazon: 60 s before "not in getFeeds" proves a feed never arrived),
# so by default the next run comes after it, as it would in production.
CRON_GAP = 65.0
MAX_RUNS = 10
# The non-idempotent operations (each creates something or confirms a shipment): processed
# twice = a duplicate. Upserts (Meta items_batch, Google productInputs.insert, eBay's bulk
# inventory/offer/publish calls) may be repeated harmlessly and are not counted.
CREATE_LIKE = ("createFeed", "confirmShipment", "createShippingFulfillment",
               "createReceiptShipment", "shippingUpdates", "createDraftListing", "uploadFeed")
SHIP_OPERATIONS = ("confirmShipment", "createShippingFulfillment", "createReceiptShipment",
                   "shippingUpdates")


@dataclass
class DayResult:
    """What one simulated day did, per channel."""

    seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)
    operations: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    processed: dict[str, dict[str, int]] = field(default_factory=dict)  # create-like ops
    lost_orders: dict[str, list[str]] = field(default_factory=dict)
    double_shipped: dict[str, int] = field(default_factory=dict)
    unsettled: dict[str, int] = field(default_factory=dict)
    reserved_ok: bool = True
    ship_results: dict[str, int] = field(default_factory=dict)
    exit_codes: list[int] = field(default_factory=list)


def channels() -> list[str]:
    """Channels with an adapter and a sandbox module."""
    return sorted(set(builtin_channels()) & set(load_all()))


def feedsync(workspace: Path, *args: str) -> Any:
    """Run the CLI in-process."""
    return CliRunner().invoke(cli, ["--workspace", str(workspace), *args])


def feedsync_json(workspace: Path, *args: str) -> dict[str, Any]:
    """Run the CLI with --json; its object."""
    result = feedsync(workspace, "--json", *args)
    return dict(json.loads(result.output.strip().splitlines()[-1]))


def query(workspace: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Rows of the workspace database (read-only)."""
    with closing(sqlite3.connect(f"file:{workspace / 'feedsync.db'}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def small_catalog(path: Path) -> list[str]:
    """The family and the mug of the sample catalog; their SKUs."""
    with SAMPLE.open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [r for r in reader if r["item_group_id"] == FAMILY or r["sku"] == MUG]
        fields = list(reader.fieldnames or [])
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return [r["sku"] for r in rows]


def settle(workspace: Path, result: DayResult) -> None:
    """`feedsync sync` like cron until nothing is pending or open."""
    for _ in range(MAX_RUNS):
        run = feedsync(workspace, "sync")
        result.exit_codes.append(run.exit_code)
        if "Traceback" in run.output:
            raise SystemExit(f"traceback in sync:\n{run.output}")
        status = feedsync_json(workspace, "status")["channels"]
        if run.exit_code == 0 and all(c.get("pending", 0) == 0
                                      and c.get("open_submissions", 0) == 0 for c in status):
            return
        time.sleep(CRON_GAP)


def ship_everything(workspace: Path, result: DayResult) -> None:
    """Ship every stored merchant-fulfilled open order until each is confirmed (or refused)."""
    orders = query(workspace, "SELECT channel, order_id FROM orders WHERE fulfillment_channel"
                   " != 'marketplace' AND status IN ('unshipped', 'pending',"
                   " 'partially_shipped') ORDER BY channel, order_id")
    if not orders:
        return
    path = workspace / "ship.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["channel", "order_id", "carrier", "tracking_number"])
        for number, row in enumerate(orders):
            writer.writerow([row["channel"], row["order_id"], "UPS", f"1Z999AA1{number:010d}"])
    for _ in range(MAX_RUNS):
        shipped = feedsync_json(workspace, "orders", "ship", str(path))
        statuses = [r["status"] for r in shipped.get("results", [])]
        if all(s in ("confirmed", "already_confirmed", "error") for s in statuses):
            break
        time.sleep(CRON_GAP)
    for row in shipped.get("results", []):
        status = "confirmed" if row["status"] == "already_confirmed" else row["status"]
        key = f"{row.get('channel')}:{status}"
        result.ship_results[key] = result.ship_results.get(key, 0) + 1


@contextmanager
def day(seed: int, faults: list[str], orders_per_seller: int) -> Iterator[DayResult]:
    """One simulated day on a fresh sandbox and workspace."""
    result = DayResult()
    with tempfile.TemporaryDirectory(prefix="feedsync-faults-") as scratch:
        root = Path(scratch)
        rules = [parse_fault(f) for f in faults]
        with running_sandbox(root / "sandbox.db", channels=channels(), faults=rules,
                             seed=seed) as sandbox:
            workspace = root / "shop"
            workspace.mkdir()
            write_sandbox_workspace(workspace, app=sandbox.app)
            skus = small_catalog(root / "catalog.csv")
            started = time.monotonic()
            imported = feedsync(workspace, "catalog", "import", str(root / "catalog.csv"))
            assert imported.exit_code == 0, imported.output
            settle(workspace, result)
            placed: dict[str, list[str]] = {}
            units: dict[str, int] = dict.fromkeys(skus, 0)
            for number, seller in enumerate(s for s in SELLERS if s in channels()):
                bought = place_orders(sandbox.app, seller, orders_per_seller, seed=number,
                                      multi_line_share=0.5, placed_ago=PLACED_AGO)
                placed[seller] = bought.orders
                for sku, count in bought.by_sku.items():
                    units[sku] += count
            settle(workspace, result)
            reserved = {r["sku"]: r["units"] for r in query(
                workspace, "SELECT sku, SUM(reserved) AS units FROM stock_ledger GROUP BY sku")}
            result.reserved_ok = all(reserved.get(s, 0) == units[s] for s in skus)
            ship_everything(workspace, result)
            result.seconds = time.monotonic() - started
            _measure(sandbox.app, workspace, skus, placed, result)
            yield result


def _measure(app: Any, workspace: Path, skus: list[str], placed: dict[str, list[str]],
             result: DayResult) -> None:
    result.operations = app.call_counts()
    for channel, operations in result.operations.items():
        total = faulted = 0
        for operation, outcomes in operations.items():
            for outcome, count in outcomes.items():
                total += count
                if outcome in ("429", "503", "dropped", "lost"):
                    faulted += count
            if operation in CREATE_LIKE:
                done = sum(c for o, c in outcomes.items() if o.startswith("2") or o == "lost")
                result.processed.setdefault(channel, {})[operation] = done
        result.calls[channel] = total
        result.faults[channel] = faulted
    stored = {(r["channel"], r["order_id"]) for r in query(
        workspace, "SELECT channel, order_id FROM orders")}
    for seller, ids in placed.items():
        result.lost_orders[seller] = [i for i in ids if (seller, i) not in stored]
    for row in query(workspace, "SELECT channel, COUNT(*) AS n FROM listings WHERE status NOT"
                     " IN ('live', 'rejected', 'deleted') OR (status = 'rejected' AND"
                     " (issues IS NULL OR issues = '[]')) GROUP BY channel"):
        result.unsettled[row["channel"]] = row["n"]
    shipments = query(workspace, "SELECT channel, COUNT(*) AS n FROM shipments WHERE status ="
                      " 'confirmed' GROUP BY channel")
    confirmed = {r["channel"]: r["n"] for r in shipments}
    for channel, operations in result.processed.items():
        ship_ops = [o for o in operations if o in SHIP_OPERATIONS]
        done = sum(operations[o] for o in ship_ops)
        result.double_shipped[channel] = max(done - confirmed.get(channel, 0), 0)


def report(clean: DayResult, faulty: DayResult) -> bool:
    """Print the table; True if every invariant holds."""
    ok = True
    # The bound: calls within 1.5x the fault-free run plus the retries (one per fault).
    print(f"{'channel':10} {'calls':>6} {'faulty':>7} {'faults':>7} {'bound':>6} "
          f"{'x clean':>7} {'dup':>4} {'lost':>5} {'unsettled':>9}")
    for channel in sorted(set(clean.calls) | set(faulty.calls)):
        base, calls = clean.calls.get(channel, 0), faulty.calls.get(channel, 0)
        faults = faulty.faults.get(channel, 0)
        bound = 1.5 * base + faults
        dup = faulty.double_shipped.get(channel, 0) + sum(
            max(n - clean.processed.get(channel, {}).get(op, 0), 0)
            for op, n in faulty.processed.get(channel, {}).items()
            if op not in SHIP_OPERATIONS)
        lost = len(faulty.lost_orders.get(channel, []))
        unsettled = faulty.unsettled.get(channel, 0)
        times = calls / base if base else 0.0
        print(f"{channel:10} {base:6d} {calls:7d} {faults:7d} {bound:6.0f} {times:7.2f} "
              f"{dup:4d} {lost:5d} {unsettled:9d}")
        ok &= calls <= bound and dup == 0 and lost == 0 and unsettled == 0
    print(f"time: fault-free {clean.seconds:.0f} s, faulty {faulty.seconds:.0f} s "
          f"(cron gap {CRON_GAP:.0f} s between runs while something is open)")
    print(f"runs: fault-free {clean.exit_codes}, faulty {faulty.exit_codes}")
    print(f"stock reserved once per ordered unit: fault-free {clean.reserved_ok}, "
          f"faulty {faulty.reserved_ok}")
    print(f"shipments: fault-free {clean.ship_results}, faulty {faulty.ship_results}")
    print("create-like calls processed (2xx or lost), fault-free vs faulty:")
    for channel in sorted(faulty.processed):
        print(f"  {channel}: {clean.processed.get(channel, {})} vs {faulty.processed[channel]}")
    ok &= faulty.reserved_ok and clean.reserved_ok
    return ok


def main() -> int:
    global CRON_GAP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--orders", type=int, default=3, help="orders per selling channel")
    parser.add_argument("--share", type=float, default=0.05,
                        help="share of each fault kind (4 kinds: 0.05 = 20 %% of calls)")
    parser.add_argument("--gap", type=float, default=CRON_GAP,
                        help="seconds between runs while something is open")
    args = parser.parse_args()
    CRON_GAP = args.gap
    kinds = ("429", "5xx", "drop", "lost")
    with day(args.seed, [], args.orders) as clean:
        pass
    with day(args.seed, [f"*:{k}:{args.share:g}" for k in kinds], args.orders) as faulty:
        pass
    return 0 if report(clean, faulty) else 1


if __name__ == "__main__":
    raise SystemExit(main())
