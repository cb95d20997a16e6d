"""The flat record the Etsy mapping produces, one per catalog SKU (an Etsy inventory product).

A listing is a family: every record names its family in ``listing_key`` and carries the
listing-level content (title, description, tags …, the same for every variant of a family in a
sane catalog; the first variant of a batch wins). The variant's own values are its ``sku``,
``price``, ``quantity`` and the values of its variation axes: ``color``, ``size``, ``pattern``
and ``material`` are filled by the mapping's ``[variants] attributes`` for variants only, so the
ones a record has are its family's axes (at most two: Etsy varies a listing on two properties).
``adapters.etsy.render`` turns records into createDraftListing / updateListing form bodies and
the updateListingInventory JSON.

Field rules: https://developers.etsy.com/documentation/reference#operation/createDraftListing
and ``adapters.etsy.text`` (title/tag/material characters).
"""

from __future__ import annotations

from feedsync.adapters.etsy import text

from feedsync.mapping.schema import ChannelSchema, FieldSpec

WHO_MADE = frozenset({"i_did", "someone_else", "collective"})
WHEN_MADE = frozenset({
    "made_to_order", "2020_2025", "2010_2019", "2006_2009", "before_2006", "2000_2005",
    "1990s", "1980s", "1970s", "1960s", "1950s", "1940s", "1930s", "1920s", "1910s", "1900s",
    "1800s", "1700s", "before_1700",
})
WEIGHT_UNITS = frozenset({"oz", "lb", "g", "kg"})
DIMENSION_UNITS = frozenset({"in", "ft", "mm", "cm", "m", "yd", "inches"})
# Variation axes a family may use (at most two: Etsy's inventory varies on two properties).
AXIS_FIELDS: tuple[str, ...] = ("color", "size", "pattern", "material")
MAX_AXES = 2

# Etsy prices: "a float equal to amount divided by divisor" (updateListingInventory);
# feedsync writes the decimal amount, without currency (the shop has one currency).
_PRICE = r"\d+(\.\d{1,2})?"
_DECIMAL = r"\d+(\.\d+)?"
_ID = r"[1-9]\d*"
# Parentheses are not allowed in inventory property values (updateListingInventory).
_PROPERTY_VALUE = r"[^()]+"

SCHEMA = ChannelSchema(
    channel="etsy",
    version="2025.02",
    id_field="sku",
    fields=(
        FieldSpec("sku", required=True, description="the inventory product's SKU"),
        FieldSpec("listing_key", required=True,
                  description="the family this SKU belongs to: one Etsy listing per family"),
        FieldSpec("title", required=True, max_length=text.TITLE_MAX, pattern=text.title_pattern(),
                  description="letters, numbers, punctuation, math symbols, spaces, ™ © ®; "
                              "each of % : & + at most once"),
        FieldSpec("description", required=True),
        FieldSpec("tags", repeated=True, max_items=text.TAGS_MAX, max_length=text.TAG_MAX,
                  pattern=text.tag_pattern(),
                  description="letters, numbers, spaces, - ' ™ © ®"),
        FieldSpec("materials", repeated=True, max_items=text.MATERIALS_MAX,
                  max_length=text.MATERIAL_MAX, pattern=text.material_pattern(),
                  description="letters, numbers and spaces only"),
        FieldSpec("taxonomy_id", pattern=_ID,
                  description="Etsy seller taxonomy id, from [categories] (else the channel's "
                              "taxonomy_id)"),
        FieldSpec("who_made", allowed=WHO_MADE),
        FieldSpec("when_made", allowed=WHEN_MADE),
        FieldSpec("is_supply", allowed=frozenset({"true", "false"})),
        FieldSpec("shop_section_id", pattern=_ID),
        FieldSpec("item_weight", pattern=_DECIMAL),
        FieldSpec("item_weight_unit", allowed=WEIGHT_UNITS),
        FieldSpec("item_length", pattern=_DECIMAL),
        FieldSpec("item_width", pattern=_DECIMAL),
        FieldSpec("item_height", pattern=_DECIMAL),
        FieldSpec("item_dimensions_unit", allowed=DIMENSION_UNITS),
        FieldSpec("images", repeated=True, max_items=10, pattern=r"https?://\S+",
                  description="image URLs, downloaded once and uploaded (at most 10)"),
        FieldSpec("color", max_length=50, pattern=_PROPERTY_VALUE),
        FieldSpec("size", max_length=50, pattern=_PROPERTY_VALUE),
        FieldSpec("pattern", max_length=50, pattern=_PROPERTY_VALUE),
        FieldSpec("material", max_length=50, pattern=_PROPERTY_VALUE),
        FieldSpec("price", required=True, pattern=_PRICE, part="price",
                  description="the amount in the shop's currency, e.g. 12.50"),
        FieldSpec("currency", pattern=r"[A-Z]{3}", part="price"),
        # Etsy takes 0 … 999 units per offering (Etsy's listing editor and the API refuse more:
        # https://developers.etsy.com/documentation/tutorials/listings); [quantity] max = 999.
        FieldSpec("quantity", required=True, pattern=r"\d{1,3}", part="quantity",
                  description="0 to 999"),
    ),
)

__all__ = ["AXIS_FIELDS", "SCHEMA", "WHEN_MADE", "WHO_MADE"]
