"""Etsy's documented limits, as data, and the response headers that report them.

https://developers.etsy.com/documentation/essentials/rate-limits: every app has a per-second
limit and a per-day limit, counted per API key over a sliding 24-hour window; the defaults are
10 requests per second and 10,000 requests per day. Each response reports them:

- ``x-limit-per-second`` / ``x-remaining-this-second``
- ``x-limit-per-day`` / ``x-remaining-today``

and a 429 carries ``retry-after`` (seconds). feedsync declares the defaults (so it throttles
before Etsy says 429, and counts the day's calls in the workspace database across runs) and
lets the headers correct them: :class:`BudgetWatch` learns the per-second rate and remembers
the calls left today, which :mod:`feedsync.adapters.etsy.budget` spends by priority.

Etsy has no bulk endpoints: every listing, inventory, image and receipt operation is one call,
so a batch is one listing (one catalog family).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from feedsync.adapter import HttpApi, Limits
from feedsync.http import BaseUrls, ErrorTable, HintHook, rate_header_hint
from feedsync.http.hints import RateHint
from feedsync.http.limits import ANY_OPERATION, OperationLimit

# https://developers.etsy.com/documentation/essentials/requests: every v3 call goes to
# https://api.etsy.com/v3/application/…; Etsy offers no sandbox environment (point base_url at
# a loopback server, e.g. `feedsync sandbox`, to try things offline).
API_BASE = "https://api.etsy.com"

DEFAULT_PER_SECOND = 10  # https://developers.etsy.com/documentation/essentials/rate-limits
DEFAULT_PER_DAY = 10_000  # same page: "10,000 requests per 24 hours" (sliding window)

# Header names (same page).
LIMIT_PER_SECOND = "x-limit-per-second"
REMAINING_THIS_SECOND = "x-remaining-this-second"
LIMIT_PER_DAY = "x-limit-per-day"
REMAINING_TODAY = "x-remaining-today"

# One batch carries the changed variants of one listing (batch_key = listing_key). The API
# reference documents no maximum number of inventory products; 400 is feedsync's cap per
# request. A larger family is split over several batches, each an inventory read-modify-write,
# so nothing is lost, only more calls are made.
MAX_PRODUCTS_PER_LISTING = 400
# A listing shows at most ten images (updateListing image_ids: "up to 10 images").
MAX_IMAGES = 10

# Operation names: the OpenAPI operationId, so a 429 or a deferral names what the docs name.
TOKEN = "oauthToken"
CREATE_DRAFT_LISTING = "createDraftListing"
UPDATE_LISTING = "updateListing"
DELETE_LISTING = "deleteListing"
GET_LISTING = "getListing"
GET_LISTINGS_BY_SHOP = "getListingsByShop"
GET_LISTING_INVENTORY = "getListingInventory"
UPDATE_LISTING_INVENTORY = "updateListingInventory"
UPLOAD_LISTING_IMAGE = "uploadListingImage"
GET_LISTING_IMAGES = "getListingImages"
DELETE_LISTING_IMAGE = "deleteListingImage"
GET_SHOP_RECEIPTS = "getShopReceipts"
GET_SHOP_RECEIPT = "getShopReceipt"
CREATE_RECEIPT_SHIPMENT = "createReceiptShipment"
DOWNLOAD_IMAGE = "downloadImage"  # the merchant's image host, not Etsy: not in Etsy's budget

OPERATIONS: tuple[OperationLimit, ...] = (
    # One app-wide bucket: Etsy counts every call of the key alike.
    OperationLimit(ANY_OPERATION, rate_per_second=DEFAULT_PER_SECOND, burst=DEFAULT_PER_SECOND,
                   daily_budget=DEFAULT_PER_DAY),
)

LIMITS = Limits(max_batch_items=MAX_PRODUCTS_PER_LISTING, operations=OPERATIONS)


def _int(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


@dataclass
class BudgetWatch:
    """A hint hook (one per client: it keeps state) that remembers Etsy's day budget.

    ``remaining_today`` is the last ``x-remaining-today`` seen (None before any answer);
    ``limit_per_day`` the last ``x-limit-per-day``. It returns no hint: the per-second rate is
    read by :data:`HINT_HOOKS`, a 429's ``retry-after`` by the HTTP layer.
    """

    remaining_today: int | None = None
    limit_per_day: int | None = None

    def __call__(self, response: requests.Response, now: float) -> RateHint | None:
        """Read one response's headers."""
        remaining = _int(response, REMAINING_TODAY)
        per_day = _int(response, LIMIT_PER_DAY)
        if remaining is not None:
            self.remaining_today = remaining
        if per_day is not None:
            self.limit_per_day = per_day
        return None


# The per-second limit Etsy states on every answer becomes the app-wide bucket's rate.
HINT_HOOKS: tuple[HintHook, ...] = (rate_header_hint(LIMIT_PER_SECOND),)

# Etsy's error body is {"error": "…"} (ErrorSchema), which the default table reads; its 401
# (expired token) refreshes, 403 needs a human, 400/409 reject the item.
ERROR_TABLE = ErrorTable()
API = HttpApi(base_urls=BaseUrls(production=API_BASE), error_table=ERROR_TABLE,
              hints=HINT_HOOKS)

__all__ = ["API", "ERROR_TABLE", "HINT_HOOKS", "LIMITS", "OPERATIONS", "BudgetWatch"]
