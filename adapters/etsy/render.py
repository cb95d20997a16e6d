"""Records → Etsy request bodies (pure, deterministic).

- createDraftListing and updateListing take ``application/x-www-form-urlencoded`` bodies; arrays
  (tags, materials, image_ids) are sent comma-separated, as the reference describes them ("A
  comma-separated list of tag strings"; tags and materials cannot contain a comma).
  https://developers.etsy.com/documentation/reference#operation/createDraftListing
- updateListingInventory takes JSON and **replaces the whole inventory**: every product the
  listing keeps must be in the body, with its ``property_values`` and one offering (price,
  quantity, is_enabled); ``price_on_property`` / ``quantity_on_property`` / ``sku_on_property``
  name the properties those vary on, and "the update fails if the supplied values … are
  incompatible" with them. https://developers.etsy.com/documentation/reference#operation/updateListingInventory
  Prices are "a float equal to amount divided by divisor as specified in the Money resource".

A record's variation values (``color``, ``size``, ``pattern``, ``material``) become properties:
the channel's ``property_ids`` name Etsy's id for an axis, else Etsy's custom properties 513 and
514 are used in axis order (https://developers.etsy.com/documentation/tutorials/listings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.adapters.etsy import text
from feedsync.adapters.etsy.config import EtsyConfig
from feedsync.adapters.etsy.schema import AXIS_FIELDS, MAX_AXES

from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

CUSTOM_PROPERTY_IDS: tuple[int, ...] = (513, 514)
CHANNEL = "etsy"
Form = list[tuple[str, str]]

# Listing-level fields sent by createDraftListing / updateListing (content part).
_TEXT_FIELDS = ("title", "description")
_LIST_FIELDS = ("tags", "materials")
_MEASURES = ("item_weight", "item_length", "item_width", "item_height")


@dataclass(frozen=True)
class Variant:
    """One inventory product as feedsync wants it: SKU, properties, price, quantity."""

    sku: str
    properties: tuple[tuple[int, str, str], ...]  # (property_id, property_name, value)
    price: Decimal
    quantity: int

    def product(self) -> dict[str, Any]:
        """The updateListingInventory product object."""
        return {
            "sku": self.sku,
            "property_values": [
                {"property_id": pid, "property_name": name, "value_ids": [], "values": [value]}
                for pid, name, value in self.properties],
            "offerings": [{"price": float(self.price), "quantity": self.quantity,
                           "is_enabled": self.quantity > 0}],
        }


@dataclass
class Listing:
    """The listing-level content of a family (from the first record of the family)."""

    fields: dict[str, FieldValue] = field(default_factory=dict)


def _text(fields: Mapping[str, FieldValue], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else ", ".join(value)


def _list(fields: Mapping[str, FieldValue], name: str) -> list[str]:
    value = fields.get(name)
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def money(value: str, *, sku: str, name: str) -> Decimal:
    """A decimal price from a record (RenderError naming the SKU when unreadable)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError):
        raise RenderError(f"{sku}: {name} {value!r} is not a decimal amount", channel=CHANNEL,
                          sku=sku) from None
    if not amount.is_finite() or amount <= 0:
        raise RenderError(f"{sku}: {name} {value!r} must be positive (Etsy refuses a zero "
                          "price)", channel=CHANNEL, sku=sku)
    return amount


def quantity(fields: Mapping[str, FieldValue], sku: str) -> int:
    """The record's quantity as an int within Etsy's 0 … 999."""
    raw = _text(fields, "quantity") or "0"
    if not raw.isdigit():
        raise RenderError(f"{sku}: quantity {raw!r} is not a whole number", channel=CHANNEL,
                          sku=sku)
    value = int(raw)
    if value > 999:
        raise RenderError(f"{sku}: quantity {value} is above Etsy's 999 (set [quantity] max = "
                          "999 in mappings/etsy.toml)", channel=CHANNEL, sku=sku)
    return value


def axes_of(fields: Mapping[str, FieldValue]) -> list[str]:
    """The variation axes a record has values for, in Etsy's property order."""
    return [name for name in AXIS_FIELDS if _text(fields, name)]


def variant(sku: str, fields: Mapping[str, FieldValue], config: EtsyConfig) -> Variant:
    """The inventory product of one record."""
    axes = axes_of(fields)
    if len(axes) > MAX_AXES:
        raise RenderError(f"{sku}: varies on {', '.join(axes)}; an Etsy listing varies on at "
                          f"most {MAX_AXES} properties", channel=CHANNEL, sku=sku)
    properties = []
    custom = iter(CUSTOM_PROPERTY_IDS)
    for axis in axes:
        pid = config.property_ids.get(axis) or next(custom)
        value = _text(fields, axis)
        if "(" in value or ")" in value:
            raise RenderError(f"{sku}: {axis} {value!r}: Etsy does not allow parentheses in "
                              "variation values", channel=CHANNEL, sku=sku)
        properties.append((pid, axis.capitalize(), value))
    return Variant(sku=sku, properties=tuple(properties),
                   price=money(_text(fields, "price"), sku=sku, name="price"),
                   quantity=quantity(fields, sku))


