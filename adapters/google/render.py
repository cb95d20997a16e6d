"""Pure rendering of Google records into Merchant API v1 payloads (no I/O, deterministic).

The google mapping produces a record in the product data specification's own snake_case names
(``image_link``, ``sale_price = "12.99 USD"``, ``availability = "in_stock"``), the names the file
feed uses too. The Merchant API wants a ``ProductInput``
(https://developers.google.com/merchant/api/reference/rest/products_v1/accounts.productInputs)
whose ``productAttributes`` are camelCase, whose prices are ``{amountMicros, currencyCode}`` with
int64 as a string, whose enumerations are UPPER_CASE, and whose dates are RFC 3339 timestamps.
This module does exactly that conversion and nothing else.

An attribute this table does not know is sent in the specification's generic form, as a
``customAttributes`` entry (``{"name": "shipping", "value": "US::Standard:4.95 USD"}``), which
the Merchant API accepts for "any attribute of the data specification"; so a mapping may use a
field before this module learns its typed shape, and nothing the merchant mapped is dropped.

A value that cannot be converted (an unknown enumeration value, a malformed price) raises
:class:`~feedsync.errors.RenderError` naming the SKU, the field and the value: that SKU is
reported and the others carry on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from feedsync.clock import iso_z
from feedsync.errors import RenderError
from feedsync.mapping.record import FieldValue

CHANNEL = "google"
MICROS = Decimal(1_000_000)

# Enumerations of the Merchant API v1 ProductAttributes (discovery document
# merchantapi.products_v1.json, without the *_UNSPECIFIED sentinel). Tests pin them to the spec.
AVAILABILITY = ("IN_STOCK", "OUT_OF_STOCK", "PREORDER", "LIMITED_AVAILABILITY", "BACKORDER")
CONDITION = ("NEW", "USED", "REFURBISHED")
GENDER = ("MALE", "FEMALE", "UNISEX")
AGE_GROUP = ("ADULT", "KIDS", "TODDLER", "INFANT", "NEWBORN")
SIZE_SYSTEM = ("AU", "BR", "CN", "DE", "EU", "FR", "IT", "JP", "MEX", "UK", "US")
SIZE_TYPE = ("REGULAR", "PETITE", "MATERNITY", "BIG", "TALL", "PLUS")
ENERGY_CLASS = ("APPP", "APP", "AP", "A", "B", "C", "D", "E", "F", "G")
DESTINATION = ("SHOPPING_ADS", "DISPLAY_ADS", "LOCAL_INVENTORY_ADS", "FREE_LISTINGS",
               "FREE_LOCAL_LISTINGS", "YOUTUBE_SHOPPING", "YOUTUBE_SHOPPING_CHECKOUT",
               "YOUTUBE_AFFILIATE", "FREE_VEHICLE_LISTINGS", "VEHICLE_ADS", "CLOUD_RETAIL",
               "LOCAL_CLOUD_RETAIL", "RENTAL_ADS")
PAUSE = ("ADS", "ALL")
PICKUP_METHOD = ("NOT_SUPPORTED", "BUY", "RESERVE", "SHIP_TO_STORE")
PICKUP_SLA = ("SAME_DAY", "NEXT_DAY", "TWO_DAY", "THREE_DAY", "FOUR_DAY", "FIVE_DAY", "SIX_DAY",
              "MULTI_WEEK")
WEIGHT_UNITS = ("g", "kg", "oz", "lb")
DIMENSION_UNITS = ("in", "cm")

# Spellings the feed specification uses that do not upper-case into the API's names.
_ALIASES: dict[str, str] = {
    "A+++": "APPP", "A++": "APP", "A+": "AP",
    "2-DAY": "TWO_DAY", "3-DAY": "THREE_DAY", "4-DAY": "FOUR_DAY", "5-DAY": "FIVE_DAY",
    "6-DAY": "SIX_DAY", "MULTI-WEEK": "MULTI_WEEK",
}


class FieldError(ValueError):
    """A field value the API cannot take; ``field`` names it for the per-SKU report."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


Converter = Callable[[str, FieldValue], Any]


def _one(field: str, value: FieldValue) -> str:
    if isinstance(value, list):
        if len(value) != 1:
            raise FieldError(field, f"takes one value, got {len(value)}")
        return value[0]
    return value


