"""feedsync's own catalog format, as CSV or JSON Lines: one row (or object) per SKU.

The columns are documented in docs/catalog-formats.md; `feedsync catalog export` writes exactly
this format, so an export imports back unchanged.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from feedsync.catalog.importers import values
from feedsync.catalog.importers.base import (
    CONDITIONS,
    DIMENSION_UNITS,
    WEIGHT_UNITS,
    Parsed,
    ParseOptions,
    RowCheck,
    axis_name,
    check_product,
    clean,
)
from feedsync.catalog.importers.source import CsvFile, Problem, Source
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
NATIVE_COLUMNS: tuple[str, ...] = PRODUCT_COLUMNS + STOCK_COLUMNS
REQUIRED_COLUMNS: tuple[str, ...] = ("sku", "title", "price")
IMAGE_SEPARATOR = "|"
_STATUSES = tuple(str(s) for s in ProductStatus)
_LIST_COLUMNS = ("image_urls", "tags", "variant_axes")


def parse_csv(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the products of a native CSV file."""
    table = CsvFile(source)
    positions = table.columns()
    check_columns(source.label, table.header_line, positions)
    known = [(name, positions[name]) for name in NATIVE_COLUMNS if name in positions]
    parser = NativeRowParser(options)
    for record in table:
        cells = record.cells
        if len(cells) != len(table.header):
            sku_at = positions["sku"]
            sku = cells[sku_at].strip() if sku_at < len(cells) else ""
            for problem in record.problems:
                problem.sku = sku or None
            yield Parsed(record.line, sku or None, None, record.problems)
            continue
        row = {name: cells[index] for name, index in known}
        yield parser.parse(record.line, row, record.problems)


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


def parse_jsonl(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the products of a native JSON Lines file (one JSON object per line)."""
    parser = NativeRowParser(options)
    for number, line in enumerate(source.lines(), start=1):
        problems = source.take_encoding_problems() if source.encoding_problems else []
        if not line.strip():
            continue
        source.records += 1
        try:
            obj = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            problems.append(Problem(number, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            yield Parsed(number, None, None, problems)
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(number, "each line must be a JSON object"))
            yield Parsed(number, None, None, problems)
            continue
        for key in obj:
            if key not in NATIVE_COLUMNS:
                problems.append(Problem(number, "unknown key", key))
        yield parser.parse(number, obj, problems)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise TypeError(type(value).__name__)


class NativeRowParser:
    """Turns one native row (CSV cells or a JSON object) into a :class:`Parsed`."""

    def __init__(self, options: ParseOptions) -> None:
        self.options = options

    def parse(self, line: int, row: Mapping[str, Any], problems: list[Problem]) -> Parsed:
        """Validate every cell of ``row``; all problems are reported, not just the first."""
        check = RowCheck(line)
        check.problems.extend(problems)
        get = self._getter(check, row)
        sku = get("sku").strip()
        check.sku = sku or None
        for problem in check.problems:
            problem.sku = check.sku
        if not sku:
            check.error("sku", None, "sku is required")
        elif any(c in sku for c in "\t\r\n"):
            check.error("sku", sku, "a SKU must not contain tabs or line breaks")
        title = check.required("title", get("title"))
        price = check.money("price", get("price"))
        if price is None and get("price").strip() == "":
            check.error("price", None, "price is required")
        attributes = self._attributes(check, row.get("attributes"))
        product = Product(
            sku=sku,
            title=title,
            price=price if price is not None else Decimal(0),
            currency=check.currency("currency", get("currency"), self.options.default_currency),
            item_group_id=clean(get("item_group_id")),
            description=get("description"),
            brand=clean(get("brand")),
            gtin=check.gtin("gtin", get("gtin")),
            mpn=clean(get("mpn")),
            condition=check.choice("condition", get("condition"), CONDITIONS, "new") or "new",
            category=values.category_path(get("category")),
            product_type=get("product_type").strip(),
            sale_price=check.money("sale_price", get("sale_price")),
            sale_start=check.moment("sale_start", get("sale_start")),
            sale_end=check.moment("sale_end", get("sale_end"), end_of_day=True),
            weight=check.measure("weight", get("weight")),
            weight_unit=check.choice("weight_unit", get("weight_unit"), WEIGHT_UNITS),
            length=check.measure("length", get("length")),
            width=check.measure("width", get("width")),
            height=check.measure("height", get("height")),
            dimension_unit=check.choice("dimension_unit", get("dimension_unit"), DIMENSION_UNITS),
            link=check.url("link", get("link")),
            images=self._images(check, row.get("image_urls")),
            tags=values.unique(self._list(check, row.get("tags"), "tags", ",")),
            status=ProductStatus(
                check.choice("status", get("status"), _STATUSES, "active") or "active"),
            color=clean(get("color")),
            size=clean(get("size")),
            material=clean(get("material")),
            pattern=clean(get("pattern")),
            gender=clean(get("gender")),
            age_group=clean(get("age_group")),
            variant_axes=values.unique([axis_name(a) for a in self._list(
                check, row.get("variant_axes"), "variant_axes", ",")]),
            attributes=attributes,
        )
        quantity = check.quantity("quantity", get("quantity"))
        location = clean(get("location")) or self.options.location
        check_product(check, product)
        if check.problems:
            return Parsed(line, check.sku, None, check.problems)
        return Parsed(line, sku, product, [], quantity, location if quantity is not None else None)

    @staticmethod
    def _getter(check: RowCheck, row: Mapping[str, Any]) -> Any:
        def get(column: str) -> str:
            try:
                return _text(row.get(column))
            except TypeError as exc:
                check.error(column, None, f"expected a single value, not a JSON {exc}")
                return ""
        return get

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

    def _images(self, check: RowCheck, value: Any) -> list[str]:
        urls = []
        for item in self._list(check, value, "image_urls", IMAGE_SEPARATOR):
            url = check.url("image_urls", item)
            if url:
                urls.append(url)
        return values.unique(urls)

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
            # JSON Lines numbers arrive as Decimal; floats hash and export like the CSV path's.
            value = json.loads(json.dumps(value, default=float))
        if not isinstance(value, dict):
            check.error("attributes", None, "must be a JSON object, e.g. {\"fit\": \"slim\"}")
            return {}
        return value
