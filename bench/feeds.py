"""Benchmark: feed files from a synthetic catalog, against the floor of a bare csv.writer.

    python bench/feeds.py                      # 10k and 100k SKUs
    python bench/feeds.py --sizes 10k,100k,1M  # the 1M catalog takes a few minutes to create

For each size, a synthetic catalog is created once with ``Catalog.upsert_products`` (and kept
in bench/out/feeds-<N>/ for later runs), then each task runs in its own subprocess, so the peak
RSS printed is that task's alone:

- floor: read the same product rows from SQLite and write them with a bare ``csv.writer``;
- lean-google: the lean floor of issue #19 — only the fields the Google feed shows (id, title,
  description, link, first and other images, availability from the stock total, price, sale
  price, brand, gtin, mpn, condition, item group, colour, size, category), read from the catalog
  and written as escaped ``<item>`` lines, no mapping rules; the engine's target is ≤ 2× this;
- map only (google): the mapping engine alone, records discarded (where the time goes);
- google xml / meta csv: the real path, ``build_channel_feed`` (mapping + writer + atomic
  publish) exactly as ``feedsync feed build`` runs it.

Goal: the real path within 3x of the floor, and peak RSS flat in N.

``--instructions`` also counts the instructions per SKU of lean-google and map-google with
valgrind's callgrind, the task alone (instrumentation switched on around it): independent of
the machine's load, which makes CPU seconds on a shared machine vary by ±30 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.catalog import Catalog, open_catalog  # noqa: E402
from feedsync.catalog.rows import CONTENT_COLUMNS  # noqa: E402
from feedsync.models import InventoryLevel, Product  # noqa: E402

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TASKS = ("floor", "lean-google", "map-google", "google-xml", "meta-csv")
LEAN_COLUMNS = ("sku", "title", "description", "link", "price", "currency", "sale_price",
                "brand", "gtin", "mpn", "condition", "item_group_id", "color", "size",
                "category")
CATEGORIES = [
    "Apparel > Shirts > T-Shirts", "Apparel > Shirts > Polos", "Apparel > Trousers > Jeans",
    "Home > Kitchen > Cookware", "Home > Garden > Tools", "Toys > Puzzles",
    "Electronics > Audio > Headphones", "Sports > Outdoor > Tents",
]
COLORS = ["Red", "Blue", "Green", "Black"]
SIZES = ["S", "M", "L"]
WORDS = ["soft", "durable", "organic", "cotton", "lightweight", "classic", "modern", "premium",
         "everyday", "comfort", "weatherproof", "stainless", "handmade", "recycled", "compact",
         "ergonomic"]


def parse_size(text: str) -> int:
    """'10k' → 10000, '1M' → 1000000, '2500' → 2500."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def gtin13(number: int) -> str:
    """A valid EAN-13 from a 12-digit body (check digit computed)."""
    body = f"{number % 10**12:012d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def synthetic_products(count: int, seed: int = 7) -> Iterator[Product]:
    """``count`` realistic-looking products: families of variants, images, sales, HTML."""
    rng = random.Random(seed)
    index = 0
    family = 0
    while index < count:
        family += 1
        variants = [(c, s) for c in COLORS[: rng.randint(1, 3)] for s in SIZES]
        if rng.random() < 0.4:
            variants = [(None, None)]
        category = rng.choice(CATEGORIES)
        words = rng.sample(WORDS, 6)
        base_price = Decimal(rng.randint(500, 20000)) / 100
        for color, size in variants:
            if index >= count:
                return
            index += 1
            sku = f"SKU-{index:07d}"
            on_sale = rng.random() < 0.2
            yield Product(
                sku=sku,
                title=f"Acme {' '.join(words[:3]).title()}" + (f" {color}" if color else ""),
                price=base_price,
                currency="USD",
                item_group_id=f"FAM-{family:06d}" if color else None,
                description=(f"<p>A {words[0]} and {words[1]} product for {words[2]} use.</p>"
                             f"<ul><li>{words[3]}</li><li>{words[4]}</li></ul> " * 3),
                brand=rng.choice(["Acme", "Globex", "Initech", "Umbrella"]),
                gtin=gtin13(400_000_000_000 + index),
                mpn=f"MPN-{index:07d}",
                category=category,
                product_type=category,
                sale_price=(base_price * Decimal("0.8")).quantize(Decimal("0.01"))
                if on_sale else None,
                sale_start=NOW - timedelta(days=3) if on_sale else None,
                sale_end=NOW + timedelta(days=10) if on_sale else None,
                weight=Decimal(rng.randint(100, 5000)) / 1000,
                weight_unit="kg",
                link=f"https://shop.example.com/products/{sku.lower()}",
                images=[f"https://cdn.example.com/{sku.lower()}/{n}.jpg"
                        for n in range(rng.randint(1, 5))],
                tags=rng.sample(WORDS, 2),
                color=color,
                size=size,
                variant_axes=["color", "size"] if color else [],
            )


