"""Google Merchant Center product data: the feed attribute names, limits and allowed values.

Source: the product data specification (https://support.google.com/merchants/answer/7052112).
Feed attribute names are snake_case; the Merchant API v1 ``ProductAttributes`` uses the same
names in camelCase (``image_link`` → ``imageLink``) with a few plurals (``gtin`` → ``gtins``,
``additional_image_link`` → ``additionalImageLinks``, ``product_type`` → ``productTypes``) and
the id is ``ProductInput.offerId``; enumerations are the upper-case API enum values in lower
case (``in_stock`` ↔ ``IN_STOCK``). tests/mapping/test_channel_schemas.py checks all of this
against the official discovery document and protos.
"""

from __future__ import annotations

from feedsync.mapping.schema import ChannelSchema, FieldSpec, RequiredWhen

URL = r"https?://\S+"
PRICE = r"\d+(\.\d{1,4})? [A-Z]{3}"
# ISO 8601 interval: start/end, each a date-time with an offset or Z
INTERVAL = (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})"
            r"/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")
GTIN = r"\d{8}|\d{12,14}"
APPAREL = r"^\s*(apparel\s*&\s*accessories\b|(166|1604|187|167)\s*$)"
CLOTHING_OR_SHOES = (r"^\s*(apparel\s*&\s*accessories\s*>\s*(clothing|shoes)\b(?!\s+accessories)"
                     r"|(1604|187)\s*$)")

SCHEMA = ChannelSchema(
    channel="google",
    version="google-2026.2",
    fields=(
        FieldSpec("id", required=True, max_length=50, description="your SKU"),
        FieldSpec("title", required=True, max_length=150),
        FieldSpec("description", required=True, max_length=5000),
        FieldSpec("link", required=True, max_length=2000, pattern=URL,
                  description="an absolute http(s) URL"),
        FieldSpec("image_link", required=True, max_length=2000, pattern=URL,
                  description="an absolute http(s) URL"),
        FieldSpec("additional_image_link", repeated=True, max_items=10, max_length=2000,
                  pattern=URL, description="absolute http(s) URLs"),
        FieldSpec("availability", required=True, part="quantity",
                  allowed=frozenset({"in_stock", "out_of_stock", "preorder", "backorder"})),
        FieldSpec("price", required=True, part="price", pattern=PRICE,
                  description="amount and ISO 4217 currency, e.g. '12.99 USD'"),
        FieldSpec("sale_price", part="price", pattern=PRICE,
                  description="amount and ISO 4217 currency, e.g. '9.99 USD'"),
        FieldSpec("sale_price_effective_date", part="price", pattern=INTERVAL,
                  description="ISO 8601 start/end, e.g. 2026-11-01T00:00:00+00:00/"
                              "2026-11-30T23:59:59+00:00"),
        FieldSpec("google_product_category", max_length=750,
                  description="a Google product taxonomy id or path"),
        FieldSpec("product_type", max_length=750),
        FieldSpec("brand", max_length=70),
        FieldSpec("gtin", max_length=50, pattern=GTIN, description="8, 12, 13 or 14 digits"),
        FieldSpec("mpn", max_length=70),
        FieldSpec("identifier_exists", allowed=frozenset({"yes", "no"})),
        FieldSpec("condition", allowed=frozenset({"new", "refurbished", "used"})),
        FieldSpec("item_group_id", max_length=50),
        FieldSpec("color", max_length=100),
        FieldSpec("size", max_length=100),
        FieldSpec("gender", allowed=frozenset({"male", "female", "unisex"})),
        FieldSpec("age_group",
                  allowed=frozenset({"newborn", "infant", "toddler", "kids", "adult"})),
        FieldSpec("material", max_length=200),
        FieldSpec("pattern", max_length=100),
        FieldSpec("shipping_weight", pattern=r"\d+(\.\d+)? (lb|oz|g|kg)",
                  description="a number and lb, oz, g or kg, e.g. '1.5 kg'"),
        *(FieldSpec(f"custom_label_{n}", max_length=100) for n in range(5)),
    ),
    required_when=(
        # Apparel sold in Google's main markets (Brazil, France, Germany, Japan, the UK, the
        # US) needs gender, age group and color (https://support.google.com/merchants/answer/
        # 6324479, /6324463, /6324487); by category path or the ids 166 (Apparel &
        # Accessories), 1604 (Clothing), 187 (Shoes), 167 (Clothing Accessories).
        # A warning: the requirement depends on the countries targeted, which the feed does
        # not say; Google disapproves such items in those countries.
        RequiredWhen("google_product_category", APPAREL, ("gender", "age_group", "color"),
                     "for apparel sold in Brazil, France, Germany, Japan, the UK or the US",
                     error=False),
        # ... and size for clothing and shoes (https://support.google.com/merchants/answer/
        # 6324492).
        RequiredWhen("google_product_category", CLOTHING_OR_SHOES, ("size",),
                     "for clothing and shoes sold in Brazil, France, Germany, Japan, the UK "
                     "or the US", error=False),
    ),
)
