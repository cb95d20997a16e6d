"""The file channel's record: an id, a title, a price and a quantity."""

from feedsync.mapping.schema import ChannelSchema, FieldSpec

SCHEMA = ChannelSchema(
    channel="fake",
    version="1",
    fields=(
        FieldSpec("id", required=True),
        FieldSpec("title", required=True, max_length=150),
        FieldSpec("price", required=True, part="price"),
        FieldSpec("quantity", required=True, part="quantity", pattern=r"\d+"),
    ),
)