def _content(fields: Mapping[str, FieldValue], config: EtsyConfig, sku: str) -> Form:
    """The listing-level fields both listing calls share, in a fixed order."""
    title = _text(fields, "title")
    problem = text.title_problem(title) if title else "is empty"
    if problem:
        raise RenderError(f"{sku}: title {problem}", channel=CHANNEL, sku=sku)
    form: Form = [(name, _text(fields, name)) for name in _TEXT_FIELDS]
    taxonomy = _text(fields, "taxonomy_id") or (
        str(config.taxonomy_id) if config.taxonomy_id else "")
    if not taxonomy:
        raise RenderError(f"{sku}: no taxonomy_id: map its category in [categories] of "
                          "mappings/etsy.toml or set channels.etsy.taxonomy_id",
                          channel=CHANNEL, sku=sku)
    form.append(("taxonomy_id", taxonomy))
    form.append(("who_made", _text(fields, "who_made") or config.who_made))
    form.append(("when_made", _text(fields, "when_made") or config.when_made))
    form.append(("is_supply", _text(fields, "is_supply") or str(config.is_supply).lower()))
    for name in _LIST_FIELDS:
        values = _list(fields, name)
        if values:
            form.append((name, ",".join(values)))
    for name, value in (("shipping_profile_id", config.shipping_profile_id),
                        ("return_policy_id", config.return_policy_id)):
        if value is not None:
            form.append((name, str(value)))
    section = _text(fields, "shop_section_id") or (
        str(config.shop_section_id) if config.shop_section_id else "")
    if section:
        form.append(("shop_section_id", section))
    measured = False
    for name in _MEASURES:
        value = _text(fields, name)
        if value and Decimal(value) > 0:
            form.append((name, value))
            measured = True
    if measured:
        for unit in ("item_weight_unit", "item_dimensions_unit"):
            if _text(fields, unit):
                form.append((unit, _text(fields, unit)))
    return form


def draft_form(fields: Mapping[str, FieldValue], variants: Sequence[Variant],
               config: EtsyConfig, sku: str) -> Form:
    """createDraftListing body: content plus the listing's price (the lowest variant price)
    and quantity (the sum, at least 1: "positive non-zero"; the inventory call that follows
    sets the real per-variant values)."""
    if not variants:
        raise RenderError(f"{sku}: a listing needs at least one variant", channel=CHANNEL,
                          sku=sku)
    if config.shipping_profile_id is None:
        raise RenderError(f"{sku}: physical listings need a shipping profile: set "
                          "channels.etsy.shipping_profile_id", channel=CHANNEL, sku=sku)
    total = sum(v.quantity for v in variants)
    price = min(v.price for v in variants)
    return [("quantity", str(max(total, 1))), ("price", str(price)),
            *_content(fields, config, sku)]


def draft_form_from_content(content: Sequence[Sequence[str]], variants: Sequence[Variant]
                            ) -> Form:
    """createDraftListing body from a pre-rendered content form (:func:`update_form`) and the
    family's variants (see :func:`draft_form` for price and quantity)."""
    pairs = [(str(k), str(v)) for k, v in content]
    sku = variants[0].sku if variants else ""
    if not variants:
        raise RenderError("a listing needs at least one variant", channel=CHANNEL)
    if not any(k == "shipping_profile_id" for k, _ in pairs):
        raise RenderError(f"{sku}: physical listings need a shipping profile: set "
                          "channels.etsy.shipping_profile_id", channel=CHANNEL, sku=sku)
    total = sum(v.quantity for v in variants)
    price = min(v.price for v in variants)
    return [("quantity", str(max(total, 1))), ("price", str(price)), *pairs]


def update_form(fields: Mapping[str, FieldValue], config: EtsyConfig, sku: str) -> Form:
    """updateListing body for a content change (no state: activation is its own step)."""
    return _content(fields, config, sku)


def state_form(state: str) -> Form:
    """updateListing body that publishes (``active``) or withdraws (``inactive``)."""
    if state not in ("active", "inactive"):
        raise ValueError(f"Etsy listing state {state!r}: only active or inactive can be set")
    return [("state", state)]


# --- inventory ------------------------------------------------------------------------------


