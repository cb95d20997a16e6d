"""Walmart Marketplace (US), emulated: the client-credentials token, feeds (MP_ITEM, RETIRE_ITEM,
price, MP_INVENTORY) processed asynchronously with per-item ingestion errors, items and
inventory, purchase orders with acknowledgement and shipping, buyers.

Written from Walmart's documented contract (each submodule names its pages and the official
OpenAPI files in ../shared/specs/walmart), not from feedsync's adapter: the adapter runs against
it unchanged through ``base_url``.
"""

from __future__ import annotations

from feedsync.sandbox.walmart.feeds import SCHEMA as FEEDS_SCHEMA
from feedsync.sandbox.walmart.orders import SCHEMA as ORDERS_SCHEMA
from feedsync.sandbox.walmart.orders import OrderRoutes


class WalmartMarket(OrderRoutes):
    """One seller account (``base.SELLER``, ship node ``base.SHIP_NODE``)."""

    schema = FEEDS_SCHEMA + ORDERS_SCHEMA


MARKETPLACE = WalmartMarket
