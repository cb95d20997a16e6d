"""Pure rendering: a flat Walmart record → the payloads of Walmart's feeds and calls.

Deterministic (same record, same bytes), no I/O. Shapes follow the official examples in
../shared/specs/walmart (the tests validate them against the OpenAPI schemas where Walmart gives
one):

- MP_ITEM: ``{"Orderable": {...}, "Visible": {"<category>": {...}}}`` per item (the
  "V4.8 MP_ITEM" example of itemBulkUploads); variant groups as ``variantGroupId``,
  ``variantAttributeNames`` and ``isPrimaryVariant`` in the Visible section;
- price feed entries and PUT /v3/price bodies: the ``Price`` schema (sku + pricing[] with
  ``currentPriceType`` BASE and ``currentPrice``);
- MP_INVENTORY entries: ``{"sku", "shipNodes": [{"shipNode", "quantity": {"unit": "EACH",
  "amount"}}]}`` (the MultiNode_Bulk_Inventory_Update_Request example); the ship node is added
  when the feed is written, from the channel config;
- PUT /v3/inventory bodies: the ``Inventory`` schema;
- RETIRE_ITEM entries: ``{"sku"}``.

Money stays Decimal inside feedsync; JSON has one number type, so an amount is written as an
int, or as a float only when its shortest repr round-trips to the same Decimal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

CHANNEL = "walmart"
UNIT = "EACH"  # InputQty.unit enum (us-mp-inventory.json)

# Walmart attribute name → the mapping field it comes from, so an ingestion error naming a
# Walmart attribute points the merchant at the field (and the mapping rule) to fix.
WALMART_TO_FIELD: dict[str, str] = {
    "sku": "sku",
    "productIdentifiers": "product_id",
    "productIdentifier": "product_id",
    "productId": "product_id",
    "productIdType": "product_id_type",
    "productName": "product_name",
    "brand": "brand",
    "price": "price",
    "currency": "currency",
    "ShippingWeight": "shipping_weight",
    "MustShipAlone": "must_ship_alone",
    "shipsInOriginalPackaging": "ships_in_original_packaging",
    "fulfillmentLagTime": "fulfillment_lag_time",
    "shortDescription": "short_description",
    "keyFeatures": "key_features",
    "mainImageUrl": "main_image_url",
    "productSecondaryImageURL": "secondary_image_urls",
    "manufacturer": "manufacturer",
    "manufacturerPartNumber": "manufacturer_part_number",
    "modelNumber": "model_number",
    "color": "color",
    "size": "size",
    "material": "material",
    "pattern": "pattern",
    "gender": "gender",
    "ageGroup": "age_group",
    "variantGroupId": "variant_group_id",
    "variantAttributeNames": "variant_attribute_names",
    "isPrimaryVariant": "is_primary_variant",
    "quantity": "quantity",
}
_LOWER_TO_FIELD = {key.lower(): value for key, value in WALMART_TO_FIELD.items()}

# Identifier type by length (GS1): 12 digits UPC-A, 13 EAN-13, 14 GTIN-14; GTIN-8 is sent as
# GTIN-14 (zero-padded), as Walmart's GTIN type is the 14-digit form ("06146190200012").
_TYPE_BY_LENGTH = {8: "GTIN", 12: "UPC", 13: "EAN", 14: "GTIN"}
_LENGTHS = {"GTIN": (8, 12, 13, 14), "UPC": (12,), "EAN": (13,), "ISBN": (10, 13)}


def reject(sku: str, field: str, message: str) -> RenderError:
    """The error for a record Walmart would refuse, naming the SKU and the mapping field."""
    return RenderError(f"{sku}: {field}: {message}", channel=CHANNEL, sku=sku, field=field)


def one(fields: Mapping[str, FieldValue], name: str) -> str | None:
    """A field's single value (the first of a list), or None when empty."""
    value = fields.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value or None


def many(fields: Mapping[str, FieldValue], name: str) -> list[str]:
    """A field's values as a list (a scalar becomes a one-item list), empty ones dropped."""
    value = fields.get(name)
    if value is None or value == "":
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if v]


