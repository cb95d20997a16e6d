"""The flat record the Walmart mapping produces; ``render`` builds the MPItem from it.

Field names are the snake_case of Walmart's attribute names in the MP_ITEM spec (``productName`` →
``product_name``, ``mainImageUrl`` → ``main_image_url`` …) so a mapping reads like Walmart's item
spec, and an ingestion error naming ``productName`` points to the mapping field ``product_name``
(``render.WALMART_TO_FIELD``). The rules below are the ones Walmart rejects an item for at
ingestion (DATA_ERROR), checked before anything is sent:

- an identifier of the wrong length for its type, or with a bad GS1 check digit (the mapping's
  ``gtin`` transform with ``invalid = "error"``);
- productName over 199 characters, brand over 60, sku over 50
  (https://developer.walmart.com/us-marketplace/docs/item-setup-schema-key-points and the MP_ITEM
  4.x schema's maxLength values);
- image URLs that are not absolute http(s) URLs;
- Yes/No attributes spelled otherwise.

The Visible section is keyed by Walmart's category name (``category``: "Clothing",
"Home Decor, Kitchen, & Other" …, as in the V4.8 MP_ITEM example); category-specific attributes
go in ``visible_attributes`` / ``orderable_attributes`` as JSON objects in Walmart's own shape.
"""

from __future__ import annotations

from feedsync.mapping.schema import ChannelSchema, FieldSpec

PRODUCT_ID_TYPES = frozenset({"GTIN", "UPC", "EAN", "ISBN"})
YES_NO = frozenset({"Yes", "No"})
CURRENCIES = frozenset({"USD", "CAD"})  # CurrentPrice.currency enum (us-mp-price.json)

_DECIMAL = r"\d+(\.\d+)?"
_URL = r"https?://\S+"
# Walmart attribute names are lowerCamelCase ("color", "clothingSize", "countPerPack").
_ATTRIBUTE = r"[a-z][A-Za-z0-9]*"

SCHEMA = ChannelSchema(
    channel="walmart",
    version="2026.1",
    id_field="sku",
    fields=(
        FieldSpec("sku", required=True, max_length=50,
                  description="seller SKU, at most 50 characters"),
        FieldSpec("product_id", required=True, pattern=r"\d{8}|\d{10,14}",
                  description="GTIN-8/12/13/14, UPC, EAN or ISBN digits"),
        FieldSpec("product_id_type", allowed=PRODUCT_ID_TYPES,
                  description="GTIN, UPC, EAN or ISBN; inferred from the length when empty"),
        FieldSpec("product_name", required=True, max_length=199),
        FieldSpec("brand", required=True, max_length=60),
        FieldSpec("category", required=True, max_length=100,
                  description="Walmart category the Visible section is keyed by, e.g. Clothing"),
        FieldSpec("short_description", required=True, max_length=100_000),
        FieldSpec("key_features", repeated=True, max_items=10, max_length=10_000),
        FieldSpec("main_image_url", required=True, max_length=2000, pattern=_URL),
        FieldSpec("secondary_image_urls", repeated=True, max_items=20, max_length=2000,
                  pattern=_URL),
        FieldSpec("shipping_weight", required=True, pattern=_DECIMAL,
                  description="ShippingWeight in pounds"),
        FieldSpec("must_ship_alone", allowed=YES_NO),
        FieldSpec("ships_in_original_packaging", allowed=YES_NO),
        FieldSpec("fulfillment_lag_time", pattern=r"\d{1,2}",
                  description="days between the order and its shipment"),
        FieldSpec("manufacturer", max_length=60),
        FieldSpec("manufacturer_part_number", max_length=60),
        FieldSpec("model_number", max_length=60),
        FieldSpec("color", max_length=600),
        FieldSpec("size", max_length=500),
        FieldSpec("material", max_length=1000),
        FieldSpec("pattern", max_length=600),
        FieldSpec("gender", max_length=100),
        FieldSpec("age_group", repeated=True, max_length=100),
        # Variant groups (families): every member carries the group id and the attributes the
        # members differ by; one member is the primary variant.
        FieldSpec("variant_group_id", max_length=300),
        FieldSpec("variant_attribute_names", repeated=True, max_items=5, pattern=_ATTRIBUTE,
                  description="Walmart attribute names the variants differ by, e.g. color, "
                              "clothingSize"),
        FieldSpec("is_primary_variant", allowed=YES_NO),
        FieldSpec("orderable_attributes",
                  description="a JSON object of further Orderable attributes in Walmart's shape"),
        FieldSpec("visible_attributes",
                  description="a JSON object of further Visible attributes in Walmart's shape"),
        # Sales terms, hashed apart: a price-only change is a price feed, a quantity-only change
        # an MP_INVENTORY feed (or PUT /v3/inventory for a few SKUs).
        FieldSpec("price", required=True, pattern=_DECIMAL, part="price"),
        FieldSpec("currency", allowed=CURRENCIES, part="price"),
        FieldSpec("quantity", pattern=r"\d+", part="quantity"),
    ),
)

__all__ = ["CURRENCIES", "PRODUCT_ID_TYPES", "SCHEMA", "YES_NO"]
