"""Pure rendering: a flat Amazon record → listing attributes → JSON_LISTINGS_FEED messages.

Everything here is deterministic (same record, same bytes) and does no I/O except writing to a
stream it is handed. Shapes follow Amazon's Product Type Definitions meta-schema
(https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema): every
attribute is a list of value objects; text values carry ``language_tag`` and ``marketplace_id``;
offer and identifier values carry ``marketplace_id``; ``fulfillment_availability`` carries
neither (it is keyed by ``fulfillment_channel_code``).

Operation choice (listings-feed-schema-v2.json ``operationType``):

- a new listing → ``UPDATE`` with ``requirements: LISTING`` (the full attribute set);
- a content change → ``PATCH``: ``replace`` for every attribute feedsync manages and ``delete``
  (with the selector values of the old value, since Amazon cannot delete by name alone:
  https://developer-docs.amazon.com/sp-api/docs/partially-update-a-listing) for attributes whose
  field was emptied. Unlike ``UPDATE`` this keeps attributes the seller maintains in Seller
  Central that feedsync does not map; a product-type change still needs a full ``UPDATE``;
- a price- or quantity-only change → ``PATCH`` of ``purchasable_offer`` and/or
  ``fulfillment_availability`` only;
- a delete → ``DELETE``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from feedsync.adapters.amazon.schema import EXEMPTION

from feedsync.adapter import Action, PlannedChange
from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

FEED_VERSION = "2.0"
# Attributes whose values are not tagged with a language.
_UNTAGGED = frozenset({
    "externally_assigned_product_identifier", "part_number", "condition_type", EXEMPTION,
    "main_product_image_locator", "item_package_weight", "parentage_level",
    "child_parent_sku_relationship", "variation_theme", "purchasable_offer", "list_price",
    "fulfillment_availability",
}) | {f"other_product_image_locator_{i}" for i in range(1, 9)}
# Keys that select which instance of an attribute a PATCH delete removes.
_SELECTOR_KEYS = ("marketplace_id", "language_tag", "fulfillment_channel_code")
# Attributes touched by price- and quantity-only patches.
PRICE_ATTRIBUTES = ("purchasable_offer", "list_price")
QUANTITY_ATTRIBUTES = ("fulfillment_availability",)
_TEXT_FIELDS = ("item_name", "brand", "product_description", "manufacturer", "color", "size",
                "material")


@dataclass(frozen=True)
class RenderContext:
    """What every value needs besides the record: where and in which language it applies."""

    marketplace_id: str
    language_tag: str = "en_US"
    fulfillment_channel_code: str = "DEFAULT"
    default_currency: str | None = None


def number(text: str, *, sku: str, field: str) -> int | float:
    """A decimal string as a JSON number whose text equals the decimal exactly.

    Money stays Decimal inside feedsync; JSON has only one number type. ``float`` is used only
    when its shortest repr round-trips to the same Decimal (true for every price with up to 15
    significant digits), so the document says exactly what the catalog says.
    """
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise RenderError(f"{sku}: {field} {text!r} is not a number", channel="amazon",
                           sku=sku) from None
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) != value.normalize():
        raise RenderError(f"{sku}: {field} {text!r} has too many digits for JSON",
                           channel="amazon", sku=sku)
    return as_float


def _one(fields: Mapping[str, FieldValue], name: str) -> str | None:
    value = fields.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value or None


def _many(fields: Mapping[str, FieldValue], name: str) -> list[str]:
    value = fields.get(name)
    if value is None or value == "":
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if v]


def _datetime(text: str) -> str:
    # A date alone means the start of that day, UTC.
    return f"{text}T00:00:00Z" if len(text) == 10 else text


def identifier_type(value: str) -> str:
    """Amazon's identifier type for a product code, from its length (GTIN family)."""
    return {8: "ean", 10: "isbn", 12: "upc", 13: "ean", 14: "gtin"}.get(len(value), "gtin")


