"""`feedsync catalog …`: import, show, stats, export."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import click

from feedsync.catalog.importers import EXPORT_FORMATS, FORMATS, ImportResult, import_file
from feedsync.catalog.importers import export_catalog as write_export
from feedsync.catalog.importers.woo_headers import read_columns_file
from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import ExitCode, UsageError
from feedsync.models import Product
from feedsync.sync.lock import WorkspaceLock, lock_path


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
    data["stock_tracked"] = cat.stock_tracked(product.sku)
    data["available"] = cat.available(product.sku) if data["stock_tracked"] else None
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
        if key == "stock_tracked":
            if not value:
                lines.append(f"{'stock':>15}: not tracked by the store (in stock, no count)")
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
        f"stock not tracked: {data['stock_not_tracked']} (in stock without a count)",
        f"units available: {data['units_available']} across {data['locations']} location(s)",
        f"images:          {data['images']}",
        "categories:",
        *[f"  {n:>5}  {c}" for c, n in data["categories"].items()],
    ]
    app.emit(data, "\n".join(human))


@contextmanager
def _progress(app: AppContext, path: Path) -> Iterator[Callable[[int], None] | None]:
    """A byte-based progress line on stderr (throttled), on an interactive terminal only."""
    progress = app.progress(f"importing {path.name}", total=max(path.stat().st_size, 1),
                            unit="bytes")
    if progress is None:
        yield None
        return
    try:
        advance = progress.set
        yield advance
    finally:
        progress.close()


# Store exports that carry no currency: their prices are read in [catalog] default_currency.
_NO_CURRENCY_FORMATS = frozenset({"shopify", "woocommerce"})


def _summary_text(result: ImportResult, store_name: str, currency: str) -> str:
    s = result.summary
    counts = (f"created {s.created} · updated {s.updated} · unchanged {s.unchanged} · "
              f"skipped {s.skipped}")
    if s.not_products:
        counts += f" · not products {sum(s.not_products.values())}"
    if result.pruned:
        counts += f" · removed {s.removed}"
    if result.format == "inventory":
        counts = f"stock rows set {s.inventory_rows} · skipped {s.skipped}"
    lines = [f"imported {result.file} ({FORMATS[result.format]}, {result.rows} rows, "
             f"{result.seconds:.1f} s)", f"  {counts}"]
    if result.format in _NO_CURRENCY_FORMATS:  # a SEK store must not become USD silently
        lines.append(f"  prices read as {currency} ([catalog] default_currency; the export "
                     "names no currency)")
    for reason, count in s.skipped_reasons.items():
        lines.append(f"    skipped {count}: {reason}")
    for what, count in s.not_products.items():
        lines.append(f"    not a product {count}: {what}")
    if result.format != "inventory" and s.inventory_rows:
        lines.append(f"  stock rows set {s.inventory_rows}")
    if s.stock_not_tracked:
        lines.append(f"  stock not tracked by the store: {s.stock_not_tracked} SKU(s), in stock "
                     "without a count (channels get [quantity] untracked_quantity)")
    if s.without_stock_count:
        lines.append(f"  no stock count in this file: {s.without_stock_count} tracked SKU(s) "
                     "keep their stored stock (none yet: out of stock); import the store's "
                     "inventory export with --format inventory")
    if s.derived_skus:
        shown = ", ".join(e.rsplit(": ", 1)[-1] for e in s.derived_sku_examples)
        lines.append(f"  SKUs derived for rows without one: {s.derived_skus} (e.g. {shown}; "
                     "rule: [catalog] shopify_sku_rule / woocommerce_sku_rule)")
    if s.without_brand:
        lines.append(f"  without a brand: {s.without_brand} product(s); the Meta feed sends the "
                     f"store name {store_name!r} as their brand")
    if s.warning_count:
        lines.append(f"  warnings {s.warning_count}:")
        lines.extend(f"    {count} × {reason}" for reason, count in s.warning_reasons.items())
    if result.accounted() != result.rows:
        lines.append(f"  rows accounted for: {result.accounted()} of {result.rows}")
    return "\n".join(lines)


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto",
              show_default=True, help="The file's format (default: detected from the header).")
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid rows and report the invalid ones (exit code 3).")
@click.option("--prune", is_flag=True,
              help="Remove catalog products absent from this file (a full export).")
@click.option("--force", is_flag=True,
              help="Let --prune remove more than catalog.prune_max_share of the catalog.")
@click.option("--location", metavar="NAME",
              help="Stock location for quantity columns without one (default: 'default').")
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              metavar="SECONDS",
              help="How long to wait for a running sync/push to release the workspace (then "
                   "exit 75).")
@click.option("--columns", "columns_file", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML file naming the file's columns: \"Their column\" = \"SKU\" (for "
                   "a WooCommerce export in a language feedsync does not know).")
@pass_app
def import_(app: AppContext, file: Path, fmt: str, skip_invalid: bool, prune: bool,
            force: bool, location: str | None, wait: float, columns_file: Path | None) -> None:
    """Import FILE (native CSV/JSONL, Shopify or WooCommerce export, inventory) atomically.

    By default any invalid row fails the whole import and every problem is listed
    (file:line, column, value, reason); nothing is written.
    """
    if force and not prune:
        raise UsageError("--force only applies with --prune")
    settings = app.workspace.settings.catalog
    columns = read_columns_file(columns_file) if columns_file else ()
    # The import writes the catalog the cron job reads and writes: it takes the workspace lock
    # like every writer (issue #16), waiting a bounded, reported time for a running sync.
    lock = WorkspaceLock(lock_path(app.workspace.db_path), "catalog import", wait=wait)
    with lock, _progress(app, file) as progress:
        result = import_file(
            app.catalog, file, format=fmt, skip_invalid=skip_invalid, prune=prune,
            force=force, location=location, default_currency=settings.default_currency,
            prune_max_share=settings.prune_max_share, progress=progress, columns=columns,
            sku_rules={"shopify_sku_rule": settings.shopify_sku_rule,
                       "woocommerce_sku_rule": settings.woocommerce_sku_rule},
        )
    if result.problem_count and not app.json_output:
        click.echo(f"skipped {result.summary.skipped} invalid row(s):", err=True)
        for problem in result.summary.problems:
            click.echo(f"  - {problem}", err=True)
        if result.problem_count > len(result.summary.problems):
            click.echo(f"  … and {result.problem_count - len(result.summary.problems)} more",
                       err=True)
    data = result.as_dict()
    if result.format in _NO_CURRENCY_FORMATS:
        data["prices_read_as"] = settings.default_currency
    app.emit(data, _summary_text(result, app.workspace.settings.workspace.name,
                                 settings.default_currency))
    if result.problem_count:
        click.get_current_context().exit(int(ExitCode.PARTIAL))


@contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written atomically (a temp file renamed over ``out`` at the end)."""
    if out is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@catalog.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv",
              show_default=True, help="Native CSV or JSON Lines.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@pass_app
def export(app: AppContext, fmt: str, out: Path | None) -> None:
    """Write the catalog in the native format; it imports back unchanged.

    With --json the catalog must go to a file (--out): standard output carries the one JSON
    object describing the export."""
    if out is None and app.json_output:
        raise UsageError("with --json, standard output carries one JSON object: write the "
                         "catalog to a file with --out FILE")
    with _output(out) as handle:
        result = write_export(app.catalog, handle, fmt)
    note = ""
    if result.multi_location:
        note = (f" ({result.multi_location} SKU(s) stocked at several locations have blank "
                "stock cells)")
    if out is None:
        app.info(f"exported {result.products} products{note}")
        return
    app.emit({"ok": True, "out": str(out), "format": fmt, "products": result.products,
              "multi_location": result.multi_location},
             f"exported {result.products} products to {out}{note}")
