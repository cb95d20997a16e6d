"""Walmart's documented quotas and sizes, as data for the core's batching and the HTTP layer.

Feeds are limited per feed type and hour, synchronous calls per minute. Each value carries the
page it comes from. Where two Walmart pages disagree the lower value is used (throttling before
Walmart says 429 is cheaper than a refused feed). Walmart also reports the state of an
operation's bucket on every answer (``x-current-token-count``, ``x-next-replenishment-time``,
https://developer.walmart.com/us-marketplace/docs/rate-limiting); :func:`replenishment_hint`
holds the bucket back until the replenishment time when the count reaches zero.
"""

from __future__ import annotations

import math

import requests
from feedsync.adapters.walmart.config import HOSTS
from feedsync.adapters.walmart.errors import ERROR_TABLE

from feedsync.adapter import HttpApi, Limits
from feedsync.http import BaseUrls, HintHook, RateHint
from feedsync.http.limits import OperationLimit

HOUR = 3600.0
MINUTE = 60.0

# --- feed types and their per-feed caps ------------------------------------------------------

MP_ITEM = "MP_ITEM"
RETIRE_ITEM = "RETIRE_ITEM"
PRICE = "price"
MP_INVENTORY = "MP_INVENTORY"

# Bulk Item Setup (itemBulkUploads in ../shared/specs/walmart/us-mp-items.json): "You can update
# 10,000 items at once; updates with more than 10,000 items are not supported. Keep feed sizes
# below 10 MB". RETIRE_ITEM goes through the same endpoint.
MAX_FEED_ITEMS = 10_000
MAX_ITEM_FEED_BYTES = 10 * 1000 * 1000
# Bulk price update (priceBulkUploads in us-mp-price.json): "up to 10,000 items … keeping the
# Feed sizes below 10 MB"; Walmart recommends at most 1,000 items for optimal processing time.
MAX_PRICE_FEED_BYTES = 10 * 1000 * 1000
RECOMMENDED_PRICE_FEED_ITEMS = 1_000
# Bulk inventory update: 5 MB per call (https://developer.walmart.com/doc/us/mp/us-mp-throttling,
# "Inventory | POST Bulk Inventory Update | 10 per hour | 5MB | 30 mins").
MAX_INVENTORY_FEED_BYTES = 5 * 1000 * 1000
# Bytes kept free for a feed's header and the punctuation around its items.
FEED_ENVELOPE_BYTES = 2048

# Hours Walmart documents for processing (same throttling page): items up to four hours,
# prices and inventory 30 minutes. Feeds are never waited for that long in one run.
PROCESSING_HOURS: dict[str, float] = {MP_ITEM: 4.0, RETIRE_ITEM: 4.0, PRICE: 0.5,
                                      MP_INVENTORY: 0.5}

# --- operation names (the operationId of the official OpenAPI files) -------------------------

TOKEN = "tokenAPI"
FEED_PREFIX = "feed:"  # "feed:MP_ITEM" …: one hourly bucket per feed type
GET_FEED_STATUS = "getFeedItemStatus"
GET_ALL_FEED_STATUSES = "getAllFeedStatuses"
GET_ALL_ITEMS = "getAllItems"
RETIRE_AN_ITEM = "retireAnItem"
UPDATE_INVENTORY = "updateInventoryForAnItem"
GET_INVENTORY = "getInventory"
GET_MULTI_NODE_INVENTORIES = "getMultiNodeInventoryForAllSkuAndAllShipNodes"
GET_ALL_ORDERS = "getAllOrders"
GET_AN_ORDER = "getAnOrder"
ACKNOWLEDGE = "acknowledgeOrders"
SHIPPING = "shippingUpdates"


def feed_operation(feed_type: str) -> str:
    """The throttled operation of one feed type (each type has its own hourly quota)."""
    return f"{FEED_PREFIX}{feed_type}"


def per_hour(count: int, operation: str) -> OperationLimit:
    """``count`` requests an hour, all of them usable at once (Walmart counts per hour)."""
    return OperationLimit(operation, rate_per_second=count / HOUR, burst=count)