def make_workspace(folder: Path) -> Path:
    """A workspace with the shipped mappings and google + facebook enabled as file feeds."""
    from feedsync.cli.init_cmd import workspace_files

    folder.mkdir(parents=True, exist_ok=True)
    for name, content in workspace_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    config = folder / "feedsync.toml"
    text = config.read_text(encoding="utf-8")
    for channel in ("google", "facebook"):
        if f"[channels.{channel}]" not in text:
            text += f'\n[channels.{channel}]\nenabled = true\ndelivery = "file"\n'
    config.write_text(text, encoding="utf-8")
    return folder


def ensure_catalog(folder: Path, count: int) -> float:
    """Create the synthetic catalog unless a complete one is there; returns seconds spent."""
    make_workspace(folder)
    catalog = open_catalog(folder / "feedsync.db")
    try:
        if catalog.count() == count:
            return 0.0
        started = time.perf_counter()
        with catalog.db.atomic():
            catalog.db.execute("DELETE FROM products")
            catalog.upsert_products(synthetic_products(count))
            rng = random.Random(11)
            catalog.set_inventory(
                InventoryLevel(f"SKU-{i:07d}", location, rng.randint(0, 40))
                for i in range(1, count + 1) for location in ("main", "store")
            )
        return time.perf_counter() - started
    finally:
        catalog.db.close()


def lean_google(catalog: Catalog, target: Path) -> int:
    """The lean floor: the Google feed's fields straight from the catalog (see the docstring)."""
    from xml.sax.saxutils import escape

    conn = catalog.db.conn
    images = conn.execute("SELECT sku, url FROM images ORDER BY sku, position")
    stock = conn.execute("SELECT sku, SUM(on_hand - reserved) FROM inventory GROUP BY sku"
                         " ORDER BY sku")
    pending_image = images.fetchone()
    pending_stock = stock.fetchone()
    count = 0
    with target.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0" '
                  'version="2.0"><channel>\n')
        for row in conn.execute(f"SELECT {', '.join(LEAN_COLUMNS)} FROM products ORDER BY sku"):
            (sku, title, description, link, price, currency, sale, brand, gtin, mpn, condition,
             group, color, size, category) = row
            urls = []
            while pending_image is not None and pending_image[0] <= sku:
                if pending_image[0] == sku:
                    urls.append(pending_image[1])
                pending_image = images.fetchone()
            available = 0
            while pending_stock is not None and pending_stock[0] <= sku:
                if pending_stock[0] == sku:
                    available = pending_stock[1]
                pending_stock = stock.fetchone()
            fields = [("id", sku), ("title", title), ("description", description),
                      ("link", link), ("image_link", urls[0] if urls else None),
                      ("availability", "in_stock" if available > 0 else "out_of_stock"),
                      ("price", f"{price} {currency}"),
                      ("sale_price", f"{sale} {currency}" if sale else None),
                      ("brand", brand), ("gtin", gtin), ("mpn", mpn), ("condition", condition),
                      ("item_group_id", group), ("color", color), ("size", size),
                      ("product_type", category)]
            body = "".join(f"<g:{tag}>{escape(str(value))}</g:{tag}>"
                           for tag, value in fields if value)
            body += "".join(f"<g:additional_image_link>{escape(url)}</g:additional_image_link>"
                            for url in urls[1:])
            out.write(f"    <item>{body}</item>\n")
            count += 1
        out.write("</channel></rss>\n")
    return count


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: the feed build may fork workers
    (feedsync/feeds/parallel.py), whose CPU is part of the task's cost."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_task(folder: Path, task: str) -> dict[str, object]:
    """Run one task in this process and measure it."""
    from feedsync.config import load_workspace

    workspace = load_workspace(folder)
    catalog: Catalog = open_catalog(workspace.db_path)
    count = catalog.count()
    out = folder / "out"
    out.mkdir(exist_ok=True)
    counting = os.environ.get("FEEDS_BENCH_CALLGRIND") == "1"
    if counting:  # count the task alone, not the interpreter's start or the imports above
        from feedsync.mapping import engine  # noqa: F401  (imported before counting starts)

        _callgrind("on")
    started = time.perf_counter()
    cpu_started = time.process_time() + _children_cpu()
    if task == "floor":
        with (out / "floor.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            cursor = catalog.db.conn.execute(
                f"SELECT {', '.join(CONTENT_COLUMNS)} FROM products ORDER BY sku")
            for row in cursor:
                writer.writerow(row)
        items = count
    elif task == "lean-google":
        items = lean_google(catalog, out / "lean.xml")
    elif task == "map-google":
        from feedsync.mapping.engine import ChannelMapper

        mapper = ChannelMapper.for_workspace(workspace, "google")
        items = sum(1 for r in mapper.map_catalog(catalog, now=NOW) if r.sendable)
    else:
        from feedsync.feeds.channel import build_channel_feed

        channel, fmt = {"google-xml": ("google", "xml"), "meta-csv": ("facebook", "csv")}[task]
        result = build_channel_feed(workspace, catalog, channel, now=NOW, format_name=fmt,
                                    force=True)
        items = result.items
        if result.skipped:
            print(f"  ({task}: {result.skipped} SKUs skipped for errors, e.g. "
                  f"{result.skipped_sample[:3]})", file=sys.stderr)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() + _children_cpu() - cpu_started
    if counting:
        _callgrind("off")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"task": task, "skus": count, "items": items, "seconds": elapsed, "cpu_seconds": cpu,
            "skus_per_s": count / elapsed if elapsed else 0.0,
            "skus_per_cpu_s": count / cpu if cpu else 0.0, "peak_rss_mb": peak_kb / 1024}


