"""Inventory-only files: ``sku, location, quantity`` (location optional).

Sets on-hand stock per (SKU, location) without touching product data. Reservations are kept, so
available = on hand − reserved stays right while orders are open.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from feedsync.catalog.importers.base import ParseOptions, RowCheck, clean
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


def parse(source: Source, options: ParseOptions) -> Iterator[StockRow]:
    """Stream the stock rows of an inventory file."""
    table = CsvFile(source)
    positions = table.columns()
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
