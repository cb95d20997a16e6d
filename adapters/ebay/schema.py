"""The flat record the eBay mapping produces; ``render`` builds the Inventory API bodies from it.

Field names follow the Inventory API's own (``title``, ``condition``, ``imageUrls`` →
``image_urls``, ``categoryId`` → ``category_id`` …). Item specifics (``product.aspects``) come
from the ``aspect_*`` fields, each one eBay aspect name (``ASPECT_FIELDS``), plus
``extra_aspects``: a JSON object ``{"Name": ["value", …]}`` for category-specific ones. Limits are
eBay's: title 80 characters, subtitle 55, description 4000 (inventory item), brand and MPN 65,
aspect values 50, at most 24 HTTPS pictures (sell_inventory_v1_oas3.json, Product).
"""

from __future__ import annotations

from feedsync.adapters.ebay.limits import MAX_ASPECT_VALUE, MAX_IMAGES, MAX_TITLE, MAX_VARIES_BY

from feedsync.mapping.schema import ChannelSchema, FieldSpec

# ConditionEnum (https://developer.ebay.com/api-docs/sell/inventory/types/slr:ConditionEnum);
# which ones a category accepts: Metadata API getItemConditionPolicies.
CONDITIONS = frozenset({
    "NEW", "LIKE_NEW", "NEW_OTHER", "NEW_WITH_DEFECTS",
    "CERTIFIED_REFURBISHED", "EXCELLENT_REFURBISHED", "VERY_GOOD_REFURBISHED",
    "GOOD_REFURBISHED", "SELLER_REFURBISHED", "MANUFACTURER_REFURBISHED",
    "USED_EXCELLENT", "USED_VERY_GOOD", "USED_GOOD", "USED_ACCEPTABLE",
    "PRE_OWNED_EXCELLENT", "PRE_OWNED_FAIR", "FOR_PARTS_OR_NOT_WORKING",
})
# Weight.unit and Dimension.unit (WeightUnitOfMeasureEnum, LengthUnitOfMeasureEnum).
WEIGHT_UNITS = frozenset({"POUND", "KILOGRAM", "OUNCE", "GRAM"})
LENGTH_UNITS = frozenset({"INCH", "FEET", "CENTIMETER", "METER"})
# PackageTypeEnum values most sellers use (the full list: types/slr:PackageTypeEnum).
PACKAGE_TYPES = frozenset({
    "LETTER", "LARGE_ENVELOPE", "PACKAGE_THICK_ENVELOPE", "USPS_FLAT_RATE_ENVELOPE",
    "USPS_LARGE_PACK", "VERY_LARGE_PACK", "MAILING_BOX", "PARCEL_OR_PADDED_ENVELOPE",
    "BULKY_GOODS", "EXTRA_LARGE_PACK", "FREIGHT", "ONE_WAY", "WINE_PAK", "CARS",
    "MOTORBIKES", "BOATS", "CARS_OR_TRUCKS",
})

# Channel field → eBay aspect name. Repeated fields may carry several values (e.g. Color:
# ["Red", "Blue"]) where the category's cardinality allows it.
ASPECT_FIELDS: dict[str, str] = {
    "aspect_brand": "Brand",
    "aspect_mpn": "MPN",
    "aspect_type": "Type",
    "aspect_model": "Model",
    "aspect_department": "Department",
    "aspect_size": "Size",
    "aspect_size_type": "Size Type",
    "aspect_style": "Style",
    "aspect_color": "Color",
    "aspect_material": "Material",
    "aspect_pattern": "Pattern",
    "aspect_features": "Features",
    "aspect_country": "Country/Region of Manufacture",
}
REPEATED_ASPECTS = frozenset({"aspect_color", "aspect_material", "aspect_pattern",
                              "aspect_features"})

_DECIMAL = r"\d+(\.\d+)?"
_HTTPS = r"https://\S+"


def _aspect(name: str) -> FieldSpec:
    return FieldSpec(name, max_length=MAX_ASPECT_VALUE, repeated=name in REPEATED_ASPECTS,
                     description=f"item specific {ASPECT_FIELDS[name]!r}")


SCHEMA = ChannelSchema(
    channel="ebay",
    version="2026.1",
    id_field="sku",
    fields=(
        FieldSpec("sku", required=True, max_length=50, description="seller SKU (max 50)"),
        FieldSpec("title", required=True, max_length=MAX_TITLE),
        FieldSpec("subtitle", max_length=55),
        FieldSpec("description", required=True, max_length=4000,
                  description="product.description and the offer's listingDescription"),
        FieldSpec("condition", required=True, allowed=CONDITIONS),
        FieldSpec("condition_description", max_length=1000),
        FieldSpec("brand", max_length=65),
        FieldSpec("mpn", max_length=65),
        FieldSpec("epid", pattern=r"\d+"),
        FieldSpec("upc", repeated=True, pattern=r"\d{12}"),
        FieldSpec("ean", repeated=True, pattern=r"\d{8}|\d{13}"),
        FieldSpec("isbn", repeated=True, pattern=r"\d{10}|\d{13}"),
        FieldSpec("image_urls", required=True, repeated=True, max_items=MAX_IMAGES,
                  pattern=_HTTPS, description="imageUrls: HTTPS, at most 24"),
        *(_aspect(name) for name in ASPECT_FIELDS),
        FieldSpec("extra_aspects",
                  description='a JSON object of further item specifics: {"Name": ["value"]}'),
        FieldSpec("category_id", required=True, pattern=r"\d+",
                  description="eBay leaf category id (Taxonomy API)"),
        FieldSpec("secondary_category_id", pattern=r"\d+"),
        FieldSpec("store_category_names", repeated=True, max_items=2),
        FieldSpec("inventory_item_group_key", max_length=50,
                  description="the family: variants share an inventory_item_group"),
        FieldSpec("varies_by", repeated=True, max_items=MAX_VARIES_BY, max_length=40,
                  description="aspect names the family's variants differ by (e.g. Color, Size)"),
        FieldSpec("package_weight", pattern=_DECIMAL),
        FieldSpec("package_weight_unit", allowed=WEIGHT_UNITS),
        FieldSpec("package_length", pattern=_DECIMAL),
        FieldSpec("package_width", pattern=_DECIMAL),
        FieldSpec("package_height", pattern=_DECIMAL),
        FieldSpec("package_dimension_unit", allowed=LENGTH_UNITS),
        FieldSpec("package_type", allowed=PACKAGE_TYPES),
        FieldSpec("quantity_limit_per_buyer", pattern=r"[1-9]\d*"),
        # Sales terms, hashed apart so a price- or quantity-only change takes
        # bulkUpdatePriceQuantity instead of a full revision.
        FieldSpec("price", required=True, pattern=_DECIMAL, part="price"),
        FieldSpec("currency", required=True, pattern=r"[A-Z]{3}", part="price"),
        FieldSpec("quantity", required=True, pattern=r"\d+", part="quantity"),
    ),
)

__all__ = ["ASPECT_FIELDS", "CONDITIONS", "LENGTH_UNITS", "SCHEMA", "WEIGHT_UNITS"]
