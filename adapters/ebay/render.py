"""Pure rendering: a flat eBay record → Inventory API request bodies.

Everything here is deterministic (same record, same bytes) and does no I/O. Shapes are those of
sell_inventory_v1_oas3.json: ``InventoryItemWithSkuLocale`` (bulkCreateOrReplaceInventoryItem),
``EbayOfferDetailsWithKeys`` (bulkCreateOffer), ``EbayOfferDetailsWithId`` (updateOffer),
``PriceQuantity`` (bulkUpdatePriceQuantity) and ``InventoryItemGroup``
(createOrReplaceInventoryItemGroup). Problems eBay would reject are raised as
:class:`~feedsync.errors.RenderError` naming the SKU and the field, before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.adapters.ebay import limits
from feedsync.adapters.ebay.schema import ASPECT_FIELDS

from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

CHANNEL = "ebay"
FORMAT = "FIXED_PRICE"
# Fixed-price listings must be Good 'Til Cancelled (EbayOfferDetailsWithKeys.listingDuration).
DURATION = "GTC"
# Offer fields (not inventory-item fields): a content change touching one needs updateOffer.
OFFER_FIELDS = frozenset({"category_id", "secondary_category_id", "description",
                          "store_category_names", "quantity_limit_per_buyer"})


@dataclass(frozen=True)
class RenderContext:
    """What every body needs besides the record: marketplace, language, location, policies."""

    marketplace_id: str = "EBAY_US"
    content_language: str = "en-US"
    merchant_location_key: str = ""
    fulfillment_policy_id: str = ""
    payment_policy_id: str = ""
    return_policy_id: str = ""
    max_aspect_values: int = 30

    @property
    def locale(self) -> str:
        """The body's ``locale`` (en_US) for the Content-Language header's en-US."""
        return self.content_language.replace("-", "_")


def rejected(sku: str, message: str, field: str | None = None) -> RenderError:
    """The RenderError of one SKU of this channel (the core reports it as render_failed)."""
    return RenderError(f"{sku}: {message}", channel=CHANNEL, sku=sku, field=field)


def one(fields: Mapping[str, FieldValue], name: str) -> str | None:
    """A single-valued field (the first item of a list), None when empty."""
    value = fields.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value not in (None, "") else None


def many(fields: Mapping[str, FieldValue], name: str) -> list[str]:
    """A repeated field as a list (a single value becomes a one-item list)."""
    value = fields.get(name)
    if value in (None, ""):
        return []
    return [v for v in value if v] if isinstance(value, list) else [str(value)]


def number(sku: str, field: str, text: str) -> int | float:
    """A decimal string as a JSON number with exactly its digits (package measures)."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise rejected(sku, f"{field} {text!r} is not a number") from None
    if value < 0:
        raise rejected(sku, f"{field} {text!r} is negative")
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, str]:
    """``Amount`` {currency, value}: eBay takes the value as a decimal string."""
    price, currency = one(fields, "price"), one(fields, "currency")
    if price is None or currency is None:
        raise rejected(sku, "price and currency are required")
    try:
        amount = Decimal(price)
    except (InvalidOperation, ValueError):
        raise rejected(sku, f"price {price!r} is not a number") from None
    if amount <= 0:
        raise rejected(sku, f"price {price} must be above zero")
    return {"currency": currency, "value": f"{amount:.2f}"}


def quantity(sku: str, fields: Mapping[str, FieldValue]) -> int:
    """The quantity to offer (a whole number ≥ 0)."""
    text = one(fields, "quantity")
    if text is None or not text.isdigit():
        raise rejected(sku, f"quantity {text!r} is not a whole number")
    return int(text)


# --- item specifics ---------------------------------------------------------------------------

