"""eBay Sell APIs, emulated: OAuth refresh-token grant, Inventory API (items, groups, offers,
publishing, bulk price/quantity), Fulfillment API (orders, shipping fulfillments), buyers.

Written from eBay's documented contract (each submodule names its pages), not from feedsync's
adapter: the adapter runs against it unchanged through ``base_url``.
"""

from __future__ import annotations

from feedsync.sandbox.ebay.fulfillment import SCHEMA as ORDERS_SCHEMA
from feedsync.sandbox.ebay.fulfillment import FulfillmentRoutes
from feedsync.sandbox.ebay.store import SCHEMA as STORE_SCHEMA


class EbayMarket(FulfillmentRoutes):
    """One seller account (``base.SELLER``) on EBAY_US."""

    schema = STORE_SCHEMA + ORDERS_SCHEMA


MARKETPLACE = EbayMarket