def _many(value: FieldValue) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _text(field: str, value: FieldValue) -> str:
    return _one(field, value)


def _texts(field: str, value: FieldValue) -> list[str]:
    return _many(value)


def _enum_value(field: str, raw: str, allowed: tuple[str, ...]) -> str:
    key = raw.strip().upper()
    key = _ALIASES.get(key, key.replace(" ", "_").replace("-", "_"))
    if key not in allowed:
        choices = ", ".join(a.lower() for a in allowed)
        raise FieldError(field, f"{raw!r} is not one of: {choices}")
    return key


def _enum(allowed: tuple[str, ...]) -> Converter:
    def convert(field: str, value: FieldValue) -> str:
        return _enum_value(field, _one(field, value), allowed)
    return convert


def _enums(allowed: tuple[str, ...]) -> Converter:
    def convert(field: str, value: FieldValue) -> list[str]:
        return [_enum_value(field, item, allowed) for item in _many(value)]
    return convert


def parse_price(field: str, text: str) -> dict[str, str]:
    """``"12.99 USD"`` → ``{"amountMicros": "12990000", "currencyCode": "USD"}`` (Decimal math)."""
    parts = text.split()
    if len(parts) != 2 or len(parts[1]) != 3 or not parts[1].isalpha():
        raise FieldError(field, f"{text!r} is not a price like '12.99 USD'")
    try:
        amount = Decimal(parts[0])
    except InvalidOperation:
        raise FieldError(field, f"{text!r}: {parts[0]!r} is not a number") from None
    micros = amount * MICROS
    if not amount.is_finite() or amount < 0 or micros != micros.to_integral_value():
        raise FieldError(field, f"{text!r} is not a non-negative amount in at most 6 decimals")
    return {"amountMicros": str(int(micros)), "currencyCode": parts[1].upper()}


def _price(field: str, value: FieldValue) -> dict[str, str]:
    return parse_price(field, _one(field, value))


def _bool(field: str, value: FieldValue) -> bool:
    text = _one(field, value).strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise FieldError(field, f"{text!r} is not yes/no")


def _int64(field: str, value: FieldValue) -> str:
    text = _one(field, value).strip()
    try:
        number = int(text)
    except ValueError:
        raise FieldError(field, f"{text!r} is not a whole number") from None
    return str(number)  # int64 travels as a JSON string in Google APIs


def _float(field: str, value: FieldValue) -> float:
    text = _one(field, value).strip()
    try:
        return float(Decimal(text))
    except InvalidOperation:
        raise FieldError(field, f"{text!r} is not a number") from None