def offer_value(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                ) -> dict[str, Any] | None:
    """The purchasable_offer value: our_price schedule and an optional sale schedule."""
    price = _one(fields, "our_price")
    if price is None:
        return None
    currency = _one(fields, "currency") or ctx.default_currency
    if not currency:
        raise RenderError(f"{sku}: our_price needs a currency", channel="amazon", sku=sku)
    offer: dict[str, Any] = {
        "marketplace_id": ctx.marketplace_id,
        "currency": currency,
        "our_price": [{"schedule": [{"value_with_tax": number(price, sku=sku,
                                                              field="our_price")}]}],
    }
    sale = _one(fields, "discounted_price")
    if sale is not None:
        schedule: dict[str, Any] = {
            "value_with_tax": number(sale, sku=sku, field="discounted_price"),
        }
        start, end = _one(fields, "discounted_price_start"), _one(fields, "discounted_price_end")
        if start:
            schedule["start_at"] = _datetime(start)
        if end:
            schedule["end_at"] = _datetime(end)
        offer["discounted_price"] = [{"schedule": [schedule]}]
    return offer


def quantity_value(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                   ) -> dict[str, Any] | None:
    """The fulfillment_availability value for merchant-fulfilled stock."""
    quantity = _one(fields, "quantity")
    if quantity is None:
        return None
    if not quantity.isdigit():
        raise RenderError(f"{sku}: quantity {quantity!r} is not a whole number",
                           channel="amazon", sku=sku)
    value: dict[str, Any] = {
        "fulfillment_channel_code": ctx.fulfillment_channel_code,
        "quantity": int(quantity),
    }
    lead = _one(fields, "lead_time_to_ship_max_days")
    if lead is not None and lead.isdigit():
        value["lead_time_to_ship_max_days"] = int(lead)
    return value


def build_attributes(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                     ) -> dict[str, list[dict[str, Any]]]:
    """All listing attributes of one record, in a stable order."""
    mid, lang = ctx.marketplace_id, ctx.language_tag
    attrs: dict[str, list[dict[str, Any]]] = {}

    def text(value: str) -> dict[str, Any]:
        return {"value": value, "language_tag": lang, "marketplace_id": mid}

    for name in _TEXT_FIELDS[:3]:
        if (value := _one(fields, name)) is not None:
            attrs[name] = [text(value)]
    bullets = _many(fields, "bullet_point")
    if bullets:
        attrs["bullet_point"] = [text(b) for b in bullets]
    if (code := _one(fields, "externally_assigned_product_identifier")) is not None:
        kind = _one(fields, "externally_assigned_product_identifier_type") or identifier_type(code)
        attrs["externally_assigned_product_identifier"] = [
            {"type": kind, "value": code, "marketplace_id": mid}]
    if _one(fields, EXEMPTION) == "true":  # an approved GTIN exemption instead of an identifier
        attrs[EXEMPTION] = [{"value": True, "marketplace_id": mid}]
    if (part := _one(fields, "part_number")) is not None:
        attrs["part_number"] = [{"value": part, "marketplace_id": mid}]
    for name in _TEXT_FIELDS[3:]:
        if (value := _one(fields, name)) is not None:
            attrs[name] = [text(value)]
    if (condition := _one(fields, "condition_type")) is not None:
        attrs["condition_type"] = [{"value": condition, "marketplace_id": mid}]
    if (offer := offer_value(sku, fields, ctx)) is not None:
        attrs["purchasable_offer"] = [offer]
    if (list_price := _one(fields, "list_price")) is not None:
        currency = _one(fields, "currency") or ctx.default_currency
        if not currency:
            raise RenderError(f"{sku}: list_price needs a currency", channel="amazon", sku=sku)
        attrs["list_price"] = [{"marketplace_id": mid, "currency": currency,
                                "value_with_tax": number(list_price, sku=sku,
                                                         field="list_price")}]
    if (availability := quantity_value(sku, fields, ctx)) is not None:
        attrs["fulfillment_availability"] = [availability]
    if (main := _one(fields, "main_image")) is not None:
        attrs["main_product_image_locator"] = [{"media_location": main, "marketplace_id": mid}]
    for index, url in enumerate(_many(fields, "other_images")[:8], start=1):
        attrs[f"other_product_image_locator_{index}"] = [
            {"media_location": url, "marketplace_id": mid}]
    if (weight := _one(fields, "item_package_weight")) is not None:
        unit = _one(fields, "item_package_weight_unit")
        if not unit:
            raise RenderError(f"{sku}: item_package_weight needs item_package_weight_unit",
                               channel="amazon", sku=sku)
        attrs["item_package_weight"] = [{
            "value": number(weight, sku=sku, field="item_package_weight"), "unit": unit,
            "marketplace_id": mid}]
    if (level := _one(fields, "parentage_level")) is not None:
        attrs["parentage_level"] = [{"value": level, "marketplace_id": mid}]
    if (parent := _one(fields, "parent_sku")) is not None:
        attrs["child_parent_sku_relationship"] = [{
            "child_relationship_type": "variation", "parent_sku": parent, "marketplace_id": mid}]
    if (theme := _one(fields, "variation_theme")) is not None:
        attrs["variation_theme"] = [{"name": theme, "marketplace_id": mid}]
    attrs.update(_extra_attributes(sku, fields, attrs))
    return attrs


