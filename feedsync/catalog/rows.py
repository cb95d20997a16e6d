"""Conversion between :class:`~feedsync.models.Product` and catalog table rows, and its hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring
from operator import attrgetter, itemgetter
from typing import Any

from feedsync.models import Product, ProductStatus

# Columns of `products` that carry product content (everything but bookkeeping), in table order.
CONTENT_COLUMNS: tuple[str, ...] = (
    "sku", "item_group_id", "title", "description", "brand", "gtin", "mpn", "condition",
    "category", "product_type", "price", "sale_price", "sale_start", "sale_end", "currency",
    "weight", "weight_unit", "length", "width", "height", "dimension_unit", "link", "tags",
    "status", "color", "size", "material", "pattern", "gender", "age_group", "variant_axes",
    "attributes",
)
_DECIMAL_COLUMNS = ("price", "sale_price", "weight", "length", "width", "height")
_DATETIME_COLUMNS = ("sale_start", "sale_end")
_JSON_COLUMNS = ("tags", "variant_axes", "attributes")


def decimal_text(value: Decimal | None) -> str | None:
    """Canonical text of a Decimal: no exponent, no trailing zeros beyond the cents it carries."""
    if value is None:
        return None
    return format(value, "f")


# One encoder for every row: json.dumps() with non-default options builds a new one per call.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_get_content = attrgetter(*CONTENT_COLUMNS)
_DECIMAL_AT = tuple(CONTENT_COLUMNS.index(c) for c in _DECIMAL_COLUMNS)
_DATETIME_AT = tuple(CONTENT_COLUMNS.index(c) for c in _DATETIME_COLUMNS)
_JSON_AT = tuple(CONTENT_COLUMNS.index(c) for c in _JSON_COLUMNS)
_STATUS_AT = CONTENT_COLUMNS.index("status")
_COLUMN_COUNT = len(CONTENT_COLUMNS)


def _dump_json(value: Any) -> str:
    return _JSON.encode(value)


def product_values(product: Product) -> list[Any]:
    """The content column values of ``product``'s `products` row, in CONTENT_COLUMNS order.

    Runs once per imported SKU, so it converts by column position rather than testing every
    column's kind (a million-row import spends measurable time here). The results are exactly
    those of decimal_text() and _dump_json(), only faster for the common shapes.
    """
    values: list[Any] = list(_get_content(product))
    for at in _DECIMAL_AT:
        value = values[at]
        if value is not None:
            text = str(value)  # plain notation unless an exponent is needed, then format()
            values[at] = format(value, "f") if "E" in text else text
    for at in _DATETIME_AT:
        value = values[at]
        if value is not None:
            values[at] = value.isoformat()
    for at in _JSON_AT:
        value = values[at]
        if not value:
            values[at] = "[]" if isinstance(value, list) else "{}"
        elif isinstance(value, list):
            try:  # a list of strings (tags, axes): what the encoder writes, without its setup
                values[at] = "[" + ",".join(map(encode_basestring, value)) + "]"
            except TypeError:  # not all strings
                values[at] = _JSON.encode(value)
        else:
            values[at] = _JSON.encode(value)
    values[_STATUS_AT] = str(values[_STATUS_AT])
    return values


def product_to_row(product: Product) -> dict[str, Any]:
    """The `products` row for ``product`` (without hash and timestamps)."""
    return dict(zip(CONTENT_COLUMNS, product_values(product), strict=True))


def values_hash(values: list[Any], images: list[str]) -> str:
    """A stable hash of content column values (CONTENT_COLUMNS order) and ordered images.

    The digest covers each column's text (``\\x00`` for NULL) followed by ``\\x1f``, then each
    image URL followed by ``\\x1e``; the bytes are joined first and hashed in one call.
    """
    head = values[:_COLUMN_COUNT]
    try:  # the usual row: text and NULLs only
        text = "\x1f".join([value if value is not None else "\x00" for value in head]) + "\x1f"
    except TypeError:
        text = "\x1f".join([value if value.__class__ is str else "\x00" if value is None
                            else str(value) for value in head]) + "\x1f"
    if images:
        text += "\x1e".join(images) + "\x1e"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def content_hash(row: dict[str, Any], images: list[str]) -> str:
    """A stable hash of a product's content columns and ordered images (see values_hash)."""
    return values_hash([row[column] for column in CONTENT_COLUMNS], images)


