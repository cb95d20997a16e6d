"""Google Merchant Center feed files: RSS 2.0 XML (the default) and tab-separated text.

- XML: every attribute in the ``g:`` namespace (http://base.google.com/ns/1.0), repeated
  attributes as repeated elements, empty attributes left out
  (https://support.google.com/merchants/answer/14987622).
- TSV: a header row of attribute names, one item per line; several values of a repeated
  attribute in one cell, separated by commas, with commas inside URLs encoded as ``%2C``
  (https://support.google.com/merchants/answer/6324370).

The core finds these through :func:`feedsync.registry.channel_feed`.
"""

from __future__ import annotations

from feedsync.feeds import DelimitedFormat, FeedFormat, RssFormat

FEED_FORMATS: dict[str, FeedFormat] = {
    "xml": RssFormat(),
    "tsv": DelimitedFormat(name="tsv", delimiter="\t", quote_all=False,
                           media_type="text/tab-separated-values"),
}
