"""eBay's documented rules for inventory items, offers and publishing, as the API enforces them.

Every rule names where eBay documents it; the limits are those of sell_inventory_v1_oas3.json's
field descriptions (``Max Length`` notes, "Up to 25 …", ``imageUrls``: "up to 24 pictures")
unless said otherwise. A broken rule is one ``Error`` entry (errorId, parameters naming the
field) for the SKU: bulk calls report it in that SKU's entry, single calls as the answer.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.sandbox.ebay.base import error_entry

MAX_BULK = 25
MAX_SKU = 50
MAX_TITLE = 80
MAX_SUBTITLE = 55
MAX_DESCRIPTION = 4000
MAX_ASPECT_NAME = 40
MAX_ASPECT_VALUE = 50
MAX_IMAGES = 24
MAX_GROUP_VARIANT_IMAGES = 12
# https://developer.ebay.com/api-docs/sell/inventory/types/slr:ConditionEnum
CONDITIONS = frozenset({
    "NEW", "LIKE_NEW", "NEW_OTHER", "NEW_WITH_DEFECTS", "CERTIFIED_REFURBISHED",
    "EXCELLENT_REFURBISHED", "VERY_GOOD_REFURBISHED", "GOOD_REFURBISHED", "SELLER_REFURBISHED",
    "MANUFACTURER_REFURBISHED", "USED_EXCELLENT", "USED_VERY_GOOD", "USED_GOOD",
    "USED_ACCEPTABLE", "PRE_OWNED_EXCELLENT", "PRE_OWNED_FAIR", "FOR_PARTS_OR_NOT_WORKING",
})
WEIGHT_UNITS = frozenset({"POUND", "KILOGRAM", "OUNCE", "GRAM"})
LENGTH_UNITS = frozenset({"INCH", "FEET", "CENTIMETER", "METER"})
# Error ids of the Inventory API's error tables (each method's "Error codes" section, e.g.
# https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item/methods/createOrReplaceInventoryItem#h2-error-codes).
INVALID_FIELD = 25709  # "Invalid value for {fieldName}. {additionalInfo}"
INVALID_CONDITION = 25021  # "Invalid item condition information."
INVALID_PICTURES = 25014  # "Invalid pictures. {additionalInfo}"
INVALID_CATEGORY = 25005  # "Invalid category ID."
INVALID_PRICE = 25003  # "Invalid price."
INVALID_QUANTITY = 25004  # "Invalid quantity."
INVALID_POLICY = 25007  # "Invalid Fulfillment policy" (25008 payment, 25009 return)
INVALID_PACKAGE = 25020  # "Invalid package details."
INVALID_GROUP = 25013  # "Invalid data in the Inventory Item Group."
INVALID_LOCATION = 25031  # "{fieldName} is not valid" for merchantLocationKey


def _bad(error_id: int, field: str, message: str) -> dict[str, Any]:
    return error_entry(error_id, message, fieldName=field)


def sku_errors(sku: Any) -> list[dict[str, Any]]:
    """A SKU: 1–50 characters, no spaces at either end (InventoryItemWithSkuLocale.sku)."""
    if not isinstance(sku, str) or not sku.strip() or len(sku) > MAX_SKU:
        return [_bad(INVALID_FIELD, "sku", f"Invalid value for sku. A SKU has 1 to {MAX_SKU} "
                                           "characters.")]
    return []


def aspect_errors(aspects: Any, where: str) -> list[dict[str, Any]]:
    """``aspects``: an object of string arrays; names ≤ 40, values ≤ 50 (Product.aspects)."""
    if aspects is None:
        return []
    if not isinstance(aspects, dict):
        return [_bad(INVALID_FIELD, where, f"Invalid value for {where}: an object of arrays")]
    found = []
    for name, values in aspects.items():
        if len(name) > MAX_ASPECT_NAME:
            found.append(_bad(INVALID_FIELD, where, f"Invalid value for {where}. The aspect "
                              f"name '{name[:20]}…' exceeds {MAX_ASPECT_NAME} characters."))
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            found.append(_bad(INVALID_FIELD, where, f"Invalid value for {where}.{name}: "
                                                    "a list of strings"))
            continue
        long = [v for v in values if len(v) > MAX_ASPECT_VALUE]
        if long:
            found.append(_bad(INVALID_FIELD, where, f"Invalid value for {where}.{name}. The "
                              f"value '{long[0][:20]}…' exceeds {MAX_ASPECT_VALUE} characters."))
    return found


def image_errors(urls: Any, limit: int = MAX_IMAGES) -> list[dict[str, Any]]:
    """``imageUrls``: HTTPS links, at most 24 (12 for a variant of a group)."""
    if urls is None:
        return []
    if not isinstance(urls, list) or len(urls) > limit:
        return [_bad(INVALID_PICTURES, "imageUrls", f"Invalid pictures. At most {limit} "
                                                    "pictures are allowed.")]
    if any(not isinstance(u, str) or not u.startswith("https://") for u in urls):
        return [_bad(INVALID_PICTURES, "imageUrls", "Invalid pictures. Picture URLs must use "
                                                    "HTTPS.")]
    return []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def package_errors(package: Any) -> list[dict[str, Any]]:
    """``packageWeightAndSize``: weight needs unit and value; dimensions all four fields."""
    if not package:
        return []
    found = []
    weight = package.get("weight")
    if weight is not None and (weight.get("unit") not in WEIGHT_UNITS
                               or not _number(weight.get("value"))):
        found.append(_bad(INVALID_PACKAGE, "packageWeightAndSize.weight",
                          "Invalid package details. Both unit and value are required."))
    dims = package.get("dimensions")
    if dims is not None and (dims.get("unit") not in LENGTH_UNITS or not all(
            _number(dims.get(k)) for k in ("length", "width", "height"))):
        found.append(_bad(INVALID_PACKAGE, "packageWeightAndSize.dimensions",
                          "Invalid package details. All fields of dimensions are required."))
    return found


def inventory_item_errors(item: dict[str, Any], *, in_group: bool = False
                          ) -> list[dict[str, Any]]:
    """What createOrReplaceInventoryItem refuses for one item."""
    found = sku_errors(item.get("sku"))
    product = item.get("product") or {}
    title = product.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE):
        found.append(_bad(INVALID_FIELD, "product.title", f"Invalid value for product.title. "
                          f"The title may have at most {MAX_TITLE} characters."))
    for name, limit in (("subtitle", MAX_SUBTITLE), ("description", MAX_DESCRIPTION)):
        value = product.get(name)
        if isinstance(value, str) and len(value) > limit:
            found.append(_bad(INVALID_FIELD, f"product.{name}", f"Invalid value for "
                              f"product.{name}. At most {limit} characters."))
    found += aspect_errors(product.get("aspects"), "product.aspects")
    found += image_errors(product.get("imageUrls"),
                          MAX_GROUP_VARIANT_IMAGES if in_group else MAX_IMAGES)
    condition = item.get("condition")
    if condition is not None and condition not in CONDITIONS:
        found.append(_bad(INVALID_CONDITION, "condition",
                          "Invalid item condition information."))
    ship = ((item.get("availability") or {}).get("shipToLocationAvailability") or {})
    quantity = ship.get("quantity")
    if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
        found.append(_bad(INVALID_QUANTITY, "availability.shipToLocationAvailability.quantity",
                          "Invalid quantity."))
    found += package_errors(item.get("packageWeightAndSize"))
    return found


def price_errors(amount: Any, field: str) -> list[dict[str, Any]]:
    """An ``Amount``: a positive decimal string and a three-letter currency."""
    if not isinstance(amount, dict):
        return [_bad(INVALID_PRICE, field, "Invalid price.")]
    try:
        value = Decimal(str(amount.get("value")))
    except InvalidOperation:
        value = Decimal(-1)
    currency = amount.get("currency")
    if value <= 0 or not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        return [_bad(INVALID_PRICE, field, "Invalid price. A positive value and an ISO 4217 "
                                           "currency are required.")]
    return []


def offer_errors(offer: dict[str, Any]) -> list[dict[str, Any]]:
    """What createOffer/updateOffer refuse (fields may be missing until publish)."""
    found = []
    if "sku" in offer:
        found += sku_errors(offer["sku"])
    if offer.get("format", "FIXED_PRICE") not in ("FIXED_PRICE", "AUCTION"):
        found.append(_bad(INVALID_FIELD, "format", "Invalid value for format."))
    # Fixed-price listings are GTC only (EbayOfferDetailsWithKeys.listingDuration).
    if offer.get("format", "FIXED_PRICE") == "FIXED_PRICE" and \
            offer.get("listingDuration") not in (None, "GTC"):
        found.append(_bad(INVALID_FIELD, "listingDuration",
                          "Invalid value for listingDuration. Fixed-price listings are GTC."))
    quantity = offer.get("availableQuantity")
    if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
        found.append(_bad(INVALID_QUANTITY, "availableQuantity", "Invalid quantity."))
    price = (offer.get("pricingSummary") or {}).get("price")
    if price is not None:
        found += price_errors(price, "pricingSummary.price")
    category = offer.get("categoryId")
    if category is not None and not (isinstance(category, str) and category.isdigit()):
        found.append(_bad(INVALID_CATEGORY, "categoryId", "Invalid category ID."))
    return found


def publish_errors(offer: dict[str, Any], item: dict[str, Any] | None, *, location_keys:
                   frozenset[str], policies: dict[str, str]) -> list[dict[str, Any]]:
    """What publishOffer requires (https://developer.ebay.com/api-docs/sell/inventory/resources/offer/methods/publishOffer:
    the fields "required before an offer can be published")."""
    if item is None:
        return [error_entry(25702, f"SKU {offer.get('sku')} is not available in the system.")]
    found = []
    product = item.get("product") or {}
    if not product.get("title"):
        found.append(_bad(INVALID_FIELD, "product.title", "A title is required to publish."))
    if not product.get("imageUrls"):
        found.append(_bad(INVALID_PICTURES, "imageUrls", "Invalid pictures. At least one "
                                                         "picture is required to publish."))
    if not item.get("condition"):
        found.append(_bad(INVALID_CONDITION, "condition", "The item condition is required."))
    if not offer.get("categoryId"):
        found.append(_bad(INVALID_CATEGORY, "categoryId", "A category ID is required."))
    if not (offer.get("pricingSummary") or {}).get("price"):
        found.append(_bad(INVALID_PRICE, "pricingSummary.price", "A price is required."))
    if offer.get("merchantLocationKey") not in location_keys:
        found.append(_bad(INVALID_LOCATION, "merchantLocationKey",
                          "The merchantLocationKey is not a location of the seller."))
    given = offer.get("listingPolicies") or {}
    for number, (name, expected) in enumerate(policies.items()):
        if given.get(name) != expected:
            found.append(_bad(INVALID_POLICY + number, f"listingPolicies.{name}",
                              f"Invalid {name}: not a business policy of the seller."))
    return found