def _extra_aspects(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, list[str]]:
    raw = one(fields, "extra_aspects")
    if raw is None:
        return {}
    try:
        extra = json.loads(raw)
    except ValueError as exc:
        raise rejected(sku, f"extra_aspects is not valid JSON ({exc})") from None
    if not isinstance(extra, dict):
        raise rejected(sku, 'extra_aspects must be a JSON object {"Name": ["value"]}')
    result: dict[str, list[str]] = {}
    for name, values in extra.items():
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise rejected(sku, f"extra_aspects.{name} must be a string or a list of strings")
        result[str(name)] = [v for v in values if v]
    return result


def aspects(sku: str, fields: Mapping[str, FieldValue], max_values: int = 30
            ) -> dict[str, list[str]]:
    """``product.aspects``: {eBay aspect name: [values]} from the aspect fields, checked.

    Every problem of the SKU is reported at once: an aspect name over 40 characters, a value
    over 50, more values than ``max_values``, more than 45 aspects, or a name given twice.
    """
    found: dict[str, list[str]] = {}
    for field, name in ASPECT_FIELDS.items():
        values = many(fields, field)
        if values:
            found[name] = values
    problems: list[str] = []
    for name, values in _extra_aspects(sku, fields).items():
        if name in found:
            problems.append(f"extra_aspects.{name} is already set by aspect field "
                            f"{next(f for f, n in ASPECT_FIELDS.items() if n == name)}")
        elif values:
            found[name] = values
    for name, values in found.items():
        if len(name) > limits.MAX_ASPECT_NAME:
            problems.append(f"aspect name {name[:20]!r}… is {len(name)} characters "
                            f"(eBay allows {limits.MAX_ASPECT_NAME})")
        if len(values) > max_values:
            problems.append(f"aspect {name!r} has {len(values)} values (at most "
                            f"{max_values}: channels.ebay.max_aspect_values)")
        for value in values:
            if len(value) > limits.MAX_ASPECT_VALUE:
                problems.append(f"aspect {name!r} value {value[:20]!r}… is {len(value)} "
                                f"characters (eBay allows {limits.MAX_ASPECT_VALUE})")
    if len(found) > limits.MAX_ASPECTS:
        problems.append(f"{len(found)} item specifics (eBay allows {limits.MAX_ASPECTS})")
    if problems:
        raise rejected(sku, "; ".join(problems))
    return found


# --- inventory item ---------------------------------------------------------------------------

def _product(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext) -> dict[str, Any]:
    title = one(fields, "title")
    if title is None:
        raise rejected(sku, "title is required")
    if len(title) > limits.MAX_TITLE:
        raise rejected(sku, f"title is {len(title)} characters (eBay allows "
                            f"{limits.MAX_TITLE}): add a truncate transform")
    images = many(fields, "image_urls")
    bad = [url for url in images if not url.startswith("https://")]
    if bad:
        raise rejected(sku, f"image_urls must be HTTPS: {bad[0]!r}")
    cap = limits.MAX_GROUP_VARIANT_IMAGES if one(fields, "inventory_item_group_key") else \
        limits.MAX_IMAGES
    if len(images) > cap:
        raise rejected(sku, f"{len(images)} pictures (eBay allows {cap}"
                            f"{' per variant of a group' if cap < limits.MAX_IMAGES else ''})")
    product: dict[str, Any] = {"title": title}
    for name in ("subtitle", "description", "brand", "mpn", "epid"):
        if (value := one(fields, name)) is not None:
            product[name] = value
    for name in ("upc", "ean", "isbn"):
        if values := many(fields, name):
            product[name] = values
    if found := aspects(sku, fields, ctx.max_aspect_values):
        product["aspects"] = found
    if images:
        product["imageUrls"] = images
    return product


