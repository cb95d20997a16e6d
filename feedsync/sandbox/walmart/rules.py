"""Walmart's ingestion rules for feed entries: what makes an item a DATA_ERROR.

Sources: the MP_ITEM 4.x shape of the "V4.8 MP_ITEM" example (itemBulkUploads,
../shared/specs/walmart/us-mp-items.json), the ``Price`` schema (us-mp-price.json), the MultiNode
inventory example and ``InputQty`` (us-mp-inventory.json), the ``IngestionError`` schema
(us-mp-feeds.json: ``type`` DATA_ERROR / SYSTEM_ERROR / TIMEOUT_ERROR, ``code``,
``description``), and https://developer.walmart.com/us-marketplace/docs/item-setup-schema-key-points
(MPItemFeedHeader once per feed, MPItem = Orderable + Visible). Length limits are the MP_ITEM
4.x schema's (productName 199, brand 60, sku 50). The error codes are this sandbox's own
(Walmart publishes no list); every description names the attribute, as Walmart's do.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_SKU = 50
MAX_PRODUCT_NAME = 199
MAX_BRAND = 60
ID_TYPES = {"GTIN": (8, 12, 13, 14), "UPC": (12,), "EAN": (13,), "ISBN": (10, 13)}
METHOD_CODES = ("Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value")


def data_error(code: str, description: str) -> dict[str, str]:
    """One ``IngestionError`` of type DATA_ERROR."""
    return {"type": "DATA_ERROR", "code": code, "description": description}


def gs1_ok(value: str) -> bool:
    """GS1 check digit (https://www.gs1.org/services/how-calculate-check-digit-manually)."""
    digits = [int(c) for c in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def item_errors(item: Any) -> list[dict[str, str]]:
    """The DATA_ERRORs of one ``MPItem`` entry (empty when Walmart would ingest it)."""
    if not isinstance(item, dict) or not isinstance(item.get("Orderable"), dict):
        return [data_error("ERR_EXT_DATA_0100001", "Orderable is required")]
    orderable = item["Orderable"]
    found: list[dict[str, str]] = []
    sku = _text(orderable.get("sku"))
    if not sku or len(sku) > MAX_SKU:
        found.append(data_error("ERR_EXT_DATA_0100002",
                                f"sku is required and at most {MAX_SKU} characters"))
    ident = orderable.get("productIdentifiers") or {}
    kind, code = _text(ident.get("productIdType")), _text(ident.get("productId"))
    if kind not in ID_TYPES or not code.isdigit() or len(code) not in ID_TYPES[kind] or (
            kind != "ISBN" and not gs1_ok(code)):
        found.append(data_error("ERR_EXT_DATA_0101002",
                                f"productIdentifiers: productId {code!r} is not a valid "
                                f"{kind or 'product id'}"))
    name = _text(orderable.get("productName"))
    if not name or len(name) > MAX_PRODUCT_NAME:
        found.append(data_error("ERR_EXT_DATA_0101001",
                                f"productName is required and at most {MAX_PRODUCT_NAME} "
                                "characters"))
    brand = _text(orderable.get("brand"))
    if not brand or len(brand) > MAX_BRAND:
        found.append(data_error("ERR_EXT_DATA_0101003",
                                f"brand is required and at most {MAX_BRAND} characters"))
    price = _number(orderable.get("price"))
    if price is None or price <= 0:
        found.append(data_error("ERR_EXT_DATA_0101004", "price must be a positive number"))
    weight = _number(orderable.get("ShippingWeight"))
    if weight is None or weight < 0:
        found.append(data_error("ERR_EXT_DATA_0101005", "ShippingWeight must be a number"))
    found += _visible_errors(item.get("Visible"))
    return found


def _visible_errors(visible: Any) -> list[dict[str, str]]:
    if not isinstance(visible, dict) or len(visible) != 1:
        return [data_error("ERR_EXT_DATA_0102001", "Visible must hold exactly one category")]
    [attrs] = visible.values()
    if not isinstance(attrs, dict):
        return [data_error("ERR_EXT_DATA_0102001", "Visible category must be an object")]
    found = []
    image = _text(attrs.get("mainImageUrl"))
    if not image.startswith(("http://", "https://")):
        found.append(data_error("ERR_EXT_DATA_0102002", "mainImageUrl must be an http(s) URL"))
    if not _text(attrs.get("shortDescription")):
        found.append(data_error("ERR_EXT_DATA_0102003", "shortDescription is required"))
    if attrs.get("variantGroupId") and not attrs.get("variantAttributeNames"):
        found.append(data_error("ERR_EXT_DATA_0102004",
                                "variantAttributeNames is required for a variantGroupId"))
    return found


def price_errors(entry: Any) -> list[dict[str, str]]:
    """The DATA_ERRORs of one price feed entry (``Price``: sku, pricing[currentPrice])."""
    pricing = entry.get("pricing") if isinstance(entry, dict) else None
    if not isinstance(pricing, list) or not pricing:
        return [data_error("ERR_EXT_DATA_0201001", "pricing is required")]
    current = pricing[0].get("currentPrice") or {}
    amount = _number(current.get("amount"))
    if amount is None or amount <= 0 or current.get("currency") not in ("USD", "CAD"):
        return [data_error("ERR_EXT_DATA_0201002",
                           "currentPrice needs a positive amount in USD or CAD")]
    if pricing[0].get("currentPriceType") not in ("BASE", "REDUCED", "CLEARANCE"):
        return [data_error("ERR_EXT_DATA_0201003", "currentPriceType is not valid")]
    return []


def inventory_errors(entry: Any, ship_node: str) -> list[dict[str, str]]:
    """The DATA_ERRORs of one MP_INVENTORY entry (ship nodes required, quantities whole)."""
    nodes = entry.get("shipNodes") if isinstance(entry, dict) else None
    if not isinstance(nodes, list) or not nodes:
        return [data_error("ERR_EXT_DATA_0301001", "shipNodes is required in MP_INVENTORY")]
    for node in nodes:
        if str(node.get("shipNode")) != ship_node:
            return [data_error("ERR_EXT_DATA_0301002",
                               f"shipNode {node.get('shipNode')!r} is not one of yours")]
        quantity = node.get("quantity") or {}
        amount = _number(quantity.get("amount"))
        if quantity.get("unit") != "EACH" or amount is None or amount < 0 or \
                amount != amount.to_integral_value():
            return [data_error("ERR_EXT_DATA_0301003", "quantity must be a whole EACH amount")]
    return []