# Reading rows back (every feed build and sync reads the whole catalog): conversions by
# position, into Product's own field order, so a row costs one positional constructor call.
_PRODUCT_FIELDS = tuple(f.name for f in fields(Product))
if set(_PRODUCT_FIELDS) != {*CONTENT_COLUMNS, "images"}:  # guards the positional build below
    raise RuntimeError("CONTENT_COLUMNS no longer matches the fields of Product")
_IMAGES_FIELD_AT = _PRODUCT_FIELDS.index("images")
_IN_PRODUCT_ORDER = itemgetter(*(CONTENT_COLUMNS.index(name) for name in _PRODUCT_FIELDS
                                  if name != "images"))
_PRODUCT_ORDER = tuple(name for name in _PRODUCT_FIELDS if name != "images")
_READ_DECIMAL_AT = tuple(_PRODUCT_ORDER.index(c) for c in _DECIMAL_COLUMNS)
_READ_DATETIME_AT = tuple(_PRODUCT_ORDER.index(c) for c in _DATETIME_COLUMNS)
_READ_JSON_AT = tuple(_PRODUCT_ORDER.index(c) for c in _JSON_COLUMNS)
_READ_STATUS_AT = _PRODUCT_ORDER.index("status")
_STATUSES = {status.value: status for status in ProductStatus}

# Tags, variation axes and attributes repeat across a catalog ('[]', '["color","size"]'), and
# json.loads costs more than the rest of a row: decoded values made only of immutable items are
# kept (bounded) and every product gets its own copy.
_JSON_MEMO: dict[str, tuple[Any, ...] | dict[str, Any]] = {}
_JSON_MEMO_LIMIT = 2048
_IMMUTABLE = (str, int, float, bool, type(None))


def _load_json(text: str) -> Any:
    if text == "[]":
        return []
    if text == "{}":
        return {}
    kept = _JSON_MEMO.get(text)
    if kept is None:
        value = json.loads(text)
        items = value.values() if isinstance(value, dict) else value
        if not isinstance(value, list | dict) or not all(isinstance(v, _IMMUTABLE)
                                                          for v in items):
            return value  # nested values must never be shared between products
        if len(_JSON_MEMO) >= _JSON_MEMO_LIMIT:
            _JSON_MEMO.clear()
        kept = _JSON_MEMO[text] = tuple(value) if isinstance(value, list) else value
    return list(kept) if isinstance(kept, tuple) else dict(kept)


def product_from_values(values: Sequence[Any], images: list[str]) -> Product:
    """Rebuild a :class:`Product` from content column values (CONTENT_COLUMNS order) and its
    ordered image URLs."""
    out = list(_IN_PRODUCT_ORDER(values))
    for at in _READ_DECIMAL_AT:
        value = out[at]
        if value is not None:
            out[at] = Decimal(value)
    for at in _READ_DATETIME_AT:
        value = out[at]
        out[at] = datetime.fromisoformat(value) if value else None
    for at in _READ_JSON_AT:
        out[at] = _load_json(out[at])
    status = out[_READ_STATUS_AT]
    out[_READ_STATUS_AT] = _STATUSES.get(status) or ProductStatus(status)
    out.insert(_IMAGES_FIELD_AT, images)
    return Product(*out)


def row_to_product(row: dict[str, Any], images: list[str]) -> Product:
    """Rebuild a :class:`Product` from a `products` row and its ordered image URLs."""
    return product_from_values([row[column] for column in CONTENT_COLUMNS], images)