def rfc3339(field: str, text: str) -> str:
    """A feed date/time (ISO 8601, offset optional, date alone allowed) → UTC RFC 3339.

    A value without an offset is read as UTC: the specification recommends an offset, and UTC
    is the only reading that does not depend on the machine feedsync runs on.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(field, f"{text!r} is not an ISO 8601 date or date-time") from None
    return iso_z(moment, timespec="auto")


def _datetime(field: str, value: FieldValue) -> str:
    return rfc3339(field, _one(field, value))


def _interval(field: str, value: FieldValue) -> dict[str, str]:
    text = _one(field, value)
    start, sep, end = text.partition("/")
    if not sep or not start.strip() or not end.strip():
        raise FieldError(field, f"{text!r} is not a 'start/end' date range")
    return {"startTime": rfc3339(field, start), "endTime": rfc3339(field, end)}


def _measure(units: tuple[str, ...] | None) -> Converter:
    def convert(field: str, value: FieldValue) -> dict[str, Any]:
        text = _one(field, value)
        parts = text.split()
        if len(parts) != 2:
            raise FieldError(field, f"{text!r} is not a value with a unit, like '1.5 kg'")
        unit = parts[1].lower()
        if units is not None and unit not in units:
            raise FieldError(field, f"{text!r}: unit must be one of {', '.join(units)}")
        return {"value": _float(field, parts[0]), "unit": unit}
    return convert


def _details(field: str, value: FieldValue) -> list[dict[str, str]]:
    found = []
    for item in _many(value):
        section, attribute, detail = [*item.split(":", 2), "", ""][:3]
        if not attribute or not detail:
            raise FieldError(field, f"{item!r} is not 'section:attribute:value'")
        entry = {"attributeName": attribute.strip(), "attributeValue": detail.strip()}
        if section.strip():
            entry["sectionName"] = section.strip()
        found.append(entry)
    return found


@dataclass(frozen=True, slots=True)
class Attr:
    """How one feed attribute becomes one ``productAttributes`` member."""

    api: str
    convert: Converter


_WEIGHT = _measure(WEIGHT_UNITS)
_DIMENSION = _measure(DIMENSION_UNITS)

ATTRIBUTES: dict[str, Attr] = {
    "title": Attr("title", _text),
    "description": Attr("description", _text),
    "link": Attr("link", _text),
    "mobile_link": Attr("mobileLink", _text),
    "canonical_link": Attr("canonicalLink", _text),
    "image_link": Attr("imageLink", _text),
    "additional_image_link": Attr("additionalImageLinks", _texts),
    "lifestyle_image_link": Attr("lifestyleImageLinks", _texts),
    "video_link": Attr("videoLinks", _texts),
    "virtual_model_link": Attr("virtualModelLink", _text),
    "availability": Attr("availability", _enum(AVAILABILITY)),
    "availability_date": Attr("availabilityDate", _datetime),
    "expiration_date": Attr("expirationDate", _datetime),
    "price": Attr("price", _price),
    "sale_price": Attr("salePrice", _price),
    "sale_price_effective_date": Attr("salePriceEffectiveDate", _interval),
    "cost_of_goods_sold": Attr("costOfGoodsSold", _price),
    "auto_pricing_min_price": Attr("autoPricingMinPrice", _price),
    "google_product_category": Attr("googleProductCategory", _text),
    "product_type": Attr("productTypes", _texts),
    "brand": Attr("brand", _text),
    "gtin": Attr("gtins", _texts),
    "mpn": Attr("mpn", _text),
    "identifier_exists": Attr("identifierExists", _bool),
    "condition": Attr("condition", _enum(CONDITION)),
    "adult": Attr("adult", _bool),
    "multipack": Attr("multipack", _int64),
    "is_bundle": Attr("isBundle", _bool),
    "energy_efficiency_class": Attr("energyEfficiencyClass", _enum(ENERGY_CLASS)),
    "min_energy_efficiency_class": Attr("minEnergyEfficiencyClass", _enum(ENERGY_CLASS)),
    "max_energy_efficiency_class": Attr("maxEnergyEfficiencyClass", _enum(ENERGY_CLASS)),
    "age_group": Attr("ageGroup", _enum(AGE_GROUP)),
    "color": Attr("color", _text),
    "gender": Attr("gender", _enum(GENDER)),
    "material": Attr("material", _text),
    "pattern": Attr("pattern", _text),
    "size": Attr("size", _text),
    "size_type": Attr("sizeTypes", _enums(SIZE_TYPE)),
    "size_system": Attr("sizeSystem", _enum(SIZE_SYSTEM)),
    "item_group_id": Attr("itemGroupId", _text),
    "item_group_title": Attr("itemGroupTitle", _text),
    "product_length": Attr("productLength", _DIMENSION),
    "product_width": Attr("productWidth", _DIMENSION),
    "product_height": Attr("productHeight", _DIMENSION),
    "product_weight": Attr("productWeight", _WEIGHT),
    "product_detail": Attr("productDetails", _details),
    "product_highlight": Attr("productHighlights", _texts),
    "shipping_label": Attr("shippingLabel", _text),
    "shipping_weight": Attr("shippingWeight", _WEIGHT),
    "shipping_length": Attr("shippingLength", _DIMENSION),
    "shipping_width": Attr("shippingWidth", _DIMENSION),
    "shipping_height": Attr("shippingHeight", _DIMENSION),
    "max_handling_time": Attr("maxHandlingTime", _int64),
    "min_handling_time": Attr("minHandlingTime", _int64),
    "transit_time_label": Attr("transitTimeLabel", _text),
    "return_policy_label": Attr("returnPolicyLabel", _text),
    "custom_label_0": Attr("customLabel0", _text),
    "custom_label_1": Attr("customLabel1", _text),
    "custom_label_2": Attr("customLabel2", _text),
    "custom_label_3": Attr("customLabel3", _text),
    "custom_label_4": Attr("customLabel4", _text),
    "promotion_id": Attr("promotionIds", _texts),
    "excluded_destination": Attr("excludedDestinations", _enums(DESTINATION)),
    "included_destination": Attr("includedDestinations", _enums(DESTINATION)),
    "shopping_ads_excluded_country": Attr("shoppingAdsExcludedCountries", _texts),
    "pause": Attr("pause", _enum(PAUSE)),
    "ads_redirect": Attr("adsRedirect", _text),
    "ads_grouping": Attr("adsGrouping", _text),
    "ads_labels": Attr("adsLabels", _texts),
    "short_title": Attr("shortTitle", _text),
    "sell_on_google_quantity": Attr("sellOnGoogleQuantity", _int64),
    "pickup_method": Attr("pickupMethod", _enum(PICKUP_METHOD)),
    "pickup_sla": Attr("pickupSla", _enum(PICKUP_SLA)),
    "link_template": Attr("linkTemplate", _text),
    "mobile_link_template": Attr("mobileLinkTemplate", _text),
    "external_seller_id": Attr("externalSellerId", _text),
    "display_ads_id": Attr("displayAdsId", _text),
    "display_ads_title": Attr("displayAdsTitle", _text),
    "display_ads_link": Attr("displayAdsLink", _text),
    "display_ads_similar_id": Attr("displayAdsSimilarIds", _texts),
    "display_ads_value": Attr("displayAdsValue", _float),
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where products go: the Merchant Center account, its API data source, language, label."""

    merchant_id: str
    data_source: str  # full resource name: accounts/{account}/dataSources/{datasource}
    content_language: str
    feed_label: str

    @property
    def parent(self) -> str:
        """``accounts/{account}``."""
        return f"accounts/{self.merchant_id}"


