"""Benchmark: `feedsync catalog import` of a synthetic native CSV catalog.

    python bench/import.py                       # 10k and 100k SKUs
    python bench/import.py --sizes 10k,100k,1M   # 1M: ~700 MB of CSV, generated once
    python bench/import.py --sizes 100k --reimport

For each size a deterministic catalog (variant families of colour × size and simple products,
HTML descriptions, 1–4 images, GTINs with valid check digits, sales, stock) is written once to
bench/out/import-<N>.csv. Each import then runs in its own subprocess through the real importer
(``feedsync.catalog.importers.import_file``) into a fresh workspace database, so the peak RSS
printed belongs to that import alone: the writing process (VmHWM) and, for files of 4 MB or more,
the forked reader process (its ru_maxrss). ``--reimport`` also times a second import of the same
file into the filled database (every row "unchanged": the common daily case). "cpu s" is the
CPU time of both processes together.

The floor, from the same run: the same file read by ``csv.reader`` and written with
``executemany`` into a plain table of the same columns (all TEXT, the SKU as primary key) in
one transaction, in its own subprocess. "×floor" is the import's CPU over the floor's (issue #19:
≤ 3× for a first import, ≤ 1.5× for a re-import of an unchanged file).

Target on a 2-core machine: 1M SKUs in under 60 s with peak RSS under 300 MB, flat in N.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.catalog.importers.native import NATIVE_COLUMNS  # noqa: E402
from feedsync.catalog.importers.values import gtin_with_check_digit  # noqa: E402

OUT = ROOT / "bench" / "out"
CATEGORIES = [
    "Apparel > Tops > T-Shirts", "Apparel > Tops > Hoodies", "Apparel > Bottoms > Jeans",
    "Home > Kitchen > Cookware", "Home > Decor > Pillows", "Outdoors > Camping > Tents",
    "Footwear > Running Shoes", "Sports > Yoga > Mats",
]
COLORS = ["Black", "White", "Navy", "Red", "Olive"]
SIZES = ["XS", "S", "M", "L", "XL"]
WORDS = ["soft", "durable", "organic", "cotton", "lightweight", "classic", "modern", "premium",
         "everyday", "comfort", "weatherproof", "stainless", "handmade", "recycled", "compact",
         "ergonomic"]


def parse_size(text: str) -> int:
    """'10k' → 10000, '1M' → 1000000, '2500' → 2500."""
    text = text.strip().lower()
    factor = 1_000_000 if text.endswith("m") else 1_000 if text.endswith("k") else 1
    return int(float(text.rstrip("km")) * factor)


def synthetic_rows(count: int, seed: int = 11) -> Iterator[list[str]]:
    """``count`` native CSV rows: ~60 % in colour × size families, the rest simple products."""
    rng = random.Random(seed)
    made = 0
    family = 0
    while made < count:
        family += 1
        if rng.random() < 0.4:
            variants: list[tuple[str, str]] = [("", "")]
        else:
            colors = rng.sample(COLORS, rng.randint(1, 3))
            sizes = SIZES[: rng.randint(2, 5)]
            variants = [(c, s) for c in colors for s in sizes]
        words = rng.sample(WORDS, 6)
        title = f"{words[0].title()} {words[1]} {rng.choice(['tee', 'mug', 'tent', 'shoe'])}"
        description = (f"<p>A {words[2]}, {words[3]} product for {words[4]} use.</p><ul>"
                       + "".join(f"<li>{w.title()} by design, {w} in use.</li>" for w in words)
                       + "</ul>")
        category = rng.choice(CATEGORIES)
        price = rng.randint(500, 20000)
        on_sale = rng.random() < 0.15
        group = f"FAM{family:07d}" if variants[0][0] else ""
        images = [f"https://cdn.example.com/p/{family}/{n}.jpg" for n in range(rng.randint(1, 4))]
        for color, size in variants:
            if made >= count:
                return
            made += 1
            sku = f"{group}-{color[:3].upper()}-{size}" if group else f"SKU{family:08d}"
            cells = {
                "sku": sku, "item_group_id": group, "title": title + (
                    f" – {color}, {size}" if group else ""),
                "description": description, "brand": rng.choice(["Acme", "Northwind", "Ridge"]),
                "gtin": gtin_with_check_digit(f"{400000000000 + made}") if rng.random() < 0.8
                else "",
                "mpn": f"M-{family}", "category": category,
                "product_type": category.rsplit(" > ", 1)[-1], "price": f"{price / 100:.2f}",
                "sale_price": f"{price * 0.8 / 100:.2f}" if on_sale else "",
                "sale_start": "2026-11-27" if on_sale else "",
                "sale_end": "2026-12-01" if on_sale else "", "currency": "USD",
                "weight": f"{rng.randint(50, 5000)}", "weight_unit": "g",
                "link": f"https://shop.example.com/p/{sku.lower()}",
                "image_urls": "|".join(images), "tags": ", ".join(words[:3]),
                "status": "active" if rng.random() < 0.95 else "draft",
                "color": color, "size": size, "variant_axes": "color, size" if group else "",
                "attributes": '{"origin": "PT"}' if rng.random() < 0.3 else "",
                "quantity": str(rng.choice([0, 1, 3, 8, 20, 150])), "location": "",
            }
            yield [cells.get(column, "") for column in NATIVE_COLUMNS]


def ensure_catalog(count: int) -> Path:
    """The CSV for ``count`` SKUs, generated (streamed) on first use."""
    path = OUT / f"import-{count}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        started = time.perf_counter()
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(NATIVE_COLUMNS)
            writer.writerows(synthetic_rows(count))
        tmp.replace(path)
        print(f"  generated {path.name}: {path.stat().st_size / 1e6:.0f} MB in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    return path


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(csv_path: str, db_path: str) -> None:
    """Run one import (in a subprocess) and print its figures as JSON."""
    from feedsync.catalog import open_catalog
    from feedsync.catalog.importers import import_file

    catalog = open_catalog(db_path)
    started = time.perf_counter()
    cpu = time.process_time()
    result = import_file(catalog, csv_path)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
    s = result.summary
    print(json.dumps({
        "rows": result.rows, "seconds": seconds, "cpu": cpu, "created": s.created,
        "updated": s.updated,
        "unchanged": s.unchanged, "skipped": s.skipped, "peak_rss_mb": peak_rss_mb(),
        "reader_rss_mb": children.ru_maxrss / 1024,
    }))


def floor(csv_path: str, db_path: str) -> None:
    """The floor (in a subprocess): csv.reader + executemany into a plain table; JSON figures."""
    import sqlite3

    started = time.perf_counter()
    cpu = time.process_time()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = ", ".join(f'"{name}" TEXT' + (" PRIMARY KEY" if name == "sku" else "")
                            for name in header)
        conn.execute(f"CREATE TABLE plain ({columns})")
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO plain VALUES ({', '.join('?' * len(header))})", reader)
        conn.execute("COMMIT")
    rows = conn.execute("SELECT COUNT(*) FROM plain").fetchone()[0]
    conn.close()
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started,
                      "cpu": time.process_time() - cpu, "created": rows, "updated": 0,
                      "unchanged": 0, "skipped": 0, "peak_rss_mb": peak_rss_mb(),
                      "reader_rss_mb": 0}))


def run_import(csv_path: Path, db_path: Path, mode: str = "--child") -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, mode, str(csv_path), str(db_path)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma list, e.g. 10k,100k,1M")
    parser.add_argument("--reimport", action="store_true",
                        help="also time re-importing the same file (all rows unchanged)")
    parser.add_argument("--child", nargs=2, metavar=("CSV", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=2, metavar=("CSV", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.floor:
        floor(*args.floor)
        return
    print(f"{'SKUs':>9} {'run':>9} {'seconds':>8} {'cpu s':>7} {'×floor':>6} {'rows/s':>9} "
          f"{'peak RSS writer/reader':>23}  counts")
    for size in [parse_size(s) for s in args.sizes.split(",")]:
        csv_path = ensure_catalog(size)
        with tempfile.TemporaryDirectory(prefix="feedsync-bench-") as tmp:
            db_path = Path(tmp) / "feedsync.db"
            runs = ["floor", "first"] + (["reimport"] if args.reimport else [])
            floor_cpu = 0.0
            for name in runs:
                if name == "floor":
                    figures = run_import(csv_path, Path(tmp) / "floor.db", "--floor")
                    floor_cpu = figures["cpu"]
                else:
                    figures = run_import(csv_path, db_path)
                counts = (f"created {figures['created']}, updated {figures['updated']}, "
                          f"unchanged {figures['unchanged']}, skipped {figures['skipped']}")
                print(f"{size:>9,} {name:>9} {figures['seconds']:>8.1f} {figures['cpu']:>7.1f} "
                      f"{figures['cpu'] / floor_cpu:>6.1f} "
                      f"{figures['rows'] / figures['seconds']:>9,.0f} "
                      f"{figures['peak_rss_mb']:>11.0f} MB /{figures['reader_rss_mb']:>4.0f} MB"
                      f"  {counts}", flush=True)


if __name__ == "__main__":
    main()
