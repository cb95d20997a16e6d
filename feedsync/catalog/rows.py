"""Conversion between :class:`~feedsync.models.Product` and catalog table rows, and its hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
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


def _dump_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def product_to_row(product: Product) -> dict[str, Any]:
    """The `products` row for ``product`` (without hash and timestamps)."""
    row: dict[str, Any] = {}
    for column in CONTENT_COLUMNS:
        value = getattr(product, column)
        if column in _DECIMAL_COLUMNS:
            value = decimal_text(value)
        elif column in _DATETIME_COLUMNS:
            value = value.isoformat() if value is not None else None
        elif column in _JSON_COLUMNS:
            value = _dump_json(value)
        elif column == "status":
            value = str(value)
        row[column] = value
    return row


def content_hash(row: dict[str, Any], images: list[str]) -> str:
    """A stable hash of a product's content columns and ordered images."""
    digest = hashlib.blake2b(digest_size=16)
    for column in CONTENT_COLUMNS:
        value = row[column]
        digest.update(b"\x00" if value is None else str(value).encode("utf-8"))
        digest.update(b"\x1f")
    for url in images:
        digest.update(url.encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def row_to_product(row: dict[str, Any], images: list[str]) -> Product:
    """Rebuild a :class:`Product` from a `products` row and its ordered image URLs."""
    values: dict[str, Any] = {}
    for column in CONTENT_COLUMNS:
        value = row[column]
        if column in _DECIMAL_COLUMNS:
            value = Decimal(value) if value is not None else None
        elif column in _DATETIME_COLUMNS:
            value = datetime.fromisoformat(value) if value else None
        elif column in _JSON_COLUMNS:
            value = json.loads(value)
        elif column == "status":
            value = ProductStatus(value)
        values[column] = value
    return Product(images=images, **values)
