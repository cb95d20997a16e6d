"""The Meta catalog's products edge, emulated over the sandbox's stored items.

``GET /{version}/{catalog_id}/products`` (https://developers.facebook.com/docs/marketing-api/
reference/product-catalog/products/; ../shared/specs/meta/api_specs/ProductCatalog.json, edge
``products`` returning ``ProductItem``):

- ``fields``: comma-delimited ProductItem fields (ProductItem.json); without it only ``id``, as
  Graph answers by default; a field ProductItem does not have is error 100 "Tried accessing
  nonexisting field"; a real field the sandbox does not keep is left out (Graph omits empty
  fields);
- ``filter``: a JSON object of catalog filter rules (https://developers.facebook.com/docs/
  marketing-api/catalog/guides/product-sets#filter-rules): ``{"field": {"operator": value}}``
  with eq, neq, is_any, is_not_any, contains, not_contains, i_contains, i_not_contains,
  starts_with, i_starts_with, lt, lte, gt, gte, combined with ``and``/``or`` lists; ``price`` is
  compared in cents, as the rules document;
- cursor paging (https://developers.facebook.com/docs/graph-api/results): ``limit`` (default
  25), ``after``/``before`` cursors; the answer's ``paging.cursors.{before,after}``, with
  ``paging.next`` only when a further page exists and ``paging.previous`` when an earlier one
  does.

An item is stored in the feed's field names (items_batch ``data``); it is shown with
ProductItem's: ``name`` (title), ``url`` (link), ``image_url`` (image_link), ``price`` as Graph
displays it (``"$1,299.00"``) with ``currency`` apart, the live quantity (the state table's
``quantity`` column, which sandbox orders and tests change) in whichever of ``inventory`` /
``quantity_to_sell_on_facebook`` the item was sent with.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

# Every field of the ProductItem node (../shared/specs/meta/api_specs/ProductItem.json).
PRODUCT_ITEM_FIELDS = frozenset("""
additional_image_cdn_urls additional_image_urls additional_variant_attributes
affiliate_seller_rating affiliate_seller_rating_count age_group applinks availability
base_commission_rate brand bundle_items bundle_retailer_ids capabilities_disabled_by_user
capability_to_review_status category category_ranking category_specific_fields color
commerce_insights condition currency custom_data custom_label_0 custom_label_1 custom_label_2
custom_label_3 custom_label_4 custom_number_0 custom_number_1 custom_number_2 custom_number_3
custom_number_4 description errors expiration_date fb_product_category gender
generated_background_images generated_background_images_ad_usage gtin id image_cdn_urls
image_fetch_status image_url images importer_address importer_name invalidation_errors
inventory is_bundle_hero live_special_price manufacturer_info manufacturer_part_number
marked_for_product_launch material mobile_link name ordering_index origin_country
overall_ranking parent_product_id pattern
post_conversion_signal_based_enforcement_appeal_eligibility price product_catalog product_feed
product_group product_local_info product_relationship product_type
quantity_to_sell_on_facebook retailer_id retailer_product_group_id review_rejection_reasons
review_status rich_text_description sale_price sale_price_end_date sale_price_start_date
shipping_weight_unit shipping_weight_value short_description size start_date status tags url
vendor_id video_fetch_status videos visibility wa_compliance_category""".split())  # noqa: SIM905
# feed field (items_batch data) → ProductItem field, where the names differ
RENAMED = {"title": "name", "link": "url", "image_link": "image_url",
           "additional_image_link": "additional_image_urls",
           "item_group_id": "retailer_product_group_id", "mpn": "manufacturer_part_number",
           "google_product_category": "category"}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
DEFAULT_LIMIT = 25


class FilterError(ValueError):
    """A ``filter`` Graph would refuse (error 100)."""


def product_id(retailer_id: str) -> str:
    """A stable numeric Graph id for an item (Graph ids are digit strings)."""
    return "4" + str(int(hashlib.sha1(retailer_id.encode()).hexdigest()[:12], 16)).zfill(15)


def _price_parts(text: Any) -> tuple[Decimal, str] | None:
    try:
        amount, currency = str(text).split(" ")
        return Decimal(amount), currency
    except (ValueError, InvalidOperation):
        return None


def display_price(amount: Decimal, currency: str) -> str:
    """How Graph shows a price: ``"$1,299.00"``; an unlisted currency as ``"1,299.00 XXX"``."""
    text = f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def product_item(retailer_id: str, data: dict[str, Any], quantity: int | None
                 ) -> dict[str, Any]:
    """A stored item in ProductItem's field names (every field the sandbox knows)."""
    item: dict[str, Any] = {}
    for name, value in data.items():
        field = RENAMED.get(name, name)
        if field in PRODUCT_ITEM_FIELDS and field not in ("id", "price", "sale_price"):
            item[field] = value
    item.update(id=product_id(retailer_id), retailer_id=retailer_id,
                review_status="approved", visibility=data.get("visibility", "published"))
    for name in ("price", "sale_price"):
        parts = _price_parts(data.get(name))
        if parts is not None:
            item[name] = display_price(*parts)
            if name == "price":
                item["currency"] = parts[1]
    if isinstance(item.get("additional_image_urls"), str):
        item["additional_image_urls"] = item["additional_image_urls"].split(",")
    for name in ("inventory", "quantity_to_sell_on_facebook"):
        if name in data and quantity is not None:
            item[name] = quantity  # the live count, not the one first sent
    return item


