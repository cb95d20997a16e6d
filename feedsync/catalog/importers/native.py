"""feedsync's own catalog format, as CSV or JSON Lines: one row (or object) per SKU.

The columns are documented in docs/catalog-formats.md; `feedsync catalog export` writes exactly
this format, so an export imports back unchanged.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Any

from feedsync import spreadsheet
from feedsync.catalog.importers import bounded_json, unchanged, values
from feedsync.catalog.importers.base import (
    CONDITIONS,
    DIMENSION_UNITS,
    WEIGHT_UNITS,
    Parsed,
    ParseOptions,
    RowCheck,
    axis_name,
    check_product,
)
from feedsync.catalog.importers.source import CsvFile, Problem, Record, Source
from feedsync.catalog.importers.values import FieldError
from feedsync.errors import InputError
from feedsync.models import Product, ProductStatus

PRODUCT_COLUMNS: tuple[str, ...] = (
    "sku", "item_group_id", "title", "description", "brand", "gtin", "mpn", "condition",
    "category", "product_type", "price", "sale_price", "sale_start", "sale_end", "currency",
    "weight", "weight_unit", "length", "width", "height", "dimension_unit", "link", "image_urls",
    "tags", "status", "color", "size", "material", "pattern", "gender", "age_group",
    "variant_axes", "attributes",
)
STOCK_COLUMNS: tuple[str, ...] = ("quantity", "location")
UNTRACKED = "untracked"  # a quantity cell: in stock without a count (issue #10)
# The product's cost (what one unit costs the merchant, in the product's currency): kept as
# ``attributes.cost`` for the channel report's margin (docs/report.md).
COST_COLUMNS: tuple[str, ...] = ("cost",)
NATIVE_COLUMNS: tuple[str, ...] = PRODUCT_COLUMNS + STOCK_COLUMNS + COST_COLUMNS
REQUIRED_COLUMNS: tuple[str, ...] = ("sku", "title", "price")
IMAGE_SEPARATOR = "|"
_STATUSES = tuple(str(s) for s in ProductStatus)
_STATUS_OF = {str(s): s for s in ProductStatus}  # a dict lookup: ProductStatus() costs ~1 µs
_LIST_COLUMNS = ("image_urls", "tags", "variant_axes")


def parse_csv(source: Source, options: ParseOptions,
              ask: unchanged.Ask | None = None) -> Iterator[Parsed]:
    """Stream the products of a native CSV file.

    Each row carries the digest of its product cells; with ``ask``, rows the catalog reports
    as unchanged since the last import are not parsed beyond their stock cells
    (:mod:`feedsync.catalog.importers.unchanged`).
    """
    table = CsvFile(source)
    positions = table.columns()
    check_columns(source.label, table.header_line, positions)
    parser = NativeRowParser(options)
    sku_at = positions["sku"]
    rows = _rows(source, table, positions, unchanged.salt(options))
    if ask is None:
        for record, picked, digest in rows:
            yield (_broken(record, sku_at) if picked is None
                   else parser.parse(record.line, picked, record.problems, digest))
        return

    def question(chunk: list[_Item]) -> Callable[[], Sequence[int]]:
        return ask([(picked[0].strip(), digest) for _, picked, digest in chunk
                    if digest and picked])

    chunks = iter(lambda: list(islice(rows, _CHUNK)), [])
    for chunk, flags in unchanged.look_ahead(chunks, question):
        flag = iter(flags)
        for record, picked, digest in chunk:
            if picked is None:
                yield _broken(record, sku_at)
            elif digest and next(flag):
                yield parser.unchanged(record.line, picked, digest)
            else:
                yield parser.parse(record.line, picked, record.problems, digest)


def _broken(record: Record, sku_at: int) -> Parsed:
    """A record with the wrong number of cells: its problems, naming the SKU when there is one."""
    cells = record.cells
    sku = cells[sku_at].strip() if sku_at < len(cells) else ""
    for problem in record.problems:
        problem.sku = sku or None
    return Parsed(record.line, sku or None, None, record.problems)


_CHUNK = 1000  # rows asked about at once
_STOCK_AT = (NATIVE_COLUMNS.index("quantity"), NATIVE_COLUMNS.index("location"))
_CONTENT_COLUMNS = tuple(c for i, c in enumerate(NATIVE_COLUMNS) if i not in _STOCK_AT)
# A record, its cells in NATIVE_COLUMNS order (None: the row has the wrong number of cells),
# and the digest of its product cells (None: not digested, the row had a reading problem).
_Item = tuple[Record, Sequence[str] | None, bytes | None]


def _rows(source: Source, table: CsvFile, positions: Mapping[str, int],
          row_salt: bytes) -> Iterator[_Item]:
    width = len(table.header)
    # One C-level call picks the native columns in their documented order; a column the file
    # lacks points at a blank cell appended to every row.
    pick = itemgetter(*(positions.get(name, width) for name in NATIVE_COLUMNS))
    content = itemgetter(*(positions.get(name, width) for name in _CONTENT_COLUMNS))
    join = "\x1f".join  # unchanged.row_hash, inlined: this runs once per row
    blake2b = hashlib.blake2b
    for record in table:
        cells = record.cells
        if source.formula_quotes:  # undo the export's formula neutralising
            cells = record.cells = spreadsheet.restore(cells)
        if len(cells) != width:
            yield record, None, None
            continue
        cells.append("")
        picked = pick(cells)
        yield (record, picked, None if record.problems or not picked[0] else blake2b(
            join(content(cells)).encode("utf-8", "surrogatepass") + row_salt,
            digest_size=unchanged.DIGEST_SIZE).digest())


def check_columns(label: str, line: int, positions: Mapping[str, int]) -> None:
    """Refuse a header missing required columns or holding unknown ones (typos are not lost)."""
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        problems.append(f"{label}:{line}: missing required column(s): {', '.join(missing)}")
    for name in positions:
        if name not in NATIVE_COLUMNS:
            close = difflib.get_close_matches(name, NATIVE_COLUMNS, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else (
                " (put free-form values in the 'attributes' JSON column)")
            problems.append(f"{label}:{line}: unknown column {name!r}{hint}")
    if problems:
        raise InputError(f"{label}: the header does not match the native format "
                         "(docs/catalog-formats.md)", problems)


# The native parser builds Product positionally (about 1.5 µs a row cheaper than 33 keywords,
# which a million-row import notices). If models.py ever reorders these fields, the parser falls
# back to keywords rather than mixing values up (tests/test_importers_native.py flags it).
PRODUCT_FIELD_ORDER: tuple[str, ...] = (
    "sku", "title", "price", "currency", "item_group_id", "description", "brand", "gtin", "mpn",
    "condition", "category", "product_type", "sale_price", "sale_start", "sale_end", "weight",
    "weight_unit", "length", "width", "height", "dimension_unit", "link", "images", "tags",
    "status", "color", "size", "material", "pattern", "gender", "age_group", "variant_axes",
    "attributes",
)


def _product_by_name(*values: Any) -> Product:
    return Product(**dict(zip(PRODUCT_FIELD_ORDER, values, strict=True)))


_new_product = (Product if tuple(f.name for f in fields(Product))[:len(PRODUCT_FIELD_ORDER)]
                == PRODUCT_FIELD_ORDER else _product_by_name)
_CACHE_LIMIT = 20_000  # parsed cells remembered (repeated image lists and dates of a family)


_QUANTITY_AT, _LOCATION_AT = _STOCK_AT
_BRAND_AT = NATIVE_COLUMNS.index("brand")


class NativeRowParser:
    """Turns one native row (cells in :data:`NATIVE_COLUMNS` order) into a :class:`Parsed`.

    Cells are text; for JSON Lines ``image_urls``, ``tags`` and ``variant_axes`` may be lists
    and ``attributes`` an object. This runs once per SKU of a million-row import, hence the
    unpacked, inlined style and the small cache for cells that repeat across a family.
    """

    def __init__(self, options: ParseOptions) -> None:
        self.options = options
        self._images_seen: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}
        self._dates_seen: dict[tuple[str, bool], datetime | str] = {}
        self._text_seen: dict[tuple[str, str], Any] = {}  # category, tags, variant_axes

    def unchanged(self, line: int, row: Sequence[str], digest: bytes) -> Parsed:
        """A row whose product cells are those of the last import, its product unchanged since:
        only its stock cells are parsed (exactly as :meth:`parse` does)."""
        sku = row[0].strip()
        quantity, location = row[_QUANTITY_AT], row[_LOCATION_AT]
        stock: int | None
        if quantity.isdigit() and quantity.isascii() and len(quantity) < 10:
            untracked, stock = False, int(quantity)  # values.parse_quantity's own fast path
        else:
            check = RowCheck(line, sku)
            untracked = bool(quantity) and quantity.strip().lower() == UNTRACKED
            stock = check.quantity("quantity", quantity) if quantity and not untracked else None
            if check.problems:
                return Parsed(line, sku, None, check.problems)
        brandless = not row[_BRAND_AT].strip()
        if untracked:
            return Parsed(line, sku, None, [], tracked=False, row_hash=digest, unchanged=True,
                          brandless=brandless)
        if stock is None:
            return Parsed(line, sku, None, [], row_hash=digest, unchanged=True,
                          brandless=brandless)
        options = self.options
        return Parsed(line, sku, None, [], stock,
                      location.strip() or options.location if location else options.location,
                      row_hash=digest, unchanged=True, brandless=brandless)

    def parse(self, line: int, row: Sequence[Any], problems: list[Problem],
              digest: bytes | None = None) -> Parsed:
        """Validate every cell of ``row``; all problems are reported, not just the first."""
        (sku, group, title, description, brand, gtin, mpn, condition, category, product_type,
         price_text, sale_text, start_text, end_text, currency, weight, weight_unit, length,
         width, height, dimension_unit, link, images, tags, status, color, size, material,
         pattern, gender, age_group, axes, attributes, quantity, location, cost) = row
        sku = sku.strip()
        check = RowCheck(line, sku or None)
        if problems:
            for problem in problems:
                problem.sku = check.sku
            check.problems.extend(problems)
        if not sku:
            check.error("sku", None, "sku is required")
        elif "\t" in sku or "\n" in sku or "\r" in sku:
            check.error("sku", sku, "a SKU must not contain tabs or line breaks")
        title = title.strip()
        if not title:
            check.error("title", None, "title is required")
        price = check.money("price", price_text)
        if price is None and not price_text.strip():
            check.error("price", None, "price is required")
        options = self.options
        product = _new_product(  # positional: Product's field order, checked at import
            sku,
            title,
            price if price is not None else Decimal(0),
            (check.currency("currency", currency, options.default_currency) if currency
             else options.default_currency),
            group.strip() or None if group else None,  # item_group_id
            description,
            brand.strip() or None if brand else None,
            check.gtin("gtin", gtin) if gtin else None,
            mpn.strip() or None if mpn else None,
            (check.choice("condition", condition, CONDITIONS, "new") or "new" if condition
             else "new"),
            self._category(category) if category else "",
            product_type.strip(),
            check.money("sale_price", sale_text) if sale_text else None,
            self._date(check, "sale_start", start_text, False) if start_text else None,
            self._date(check, "sale_end", end_text, True) if end_text else None,
            check.measure("weight", weight) if weight else None,
            check.choice("weight_unit", weight_unit, WEIGHT_UNITS) if weight_unit else None,
            check.measure("length", length) if length else None,
            check.measure("width", width) if width else None,
            check.measure("height", height) if height else None,
            (check.choice("dimension_unit", dimension_unit, DIMENSION_UNITS) if dimension_unit
             else None),
            check.url("link", link) if link else None,
            self._images(check, images) if images else [],
            self._tags(check, tags) if tags else [],
            (_STATUS_OF[check.choice("status", status, _STATUSES, "active") or "active"]
             if status else ProductStatus.ACTIVE),
            color.strip() or None if color else None,
            size.strip() or None if size else None,
            material.strip() or None if material else None,
            pattern.strip() or None if pattern else None,
            gender.strip() or None if gender else None,
            age_group.strip() or None if age_group else None,
            self._axes(check, axes) if axes else [],  # variant_axes
            self._attributes(check, attributes) if attributes else {},
        )
        untracked = bool(quantity) and quantity.strip().lower() == UNTRACKED
        stock = check.quantity("quantity", quantity) if quantity and not untracked else None
        if cost:
            unit_cost = check.money("cost", cost)
            if unit_cost is not None:
                product.attributes["cost"] = format(unit_cost, "f")
        check_product(check, product)
        if check.problems:
            return Parsed(line, check.sku, None, check.problems)
        if untracked:  # the store sells it without counting it (catalog export writes this)
            return Parsed(line, sku, product, [], tracked=False, row_hash=digest)
        if stock is None:
            return Parsed(line, sku, product, [], row_hash=digest)
        return Parsed(line, sku, product, [], stock,
                      location.strip() or options.location if location else options.location,
                      row_hash=digest)

    def _remember(self, kind: str, text: str, value: Any) -> Any:
        if len(self._text_seen) > _CACHE_LIMIT:
            self._text_seen.clear()
        self._text_seen[(kind, text)] = value
        return value

    def _category(self, text: str) -> str:
        found = self._text_seen.get(("category", text))
        if found is None:
            found = self._remember("category", text, values.category_path(text))
        return found

    def _tags(self, check: RowCheck, value: Any) -> list[str]:
        if not isinstance(value, str):
            return values.unique(self._list(check, value, "tags", ","))
        found = self._text_seen.get(("tags", value))
        if found is None:
            found = self._remember("tags", value, tuple(values.unique(
                values.split_escaped(value))))
        return list(found)

    def _axes(self, check: RowCheck, value: Any) -> list[str]:
        if not isinstance(value, str):
            return values.unique([axis_name(a) for a in self._list(
                check, value, "variant_axes", ",")])
        found = self._text_seen.get(("axes", value))
        if found is None:
            found = self._remember("axes", value, tuple(values.unique(
                [axis_name(a) for a in values.split_escaped(value)])))
        return list(found)

    def _date(self, check: RowCheck, column: str, text: str, end_of_day: bool) -> datetime | None:
        key = (text, end_of_day)
        found = self._dates_seen.get(key)
        if found is None:
            try:
                found = values.parse_datetime(text, end_of_day=end_of_day)
            except FieldError as exc:
                found = exc.reason
            if len(self._dates_seen) > _CACHE_LIMIT:
                self._dates_seen.clear()
            self._dates_seen[key] = found
        if isinstance(found, str):
            check.error(column, text, found)
            return None
        return found

    def _images(self, check: RowCheck, value: Any) -> list[str]:
        if not isinstance(value, str):
            return self._validate_images(check, self._list(check, value, "image_urls", "|"))
        found = self._images_seen.get(value)
        if found is None:
            scratch = RowCheck(check.line)
            urls = self._validate_images(scratch, values.split_escaped(value, IMAGE_SEPARATOR))
            found = (urls, [(p.value or "", p.reason) for p in scratch.problems])
            if len(self._images_seen) > _CACHE_LIMIT:
                self._images_seen.clear()
            self._images_seen[value] = found
        for bad, reason in found[1]:
            check.error("image_urls", bad, reason)
        return list(found[0])

    @staticmethod
    def _validate_images(check: RowCheck, items: list[str]) -> list[str]:
        urls = []
        for item in items:
            url = check.url("image_urls", item)
            if url:
                urls.append(url)
        return values.unique(urls)

    @staticmethod
    def _list(check: RowCheck, value: Any, column: str, separator: str) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, list):
            if all(isinstance(item, str) for item in value):
                return [item.strip() for item in value if item.strip()]
            check.error(column, None, "expected a list of strings")
            return []
        if isinstance(value, str):
            return values.split_escaped(value, separator)
        check.error(column, None, "expected text or a list of strings")
        return []

    @staticmethod
    def _attributes(check: RowCheck, value: Any) -> dict[str, Any]:
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                check.error("attributes", value, f"invalid JSON: {exc.msg}")
                return {}
        elif isinstance(value, dict):
            # JSON Lines numbers arrive as their text; as int/float they hash and export like
            # the CSV path's.
            try:
                value = bounded_json.plain(value, "attributes")
            except bounded_json.JsonRefused as exc:
                check.error("attributes", None, exc.reason)
                return {}
        if not isinstance(value, dict):
            check.error("attributes", None, "must be a JSON object, e.g. {\"fit\": \"slim\"}")
            return {}
        return value
