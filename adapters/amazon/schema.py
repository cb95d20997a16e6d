"""The flat record the Amazon mapping produces; ``render`` turns it into listing attributes.

Field names follow Amazon's attribute names where one field is one attribute (``item_name``,
``brand``, ``bullet_point`` …) so a mapping reads like Amazon's documentation. Attributes that
are nested in Amazon's JSON (``purchasable_offer``, ``fulfillment_availability``,
``item_package_weight``, image locators, relationships) are flattened into the few scalar
fields below; ``adapters.amazon.render`` rebuilds the nesting and adds ``marketplace_id`` and
``language_tag`` from the channel config.

Attribute shapes: https://developer-docs.amazon.com/sp-api/docs/product-type-definition-meta-schema
and the JSON_LISTINGS_FEED guide https://developer-docs.amazon.com/sp-api/docs/listings-feed-type-values
"""

from __future__ import annotations

from feedsync.mapping.schema import ChannelSchema, FieldSpec, RequiredWhen

# Amazon's condition_type enumeration (common to every product type that has an offer).
CONDITION_TYPES = frozenset({
    "new_new", "new_open_box", "new_oem",
    "refurbished_refurbished",
    "used_like_new", "used_very_good", "used_good", "used_acceptable",
    "collectible_like_new", "collectible_very_good", "collectible_good",
    "collectible_acceptable",
    "club_club",
})
# externally_assigned_product_identifier.type values.
IDENTIFIER_TYPES = frozenset({"ean", "gtin", "upc", "isbn", "jan"})
WEIGHT_UNITS = frozenset({"grams", "kilograms", "milligrams", "ounces", "pounds"})
PARENTAGE_LEVELS = frozenset({"parent", "child"})
# The attribute a seller with an approved GTIN exemption sets instead of an identifier.
EXEMPTION = "supplier_declared_has_product_identifier_exemption"
MAX_OTHER_IMAGES = 8  # other_product_image_locator_1 … _8

_DECIMAL = r"\d+(\.\d+)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"

SCHEMA = ChannelSchema(
    channel="amazon",
    version="2026.2",  # 2026.2: the product identifier rule (held locally, not sent to 90220)
    id_field="sku",
    fields=(
        FieldSpec("sku", required=True, max_length=40,
                  description="Seller SKU (Amazon allows up to 40 characters)"),
        FieldSpec("product_type", required=True, pattern=r"[A-Z0-9_]+",
                  description="Amazon product type, e.g. SHIRT, LUGGAGE (Product Type "
                              "Definitions API)"),
        FieldSpec("item_name", required=True, max_length=200),
        FieldSpec("brand", max_length=100),
        FieldSpec("product_description", max_length=2000),
        FieldSpec("bullet_point", repeated=True, max_items=5, max_length=500),
        FieldSpec("externally_assigned_product_identifier", pattern=r"\d{8}|\d{10,14}",
                  description="GTIN-8/12/13/14, UPC, EAN or ISBN digits"),
        FieldSpec("externally_assigned_product_identifier_type", allowed=IDENTIFIER_TYPES,
                  description="Identifier type; inferred from the length when empty"),
        FieldSpec(EXEMPTION, allowed=frozenset({"true"}),
                  description="\"true\" for a product Amazon granted a GTIN exemption (its "
                              "brand's approval); Amazon then wants no identifier"),
        FieldSpec("part_number", max_length=40),
        FieldSpec("manufacturer", max_length=100),
        FieldSpec("condition_type", allowed=CONDITION_TYPES),
        FieldSpec("color", max_length=100),
        FieldSpec("size", max_length=100),
        FieldSpec("material", max_length=100),
        FieldSpec("main_image", pattern=r"https://\S+",
                  description="main_product_image_locator media_location (HTTPS)"),
        FieldSpec("other_images", repeated=True, max_items=MAX_OTHER_IMAGES,
                  pattern=r"https://\S+",
                  description="other_product_image_locator_1 … _8"),
        FieldSpec("item_package_weight", pattern=_DECIMAL),
        FieldSpec("item_package_weight_unit", allowed=WEIGHT_UNITS),
        FieldSpec("parentage_level", allowed=PARENTAGE_LEVELS),
        FieldSpec("parent_sku", max_length=40,
                  description="child_parent_sku_relationship.parent_sku of a variation child"),
        FieldSpec("variation_theme", max_length=100,
                  description="e.g. COLOR/SIZE; must be valid for the product type"),
        FieldSpec("extra_attributes",
                  description="a JSON object of further Amazon attributes in Amazon's own "
                              "shape (product-type specific, e.g. batteries_required)"),
        # Sales terms: price and quantity parts, hashed apart by the planner so a price- or
        # quantity-only change becomes a PATCH of purchasable_offer / fulfillment_availability.
        FieldSpec("currency", pattern=r"[A-Z]{3}", part="price"),
        FieldSpec("our_price", pattern=_DECIMAL, part="price"),
        FieldSpec("list_price", pattern=_DECIMAL, part="price"),
        FieldSpec("discounted_price", pattern=_DECIMAL, part="price"),
        FieldSpec("discounted_price_start", pattern=_DATETIME, part="price"),
        FieldSpec("discounted_price_end", pattern=_DATETIME, part="price"),
        FieldSpec("quantity", pattern=r"\d+", part="quantity"),
        FieldSpec("lead_time_to_ship_max_days", pattern=r"\d+", part="quantity"),
    ),
    # Amazon refuses a product (not a variation parent: those are built by the adapter, not
    # mapped) without an identifier: 90220 "'[externally_assigned_product_identifier]' is
    # required but not supplied" unless the seller holds a GTIN exemption
    # (https://sellercentral.amazon.com/help/hub/reference/G200426310). Held here, before a feed.
    required_when=(
        RequiredWhen("product_type", r".", ("externally_assigned_product_identifier",),
                     why=f"for a product without a GTIN exemption (map a gtin, or set {EXEMPTION}"
                         " = \"true\" once Amazon grants one)",
                     unless=(EXEMPTION,)),
    ),
)

__all__ = ["CONDITION_TYPES", "IDENTIFIER_TYPES", "SCHEMA", "WEIGHT_UNITS"]
