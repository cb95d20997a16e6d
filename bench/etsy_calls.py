"""Benchmark: Etsy calls of a first push and of a 1 % price change, against the minimum.

    python bench/etsy_calls.py                       # 10,000 SKUs in 2,000 families
    python bench/etsy_calls.py --families 500 --variants 4 --images 3

Everything runs through the real engine (the real mapping mappings/etsy.toml, plan, batching
one family per batch, submissions, listing state) and the real Etsy adapter (ListingFlow,
inventory read-modify-write, step state); only the HTTP client is replaced by an in-memory Etsy
that counts the calls it receives (and keeps listings, inventories and images, so reads see
what was written). The floors are computed from the same catalog:

- first push: per family one createDraftListing, one updateListingInventory, one
  uploadListingImage per image and one updateListing (state=active) — Etsy has no bulk call
  and publishes a listing only once it has an image, so no fewer calls can list a family;
- 1 % price change: per touched family one updateListingInventory (Etsy replaces the whole
  inventory); feedsync also reads it first (getListingInventory) so variants changed outside
  feedsync are never overwritten — the safe floor is two calls per touched family.

Days: Etsy's default budget is 10,000 calls a day per app
(https://developers.etsy.com/documentation/essentials/rate-limits).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedsync.adapters.etsy.limits import DEFAULT_PER_DAY, BudgetWatch  # noqa: E402

from feedsync.catalog import open_catalog  # noqa: E402
from feedsync.config import load_workspace  # noqa: E402
from feedsync.models import InventoryLevel, Product  # noqa: E402
from feedsync.sync.channels import bind_channel  # noqa: E402
from feedsync.sync.push import PushOptions, push_channel  # noqa: E402

CONFIG = """
[workspace]
name = "bench"

[channels.etsy]
enabled = true
delivery = "api"
shop_id = 5550001
shipping_profile_id = 77
return_policy_id = 88
taxonomy_id = 449
"""
SIZES = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")


class CountingEtsy:
    """The EtsyClient surface the adapter uses, in memory, counting calls per operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.budget = BudgetWatch()
        self.listings: dict[int, dict[str, Any]] = {}
        self.inventories: dict[int, dict[str, Any]] = {}
        self.next_id = 800_000

    @property
    def total(self) -> int:
        """Calls that count against Etsy's budget (image downloads go to the merchant)."""
        return sum(n for op, n in self.calls.items() if op != "download")

    def remaining_today(self) -> int | None:
        return None  # measure what a push needs, not what one day allows

    def create_draft_listing(self, form: Any, *, item: str) -> dict[str, Any]:
        self.calls["createDraftListing"] += 1
        self.next_id += 1
        self.listings[self.next_id] = {"listing_id": self.next_id, "state": "draft"}
        self.inventories[self.next_id] = {"products": []}
        return self.listings[self.next_id]

    def update_listing(self, listing_id: int, form: Any, *, item: str | None = None
                       ) -> dict[str, Any]:
        self.calls["updateListing"] += 1
        for key, value in form:
            if key == "state":
                self.listings[listing_id]["state"] = value
        return self.listings[listing_id]

    def get_listing_inventory(self, listing_id: int) -> dict[str, Any]:
        self.calls["getListingInventory"] += 1
        products = []
        for p in self.inventories[listing_id]["products"]:
            offering = p["offerings"][0]
            products.append({**p, "offerings": [{
                **offering, "price": {"amount": round(offering["price"] * 100), "divisor": 100,
                                      "currency_code": "USD"}}]})
        return {"products": products}

    def update_listing_inventory(self, listing_id: int, body: bytes, *, item: str | None = None
                                 ) -> dict[str, Any]:
        import json

        self.calls["updateListingInventory"] += 1
        self.inventories[listing_id] = json.loads(body)
        return self.inventories[listing_id]

    def upload_listing_image(self, listing_id: int, image: bytes, **kw: Any) -> dict[str, Any]:
        self.calls["uploadListingImage"] += 1
        return {"listing_image_id": 1}

    def download(self, url: str, max_bytes: int) -> bytes:
        self.calls["download"] += 1
        return b"\xff\xd8" + b"\x00" * 64

    def delete_listing(self, listing_id: int) -> None:
        self.calls["deleteListing"] += 1