def _extra_attributes(sku: str, fields: Mapping[str, FieldValue],
                      managed: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    raw = _one(fields, "extra_attributes")
    if raw is None:
        return {}
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise RenderError(f"{sku}: extra_attributes is not valid JSON ({exc})",
                           channel="amazon", sku=sku) from None
    if not isinstance(extra, dict):
        raise RenderError(f"{sku}: extra_attributes must be a JSON object",
                           channel="amazon", sku=sku)
    for name, value in extra.items():
        if name in managed:
            raise RenderError(f"{sku}: extra_attributes.{name} is set by the mapping; set it "
                               "there instead", channel="amazon", sku=sku)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise RenderError(f"{sku}: extra_attributes.{name} must be a list of objects",
                               channel="amazon", sku=sku)
    return extra


# --- messages (without messageId: the feed writer numbers them) ---------------------------------

def require_product_type(sku: str, fields: Mapping[str, FieldValue]) -> str:
    """The record's product type, or RenderError (every non-delete message needs one)."""
    product_type = _one(fields, "product_type")
    if not product_type:
        raise RenderError(f"{sku}: product_type is required", channel="amazon", sku=sku)
    return product_type


def update_message(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                   ) -> dict[str, Any]:
    """A full ``UPDATE`` (create, or a product-type change): every attribute, LISTING rules."""
    return {
        "sku": sku,
        "operationType": "UPDATE",
        "productType": require_product_type(sku, fields),
        "requirements": "LISTING",
        "attributes": build_attributes(sku, fields, ctx),
    }


def content_patch_message(sku: str, fields: Mapping[str, FieldValue],
                          old_fields: Mapping[str, FieldValue] | None, ctx: RenderContext,
                          *, relationship_changed: bool = True) -> dict[str, Any]:
    """A content change as ``PATCH``: replace managed attributes, delete emptied ones.

    ``relationship_changed=False`` leaves child_parent_sku_relationship out: Amazon asks not to
    resubmit existing relationships, which delays feed processing
    (https://developer-docs.amazon.com/sp-api/changelog/update-feed-size-and-rate-limit-changes-
    for-the-json_listings_feed).
    """
    attrs = build_attributes(sku, fields, ctx)
    if not relationship_changed:
        attrs.pop("child_parent_sku_relationship", None)
    patches: list[dict[str, Any]] = [
        {"op": "replace", "path": f"/attributes/{name}", "value": value}
        for name, value in attrs.items()
    ]
    if old_fields is not None:
        old = build_attributes(sku, old_fields, ctx)
        for name in old:
            if name not in attrs and (relationship_changed
                                      or name != "child_parent_sku_relationship"):
                selectors = [{k: v[k] for k in _SELECTOR_KEYS if k in v} for v in old[name]]
                patches.append({"op": "delete", "path": f"/attributes/{name}",
                                "value": selectors})
    return {"sku": sku, "operationType": "PATCH",
            "productType": require_product_type(sku, fields), "patches": patches}


def price_quantity_patches(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext,
                           parts: Iterable[str]) -> list[dict[str, Any]]:
    """JSON Patch operations for the price and/or quantity parts of one record."""
    wanted = set(parts) or {"price", "quantity"}
    patches: list[dict[str, Any]] = []
    if "price" in wanted:
        offer = offer_value(sku, fields, ctx)
        if offer is not None:
            patches.append({"op": "replace", "path": "/attributes/purchasable_offer",
                            "value": [offer]})
    if "quantity" in wanted:
        availability = quantity_value(sku, fields, ctx)
        if availability is not None:
            patches.append({"op": "replace", "path": "/attributes/fulfillment_availability",
                            "value": [availability]})
    if not patches:
        raise RenderError(f"{sku}: a price/quantity update needs our_price or quantity",
                           channel="amazon", sku=sku)
    return patches


def price_quantity_message(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext,
                           parts: Iterable[str]) -> dict[str, Any]:
    """A price- and/or quantity-only ``PATCH`` message."""
    return {"sku": sku, "operationType": "PATCH",
            "productType": require_product_type(sku, fields),
            "patches": price_quantity_patches(sku, fields, ctx, parts)}


def delete_message(sku: str) -> dict[str, Any]:
    """A ``DELETE`` message (only the SKU: the schema forbids everything else)."""
    return {"sku": sku, "operationType": "DELETE"}


# --- the feed document -------------------------------------------------------------------------

def dumps(value: Any) -> str:
    """Compact, key-order-preserving JSON (deterministic for the same input)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feed_header(seller_id: str, issue_locale: str | None = None) -> dict[str, Any]:
    """The feed header: sellerId and version 2.0 (and the issue locale when configured)."""
    header: dict[str, Any] = {"sellerId": seller_id, "version": FEED_VERSION}
    if issue_locale:
        header["issueLocale"] = issue_locale
    return header


def write_feed(stream: IO[str], seller_id: str, messages: Iterable[Mapping[str, Any]],
               issue_locale: str | None = None) -> int:
    """Stream a JSON_LISTINGS_FEED document: messages are numbered 1..n in order.

    Messages are written one at a time, so memory does not grow with the feed. Returns the
    number of messages written; message ``i`` (1-based) is the i-th one given, which is how
    the processing report is correlated back to SKUs.
    """
    stream.write('{"header":')
    stream.write(dumps(feed_header(seller_id, issue_locale)))
    stream.write(',"messages":[')
    count = 0
    for count, message in enumerate(messages, start=1):
        if count > 1:
            stream.write(",\n")
        stream.write(dumps({"messageId": count, **message}))
    stream.write("]}\n")
    return count


def feed_bytes(seller_id: str, messages: Sequence[Mapping[str, Any]],
               issue_locale: str | None = None) -> bytes:
    """The whole document as UTF-8 bytes (one batch: bounded by the 10 MiB feed limit)."""
    import io

    buffer = io.StringIO()
    write_feed(buffer, seller_id, messages, issue_locale)
    return buffer.getvalue().encode("utf-8")


def message_size(message: Mapping[str, Any]) -> int:
    """Bytes a message takes in the feed, with room for its messageId and separator."""
    return len(dumps(message).encode("utf-8")) + len('"messageId":2147483647,') + 2


# --- one planned change → one message -------------------------------------------------------

_EMPTY: tuple[Any, ...] = (None, "", [])


def old_fields(change: PlannedChange) -> dict[str, FieldValue] | None:
    """The record's previous fields, rebuilt from the plan's diff (None without a diff)."""
    if change.record is None or not change.diff:
        return None
    previous = dict(change.record.fields)
    for name, (old, _new) in change.diff.items():
        if old in _EMPTY:
            previous.pop(name, None)
        else:
            previous[name] = old
    return previous


def change_message(change: PlannedChange, ctx: RenderContext) -> dict[str, Any]:
    """The message for one planned change: DELETE; a full UPDATE for a new listing or a new
    product type; a PATCH of the price/quantity attributes for a price/quantity change; else a
    PATCH of the content attributes that changed (relationships re-sent when they may have)."""
    if change.action is Action.DELETE or change.record is None:
        return delete_message(change.sku)
    fields = change.record.fields
    if change.action is Action.CREATE or "product_type" in change.diff:
        return update_message(change.sku, fields, ctx)
    if change.action is Action.PRICE_QUANTITY:
        return price_quantity_message(change.sku, fields, ctx,
                                      change.changed_parts & {"price", "quantity"})
    relationship = (not change.diff or "parent_sku" in change.diff
                    or "parentage_level" in change.diff)
    return content_patch_message(change.sku, fields, old_fields(change), ctx,
                                 relationship_changed=relationship)
