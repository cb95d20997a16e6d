"""Meta catalog data feed files: CSV (the default) and RSS XML.

- CSV: a header row of field names, then one item per line; values are double-quoted, as Meta
  asks for values holding whitespace or commas, and every row has every column
  (https://developers.facebook.com/docs/marketing-api/catalog/reference/#feed-format). Several
  image URLs go in one ``additional_image_link`` cell separated by commas
  (https://www.facebook.com/business/help/120325381656392).
- RSS XML: the fields Meta shares with Google use Google's ``g:`` namespace; Meta's own fields,
  and ``additional_image_link`` (one element per URL), are written without a prefix, as in the
  XML example of the catalog reference ("use it without prefix, such as video,
  additional_image_link"). Every field goes on its own line: Meta rejects lines over 5 MB.

The core finds these through :func:`feedsync.registry.channel_feed`.
"""

from __future__ import annotations

from feedsync.feeds import DelimitedFormat, FeedFormat, RssFormat

# Fields Meta defines and Google does not (Meta's catalog field reference), plus the one shared
# field Meta's XML example writes unprefixed. A test checks every Meta-only field of the
# facebook schema is listed here.
UNPREFIXED_XML_FIELDS: frozenset[str] = frozenset({
    "additional_image_link",
    "additional_variant_attribute",
    "commerce_tax_category",
    "fb_product_category",
    "importer_address",
    "importer_name",
    "internal_label",
    "inventory",
    "manufacturer_info",
    "origin_country",
    "quantity_to_sell_on_facebook",
    "return_policy_info",
    "rich_text_description",
    "status",
    "video",
    "visibility",
    "wa_compliance_category",
})

FEED_FORMATS: dict[str, FeedFormat] = {
    "csv": DelimitedFormat(name="csv", delimiter=",", quote_all=True),
    "xml": RssFormat(unprefixed=UNPREFIXED_XML_FIELDS),
}