def product(family: int, variant: int, images: int) -> Product:
    return Product(
        sku=f"F{family:05d}-{SIZES[variant]}", item_group_id=f"F{family:05d}",
        title=f"Organic cotton tee {family}", description="Soft organic cotton.",
        price=Decimal("19.00") + variant, currency="USD", size=SIZES[variant],
        variant_axes=["size"], tags=["cotton tee", "organic"],
        images=[f"https://img.example.com/f{family}/{i}.jpg" for i in range(images)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=5, choices=range(1, len(SIZES) + 1))
    parser.add_argument("--images", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.01)
    args = parser.parse_args()
    skus = args.families * args.variants
    root = Path(tempfile.mkdtemp(prefix="feedsync-bench-etsy-"))
    (root / "mappings").mkdir()
    shutil.copy(ROOT / "mappings" / "etsy.toml", root / "mappings" / "etsy.toml")
    (root / "feedsync.toml").write_text(CONFIG)
    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    catalog.upsert_products(product(f, v, args.images)
                            for f in range(args.families) for v in range(args.variants))
    catalog.set_inventory(InventoryLevel(f"F{f:05d}-{SIZES[v]}", "main", 10)
                          for f in range(args.families) for v in range(args.variants))
    etsy = CountingEtsy()

    def push() -> tuple[int, float, dict[str, int]]:
        before, cpu = etsy.total, time.process_time()
        binding = bind_channel(workspace, catalog.db, "etsy", extras={"etsy_client": etsy})
        result = push_channel(binding, catalog, PushOptions(wait=0, force=True))
        assert result.outcome.value == "ok", result.message
        return etsy.total - before, time.process_time() - cpu, result.counts

    calls, cpu, counts = push()
    floor = args.families * (3 + args.images)
    print(f"catalog: {skus:,} SKUs in {args.families:,} families of {args.variants}, "
          f"{args.images} image(s) each")
    print(f"first push: {counts.get('items', 0):,} SKUs accepted, {calls:,} Etsy calls "
          f"(minimum {floor:,} = families × (draft + inventory + {args.images} image(s) + "
          f"activate)); ratio {calls / floor:.2f}; {cpu:.1f} CPU s")
    print("  by operation: " + ", ".join(f"{op} {n:,}" for op, n in sorted(etsy.calls.items())))
    print(f"  Etsy's default budget ({DEFAULT_PER_DAY:,} calls/day): "
          f"{calls / DEFAULT_PER_DAY:.2f} days → {math.ceil(calls / DEFAULT_PER_DAY)} day(s)")

    rng = random.Random(7)
    picked = rng.sample(range(skus), max(1, int(skus * args.changed)))
    edited = []
    for index in picked:
        item = catalog.get_product(f"F{index // args.variants:05d}-"
                                   f"{SIZES[index % args.variants]}")
        assert item is not None
        item.price = (item.price * Decimal("1.1")).quantize(Decimal("0.01"))
        edited.append(item)
    catalog.upsert_products(edited)
    families = len({i // args.variants for i in picked})
    etsy.calls.clear()
    calls, cpu, counts = push()
    print(f"{args.changed:.0%} price change: {len(picked):,} SKUs in {families:,} families, "
          f"{calls:,} Etsy calls (minimum {families:,}: one inventory write per family; "
          f"safe minimum {2 * families:,} with the read that keeps other variants); "
          f"ratio {calls / families:.2f} to the minimum, {calls / (2 * families):.2f} to the "
          f"safe minimum; {cpu:.2f} CPU s")
    print("  by operation: " + ", ".join(f"{op} {n:,}" for op, n in sorted(etsy.calls.items())))
    print(f"workspace: {root}")


if __name__ == "__main__":
    main()
