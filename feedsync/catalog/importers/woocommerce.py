"""WooCommerce's product CSV export (Products → Export; WC_Product_CSV_Exporter).

Documented at https://github.com/woocommerce/woocommerce/wiki/Product-CSV-Import-Schema and
https://woocommerce.com/document/product-csv-importer-exporter/. Quirks handled here, each as the
exporter writes them:

* ``Type`` is a comma list ("simple, virtual", "variation, downloadable"). ``variable`` parents
  and ``grouped`` containers are not sellable and are not imported; each ``variation`` becomes a
  SKU with ``item_group_id`` = its parent's SKU (or ``woo-<ID>`` when the parent has none) and
  inherits the parent's name, description, categories, tags, brand, images, weight and
  dimensions when its own cell is blank.
* ``Parent`` is the parent's SKU, or ``id:<ID>`` when the parent has no SKU.
* List cells (Categories, Tags, Images, Brands, attribute values) are joined with ", " and a
  comma inside a value is written ``\\,``. Categories are "A > B" paths.
* Newlines in descriptions are written as the two characters ``\\n`` (a literal ``\\n``
  as ``\\\\n``).
* Cells starting with = + - @ are prefixed with ``'`` against spreadsheet formula injection.
* ``Published``: 1 published, 0 private, -1 draft, 2 pending. ``In stock?``: 1, 0 or backorder.
  ``Stock``: a number, blank (not managed) or ``parent`` (managed on the parent).
* Weight and dimension headers carry the store's unit: "Weight (kg)", "Length (cm)".

Variations may come before their parent (the export is ordered by post ID). Parents are kept in a
temporary SQLite database and variations that arrive first wait there too: memory stays flat.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from feedsync.catalog.importers import values
from feedsync.catalog.importers.base import (
    DIMENSION_UNITS,
    WEIGHT_UNITS,
    Parsed,
    ParseOptions,
    RowCheck,
    axis_name,
    check_product,
    clean,
    set_option,
)
from feedsync.catalog.importers.source import CsvFile, Problem, Record, Source
from feedsync.errors import InputError
from feedsync.models import VARIANT_COLUMNS, Product, ProductStatus

REQUIRED = ("Type", "SKU", "Name", "Regular price")
_GTIN = "gtin, upc, ean, or isbn"
_FORMULA_TRIGGERS = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_UNIT = re.compile(r"(weight|length|width|height) \((\w+)\)")
_ATTRIBUTE = re.compile(r"attribute (\d+) (name|value\(s\))")
_PUBLISHED = {"1": ProductStatus.ACTIVE, "0": ProductStatus.DRAFT,
              "-1": ProductStatus.DRAFT, "2": ProductStatus.DRAFT}
_CACHE_SIZE = 64


@dataclass
class Columns:
    """Positions of the WooCommerce columns this header has."""

    positions: dict[str, int]
    units: dict[str, tuple[int, str]]  # weight/length/width/height → (position, unit)
    attributes: list[tuple[int, int]]  # (name position, value(s) position) per attribute

    @classmethod
    def from_header(cls, positions: dict[str, int], label: str, line: int) -> Columns:
        """Resolve the header; unknown units and missing required columns are errors."""
        problems = [f"missing required column {name!r}" for name in REQUIRED
                    if name.casefold() not in positions]
        units: dict[str, tuple[int, str]] = {}
        attributes: dict[int, dict[str, int]] = {}
        for name, index in positions.items():
            if match := _UNIT.fullmatch(name):
                measure, unit = match.groups()
                table = WEIGHT_UNITS if measure == "weight" else {**DIMENSION_UNITS, "yd": "yd"}
                if unit not in table:
                    problems.append(f"column {name!r}: unknown unit {unit!r}")
                else:
                    units[measure] = (index, table[unit])
            elif match := _ATTRIBUTE.fullmatch(name):
                attributes.setdefault(int(match.group(1)), {})[match.group(2)] = index
        if problems:
            raise InputError(
                f"{label}:{line}: not a complete WooCommerce product export (export with the "
                "admin in English so the headers are the documented ones)", problems)
        pairs = [(a["name"], a["value(s)"]) for _, a in sorted(attributes.items())
                 if "name" in a and "value(s)" in a]
        return cls(positions, units, pairs)


def unescape(text: str) -> str:
    """Undo the exporter's formula-injection prefix."""
    return text[1:] if text.startswith(_FORMULA_TRIGGERS) else text


