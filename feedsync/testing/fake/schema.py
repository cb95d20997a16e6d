"""The fake channel's record: a small Google-like field set with all three parts."""

from __future__ import annotations

from feedsync.mapping.schema import ChannelSchema, FieldSpec

SCHEMA = ChannelSchema(
    channel="fake",
    version="1",
    fields=(
        FieldSpec("id", required=True, max_length=50),
        FieldSpec("title", required=True, max_length=150),
        FieldSpec("description", max_length=5000),
        FieldSpec("link"),
        FieldSpec("image_link"),
        FieldSpec("brand"),
        FieldSpec("gtin"),
        FieldSpec("price", required=True, part="price"),
        FieldSpec("sale_price", part="price"),
        FieldSpec("quantity", part="quantity"),
        FieldSpec("availability", part="quantity",
                  allowed=frozenset({"in_stock", "out_of_stock"})),
    ),
)