def per_minute(count: int, operation: str) -> OperationLimit:
    """``count`` transactions per minute (Walmart's "TPM")."""
    return OperationLimit(operation, rate_per_second=count / MINUTE, burst=max(1, count // 10))


# Feed quotas per hour and feed type.
FEED_QUOTAS: dict[str, int] = {
    # https://developer.walmart.com/us-marketplace/docs/item-management-available-requests:
    # Bulk Item Setup "MP_ITEM - 10/hr".
    MP_ITEM: 10,
    # RETIRE_ITEM is not listed there; it shares the Bulk Item Setup endpoint, so it gets the
    # item feeds' quota.
    RETIRE_ITEM: 10,
    # https://developer.walmart.com/doc/us/mp/us-mp-throttling: "Prices | POST Bulk Price
    # Update | 10 per hour | 10MB | 30 mins".
    PRICE: 10,
    # The same throttling page gives bulk inventory 10 per hour; the item-management page lists
    # MP_INVENTORY at 50/hr. The lower value is used.
    MP_INVENTORY: 10,
}

OPERATIONS: tuple[OperationLimit, ...] = (
    *(per_hour(count, feed_operation(kind)) for kind, count in FEED_QUOTAS.items()),
    # item-management-available-requests: "All feed statuses API | 5000 TPM Shared with Feed
    # item status". One bucket for both, at the shared rate.
    per_minute(5000, GET_FEED_STATUS),
    per_minute(5000, GET_ALL_FEED_STATUSES),
    # item-management-available-requests: "Retire an Item API | 900 TPM".
    per_minute(900, RETIRE_AN_ITEM),
    # The pages consulted give no figure for these; conservative rates are declared and the
    # x-current-token-count / x-next-replenishment-time headers hold a bucket back when
    # Walmart says it is empty (replenishment_hint).
    per_minute(100, GET_ALL_ITEMS),
    per_minute(100, UPDATE_INVENTORY),
    per_minute(100, GET_INVENTORY),
    per_minute(100, GET_MULTI_NODE_INVENTORIES),
    per_minute(100, GET_ALL_ORDERS),
    per_minute(100, GET_AN_ORDER),
    per_minute(100, ACKNOWLEDGE),
    per_minute(100, SHIPPING),
    # A token lasts 15 minutes; one run asks for a few.
    per_minute(10, TOKEN),
)

# The core's batching: the item feed's caps (the largest feed); price and inventory batches
# are checked against their own byte caps when their feeds are written (adapter.feeds).
LIMITS = Limits(
    max_batch_items=MAX_FEED_ITEMS,
    max_batch_bytes=MAX_ITEM_FEED_BYTES - FEED_ENVELOPE_BYTES,
    operations=OPERATIONS,
)

# Orders: "limit … Cannot be larger than 200" (getAllOrders in us-mp-orders.json).
ORDERS_PAGE_LIMIT = 200
# Feed status details: "It cannot be more than 50 entities" (getFeedItemStatus, us-mp-feeds.json).
FEED_STATUS_PAGE_LIMIT = 50
# GET /v3/items: "limit … cannot be more than 50" (getAllItems, us-mp-items.json); the cursor
# pages hold up to 200 ("nextCursor: Used for pagination when more than 200 items").
ITEMS_PAGE_LIMIT = 50
# Access tokens live 900 s (tokenAPI example: "expires_in": 900); refreshed this many seconds
# before they expire, so a token never runs out between the check and a feed upload.
TOKEN_MARGIN_SECONDS = 120.0


def replenishment_hint(response: requests.Response, now: float) -> RateHint | None:
    """Walmart's ``x-current-token-count`` / ``x-next-replenishment-time`` (epoch milliseconds):
    when no token is left, hold the operation back until the replenishment time."""
    count = response.headers.get("x-current-token-count")
    when = response.headers.get("x-next-replenishment-time")
    if count is None or when is None:
        return None
    try:
        left, at = float(count), float(when)
    except ValueError:
        return None
    if not (math.isfinite(left) and math.isfinite(at)) or left > 0:
        return None
    until = at / 1000.0 if at > 1e11 else at  # milliseconds as documented; seconds tolerated
    if until <= now:
        return None
    return RateHint(block_until=until)


HINT_HOOKS: tuple[HintHook, ...] = (replenishment_hint,)
# What the core builds the HTTP client from: hosts, Walmart's error shapes, its bucket headers.
API = HttpApi(base_urls=BaseUrls(production=HOSTS["production"], sandbox=HOSTS["sandbox"]),
              error_table=ERROR_TABLE, hints=HINT_HOOKS)

__all__ = ["API", "ERROR_TABLE", "FEED_QUOTAS", "HINT_HOOKS", "LIMITS", "MAX_FEED_ITEMS",
           "OPERATIONS", "feed_operation", "replenishment_hint"]