def description_text(text: str) -> str:
    """Undo the exporter's newline escaping: ``\\n`` → newline, ``\\\\n`` → ``\\n``."""
    if "\\" not in text:
        return text
    return re.sub(r"\\\\n|\\n", lambda m: "\\n" if len(m.group()) == 3 else "\n", text)


class _Row:
    """Cell access for one record."""

    __slots__ = ("cells", "columns", "line", "problems")

    def __init__(self, record: Record, columns: Columns) -> None:
        self.cells = record.cells
        self.line = record.line
        self.problems = record.problems
        self.columns = columns

    def get(self, name: str) -> str:
        index = self.columns.positions.get(name.casefold())
        if index is None or index >= len(self.cells):
            return ""
        return unescape(self.cells[index])

    def at(self, index: int) -> str:
        return unescape(self.cells[index]) if index < len(self.cells) else ""

    def types(self) -> set[str]:
        return {t.strip().lower() for t in self.get("Type").split(",") if t.strip()}

    def options(self) -> list[tuple[str, list[str]]]:
        found = []
        for name_at, value_at in self.columns.attributes:
            name = self.at(name_at).strip()
            if name:
                found.append((name, values.split_escaped(self.at(value_at))))
        return found


class _Scratch:
    """Parents by key, and variations waiting for a parent seen later, in a private temporary
    SQLite database (on disk, deleted on close): the parser's own connection, so it never
    shares the catalog's connection with the import's writer thread."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect("", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("CREATE TABLE woo_parents (key TEXT PRIMARY KEY, line INTEGER, "
                          "cells TEXT)")
        self.conn.execute("CREATE TABLE woo_waiting (line INTEGER PRIMARY KEY, parent TEXT, "
                          "cells TEXT, problems TEXT)")

    def add_parent(self, keys: list[str], record: Record) -> None:
        data = json.dumps(record.cells)
        self.conn.executemany("INSERT OR REPLACE INTO woo_parents VALUES (?, ?, ?)",
                              [(key, record.line, data) for key in keys])

    def parent(self, key: str) -> Record | None:
        row = self.conn.execute("SELECT line, cells FROM woo_parents WHERE key = ?",
                                [key]).fetchone()
        return Record(row[0], json.loads(row[1]), []) if row else None

    def wait(self, key: str, record: Record) -> None:
        problems = [[p.line, p.reason] for p in record.problems]
        self.conn.execute("INSERT INTO woo_waiting VALUES (?, ?, ?, ?)",
                          [record.line, key, json.dumps(record.cells), json.dumps(problems)])

    def waiting(self) -> Iterator[tuple[str, Record]]:
        cursor = self.conn.execute(
            "SELECT line, parent, cells, problems FROM woo_waiting ORDER BY line")
        for line, key, cells, problems in cursor:
            yield key, Record(line, json.loads(cells),
                              [Problem(p[0], p[1]) for p in json.loads(problems)])

    def close(self) -> None:
        self.conn.close()


def parse(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the sellable SKUs (simple products and variations) of a WooCommerce export."""
    table = CsvFile(source)
    columns = Columns.from_header(table.columns(), source.label, table.header_line)
    scratch = _Scratch()
    parents: OrderedDict[str, Parent] = OrderedDict()

    def parent_for(key: str) -> Parent | None:
        if key in parents:
            parents.move_to_end(key)
            return parents[key]
        record = scratch.parent(key)
        found = Parent(_Row(record, columns), options) if record else None
        if found is not None:
            remember(key, found)
        return found

    def remember(key: str, parent: Parent) -> None:
        parents[key] = parent
        parents.move_to_end(key)
        if len(parents) > _CACHE_SIZE:
            parents.popitem(last=False)

    try:
        for record in table:
            row = _Row(record, columns)
            types = row.types()
            if "variable" in types:
                parent = Parent(row, options)
                keys = [k for k in (f"id:{row.get('ID').strip()}" if row.get("ID").strip()
                                    else "", parent.sku or "") if k]
                scratch.add_parent(keys, record)
                for key in keys:
                    remember(key, parent)
                if parent.problems:
                    yield Parsed(record.line, None, None, parent.problems)
            elif "variation" in types:
                key = row.get("Parent").strip()
                found = parent_for(key) if key else None
                if found is None and key:
                    scratch.wait(key, record)
                else:
                    yield _variation(row, found, options)
            elif "grouped" not in types:
                yield _sellable(row, None, options)
        for key, record in scratch.waiting():
            yield _variation(_Row(record, columns), parent_for(key), options)
    finally:
        scratch.close()