def product_input(sku: str, fields: Mapping[str, FieldValue], target: Target,
                  id_field: str = "id") -> dict[str, Any]:
    """A record's fields → the ``ProductInput`` body of ``productInputs.insert``.

    Raises :class:`RenderError` (channel ``google``, the SKU, the field in the message) when a
    value cannot be converted.
    """
    offer_id = fields.get(id_field) or sku
    attributes: dict[str, Any] = {}
    custom: list[dict[str, str]] = []
    for name, value in fields.items():
        if name == id_field or value == "" or value == []:
            continue
        attr = ATTRIBUTES.get(name)
        if attr is None:
            custom.extend({"name": name, "value": item} for item in _many(value))
            continue
        try:
            attributes[attr.api] = attr.convert(name, value)
        except FieldError as exc:
            raise RenderError(f"{sku}: field {exc.field}: {exc}", channel=CHANNEL,
                              sku=sku, field=exc.field) from None
    try:
        offer = _one(id_field, offer_id)
    except FieldError as exc:
        raise RenderError(f"{sku}: field {exc.field}: {exc}", channel=CHANNEL, sku=sku,
                          field=exc.field) from None
    body: dict[str, Any] = {
        "offerId": offer,
        "contentLanguage": target.content_language,
        "feedLabel": target.feed_label,
    }
    if attributes:
        body["productAttributes"] = attributes
    if custom:
        body["customAttributes"] = custom
    return body


def product_key(content_language: str, feed_label: str, offer_id: str) -> str:
    """``content_language~feed_label~offer_id``: the product's identity in Merchant Center."""
    return f"{content_language}~{feed_label}~{offer_id}"


def split_product_key(key: str) -> tuple[str, str, str]:
    """The inverse of :func:`product_key` (an offer id may itself contain ``~``)."""
    language, label, offer_id = key.split("~", 2)
    return language, label, offer_id


def resource_segment(key: str) -> str:
    """The ``{productInput}``/``{product}`` URL segment: unpadded base64url of the key.

    The API also takes the plain ``en~US~sku`` form, but only when the offer id has no ``/``,
    ``%`` or ``~``; Google recommends the encoded form for every id, so it is always used.
    """
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def encode(payload: Any) -> bytes:
    """The exact bytes sent for a payload (compact JSON, UTF-8, key order as built)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
