"""Inventory-only files: ``sku, location, quantity`` (location optional), or Shopify's
inventory export.

Sets on-hand stock per (SKU, location) without touching product data. Reservations are kept, so
available = on hand − reserved stays right while orders are open.

Shopify's product export no longer carries quantities (2024+): stock is exported separately
(Products → Inventory → Export, https://help.shopify.com/en/manual/products/inventory/
setup/inventory-csv), one row per variant and location::

    Handle,Title,Option1 Name,Option1 Value,…,SKU,HS Code,COO,Location,Bin name,
    Incoming (not editable),Unavailable (not editable),Committed (not editable),
    Available (not editable),On hand (current),On hand (new)

(older exports: ``Incoming,Unavailable,Committed,Available,On hand``). A row's SKU is its
``SKU``, else the SKU the product import derived for it (the same ``shopify_sku_rule`` over
handle and option values). Its quantity is ``Available``: what Shopify can still sell, without
the units committed to Shopify's own orders (feedsync keeps its own channels' reservations);
``On hand`` when there is no Available column. ``not stocked`` (the variant is not stocked at
that location) is not a stock row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from feedsync.catalog.importers.base import ParseOptions, RowCheck, clean
from feedsync.catalog.importers.derive import SHOPIFY_PLACEHOLDERS, SkuRule
from feedsync.catalog.importers.source import CsvFile, Problem, Source
from feedsync.errors import InputError

COLUMNS = ("sku", "location", "quantity")
REQUIRED = ("sku", "quantity")


class StockRow(NamedTuple):
    """One line of an inventory file (a named tuple: batches cross a process boundary)."""

    line: int
    sku: str | None
    location: str
    quantity: int | None
    problems: list[Problem]
    warnings: list[Problem] | None = None
    note: str | None = None  # a line that sets no stock, and why
    # Shopify's export lists every location that stocks a variant: the SKU's stock at any other
    # location (e.g. the product export's total, imported at --location) is not stock any more
    every_location: bool = False


NOT_STOCKED = "variant not stocked at this location (Shopify: not stocked)"
_SHOPIFY_QUANTITY = ("available (not editable)", "available", "on hand (current)", "on hand")


def is_shopify_inventory(header: set[str]) -> bool:
    """Whether case-folded ``header`` names are Shopify's inventory export."""
    return {"handle", "location"} <= header and any(q in header for q in _SHOPIFY_QUANTITY)


def parse(source: Source, options: ParseOptions) -> Iterator[StockRow]:
    """Stream the stock rows of an inventory file (ours or Shopify's)."""
    table = CsvFile(source)
    positions = table.columns()
    if is_shopify_inventory(set(positions)):
        yield from _shopify(table, positions, options)
        return
    problems = [f"missing required column {name!r}" for name in REQUIRED if name not in positions]
    problems += [f"unknown column {name!r} (an inventory file has sku, location, quantity)"
                 for name in positions if name not in COLUMNS]
    if problems:
        raise InputError(f"{source.label}:{table.header_line}: not an inventory file", problems)
    sku_at, quantity_at = positions["sku"], positions["quantity"]
    location_at = positions.get("location")
    width = len(table.header)
    for record in table:
        cells = record.cells
        if len(cells) != width:
            yield StockRow(record.line, None, options.location, None, record.problems)
            continue
        sku = cells[sku_at].strip()
        check = RowCheck(record.line, sku or None)
        check.problems.extend(record.problems)
        if not sku:
            check.error("sku", None, "sku is required")
        quantity = check.quantity("quantity", cells[quantity_at])
        if quantity is None and not cells[quantity_at].strip():
            check.error("quantity", None, "quantity is required")
        location = (clean(cells[location_at]) if location_at is not None else None)
        yield StockRow(record.line, sku or None, location or options.location, quantity,
                       check.problems)


def _shopify(table: CsvFile, positions: dict[str, int],
             options: ParseOptions) -> Iterator[StockRow]:
    rule = SkuRule(options.shopify_sku_rule, SHOPIFY_PLACEHOLDERS)
    quantity_name = next(q for q in _SHOPIFY_QUANTITY if q in positions)

    def cell(cells: list[str], name: str) -> str:
        index = positions.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    for record in table:
        cells = record.cells
        sku = cell(cells, "sku").strip()
        if not sku and rule.enabled:
            chosen = [cell(cells, f"option{n} value").strip() for n in (1, 2, 3)]
            if (cell(cells, "option1 name").strip().lower(),
                    chosen[0].lower()) == ("title", "default title"):
                chosen = ["", "", ""]
            sku = rule.render({"handle": cell(cells, "handle").strip(), "option1": chosen[0],
                               "option2": chosen[1], "option3": chosen[2]})
        check = RowCheck(record.line, sku or None)
        check.problems.extend(record.problems)
        if not sku:
            check.error("SKU", None, "SKU is empty and no SKU can be derived from Handle")
        location = clean(cell(cells, "location")) or options.location
        text = cell(cells, quantity_name)
        if text.strip().lower() in ("not stocked", "not tracked"):
            yield StockRow(record.line, sku or None, location, None, check.problems,
                           note=NOT_STOCKED)
            continue
        quantity = check.stock(quantity_name.capitalize(), text)
        if quantity is None and not text.strip():
            check.error(quantity_name.capitalize(), None, "the quantity is blank")
        yield StockRow(record.line, sku or None, location, quantity, check.problems,
                       check.warnings or None, every_location=True)
