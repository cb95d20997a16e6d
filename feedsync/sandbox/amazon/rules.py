"""Amazon's listing rules, applied to a listing message or a Listings Items request body.

Sources:

- listings-feed-schema-v2 / listings-feed-message-schema-v2 (operationType, requirements,
  productType, patches) and the Listings Items API 2021-08-01 reference
  (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-reference);
- the attribute shapes of the Product Type Definitions meta-schema
  (https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema);
- issue codes 90220 (a required attribute missing) and 99022 (too few values) are the ones the
  official example processing report shows
  (../shared/specs/amazon/listings-feed-processing-report-schema-v2.example.json); the other
  codes below are this sandbox's own (Amazon does not publish its code list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_SKU = 40  # Seller Central: a seller SKU has at most 40 characters
MAX_ITEM_NAME = 200  # item_name maxLength in the common product type definitions
OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
REQUIREMENTS = ("LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY")
PATCH_OPS = ("add", "replace", "merge", "delete")
CONDITIONS = frozenset({
    "new_new", "new_open_box", "new_oem", "refurbished_refurbished", "used_like_new",
    "used_very_good", "used_good", "used_acceptable", "collectible_like_new",
    "collectible_very_good", "collectible_good", "collectible_acceptable", "club_club"})
IDENTIFIER_TYPES = frozenset({"ean", "upc", "isbn", "gtin", "jan"})
_PRODUCT_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")

MISSING = "90220"  # "'[x]' is required but not supplied." (official example report)
TOO_FEW = "99022"  # too few values (official example report)
INVALID_VALUE = "90244"  # sandbox's own: a value outside the attribute's rules
TOO_LONG = "90245"  # sandbox's own: longer than the attribute's maxLength
BAD_IDENTIFIER = "8541"  # sandbox's own: the product identifier is not a valid GTIN
NO_LISTING = "4000004"  # sandbox's own: PATCH of a SKU that has no listing
BAD_MESSAGE = "4000001"  # sandbox's own: the message breaks the feed message schema


def issue(code: str, message: str, attribute: str | None = None) -> dict[str, Any]:
    """One ERROR issue as Amazon reports it (processing report / submission response)."""
    found: dict[str, Any] = {"code": code, "message": message, "severity": "ERROR"}
    if attribute:
        found["attributeNames"] = [attribute]
    return found


def gtin_ok(value: str) -> bool:
    """GS1 check digit of a GTIN-8/12/13/14 (https://www.gs1.org/services/how-calculate-check-digit-manually)."""
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def check_sku(sku: Any) -> list[dict[str, Any]]:
    """The SKU itself: present, at most 40 characters."""
    if not isinstance(sku, str) or not sku:
        return [issue(MISSING, "'[sku]' is required but not supplied.")]
    if len(sku) > MAX_SKU:
        return [issue(TOO_LONG, f"The SKU '{sku}' is longer than {MAX_SKU} characters.")]
    return []


def check_attributes(attributes: Any, *, full: bool, requirements: str = "LISTING"
                     ) -> list[dict[str, Any]]:
    """Issues of an attribute set. ``full`` (UPDATE, PUT) also checks what must be present."""
    if not isinstance(attributes, dict):
        return [issue(BAD_MESSAGE, "'attributes' must be an object.")]
    found: list[dict[str, Any]] = []
    for name, values in attributes.items():
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            found.append(issue(BAD_MESSAGE, f"'{name}' must be a list of value objects.", name))
            continue
        found.extend(_check_values(name, values))
    if full:
        found.extend(_check_required(attributes, requirements))
    return found


def _check_required(attributes: dict[str, Any], requirements: str) -> list[dict[str, Any]]:
    found = []
    product = requirements in ("LISTING", "LISTING_PRODUCT_ONLY")
    offer = requirements in ("LISTING", "LISTING_OFFER_ONLY")
    parent = any(v.get("value") == "parent" for v in attributes.get("parentage_level") or ())
    if product and not attributes.get("item_name"):
        found.append(issue(MISSING, "'[item_name]' is required but not supplied.", "item_name"))
    identified = any(attributes.get(name) for name in (
        "externally_assigned_product_identifier", "merchant_suggested_asin",
        "supplier_declared_has_product_identifier_exemption"))
    if product and not parent and not identified:
        found.append(issue(MISSING, "'[externally_assigned_product_identifier]' is required "
                           "but not supplied.", "externally_assigned_product_identifier"))
    if offer and not parent:
        if not attributes.get("condition_type"):
            found.append(issue(MISSING, "'[condition_type]' is required but not supplied.",
                               "condition_type"))
        offers = attributes.get("purchasable_offer") or []
        if not any(o.get("our_price") for o in offers):
            found.append(issue(TOO_FEW, "The field '\"prices\"' for the attribute "
                               "'purchasable_offer.our_price' does not have enough values. The "
                               "required minimum is '1' value(s).", "purchasable_offer.our_price"))
    return found


def _check_values(name: str, values: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for value in values:
        if name == "item_name":
            text = value.get("value")
            if not isinstance(text, str) or not text.strip():
                yield issue(MISSING, "'[item_name]' is required but not supplied.", name)
            elif len(text) > MAX_ITEM_NAME:
                yield issue(TOO_LONG, f"The value of 'item_name' is longer than "
                            f"{MAX_ITEM_NAME} characters.", name)
        elif name == "condition_type" and value.get("value") not in CONDITIONS:
            yield issue(INVALID_VALUE, f"'{value.get('value')}' is not a valid value for "
                        "'condition_type'.", name)
        elif name == "externally_assigned_product_identifier":
            kind, code = value.get("type"), str(value.get("value") or "")
            if kind not in IDENTIFIER_TYPES:
                yield issue(INVALID_VALUE, f"'{kind}' is not a valid product identifier type.",
                            name)
            elif kind != "isbn" and not gtin_ok(code):
                yield issue(BAD_IDENTIFIER, f"The product identifier '{code}' is not a valid "
                            f"{kind.upper()}: check its length and check digit.", name)
        elif name == "purchasable_offer":
            yield from _check_offer(value)
        elif name == "fulfillment_availability":
            quantity = value.get("quantity")
            if quantity is not None and (not isinstance(quantity, int)
                                         or isinstance(quantity, bool) or quantity < 0):
                yield issue(INVALID_VALUE, "'fulfillment_availability.quantity' must be a whole "
                            "number of at least 0.", "fulfillment_availability.quantity")
            if not value.get("fulfillment_channel_code"):
                yield issue(MISSING, "'[fulfillment_channel_code]' is required but not "
                            "supplied.", "fulfillment_availability.fulfillment_channel_code")


def _check_offer(offer: dict[str, Any]) -> Iterable[dict[str, Any]]:
    currency = offer.get("currency")
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        yield issue(INVALID_VALUE, "'purchasable_offer.currency' must be an ISO 4217 code.",
                    "purchasable_offer.currency")
    for kind in ("our_price", "discounted_price"):
        for entry in offer.get(kind) or ():
            for schedule in (entry.get("schedule") or ()) if isinstance(entry, dict) else ():
                amount = schedule.get("value_with_tax") if isinstance(schedule, dict) else None
                if not _positive(amount):
                    yield issue(INVALID_VALUE, f"'purchasable_offer.{kind}' must be a positive "
                                "amount.", f"purchasable_offer.{kind}")


def _positive(amount: Any) -> bool:
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        return False
    try:
        return Decimal(str(amount)) > 0
    except InvalidOperation:
        return False


def check_product_type(product_type: Any) -> list[dict[str, Any]]:
    """productType: required for every operation but DELETE, an Amazon product type name."""
    if not isinstance(product_type, str) or not product_type:
        return [issue(MISSING, "'[productType]' is required but not supplied.")]
    if not _PRODUCT_TYPE.fullmatch(product_type):
        return [issue(INVALID_VALUE, f"'{product_type}' is not a valid product type.")]
    return []


def check_patches(patches: Any) -> list[dict[str, Any]]:
    """A PATCH's JSON Patch operations: op, a /attributes/<name> path, a list value."""
    if not isinstance(patches, list) or not patches:
        return [issue(MISSING, "'[patches]' is required but not supplied.")]
    found = []
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in PATCH_OPS:
            found.append(issue(BAD_MESSAGE, "Each patch needs an op of add, replace, merge or "
                               "delete."))
            continue
        path = patch.get("path")
        if not (isinstance(path, str) and re.fullmatch(r"/attributes/\w+", path)):
            found.append(issue(BAD_MESSAGE, f"Patch path {path!r} must be /attributes/<name>."))
            continue
        name = path.rsplit("/", 1)[1]
        value = patch.get("value")
        if patch["op"] == "delete" and value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            found.append(issue(BAD_MESSAGE, f"The value of patch {path} must be a list of "
                               "objects.", name))
            continue
        if patch["op"] != "delete":
            found.extend(_check_values(name, value))
    return found


def apply_patches(attributes: dict[str, Any], patches: list[dict[str, Any]]) -> dict[str, Any]:
    """Amazon's PATCH semantics on a listing's attributes (a new dict)."""
    result = dict(attributes)
    for patch in patches:
        name = patch["path"].rsplit("/", 1)[1]
        value = patch.get("value")
        if patch["op"] in ("add", "replace", "merge"):
            result[name] = value
        elif value is None:
            result.pop(name, None)
        else:  # delete the values matching each selector object
            kept = [v for v in result.get(name, []) if not any(
                all(v.get(k) == s for k, s in selector.items()) for selector in value)]
            if kept:
                result[name] = kept
            else:
                result.pop(name, None)
    return result
