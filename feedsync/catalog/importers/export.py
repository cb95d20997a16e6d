"""`feedsync catalog export`: the catalog in the native format, streamed product by product.

The output imports back unchanged (every product "unchanged"). Stock is written in the
``quantity``/``location`` columns when a SKU has stock at exactly one location; a SKU stocked at
several locations gets blank stock cells (so re-importing leaves its stock alone) and is counted
in :attr:`ExportResult.multi_location`. A SKU whose stock the store does not track gets
``quantity = untracked``, which imports back as the same state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from feedsync.catalog.importers.native import IMAGE_SEPARATOR, NATIVE_COLUMNS, UNTRACKED
from feedsync.catalog.importers.values import join_escaped
from feedsync.catalog.rows import decimal_text
from feedsync.catalog.store import Catalog
from feedsync.models import InventoryLevel, Product
from feedsync.spreadsheet import SpreadsheetWriter

EXPORT_FORMATS = ("csv", "jsonl")


@dataclass
class ExportResult:
    """How many products were written."""

    products: int = 0
    multi_location: int = 0


def export_catalog(catalog: Catalog, out: TextIO, fmt: str = "csv") -> ExportResult:
    """Write every product to ``out`` as native CSV (``fmt="csv"``) or JSON Lines."""
    result = ExportResult()
    if fmt == "csv":
        writer = SpreadsheetWriter(out)  # a bare \r in a cell is quoted (feedsync.spreadsheet)
        writer.writerow(NATIVE_COLUMNS)
        for product, levels in _with_stock(catalog):
            # Meant for spreadsheets: formula-like cells get a leading ' (feedsync.spreadsheet).
            writer.writerow(_csv_cells(product, _stock(levels, result)))
            result.products += 1
    elif fmt == "jsonl":
        for product, levels in _with_stock(catalog):
            out.write(json.dumps(_json_object(product, _stock(levels, result)),
                                 ensure_ascii=False) + "\n")
            result.products += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return result


def _with_stock(catalog: Catalog) -> Iterator[tuple[Product, list[InventoryLevel] | None]]:
    """Products with their stock rows (None: stock not tracked), merged from cursors ordered
    by SKU."""
    stock = catalog.iter_inventory()
    pending = next(stock, None)
    untracked = catalog.db.conn.execute(
        "SELECT sku FROM products WHERE stock_tracked = 0 ORDER BY sku")
    next_untracked = untracked.fetchone()
    for product in catalog.iter_products():
        levels = []
        while pending is not None and pending.sku < product.sku:
            pending = next(stock, None)
        while pending is not None and pending.sku == product.sku:
            levels.append(pending)
            pending = next(stock, None)
        while next_untracked is not None and next_untracked[0] < product.sku:
            next_untracked = untracked.fetchone()
        if next_untracked is not None and next_untracked[0] == product.sku:
            yield product, None
        else:
            yield product, levels


def _stock(levels: list[InventoryLevel] | None,
           result: ExportResult) -> tuple[int | str | None, str | None]:
    if levels is None:
        return UNTRACKED, None  # imports back as "in stock without a count"
    if len(levels) == 1:
        return levels[0].on_hand, levels[0].location
    if len(levels) > 1:
        result.multi_location += 1
    return None, None


def _csv_cells(product: Product, stock: tuple[int | str | None, str | None]) -> list[str]:
    data = _json_object(product, stock)
    cells = []
    for column in NATIVE_COLUMNS:
        value = data[column]
        if value is None:
            cells.append("")
        elif column == "image_urls":
            cells.append(IMAGE_SEPARATOR.join(value))
        elif column == "tags":
            cells.append(join_escaped(value))
        elif column == "variant_axes":
            cells.append(", ".join(value))
        elif column == "attributes":
            cells.append(json.dumps(value, sort_keys=True, ensure_ascii=False) if value else "")
        else:
            cells.append(str(value))
    return cells


def _json_object(product: Product,
                 stock: tuple[int | str | None, str | None]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for column in NATIVE_COLUMNS:
        if column == "image_urls":
            value: Any = list(product.images)
        elif column == "quantity":
            value = stock[0]
        elif column == "location":
            value = stock[1]
        elif column == "cost":  # its own column on the way out, as on the way in
            value = product.attributes.get("cost")
        elif column == "attributes":
            value = {k: v for k, v in product.attributes.items() if k != "cost"}
        else:
            value = getattr(product, column)
        if column in ("price", "sale_price", "weight", "length", "width", "height"):
            value = decimal_text(value)
        elif column in ("sale_start", "sale_end"):
            value = value.isoformat() if value is not None else None
        elif column == "status":
            value = str(value)
        data[column] = value
    return data