def _package(sku: str, fields: Mapping[str, FieldValue]) -> dict[str, Any] | None:
    package: dict[str, Any] = {}
    weight = one(fields, "package_weight")
    if weight is not None:
        unit = one(fields, "package_weight_unit")
        if unit is None:
            raise rejected(sku, "package_weight needs package_weight_unit")
        package["weight"] = {"unit": unit, "value": number(sku, "package_weight", weight)}
    sides = {name: one(fields, f"package_{name}") for name in ("length", "width", "height")}
    if any(v is not None for v in sides.values()):
        unit = one(fields, "package_dimension_unit")
        missing = [name for name, v in sides.items() if v is None]
        if missing or unit is None:
            raise rejected(sku, "package dimensions need length, width, height and "
                                "package_dimension_unit together (Dimension: all fields)")
        package["dimensions"] = {"unit": unit, **{
            name: number(sku, f"package_{name}", str(v)) for name, v in sides.items()}}
    if (kind := one(fields, "package_type")) is not None:
        package["packageType"] = kind
    return package or None


def inventory_item(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                   ) -> dict[str, Any]:
    """One ``InventoryItemWithSkuLocale`` (a request of bulkCreateOrReplaceInventoryItem)."""
    item: dict[str, Any] = {
        "sku": sku,
        "locale": ctx.locale,
        "product": _product(sku, fields, ctx),
        "availability": {"shipToLocationAvailability": {"quantity": quantity(sku, fields)}},
    }
    condition = one(fields, "condition")
    if condition is None:
        raise rejected(sku, "condition is required")
    item["condition"] = condition
    if (text := one(fields, "condition_description")) is not None:
        item["conditionDescription"] = text
    if (package := _package(sku, fields)) is not None:
        item["packageWeightAndSize"] = package
    return item


# --- offers -------------------------------------------------------------------------------------

def _offer_common(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                  ) -> dict[str, Any]:
    category = one(fields, "category_id")
    if category is None:
        raise rejected(sku, "category_id is required (map it in [categories])")
    offer: dict[str, Any] = {
        "availableQuantity": quantity(sku, fields),
        "categoryId": category,
        "listingDuration": DURATION,
        "listingPolicies": {
            "fulfillmentPolicyId": ctx.fulfillment_policy_id,
            "paymentPolicyId": ctx.payment_policy_id,
            "returnPolicyId": ctx.return_policy_id,
        },
        "merchantLocationKey": ctx.merchant_location_key,
        "pricingSummary": {"price": money(sku, fields)},
    }
    if (description := one(fields, "description")) is not None:
        offer["listingDescription"] = description
    if (secondary := one(fields, "secondary_category_id")) is not None:
        offer["secondaryCategoryId"] = secondary
    if names := many(fields, "store_category_names"):
        offer["storeCategoryNames"] = names
    if (per_buyer := one(fields, "quantity_limit_per_buyer")) is not None:
        offer["quantityLimitPerBuyer"] = int(per_buyer)
    return offer


def offer(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext) -> dict[str, Any]:
    """One ``EbayOfferDetailsWithKeys`` (a request of bulkCreateOffer)."""
    return {"sku": sku, "marketplaceId": ctx.marketplace_id, "format": FORMAT,
            **_offer_common(sku, fields, ctx)}


def offer_update(sku: str, fields: Mapping[str, FieldValue], ctx: RenderContext
                 ) -> dict[str, Any]:
    """The ``EbayOfferDetailsWithId`` body of updateOffer (a full replacement of the offer)."""
    return _offer_common(sku, fields, ctx)


def offer_entry(sku: str, fields: Mapping[str, FieldValue], parts: Iterable[str]
                ) -> dict[str, Any]:
    """The ``OfferPriceQuantity`` values (without offerId) for the wanted parts."""
    wanted = set(parts) or {"price", "quantity"}
    entry: dict[str, Any] = {}
    if "quantity" in wanted:
        entry["availableQuantity"] = quantity(sku, fields)
    if "price" in wanted:
        entry["price"] = money(sku, fields)
    return entry