def number(text: str, *, sku: str, field: str) -> int | float:
    """A decimal string as a JSON number whose text equals the decimal exactly."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise reject(sku, field, f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise reject(sku, field, f"{text!r} is not a non-negative number")
    if value == value.to_integral_value() and value < 2**53:
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) != value.normalize():
        raise reject(sku, field, f"{text!r} has too many digits")
    return as_float


def whole(text: str, *, sku: str, field: str) -> int:
    """A whole, non-negative number."""
    if not text.isdigit():
        raise reject(sku, field, f"{text!r} is not a whole number")
    return int(text)


def product_identifier(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, str]:
    """``productIdentifiers``: the type (given, or inferred from the length) and the digits."""
    code = one(fields, "product_id")
    if code is None:
        raise reject(sku, "product_id", "required (GTIN, UPC, EAN or ISBN)")
    kind = one(fields, "product_id_type") or _TYPE_BY_LENGTH.get(len(code))
    if kind is None or not code.isdigit() or len(code) not in _LENGTHS.get(kind, ()):
        raise reject(sku, "product_id", f"{code!r} is not a valid {kind or 'product id'} "
                                        f"({'/'.join(map(str, _LENGTHS.get(kind or '', ())))} "
                                        "digits)")
    if kind == "GTIN":
        code = code.zfill(14)
    return {"productIdType": kind, "productId": code}


def _extra(sku: str, fields: Mapping[str, FieldValue], name: str,
           managed: Mapping[str, Any]) -> dict[str, Any]:
    raw = one(fields, name)
    if raw is None:
        return {}
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise reject(sku, name, f"not valid JSON ({exc})") from None
    if not isinstance(extra, dict):
        raise reject(sku, name, "must be a JSON object")
    clash = sorted(set(extra) & set(managed))
    if clash:
        raise reject(sku, name, f"{', '.join(clash)} set by the mapping already; set it there")
    return extra


def orderable(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """The ``Orderable`` section: what Walmart needs to create the offer."""
    name = one(fields, "product_name")
    brand = one(fields, "brand")
    price = one(fields, "price")
    weight = one(fields, "shipping_weight")
    for field, value in (("product_name", name), ("brand", brand), ("price", price),
                         ("shipping_weight", weight)):
        if value is None:
            raise reject(sku, field, "required by Walmart's Orderable section")
    assert name and brand and price and weight
    section: dict[str, Any] = {
        "sku": sku,
        "productIdentifiers": product_identifier(sku, fields),
        "productName": name,
        "brand": brand,
        "price": number(price, sku=sku, field="price"),
        "ShippingWeight": number(weight, sku=sku, field="shipping_weight"),
    }
    if (alone := one(fields, "must_ship_alone")) is not None:
        section["MustShipAlone"] = alone
    if (original := one(fields, "ships_in_original_packaging")) is not None:
        section["shipsInOriginalPackaging"] = original
    if (lag := one(fields, "fulfillment_lag_time")) is not None:
        section["fulfillmentLagTime"] = whole(lag, sku=sku, field="fulfillment_lag_time")
    section.update(_extra(sku, fields, "orderable_attributes", section))
    return section


_VISIBLE_TEXT = (("manufacturer", "manufacturer"),
                 ("manufacturer_part_number", "manufacturerPartNumber"),
                 ("model_number", "modelNumber"), ("size", "size"), ("material", "material"),
                 ("pattern", "pattern"), ("gender", "gender"))


def visible(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """The ``Visible`` section, keyed by the Walmart category name."""
    category = one(fields, "category")
    if category is None:
        raise reject(sku, "category", "required (the Walmart category, e.g. Clothing)")
    attrs: dict[str, Any] = {}
    if (text := one(fields, "short_description")) is not None:
        attrs["shortDescription"] = text
    if features := many(fields, "key_features"):
        attrs["keyFeatures"] = features
    if (main := one(fields, "main_image_url")) is not None:
        attrs["mainImageUrl"] = main
    if secondary := many(fields, "secondary_image_urls"):
        attrs["productSecondaryImageURL"] = secondary
    if (color := one(fields, "color")) is not None:
        attrs["color"] = [color]  # a list in the official examples
    for field, walmart in _VISIBLE_TEXT:
        if (value := one(fields, field)) is not None:
            attrs[walmart] = value
    if ages := many(fields, "age_group"):
        attrs["ageGroup"] = ages
    attrs.update(variant_attributes(sku, fields))
    attrs.update(_extra(sku, fields, "visible_attributes", attrs))
    return {category: attrs}


def variant_attributes(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """``variantGroupId``, ``variantAttributeNames`` and ``isPrimaryVariant`` of a family
    member (nothing for a product without a family)."""
    group = one(fields, "variant_group_id")
    if group is None:
        return {}
    names = many(fields, "variant_attribute_names")
    if not names:
        raise reject(sku, "variant_attribute_names", "a variant needs the attribute names its "
                                                     "group varies by (e.g. color, size)")
    attrs: dict[str, Any] = {"variantGroupId": group, "variantAttributeNames": names}
    # Left out unless the mapping says: Walmart then picks the group's primary variant itself.
    if (primary := one(fields, "is_primary_variant")) is not None:
        attrs["isPrimaryVariant"] = primary
    return attrs


def mp_item(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """One ``MPItem`` entry (create or full update: MP_ITEM replaces the item's content)."""
    return {"Orderable": orderable(sku, fields), "Visible": visible(sku, fields)}


def price_entry(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any]:
    """One price feed entry (and the PUT /v3/price body): the BASE price."""
    price = one(fields, "price")
    if price is None:
        raise reject(sku, "price", "a price update needs a price")
    return {"sku": sku, "pricing": [{
        "currentPriceType": "BASE",
        "currentPrice": {"currency": one(fields, "currency") or "USD",
                         "amount": number(price, sku=sku, field="price")},
    }]}


def quantity_of(sku: str, fields: Mapping[str, FieldValue]) -> int | None:
    """The record's quantity, or None when the mapping gives none."""
    quantity = one(fields, "quantity")
    return None if quantity is None else whole(quantity, sku=sku, field="quantity")


def inventory_entry(sku: str, quantity: int, ship_node: str) -> dict[str, Any]:
    """One MP_INVENTORY entry (spec 1.5): the SKU's quantity at one ship node."""
    return {"sku": sku, "shipNodes": [{"shipNode": ship_node,
                                       "quantity": {"unit": UNIT, "amount": quantity}}]}


def inventory_body(sku: str, quantity: int) -> dict[str, Any]:
    """The PUT /v3/inventory body (``Inventory`` schema)."""
    return {"sku": sku, "quantity": {"unit": UNIT, "amount": quantity}}


def retire_entry(sku: str) -> dict[str, str]:
    """One RETIRE_ITEM entry."""
    return {"sku": sku}


# --- feed documents ---------------------------------------------------------------------------

def dumps(value: Any) -> str:
    """Compact, key-order-preserving JSON (deterministic for the same input)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def size_of(payload: Any) -> int:
    """Bytes one entry takes in a feed, its separator included."""
    return len(dumps(payload).encode("utf-8")) + 1


def item_header(version: str, locale: str, sub_category: str | None) -> dict[str, str]:
    """``MPItemFeedHeader`` (sellingChannel marketplace, processMode REPLACE, subset EXTERNAL)."""
    header = {"sellingChannel": "marketplace", "processMode": "REPLACE", "subset": "EXTERNAL",
              "locale": locale, "version": version}
    if sub_category:
        header["subCategory"] = sub_category
    return header


def _document(header_key: str, header: Mapping[str, Any], items_key: str,
              items: Iterable[Any]) -> bytes:
    parts = [f'{{"{header_key}":', dumps(header), f',"{items_key}":[']
    parts.append(",".join(dumps(item) for item in items))
    parts.append("]}")
    return "".join(parts).encode("utf-8")


def item_feed(items: Iterable[Mapping[str, Any]], *, version: str, locale: str = "en",
              sub_category: str | None = None) -> bytes:
    """An MP_ITEM feed document."""
    return _document("MPItemFeedHeader", item_header(version, locale, sub_category), "MPItem",
                     items)


def price_feed(entries: Iterable[Mapping[str, Any]], *, version: str) -> bytes:
    """A price feed document (JSON, ``PriceHeader`` + ``Price[]``)."""
    return _document("PriceHeader", {"version": version}, "Price", entries)


def inventory_feed(entries: Iterable[Mapping[str, Any]], *, version: str) -> bytes:
    """An MP_INVENTORY feed document (``inventoryHeader`` + ``inventory[]``, spec 1.5)."""
    return _document("inventoryHeader", {"version": version}, "inventory", entries)


def retire_feed(skus: Iterable[str], *, version: str, feed_date: str) -> bytes:
    """A RETIRE_ITEM feed document (``RetireItemHeader`` with the feed date)."""
    return _document("RetireItemHeader", {"feedDate": feed_date, "version": version},
                     "RetireItem", (retire_entry(sku) for sku in skus))


def field_for(walmart_name: str | None) -> str | None:
    """The mapping field a Walmart attribute name comes from (None when unknown)."""
    if not walmart_name:
        return None
    return WALMART_TO_FIELD.get(walmart_name) or _LOWER_TO_FIELD.get(walmart_name.lower())