def requested_fields(text: str | None) -> list[str]:
    """The ``fields`` parameter; raises FilterError naming a field ProductItem lacks."""
    fields = [f.strip() for f in (text or "id").split(",") if f.strip()] or ["id"]
    for field in fields:
        if field not in PRODUCT_ITEM_FIELDS:
            raise FilterError(f"(#100) Tried accessing nonexisting field ({field}) on node "
                              "type (ProductItem)")
    return fields


def _number(value: Any, field: str) -> Decimal:
    if field == "price":  # filter rules compare price in cents
        parts = _price_parts(value)
        if parts is not None:
            return parts[0] * 100
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FilterError(f"(#100) filter: {value!r} is not a number") from None


OPERATORS: dict[str, Callable[[str, Any, Any], bool]] = {
    "eq": lambda f, a, b: str(a) == str(b),
    "neq": lambda f, a, b: str(a) != str(b),
    "is_any": lambda f, a, b: str(a) in {str(x) for x in b},
    "is_not_any": lambda f, a, b: str(a) not in {str(x) for x in b},
    "contains": lambda f, a, b: str(b) in str(a),
    "not_contains": lambda f, a, b: str(b) not in str(a),
    "i_contains": lambda f, a, b: str(b).lower() in str(a).lower(),
    "i_not_contains": lambda f, a, b: str(b).lower() not in str(a).lower(),
    "starts_with": lambda f, a, b: str(a).startswith(str(b)),
    "i_starts_with": lambda f, a, b: str(a).lower().startswith(str(b).lower()),
    "lt": lambda f, a, b: _number(a, f) < _number(b, "limit"),
    "lte": lambda f, a, b: _number(a, f) <= _number(b, "limit"),
    "gt": lambda f, a, b: _number(a, f) > _number(b, "limit"),
    "gte": lambda f, a, b: _number(a, f) >= _number(b, "limit"),
}


def parse_filter(text: str | None) -> dict[str, Any] | None:
    """The ``filter`` parameter as a rule object (checked), or None."""
    if text is None:
        return None
    try:
        rule = json.loads(text)
    except json.JSONDecodeError:
        raise FilterError("(#100) param filter must be a JSON object") from None
    _check(rule)
    return rule


def _check(rule: Any) -> None:
    if not isinstance(rule, dict) or not rule:
        raise FilterError("(#100) param filter must be a non-empty JSON object of rules")
    for key, value in rule.items():
        if key in ("and", "or"):
            if not isinstance(value, list) or not value:
                raise FilterError(f"(#100) filter: {key} takes a list of rules")
            for part in value:
                _check(part)
        elif not isinstance(value, dict) or len(value) != 1:
            raise FilterError(f"(#100) filter: {key} needs one operator object")
        else:
            (operator, operand), = value.items()
            if operator not in OPERATORS:
                raise FilterError(f"(#100) filter: unknown operator {operator!r} for {key}")
            if operator in ("is_any", "is_not_any") and not isinstance(operand, list):
                raise FilterError(f"(#100) filter: {operator} takes a list for {key}")


def matches(rule: dict[str, Any] | None, fields: dict[str, Any]) -> bool:
    """Whether an item (feed and ProductItem names together) satisfies ``rule``."""
    if rule is None:
        return True
    for key, value in rule.items():
        if key == "and":
            ok = all(matches(part, fields) for part in value)
        elif key == "or":
            ok = any(matches(part, fields) for part in value)
        else:
            (operator, operand), = value.items()
            negative = operator in ("neq", "is_not_any", "not_contains", "i_not_contains")
            ok = negative if fields.get(key) is None else OPERATORS[operator](
                key, fields[key], operand)
        if not ok:
            return False
    return True


def cursor(retailer_id: str) -> str:
    """An opaque Graph-style cursor for a position (the item's retailer id)."""
    return base64.urlsafe_b64encode(retailer_id.encode()).decode()


def position(text: str) -> str:
    """The retailer id a cursor stands for; raises FilterError on a foreign cursor."""
    try:
        return base64.urlsafe_b64decode(text.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise FilterError(f"(#100) Invalid cursor: {text}") from None


def page_link(base: str, query: dict[str, str], **move: str) -> str:
    """The ``paging.next``/``previous`` URL: the same query with the cursor moved."""
    kept = {k: v for k, v in query.items() if k not in ("after", "before")}
    return f"{base}?{urlencode({**kept, **move})}"
