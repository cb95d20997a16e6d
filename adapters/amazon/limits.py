"""Amazon's documented limits, as data for the core's batching and the HTTP layer's buckets.

Rates are the default usage plans from each operation's Swagger model (tests check them against
../shared/specs/amazon) and the SP-API rate-limit pages; ``x-amzn-RateLimit-Limit`` response
headers adjust them at run time (feedsync.http). Amazon buckets are per selling-partner account
and application, which is what (channel, account, operation) keys give us.
"""

from __future__ import annotations

import requests
from feedsync.adapters.amazon.config import ENDPOINTS, SANDBOX_ENDPOINTS

from feedsync.adapter import HttpApi, Limits
from feedsync.http import Action, BaseUrls, ErrorTable, HintHook, Rule, json_body, rate_header_hint
from feedsync.http.limits import OperationLimit

# JSON_LISTINGS_FEED: at most 25,000 messages per feed (listings-feed-schema-v2.json maxItems)
# and feeds below 10 MiB (https://developer-docs.amazon.com/sp-api/docs/feeds-api-best-practices).
MAX_FEED_MESSAGES = 25_000
MAX_FEED_BYTES = 10 * 1024 * 1024
# Bytes kept free for the header and the list punctuation around the messages.
FEED_ENVELOPE_BYTES = 4096

# Operation names: the Swagger operationId, so a 429 names what the docs name.
SEARCH_ORDERS = "searchOrders"
GET_ORDER = "getOrder"
CONFIRM_SHIPMENT = "confirmShipment"
CREATE_FEED_DOCUMENT = "createFeedDocument"
CREATE_FEED = "createFeed"
GET_FEED = "getFeed"
GET_FEED_DOCUMENT = "getFeedDocument"
PUT_LISTINGS_ITEM = "putListingsItem"
PATCH_LISTINGS_ITEM = "patchListingsItem"
GET_LISTINGS_ITEM = "getListingsItem"
SEARCH_LISTINGS_ITEMS = "searchListingsItems"
VALIDATION_PREVIEW = "validationPreview"
LWA_TOKEN = "lwaToken"

OPERATIONS: tuple[OperationLimit, ...] = (
    # Orders API v2026-01-01 (orders_2026-01-01.json usage plans).
    OperationLimit(SEARCH_ORDERS, rate_per_second=0.0056, burst=20),
    OperationLimit(GET_ORDER, rate_per_second=0.5, burst=30),
    # Orders API v0 confirmShipment (the 2026-01-01 model has no shipment operation).
    OperationLimit(CONFIRM_SHIPMENT, rate_per_second=2.0, burst=10),
    # Feeds API 2021-06-30.
    OperationLimit(CREATE_FEED_DOCUMENT, rate_per_second=0.5, burst=15),
    # createFeed's generic plan is 0.0083/s burst 15, but JSON_LISTINGS_FEED (the only feed
    # type feedsync creates) has its own: five submissions per five minutes per region
    # (https://developer-docs.amazon.com/sp-api/changelog/update-feed-size-and-rate-limit-
    # changes-for-the-json_listings_feed). The tighter sustained rate of the two wins.
    OperationLimit(CREATE_FEED, rate_per_second=0.0083, burst=5),
    OperationLimit(GET_FEED, rate_per_second=2.0, burst=15),
    OperationLimit(GET_FEED_DOCUMENT, rate_per_second=0.0222, burst=10),
    # Listings Items API 2021-08-01.
    OperationLimit(PUT_LISTINGS_ITEM, rate_per_second=5.0, burst=10),
    OperationLimit(PATCH_LISTINGS_ITEM, rate_per_second=5.0, burst=5),
    OperationLimit(GET_LISTINGS_ITEM, rate_per_second=5.0, burst=10),
    # searchListingsItems (reconcile's read-back): 5 requests per second, burst 5
    # (listingsItems_2021-08-01.json usage plan).
    OperationLimit(SEARCH_LISTINGS_ITEMS, rate_per_second=5.0, burst=5),
    # put/patchListingsItem with mode=VALIDATION_PREVIEW: one request per second
    # (https://developer-docs.amazon.com/sp-api/changelog/update-listings-items-api-v2021-08-01-
    # now-supports-previewing-errors).
    OperationLimit(VALIDATION_PREVIEW, rate_per_second=1.0, burst=1),
)

LIMITS = Limits(
    max_batch_items=MAX_FEED_MESSAGES,
    max_batch_bytes=MAX_FEED_BYTES - FEED_ENVELOPE_BYTES,
    operations=OPERATIONS,
)

# Orders API pagination tokens expire after 24 hours (SearchOrdersResponse.pagination).
PAGINATION_TOKEN_TTL_SECONDS = 24 * 3600

# Every SP-API answer states the operation's current rate in ``x-amzn-RateLimit-Limit``
# (https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits): adopt it.
HINT_HOOKS: tuple[HintHook, ...] = (rate_header_hint("x-amzn-RateLimit-Limit"),)


def _token_expired(response: requests.Response) -> bool:
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return False
    text = " ".join(str(e.get("details", "")) + " " + str(e.get("message", ""))
                    for e in errors if isinstance(e, dict)).lower()
    return "access token" in text and "expired" in text


AMAZON_RULES: tuple[Rule, ...] = (
    Rule(Action.REFRESH_AUTH, status=403, when=_token_expired,
         reason="the access token expired"),
    Rule(Action.FAIL_SYSTEM, status=404, reason="not found"),
    Rule(Action.FAIL_SYSTEM, status=413, reason="request too large"),
    Rule(Action.FAIL_SYSTEM, status=415, reason="unsupported media type"),
)


# The roots depend on the region: AmazonAdapter.base_urls() picks the configured one.
API = HttpApi(base_urls=BaseUrls(production=ENDPOINTS["NA"], sandbox=SANDBOX_ENDPOINTS["NA"]),
              error_table=ErrorTable().extend(AMAZON_RULES), hints=HINT_HOOKS)

__all__ = ["AMAZON_RULES", "API", "HINT_HOOKS", "LIMITS", "MAX_FEED_BYTES", "MAX_FEED_MESSAGES",
           "OPERATIONS"]
