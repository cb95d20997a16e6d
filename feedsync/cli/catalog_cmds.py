"""`feedsync catalog …`: import, show, stats, export."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import UsageError
from feedsync.models import Product


@click.group()
def catalog() -> None:
    """Work with the product catalog (the source of truth)."""


def product_view(app: AppContext, product: Product) -> dict[str, Any]:
    """A product with its stock and channel overrides, for show/--json."""
    cat = app.catalog
    data = asdict(product)
    data["status"] = str(product.status)
    data["inventory"] = [
        {"location": lv.location, "on_hand": lv.on_hand, "reserved": lv.reserved}
        for lv in cat.inventory(product.sku)
    ]
    data["available"] = cat.available(product.sku)
    data["excluded_from"] = cat.exclusions(product.sku)
    return data


@catalog.command("show")
@click.argument("sku")
@pass_app
def show(app: AppContext, sku: str) -> None:
    """Show one product by SKU, with stock per location."""
    product = app.catalog.get_product(sku)
    if product is None:
        raise UsageError(f"SKU {sku!r} is not in the catalog")
    data = product_view(app, product)
    lines = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        if key == "inventory":
            value = ", ".join(f"{i['location']}: {i['on_hand']} on hand, {i['reserved']} reserved"
                              for i in value)
        elif key == "description" and len(str(value)) > 200:
            value = str(value)[:200] + "…"
        lines.append(f"{key:>15}: {value}")
    app.emit(data, "\n".join(lines))


@catalog.command("stats")
@pass_app
def stats(app: AppContext) -> None:
    """Counts: products, families, status, stock, categories."""
    data = app.catalog.stats()
    human = [
        f"products:        {data['products']}",
        f"variant families: {data['families']} ({data['variants']} variants)",
        "status:          " + ", ".join(f"{k} {v}" for k, v in data["by_status"].items()),
        f"without GTIN:    {data['without_gtin']}",
        f"on sale:         {data['on_sale']}",
        f"out of stock:    {data['out_of_stock']}",
        f"units available: {data['units_available']} across {data['locations']} location(s)",
        f"images:          {data['images']}",
        "categories:",
        *[f"  {n:>5}  {c}" for c, n in data["categories"].items()],
    ]
    app.emit(data, "\n".join(human))
