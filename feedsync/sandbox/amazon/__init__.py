"""Amazon Selling Partner API, emulated: Login with Amazon, Feeds (JSON_LISTINGS_FEED),
Listings Items (with searchListingsItems), Orders v2026-01-01 and v0 confirmShipment (see each
submodule's docstring)."""

from __future__ import annotations

from feedsync.sandbox.amazon.base import AmazonBase
from feedsync.sandbox.amazon.feeds import SCHEMA as FEEDS_SCHEMA
from feedsync.sandbox.amazon.feeds import FeedRoutes
from feedsync.sandbox.amazon.listings import SCHEMA as LISTINGS_SCHEMA
from feedsync.sandbox.amazon.listings import ListingRoutes
from feedsync.sandbox.amazon.orders import SCHEMA as ORDERS_SCHEMA
from feedsync.sandbox.amazon.orders import OrderRoutes
from feedsync.sandbox.amazon.search import SearchRoutes


class AmazonMarket(FeedRoutes, ListingRoutes, SearchRoutes, OrderRoutes, AmazonBase):
    """One seller account (``base.SELLER_ID``) on amazon.com."""

    schema = LISTINGS_SCHEMA + FEEDS_SCHEMA + ORDERS_SCHEMA


MARKETPLACE = AmazonMarket
