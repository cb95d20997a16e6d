"""Pure rendering of Meta catalog records into Graph API ``items_batch`` requests.

``POST /{catalog_id}/items_batch`` with ``item_type=PRODUCT_ITEM`` takes up to 5,000 requests of
the form ``{"method": "CREATE" | "UPDATE" | "DELETE", "data": {...}}`` whose ``data`` uses the
catalog's feed field names (``id``, ``title``, ``image_link``, ``price = "12.99 USD"`` …), the
same names as the facebook mapping and the file feed
(https://developers.facebook.com/docs/marketing-api/reference/product-catalog/items_batch/).

Choices, and why:

- Creates and updates are both sent as ``UPDATE`` with ``allow_upsert=true``: an upsert is
  idempotent, so a batch re-sent after a crash (or after the listing state was rebuilt) cannot
  fail with "item already exists", which ``CREATE`` would.
- ``UPDATE`` only changes the fields it names, so a field that disappeared from the record is
  sent as an empty string to clear it on Meta's side; otherwise an expired ``sale_price`` would
  keep showing.
- A price/quantity-only change sends just the id and the price and quantity fields: smaller
  batches, and no chance of touching content Meta is still reviewing.

Values are checked against Meta's enumerations (``ProductItem`` in the Graph API specs) so a
typo is reported for its SKU here rather than after an asynchronous round-trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision

from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

CHANNEL = "facebook"
ITEM_TYPE = "PRODUCT_ITEM"

# ProductItem enumerations (facebook-business-sdk-codegen enum_types.json); tests pin them.
ENUMS: dict[str, frozenset[str]] = {
    "availability": frozenset({"in stock", "out of stock", "preorder", "available for order",
                               "discontinued", "pending", "mark_as_sold"}),
    "condition": frozenset({"new", "refurbished", "used", "cpo", "open_box_new", "used_fair",
                            "used_good", "used_like_new"}),
    "gender": frozenset({"female", "male", "unisex"}),
    "age_group": frozenset({"adult", "all ages", "infant", "kids", "newborn", "teen",
                            "toddler"}),
    "visibility": frozenset({"published", "staging"}),
    "shipping_weight_unit": frozenset({"g", "kg", "lb", "oz"}),
}
PRICE_FIELDS = ("price", "sale_price")
# ProductItem declares these as ``int``: sent as JSON numbers, not the record's strings.
INT_FIELDS = ("quantity_to_sell_on_facebook", "inventory")

# Fields sent with a price/quantity-only update when the channel schema does not say otherwise.
DEFAULT_PRICE_QUANTITY_FIELDS = frozenset({
    "price", "sale_price", "sale_price_effective_date", "availability", "inventory",
    "quantity_to_sell_on_facebook",
})


class FieldError(ValueError):
    """A field value Meta cannot take; ``field`` names it for the per-SKU report."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def _enum(field: str, value: str) -> str:
    allowed = ENUMS[field]
    text = value.strip().lower()
    if text in allowed:
        return text
    spaced = text.replace("_", " ")  # "in_stock" (Google's spelling) → "in stock"
    if spaced in allowed:
        return spaced
    raise FieldError(field, f"{value!r} is not one of: {', '.join(sorted(allowed))}")


def check_price(field: str, text: str) -> str:
    """Meta prices are ``"<amount> <ISO 4217>"``, e.g. ``"12.99 USD"``; return it normalised."""
    parts = text.split()
    if len(parts) != 2 or len(parts[1]) != 3 or not parts[1].isalpha():
        raise FieldError(field, f"{text!r} is not a price like '12.99 USD'")
    # Strict: digits with exactly the currency's decimals (CLDR precision via Babel: 2 for USD,
    # 0 for JPY, 3 for KWD) or none; no exponent, sign or other digits ("1e3", "12.5 USD").
    decimals = get_currency_precision(parts[1].upper())
    amount_pattern = r"[0-9]+" + (rf"(\.[0-9]{{{decimals}}})?" if decimals else "")
    if re.fullmatch(amount_pattern, parts[0]) is None:
        shown = "a whole amount" if not decimals else f"an amount with {decimals} decimals"
        raise FieldError(field, f"{text!r}: {parts[0]!r} is not {shown} for "
                                f"{parts[1].upper()}")
    try:
        amount = Decimal(parts[0])
    except InvalidOperation:
        raise FieldError(field, f"{text!r}: {parts[0]!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise FieldError(field, f"{text!r} is not a non-negative amount")
    return f"{parts[0]} {parts[1].upper()}"


def _value(field: str, value: FieldValue) -> str | int | list[str]:
    if isinstance(value, list):
        if field in ENUMS or field in PRICE_FIELDS or field in INT_FIELDS:
            raise FieldError(field, f"takes one value, got {len(value)}")
        return list(value)
    if field in INT_FIELDS:
        text = value.strip()
        if not text.isdigit():
            raise FieldError(field, f"{value!r} is not a whole number of units")
        return int(text)
    if field in ENUMS:
        return _enum(field, value)
    if field in PRICE_FIELDS:
        return check_price(field, value)
    return value


def item_data(sku: str, fields: Mapping[str, FieldValue], *, id_field: str = "id",
              only: Iterable[str] | None = None, cleared: Iterable[str] = ()
              ) -> dict[str, Any]:
    """The ``data`` object of one request: the record's fields, checked.

    ``only`` limits the fields sent (price/quantity updates); ``cleared`` names fields that were
    sent before and are now empty, sent as ``""`` so Meta forgets them.
    """
    retailer_id = fields.get(id_field) or sku
    if isinstance(retailer_id, list):
        retailer_id = retailer_id[0]
    data: dict[str, Any] = {"id": retailer_id}
    wanted = None if only is None else set(only)
    for name, value in fields.items():
        if name == id_field or value == "" or value == []:
            continue
        if wanted is not None and name not in wanted:
            continue
        try:
            data[name] = _value(name, value)
        except FieldError as exc:
            raise RenderError(f"{sku}: field {exc.field}: {exc}", channel=CHANNEL,
                              sku=sku, field=exc.field) from None
    for name in sorted(set(cleared)):
        if name != id_field and name not in data and (wanted is None or name in wanted):
            data[name] = ""
    return data


def update_request(data: dict[str, Any]) -> dict[str, Any]:
    """One ``UPDATE`` (upsert) request."""
    return {"method": "UPDATE", "data": data}


def delete_request(retailer_id: str) -> dict[str, Any]:
    """One ``DELETE`` request: only the id is needed."""
    return {"method": "DELETE", "data": {"id": retailer_id}}


def batch_body(requests: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON body of ``POST /{catalog_id}/items_batch``.

    JSON rather than a form post: the 28 MB ceiling applies to the payload, and form encoding
    would inflate every non-ASCII or reserved character threefold.
    """
    return {"item_type": ITEM_TYPE, "allow_upsert": True, "requests": requests}


def encode(payload: Any) -> bytes:
    """The exact bytes sent for a payload (compact JSON, UTF-8, key order as built)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Bytes the envelope adds around the requests: the body with an empty list, plus one comma per
# request after the first (counted in each item's size, see item_size).
ENVELOPE_BYTES = len(encode(batch_body([])))


def item_size(request: dict[str, Any]) -> int:
    """Bytes one request adds to a batch body (its JSON plus the separating comma)."""
    return len(encode(request)) + 1