def _offering_price(offering: Mapping[str, Any]) -> float:
    price = offering.get("price")
    if isinstance(price, Mapping):
        return float(Decimal(int(price["amount"])) / Decimal(int(price["divisor"])))
    return float(price)  # type: ignore[arg-type]


def request_product(product: Mapping[str, Any]) -> dict[str, Any]:
    """A getListingInventory product rewritten as an updateListingInventory product (Money →
    float, read-only ids and deleted offerings dropped, property values kept as they are)."""
    values = []
    for prop in product.get("property_values") or []:
        item = {"property_id": prop["property_id"], "value_ids": list(prop.get("value_ids") or []),
                "values": list(prop.get("values") or [])}
        if prop.get("property_name"):
            item["property_name"] = prop["property_name"]
        if prop.get("scale_id"):
            item["scale_id"] = prop["scale_id"]
        values.append(item)
    offerings = [{"price": _offering_price(o), "quantity": int(o.get("quantity") or 0),
                  "is_enabled": bool(o.get("is_enabled", True))}
                 for o in product.get("offerings") or [] if not o.get("is_deleted")]
    return {"sku": product.get("sku") or "", "property_values": values, "offerings": offerings}


def _key(product: Mapping[str, Any]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    return tuple(sorted((int(p["property_id"]), tuple(p.get("values") or []))
                        for p in product.get("property_values") or []))


def _varies_on(products: Sequence[Mapping[str, Any]], value_of: Any) -> list[int]:
    """The smallest set of property ids that determines ``value_of(product)``: none when
    every product has the same value, one property when it alone decides, else all."""
    properties = sorted({int(p["property_id"]) for prod in products
                         for p in prod.get("property_values") or []})
    if len({json.dumps(value_of(p)) for p in products}) <= 1:
        return []
    for pid in properties:
        seen: dict[tuple[str, ...], str] = {}
        consistent = True
        for prod in products:
            values = next((tuple(p.get("values") or []) for p in prod["property_values"]
                           if int(p["property_id"]) == pid), ())
            value = json.dumps(value_of(prod))
            if seen.setdefault(values, value) != value:
                consistent = False
                break
        if consistent:
            return [pid]
    return properties


def inventory_body(products: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The updateListingInventory body for ``products`` (request-shaped), with the
    ``*_on_property`` arrays computed from what actually varies."""
    ordered = sorted(products, key=lambda p: (_key(p), p.get("sku") or ""))
    return {
        "products": ordered,
        "price_on_property": _varies_on(ordered, lambda p: p["offerings"][0]["price"]),
        "quantity_on_property": _varies_on(ordered, lambda p: p["offerings"][0]["quantity"]),
        "sku_on_property": _varies_on(ordered, lambda p: p.get("sku") or ""),
    }


@dataclass(frozen=True)
class InventoryChange:
    """What one batch changes in a listing's inventory."""

    upserts: tuple[Variant, ...] = ()
    removals: frozenset[str] = frozenset()
    # Per SKU, the parts to take from feedsync (price, quantity, properties); a SKU not listed
    # takes everything.
    parts: Mapping[str, frozenset[str]] = field(default_factory=dict)


def merge_inventory(current: Mapping[str, Any] | None, change: InventoryChange
                    ) -> list[dict[str, Any]]:
    """Read-modify-write: the products of ``current`` (a getListingInventory answer, or None
    for a new draft) with ``change`` applied. Products outside the change are kept exactly as
    Etsy has them; removed SKUs are dropped; a product Etsy holds without a SKU (the default
    product of a fresh draft) is replaced once feedsync writes its own products."""
    existing: dict[str, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    for product in (current or {}).get("products") or []:
        if product.get("is_deleted"):
            continue
        converted = request_product(product)
        if converted["sku"]:
            existing[converted["sku"]] = converted
        else:
            anonymous.append(converted)
    for gone in change.removals:
        existing.pop(gone, None)
    for wanted in change.upserts:
        parts = change.parts.get(wanted.sku)
        before = existing.get(wanted.sku)
        product = wanted.product()
        if before is not None and parts is not None and before["offerings"]:
            offering = dict(before["offerings"][0])
            if "price" in parts:
                offering["price"] = float(wanted.price)
            if "quantity" in parts:
                offering["quantity"] = wanted.quantity
                offering["is_enabled"] = wanted.quantity > 0
            product = {**before, "offerings": [offering]}
        existing[wanted.sku] = product
    if existing:
        return list(existing.values())
    return anonymous


def dumps(body: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces): the same inventory, the same bytes."""
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def form_size(form: Iterable[tuple[str, str]]) -> int:
    """Approximate encoded size of a form (for RenderedItem.size)."""
    return sum(len(k) + len(v.encode()) + 2 for k, v in form)
