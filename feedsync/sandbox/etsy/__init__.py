"""Etsy Open API v3, emulated (see ``market`` for the routes, ``rules`` for what Etsy refuses)."""

from feedsync.sandbox.etsy.market import EtsyMarket

MARKETPLACE = EtsyMarket

__all__ = ["MARKETPLACE", "EtsyMarket"]