def _callgrind(state: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=False,
                   capture_output=True)


def instructions_per_sku(folder: Path, task: str, skus: int) -> float:
    """Instructions of ``task`` per SKU, counted by callgrind (0.0 without valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return 0.0
    proc = subprocess.run(
        [valgrind, "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--task", task, "--folder", str(folder)],
        env={**os.environ, "FEEDS_BENCH_CALLGRIND": "1"}, capture_output=True, text=True,
        check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    return int(found.group(1)) / skus if found else 0.0


def subprocess_task(folder: Path, task: str) -> dict[str, object]:
    """Run one task in a fresh interpreter, so its peak RSS is its own."""
    proc = subprocess.run(
        [sys.executable, __file__, "--task", task, "--folder", str(folder)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"task {task} failed:\n{proc.stderr}")
    sys.stderr.write(proc.stderr)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated, e.g. 10k,100k,1M")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"subset of {','.join(TASKS)}")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per SKU of lean-google and map-google "
                             "(valgrind callgrind; slow: ~50x the task's CPU)")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.task:  # worker mode
        print(json.dumps(run_task(args.folder, args.task)))
        return
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    # CPU seconds are what the task itself used (with the worker processes a feed build forks):
    # on a busy machine wall time also counts other processes, so the ratio to the floor is
    # computed from CPU time; both are printed.
    print(f"{'SKUs':>9} {'task':<11} {'wall s':>7} {'cpu s':>7} {'SKUs/cpu-s':>10} "
          f"{'x floor':>7} {'peak RSS':>9} {'items':>9}")
    for size in (parse_size(s) for s in args.sizes.split(",")):
        folder = args.out / f"feeds-{size}"
        created = ensure_catalog(folder, size)
        if created:
            print(f"(created a {size:,}-SKU catalog in {created:.0f} s)", flush=True)
        floor_rate: float | None = None
        rates: dict[str, float] = {}
        for task in tasks:
            result = subprocess_task(folder, task)
            rate = float(result["skus_per_cpu_s"])  # type: ignore[arg-type]
            rates[task] = rate
            if task == "floor":
                floor_rate = rate
            ratio = f"{floor_rate / rate:.1f}x" if floor_rate and rate else "-"
            print(f"{size:>9,} {task:<11} {float(result['seconds']):>7.2f} "  # type: ignore[arg-type]
                  f"{float(result['cpu_seconds']):>7.2f} {rate:>10,.0f} {ratio:>7} "  # type: ignore[arg-type]
                  f"{float(result['peak_rss_mb']):>7.0f}MB {int(result['items']):>9,}",  # type: ignore[call-overload]
                  flush=True)
        if "lean-google" in rates:
            for task in ("map-google", "google-xml"):
                if rates.get(task):
                    print(f"{size:>9,} {task} / lean-google floor: "
                          f"{rates['lean-google'] / rates[task]:.1f}x (issue #19 target: mapping"
                          " ≤ 2x)", flush=True)
        if args.instructions:
            lean = instructions_per_sku(folder, "lean-google", size)
            mapped = instructions_per_sku(folder, "map-google", size)
            if lean and mapped:
                print(f"{size:>9,} instructions per SKU (callgrind): lean-google {lean:,.0f}, "
                      f"map-google {mapped:,.0f}: {mapped / lean:.2f}x", flush=True)
            else:
                print("--instructions: valgrind is not installed or failed; skipped")


if __name__ == "__main__":
    main()
