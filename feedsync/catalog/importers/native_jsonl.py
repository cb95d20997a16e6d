"""feedsync's native format as JSON Lines: one JSON object per SKU, keyed by the native columns.

Each object becomes a row of cells in :data:`~.native.NATIVE_COLUMNS` order and is checked by the
same :class:`~.native.NativeRowParser` as a CSV row (docs/catalog-formats.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from feedsync.catalog.importers import bounded_json
from feedsync.catalog.importers.base import Parsed, ParseOptions
from feedsync.catalog.importers.native import _LIST_COLUMNS, NATIVE_COLUMNS, NativeRowParser
from feedsync.catalog.importers.source import Problem, Source


def parse_jsonl(source: Source, options: ParseOptions) -> Iterator[Parsed]:
    """Stream the products of a native JSON Lines file (one JSON object per line)."""
    parser = NativeRowParser(options)
    for number, line in enumerate(source.lines(), start=1):
        problems = source.take_encoding_problems() if source.encoding_problems else []
        if not line.strip():
            continue
        source.records += 1
        try:
            obj = bounded_json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(number, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            yield Parsed(number, None, None, problems)
            continue
        except bounded_json.JsonRefused as exc:
            problems.append(Problem(number, exc.reason, exc.key))
            yield Parsed(number, None, None, problems)
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(number, "each line must be a JSON object"))
            yield Parsed(number, None, None, problems)
            continue
        for key in obj:
            if key not in NATIVE_COLUMNS:
                problems.append(Problem(number, "unknown key", key))
        yield parser.parse(number, _from_json(obj, number, problems), problems)


# Columns whose JSON value may be a number; it is checked as its literal text by the same rules
# as a CSV cell (``1e2`` is scientific notation in both). Every other column wants a string: a
# number as a SKU or GTIN has already lost what a string would keep (leading zeros, "007").
_NUMBER_COLUMNS = frozenset({"price", "sale_price", "weight", "length", "width", "height",
                             "quantity"})


def _text(value: Any, key: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bounded_json.JsonNumber):
        if key not in _NUMBER_COLUMNS:
            raise TypeError(f'number: write it as a JSON string ("{value}")')
        return str(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise TypeError("string containing a NUL character (\\u0000)")
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    raise TypeError(type(value).__name__)


def _from_json(obj: dict[str, Any], line: int, problems: list[Problem]) -> list[Any]:
    """A JSON object as a row in column order: scalars as text; lists and objects kept for the
    columns that may hold them."""
    row: list[Any] = []
    for key in NATIVE_COLUMNS:
        value = obj.get(key)
        if key in _LIST_COLUMNS or key == "attributes":
            row.append(value)
            continue
        try:
            row.append(_text(value, key))
        except TypeError as exc:
            problems.append(Problem(line, f"expected a single value, not a JSON {exc}", key))
            row.append("")
    return row