class Parent:
    """A variable product: the data its variations inherit, parsed once."""

    def __init__(self, row: _Row, options: ParseOptions) -> None:
        check = RowCheck(row.line)
        self.line = row.line
        self.sku = clean(row.get("SKU"))
        self.group_id = self.sku or f"woo-{row.get('ID').strip()}"
        self.product = _fill(row, check, options, None, is_parent=True)
        self.option_names = {name.casefold() for name, _ in row.options()}
        self.stock = check.quantity("Stock", row.get("Stock"))
        if not self.product.title:
            check.error("Name", None, "Name is required")
        self.problems = check.problems


def _variation(row: _Row, parent: Parent | None, options: ParseOptions) -> Parsed:
    key = row.get("Parent").strip()
    if parent is None or parent.problems:
        sku = clean(row.get("SKU"))
        reason = (f"skipped: its parent (line {parent.line}) is invalid" if parent is not None
                  else f"parent {key!r} is not in this file" if key
                  else "a variation needs a Parent (the parent's SKU or id:<ID>)")
        return Parsed(row.line, sku, None,
                      [*row.problems, Problem(row.line, reason, "Parent", key or None, sku)])
    return _sellable(row, parent, options)


def _sellable(row: _Row, parent: Parent | None, options: ParseOptions) -> Parsed:
    sku = row.get("SKU").strip()
    check = RowCheck(row.line, sku or None)
    check.problems.extend(row.problems)
    if not sku:
        check.error("SKU", None, "SKU is empty: feedsync identifies products by SKU; give it a "
                    "SKU in WooCommerce and export again")
    product = _fill(row, check, options, parent)
    product.sku = sku
    if not product.title:
        check.error("Name", None, "Name is required")
    price_text = row.get("Regular price")
    price = check.money("Regular price", price_text)
    if price is None and not price_text.strip():
        check.error("Regular price", None, "Regular price is required")
    product.price = price if price is not None else Decimal(0)
    product.sale_price = check.money("Sale price", row.get("Sale price"))
    product.sale_start = check.moment("Date sale price starts", row.get("Date sale price starts"))
    product.sale_end = check.moment("Date sale price ends", row.get("Date sale price ends"),
                                    end_of_day=True)
    gtin = row.get("GTIN, UPC, EAN, or ISBN") if _GTIN in row.columns.positions else ""
    product.gtin = check.gtin("GTIN, UPC, EAN, or ISBN", gtin)
    if "external" in row.types():
        product.link = check.url("External URL", row.get("External URL"))
    quantity = _stock(check, row, parent)
    check_product(check, product)
    if check.problems:
        return Parsed(row.line, check.sku, None, check.problems)
    return Parsed(row.line, sku, product, [], quantity,
                  options.location if quantity is not None else None)


