"""eBay's documented limits, as data for the core's batching and the HTTP layer's buckets.

Every value carries the page that documents it. eBay publishes daily call quotas per
application and API, not per-second rates; a bucket refilling at the daily quota spread over
the day (with a burst of one bulk step) keeps a long run under the quota without slowing a
normal one, and a 429 (errorId 2001) still waits as told.
"""

from __future__ import annotations

import requests
from feedsync.adapters.ebay.config import HOSTS

from feedsync.adapter import HttpApi, Limits
from feedsync.http import Action, BaseUrls, ErrorTable, Rule, json_body
from feedsync.http.limits import OperationLimit

TOO_MANY_REQUESTS = 2001  # errorId of eBay's throttling answer
SYSTEM_ERROR = 25001  # "A system error has occurred"

# Bulk Inventory API calls take at most 25 entries each: bulkCreateOrReplaceInventoryItem,
# bulkGetInventoryItem, bulkCreateOffer, bulkPublishOffer and bulkUpdatePriceQuantity
# (https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item/methods/bulkCreateOrReplaceInventoryItem,
# .../offer/methods/bulkCreateOffer, .../offer/methods/bulkPublishOffer,
# .../inventory_item/methods/bulkUpdatePriceQuantity; maxItems in sell_inventory_v1_oas3.json
# descriptions: "Up to 25 …").
MAX_BULK_ITEMS = 25
# "Each listing can be revised up to 250 times in one calendar day" (bulk method notes,
# https://developer.ebay.com/api-docs/sell/inventory/resources/inventory_item/methods/bulkUpdatePriceQuantity).
# The core's per-key budget is a rolling 24 hours: never more permissive than a calendar day.
REVISIONS_PER_LISTING_PER_DAY = 250
# getOrders: limit 1..200 per page, offset paging
# (https://developer.ebay.com/api-docs/sell/fulfillment/resources/order/methods/getOrders).
ORDERS_PAGE_LIMIT = 200
# getOffers / getInventoryItems page sizes (limit parameter of each method).
OFFERS_PAGE_LIMIT = 100
# imageUrls: up to 24 pictures per listing; 12 per inventory item of a variation group
# (Product.imageUrls in sell_inventory_v1_oas3.json).
MAX_IMAGES = 24
MAX_GROUP_VARIANT_IMAGES = 12
# Product.title "Max Length: 80", aspect name 40 / value 50 characters (Product.aspects).
MAX_TITLE = 80
MAX_ASPECT_NAME = 40
MAX_ASPECT_VALUE = 50
# Up to 45 item specifics per listing and five variation specifics
# (https://developer.ebay.com/devzone/xml/docs/reference/ebay/types/NameValueListArrayType.html).
MAX_ASPECTS = 45
MAX_VARIES_BY = 5

# Daily application quotas (https://developer.ebay.com/develop/get-started/api-call-limits).
INVENTORY_CALLS_PER_DAY = 2_000_000
FULFILLMENT_CALLS_PER_DAY = 100_000
DAY = 86_400.0

# Operation names: eBay's operationIds, so a 429 names what the docs name.
BULK_INVENTORY = "bulkCreateOrReplaceInventoryItem"
BULK_GET_INVENTORY = "bulkGetInventoryItem"
GET_INVENTORY_ITEMS = "getInventoryItems"
DELETE_INVENTORY_ITEM = "deleteInventoryItem"
BULK_CREATE_OFFER = "bulkCreateOffer"
UPDATE_OFFER = "updateOffer"
GET_OFFERS = "getOffers"
BULK_PUBLISH = "bulkPublishOffer"
WITHDRAW_OFFER = "withdrawOffer"
WITHDRAW_GROUP = "withdrawOfferByInventoryItemGroup"
BULK_PRICE_QUANTITY = "bulkUpdatePriceQuantity"
GET_GROUP = "getInventoryItemGroup"
PUT_GROUP = "createOrReplaceInventoryItemGroup"
PUBLISH_GROUP = "publishOfferByInventoryItemGroup"
GET_ORDERS = "getOrders"
GET_FULFILLMENTS = "getShippingFulfillments"
CREATE_FULFILLMENT = "createShippingFulfillment"
# The budget key of a listing revision (spent per SKU by the adapter, see adapter.py).
REVISION = "listingRevision"

INVENTORY_OPERATIONS = (BULK_INVENTORY, BULK_GET_INVENTORY, GET_INVENTORY_ITEMS,
                        DELETE_INVENTORY_ITEM, BULK_CREATE_OFFER, UPDATE_OFFER, GET_OFFERS,
                        BULK_PUBLISH, WITHDRAW_OFFER, WITHDRAW_GROUP, BULK_PRICE_QUANTITY,
                        GET_GROUP, PUT_GROUP, PUBLISH_GROUP)
FULFILLMENT_OPERATIONS = (GET_ORDERS, GET_FULFILLMENTS, CREATE_FULFILLMENT)


def _spread(per_day: int, burst: int) -> tuple[float, int]:
    return per_day / DAY, burst


_INV_RATE, _INV_BURST = _spread(INVENTORY_CALLS_PER_DAY, 50)
_FUL_RATE, _FUL_BURST = _spread(FULFILLMENT_CALLS_PER_DAY, 20)

OPERATIONS: tuple[OperationLimit, ...] = (
    *(OperationLimit(op, rate_per_second=_INV_RATE, burst=_INV_BURST)
      for op in INVENTORY_OPERATIONS if op != BULK_PRICE_QUANTITY),
    # The per-listing revision limit is spent per SKU through HttpClient.key_budget.
    OperationLimit(BULK_PRICE_QUANTITY, rate_per_second=_INV_RATE, burst=_INV_BURST),
    OperationLimit(REVISION, rate_per_second=_INV_RATE, burst=_INV_BURST,
                   per_key_daily_budget=REVISIONS_PER_LISTING_PER_DAY),
    *(OperationLimit(op, rate_per_second=_FUL_RATE, burst=_FUL_BURST)
      for op in FULFILLMENT_OPERATIONS),
)

LIMITS = Limits(max_batch_items=MAX_BULK_ITEMS, operations=OPERATIONS)



def _throttled(response: requests.Response) -> bool:
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("errorId") == TOO_MANY_REQUESTS for e in errors)


# eBay answers beyond the defaults (https://developer.ebay.com/api-docs/static/handling-error-messages.html):
# errorId 2001 "Too many requests" is throttling whatever the status it comes with, and a
# refusal before processing; errorId 25001 "A system error has occurred" is transient.
EBAY_RULES: tuple[Rule, ...] = (
    Rule(Action.RATE_LIMITED, when=_throttled, unprocessed=True,
         reason="eBay call limit reached (errorId 2001)"),
    Rule(Action.RETRY, status=(500, 599), code=str(SYSTEM_ERROR),
         reason="eBay system error 25001"),
)
API = HttpApi(base_urls=BaseUrls(production=HOSTS["production"], sandbox=HOSTS["sandbox"]),
              error_table=ErrorTable().extend(EBAY_RULES))

__all__ = ["API", "LIMITS", "MAX_BULK_ITEMS", "OPERATIONS", "REVISIONS_PER_LISTING_PER_DAY"]
