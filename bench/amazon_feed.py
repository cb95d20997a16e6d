"""Rendering speed and memory of Amazon JSON_LISTINGS_FEED documents.

    python bench/amazon_feed.py [--items 25000]

Renders ``--items`` synthetic records (a full UPDATE and a price/quantity PATCH each), writes
one feed document of the full UPDATEs to a temporary file with the streaming writer, validates
the size against Amazon's 10 MiB limit, and prints messages/s and peak RSS. No network.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from feedsync.adapters.amazon import render
from feedsync.adapters.amazon.limits import MAX_FEED_BYTES


def records(n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Synthetic variant records shaped like the default mapping's output."""
    for i in range(n):
        sku = f"TEE-{i:07d}"
        yield sku, {
            "sku": sku, "product_type": "SHIRT", "item_name": f"Acme organic tee {i}",
            "brand": "Acme", "product_description": "Soft organic cotton. " * 10,
            "bullet_point": ["100% cotton", "Machine washable", "Made in Portugal"],
            "externally_assigned_product_identifier": "4006381333931",
            "condition_type": "new_new", "color": "Red", "size": "M",
            "main_image": f"https://shop.example.com/img/{sku}.jpg",
            "other_images": [f"https://shop.example.com/img/{sku}-{k}.jpg" for k in range(3)],
            "parentage_level": "child", "parent_sku": f"TEE-{i // 6:07d}",
            "variation_theme": "COLOR/SIZE", "currency": "USD", "our_price": "19.99",
            "quantity": str(i % 50),
        }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=25_000)
    args = parser.parse_args()
    ctx = render.RenderContext(marketplace_id="ATVPDKIKX0DER")

    started = time.perf_counter()
    patches = sum(render.message_size(render.price_quantity_message(sku, f, ctx, ()))
                  for sku, f in records(args.items))
    patch_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as handle:
        count = render.write_feed(handle, "A1SELLER", (render.update_message(sku, f, ctx)
                                                       for sku, f in records(args.items)))
        size = handle.tell()
    update_seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"UPDATE feed: {count} messages, {size / 2**20:.1f} MiB "
          f"({'within' if size <= MAX_FEED_BYTES else 'OVER'} the 10 MiB limit), "
          f"{count / update_seconds:,.0f} messages/s")
    print(f"price/quantity PATCH: {args.items} messages, {patches / 2**20:.1f} MiB, "
          f"{args.items / patch_seconds:,.0f} messages/s")
    print(f"peak RSS: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