def price_quantity(sku: str, fields: Mapping[str, FieldValue], offer_id: str | None,
                   parts: Iterable[str]) -> dict[str, Any]:
    """One ``PriceQuantity`` request of bulkUpdatePriceQuantity.

    The quantity goes to the inventory item (``shipToLocationAvailability``) and, with an offer
    id, to the offer; a price lives on the offer only, so without an offer id the request
    carries the quantity alone (the adapter reads the offer id back before sending a price).
    """
    entry = offer_entry(sku, fields, parts)
    request: dict[str, Any] = {"sku": sku}
    if "availableQuantity" in entry:
        request["shipToLocationAvailability"] = {"quantity": entry["availableQuantity"]}
    if offer_id is not None:
        request["offers"] = [{"offerId": offer_id, **entry}]
    return request


# --- inventory item groups (families) -------------------------------------------------------------

def group(key: str, members: Sequence[tuple[str, Mapping[str, FieldValue]]],
          existing: Mapping[str, Any] | None, ctx: RenderContext) -> dict[str, Any]:
    """The ``InventoryItemGroup`` body for family ``key``.

    ``members`` are the family's SKUs being sent now (with their fields); ``existing`` is the
    group as eBay has it (getInventoryItemGroup) or None. The group keeps every SKU eBay already
    has in it; ``variesBy`` lists each varying aspect with every value any member has, and the
    group's own aspects are the members' shared ones (eBay: variants must carry the group's
    aspects). The title is the words every member's title (and the group's current one)
    starts with; description and pictures come from the first member in SKU order.
    """
    ordered = sorted(members, key=lambda m: m[0])
    first_sku, first = ordered[0]
    names = many(first, "varies_by")
    if not names:
        raise rejected(first_sku, f"inventory_item_group_key {key!r} needs varies_by (the "
                                  "aspect names its variants differ by)")
    values: dict[str, list[str]] = {name: [] for name in names}
    old = (existing or {}).get("variesBy") or {}
    for spec in old.get("specifications") or []:
        if spec.get("name") in values:
            values[spec["name"]].extend(spec.get("values") or [])
    shared: dict[str, list[str]] | None = None
    for sku, fields in ordered:
        own = aspects(sku, fields, ctx.max_aspect_values)
        for name in names:
            if name not in own:
                raise rejected(sku, f"variant of {key!r} has no {name!r} aspect (varies_by)")
            values[name].extend(own[name])
        common = {n: v for n, v in own.items() if n not in values}
        shared = common if shared is None else {
            n: v for n, v in shared.items() if common.get(n) == v}
    skus = sorted({*(existing or {}).get("variantSKUs", ()), *(s for s, _ in ordered)})
    product = _product(first_sku, {**first, "inventory_item_group_key": "", "image_urls":
                                   many(first, "image_urls")[:limits.MAX_IMAGES]}, ctx)
    titles = [str(one(f, "title") or "") for _, f in ordered]
    if existing and existing.get("title"):
        titles.append(str(existing["title"]))
    body: dict[str, Any] = {
        "title": family_title(titles) or product["title"],
        "variantSKUs": skus,
        "variesBy": {"specifications": [
            {"name": name, "values": list(dict.fromkeys(values[name]))} for name in names]},
    }
    if shared:
        body["aspects"] = shared
    for name in ("description", "subtitle"):
        if name in product:
            body[name] = product[name]
    if "imageUrls" in product:
        body["imageUrls"] = product["imageUrls"]
    return body


def family_title(titles: Sequence[str], shortest: int = 10) -> str | None:
    """The words every variant title starts with ("Organic Tee – Black, S" and "Organic Tee –
    White, M" → "Organic Tee"), or None when they share fewer than ``shortest`` characters."""
    split = [t.split(" ") for t in titles if t]
    if not split:
        return None
    words: list[str] = []
    for group in zip(*split, strict=False):
        if any(word != group[0] for word in group):
            break
        words.append(group[0])
    common = " ".join(words).rstrip(" -–—,:;/|(")
    return common if len(common) >= shortest else None


def dumps(value: Any) -> str:
    """Compact, key-order-preserving JSON (deterministic for the same input)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
