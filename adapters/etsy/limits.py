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

import math
from dataclasses import dataclass

import requests

from feedsync.adapter import Limits
from feedsync.http.hints import RateHint
from feedsync.http.limits import ANY_OPERATION, OperationLimit

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
    """A hint hook that reads Etsy's limit headers (see the module docstring).

    ``remaining_today`` is the last ``x-remaining-today`` seen (None before any answer);
    ``limit_per_day`` the last ``x-limit-per-day``. The per-second limit becomes the rate of
    the app-wide bucket; a day budget at zero blocks the bucket for ``retry-after`` seconds
    when Etsy says how long, else the HTTP layer's own daily budget decides.
    """

    remaining_today: int | None = None
    limit_per_day: int | None = None

    def __call__(self, response: requests.Response, now: float) -> RateHint | None:
        """Read one response's headers."""
        per_second = _int(response, LIMIT_PER_SECOND)
        remaining = _int(response, REMAINING_TODAY)
        per_day = _int(response, LIMIT_PER_DAY)
        if remaining is not None:
            self.remaining_today = remaining
        if per_day is not None:
            self.limit_per_day = per_day
        # A 429's retry-after is read by the HTTP layer's default hook.
        if per_second and math.isfinite(per_second):
            return RateHint(rate=float(per_second))
        return None


__all__ = ["LIMITS", "OPERATIONS", "BudgetWatch"]