def _fill(row: _Row, check: RowCheck, options: ParseOptions, parent: Parent | None,
          *, is_parent: bool = False) -> Product:
    """Everything but price, sale, GTIN and stock; blanks inherit from ``parent``."""
    base = parent.product if parent else None

    def inherit(own: str, from_parent: Callable[[Product], str]) -> str:
        return own if own.strip() or base is None else from_parent(base)

    description = description_text(row.get("Description")) or description_text(
        row.get("Short description"))
    categories = values.split_escaped(row.get("Categories"))
    product = Product(
        sku="", title=inherit(row.get("Name").strip(), lambda p: p.title),
        price=Decimal(0), currency=options.default_currency,
        item_group_id=parent.group_id if parent else None,
        description=inherit(description, lambda p: p.description),
        category=(values.category_path(categories[0]) if categories
                  else base.category if base else ""),
        tags=values.unique(values.split_escaped(row.get("Tags"))) or (
            list(base.tags) if base else []),
        status=_published(check, row, base),
        attributes=dict(base.attributes) if base else {},
    )
    if categories:
        product.attributes.pop("categories", None)
    if len(categories) > 1:  # the catalog has one category path; keep all of them too
        product.attributes["categories"] = [values.category_path(c) for c in categories]
    brands = values.split_escaped(row.get("Brands"))
    product.brand = brands[0] if brands else base.brand if base else None
    images = [url for url in (check.url("Images", u) for u in values.split_escaped(
        row.get("Images"))) if url]
    product.images = values.unique(images + (base.images if base else []))
    for measure, (index, unit) in row.columns.units.items():
        amount = check.measure(f"{measure.capitalize()} ({unit})", row.at(index))
        if amount is None and base is not None:
            amount = getattr(base, measure)
        if amount is not None and unit == "yd":
            amount, unit = amount * 36, "in"  # the catalog's dimension units stop at metres/inches
        if amount is not None:
            setattr(product, measure, amount)
            setattr(product, "weight_unit" if measure == "weight" else "dimension_unit", unit)
    _apply_attributes(product, row, parent, is_parent)
    return product


def _published(check: RowCheck, row: _Row, base: Product | None) -> ProductStatus:
    text = row.get("Published").strip()
    if not text:
        return base.status if base else ProductStatus.ACTIVE
    status = _PUBLISHED.get(text)
    if status is None:
        check.error("Published", text, "must be 1 (published), 0 (private), -1 (draft) or 2")
        return ProductStatus.DRAFT
    if base is not None and base.status is not ProductStatus.ACTIVE:
        return base.status  # a variation of an unpublished product is not for sale either
    return status


def _apply_attributes(product: Product, row: _Row, parent: Parent | None,
                      is_parent: bool) -> None:
    """Variation attributes become axes; other single values fill columns or attributes.

    A variable parent lists every option of its variation attributes; those lists are not
    product data (each variation carries its own value), so only single values are kept.
    """
    axes = []
    for name, options in row.options():
        if parent is not None:
            if options:  # an empty value means "any": the variation covers every value
                axes.append(set_option(product, name, options[0]))
        elif len(options) == 1:
            set_option(product, name, options[0])
        elif options and not is_parent:
            product.attributes[axis_name(name)] = options
    if parent is not None:
        for column in VARIANT_COLUMNS:  # parent-level single values (e.g. material) carry over
            if getattr(product, column) is None and column not in axes:
                setattr(product, column, getattr(parent.product, column))
        product.variant_axes = values.unique(axes)


def _stock(check: RowCheck, row: _Row, parent: Parent | None) -> int | None:
    stock = row.get("Stock").strip()
    if stock.lower() == "parent":
        return parent.stock if parent is not None else None
    quantity = check.quantity("Stock", stock)
    if quantity is None and not stock and row.get("In stock?").strip() == "0":
        return 0  # stock not managed, but marked out of stock
    return quantity
