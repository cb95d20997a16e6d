"""The Meta catalog's product fields (channel ``facebook``): data-feed names, limits, values.

Source: Meta's product data specification
(https://www.facebook.com/business/help/120325381656392). Feed names differ from the Graph API's
``ProductItem`` fields for a few attributes (``id`` → ``retailer_id``, ``title`` → ``name``,
``link`` → ``url``, ``image_link`` → ``image_url``, ``additional_image_link`` →
``additional_image_urls``, ``mpn`` → ``manufacturer_part_number``, ``item_group_id`` →
``retailer_product_group_id``, ``google_product_category`` → ``category``); enumerations are the
Graph API's own values (``in stock``, with a space). tests/mapping/test_channel_schemas.py checks
names and values against Meta's published API specs.
"""

from __future__ import annotations

from feedsync.mapping.schema import ChannelSchema, FieldSpec

URL = r"https?://\S+"
# An amount with no exponent and the currency's decimals (two, or three for KWD and the like;
# the API path checks each currency's own precision): "12.5 USD" and "1e3 USD" are refused.
PRICE = r"\d+(\.\d{2,3})? [A-Z]{3}"
INTERVAL = (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})"
            r"/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")

SCHEMA = ChannelSchema(
    channel="facebook",
    version="facebook-2026.2",
    fields=(
        FieldSpec("id", required=True, max_length=100, description="your SKU"),
        FieldSpec("title", required=True, max_length=200),
        FieldSpec("description", required=True, max_length=9999),
        FieldSpec("availability", required=True, part="quantity",
                  allowed=frozenset({"in stock", "out of stock", "preorder",
                                     "available for order", "discontinued"})),
        FieldSpec("condition", required=True,
                  allowed=frozenset({"new", "refurbished", "used"})),
        FieldSpec("price", required=True, part="price", pattern=PRICE,
                  description="amount and ISO 4217 currency, e.g. '12.99 USD'"),
        FieldSpec("link", required=True, pattern=URL, description="an absolute http(s) URL"),
        FieldSpec("image_link", required=True, pattern=URL,
                  description="an absolute http(s) URL"),
        FieldSpec("brand", max_length=100),
        FieldSpec("google_product_category", max_length=750,
                  description="a Google product taxonomy id or path"),
        FieldSpec("fb_product_category", max_length=750,
                  description="a Meta product category id or path"),
        FieldSpec("quantity_to_sell_on_facebook", part="quantity", pattern=r"\d+",
                  description="a whole number of units"),
        FieldSpec("sale_price", part="price", pattern=PRICE,
                  description="amount and ISO 4217 currency, e.g. '9.99 USD'"),
        FieldSpec("sale_price_effective_date", part="price", pattern=INTERVAL,
                  description="ISO 8601 start/end"),
        FieldSpec("item_group_id", max_length=100),
        FieldSpec("gender", allowed=frozenset({"female", "male", "unisex"})),
        FieldSpec("color", max_length=200),
        FieldSpec("size", max_length=200),
        FieldSpec("age_group", allowed=frozenset({"adult", "all ages", "teen", "kids",
                                                  "toddler", "infant", "newborn"})),
        FieldSpec("material", max_length=200),
        FieldSpec("pattern", max_length=100),
        FieldSpec("gtin", max_length=70, pattern=r"\d{8}|\d{12,14}",
                  description="8, 12, 13 or 14 digits"),
        FieldSpec("mpn", max_length=100),
        FieldSpec("product_type", max_length=750),
        FieldSpec("additional_image_link", repeated=True, max_items=20, pattern=URL,
                  description="absolute http(s) URLs"),
        *(FieldSpec(f"custom_label_{n}", max_length=100) for n in range(5)),
    ),
    one_of=(("brand", "gtin", "mpn"),),
)
