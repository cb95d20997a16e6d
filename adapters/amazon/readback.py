"""Reading back a feed whose createFeed answer was lost (issue #16; feedsync.sync.readback).

createFeed is not idempotent: sent twice it creates two feeds and spends two of the few
JSON_LISTINGS_FEED submissions allowed per five minutes. When its answer is lost, the core asks
:func:`find_feed`, which lists this seller's JSON_LISTINGS_FEED feeds created since the attempt
started (``getFeeds`` with ``feedTypes`` and ``createdSince``,
https://developer-docs.amazon.com/sp-api/docs/feeds-api-v2021-06-30-reference#getfeeds) and:

* exactly one feed created in the window that is not one of ours (``known_handles``, which
  includes feeds other lost attempts adopted) that no other open feed attempt of this account
  could have created (``others``, by ``createdTime``, see :func:`rivals`): that is the lost
  one; it is adopted as a pending submission and polled like any other;
* none, once :data:`SETTLE_SECONDS` have passed since the attempt: Amazon never received it
  (the SKUs are planned again);
* none yet, several candidates (another tool submitting feeds for this seller at the same
  time), or more open attempts than candidates (two lost answers, one feed: which batch
  arrived cannot be told): the attempt stays open and is asked about again next run.

An attempt sent as patchListingsItem calls (a few price/quantity SKUs,
``AmazonConfig.patch_api_max_items``) is idempotent per SKU: it is answered NOT_ARRIVED at
once, so its SKUs are simply sent again; it never takes a feed.

getFeeds' usage plan is 0.0222 requests/s, burst 10: one call per lost answer.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils
from feedsync.adapters.amazon.client import FEED_TYPE, FEEDS, AmazonClient

from feedsync.adapter import Submission, SubmissionState
from feedsync.errors import ChannelError
from feedsync.models import Shipment
from feedsync.sync.readback import NOT_ARRIVED, Attempt, Verdict

GET_FEEDS = "getFeeds"
CLOCK_SKEW = timedelta(minutes=2)  # Amazon's clock and ours; createdSince is inclusive
SETTLE_SECONDS = 60.0  # a feed Amazon accepted is listed by getFeeds well within this


# Attempt recorded → createFeed: document upload and rate waits between, bounded by the push's
# time box ([sync] max_push_seconds, 600 s by default); 30 minutes leaves a wide margin.
SEND_SPAN = timedelta(minutes=30)
PATCH_KIND = "patchListingsItem"


def is_patch_attempt(attempt: Attempt, patch_api_max_items: int | None) -> bool:
    """Whether ``attempt`` went out as idempotent patchListingsItem calls, not a feed: as the
    adapter noted before sending, else (older records) as ``submit`` chooses the path."""
    kind = attempt.detail.get("kind")
    if kind is not None:
        return kind == PATCH_KIND
    return (patch_api_max_items is not None and 0 < len(attempt.skus) <= patch_api_max_items
            and all(a == "price_quantity" for a in attempt.actions.values()))


def rivals(attempt: Attempt, feed: dict[str, Any],
           patch_api_max_items: int | None) -> list[Attempt]:
    """The account's other open feed attempts that could have created ``feed``: its
    ``createdTime`` falls between their start and :data:`SEND_SPAN` later (clock skew either
    side); every one of them when Amazon gives no createdTime."""
    created = _created(feed)
    return [o for o in attempt.others if not is_patch_attempt(o, patch_api_max_items) and (
        created is None or o.started_at - CLOCK_SKEW <= created
        <= o.started_at + SEND_SPAN + CLOCK_SKEW)]


def _created(feed: dict[str, Any]) -> datetime | None:
    stamp = feed.get("createdTime")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def message_order(attempt: Attempt, catalog: sqlite_utils.Database | None
                  ) -> tuple[list[str], dict[str, str]] | None:
    """The SKU of each message of the attempt's feed, in order (variation parents the adapter
    inserted included), and child → parent: as noted before createFeed was sent. An attempt
    recorded before that note existed sent its SKUs in plan order (sorted), unless a variation
    parent was inserted, which shifts every message number after it: None for a batch with a
    SKU of a catalog family (or when the catalog cannot be read), so it is not adopted."""
    noted = attempt.detail.get("message_skus")
    if isinstance(noted, list) and sorted(set(noted) & set(attempt.skus)) == sorted(attempt.skus):
        children = attempt.detail.get("children")
        return [str(s) for s in noted], dict(children) if isinstance(children, dict) else {}
    if catalog is None or not attempt.skus:
        return None
    marks = ", ".join("?" for _ in attempt.skus)
    try:
        family = catalog.execute(
            f"SELECT 1 FROM products WHERE sku IN ({marks}) AND COALESCE(item_group_id, '')"
            " != '' LIMIT 1", list(attempt.skus)).fetchone()
    except sqlite3.OperationalError:  # no catalog tables: cannot tell
        return None
    return None if family else (list(attempt.skus), {})


def find_feed(client: AmazonClient, attempt: Attempt, now: datetime,
              marketplace_ids: list[str], patch_api_max_items: int | None = None,
              catalog: sqlite_utils.Database | None = None) -> Verdict:
    """The verdict on a lost createFeed (see the module docstring)."""
    if is_patch_attempt(attempt, patch_api_max_items):
        return NOT_ARRIVED  # idempotent per-SKU patches: sending them again is harmless
    waited = (now - attempt.started_at).total_seconds()
    if attempt.asked_at is not None and waited < SETTLE_SECONDS:
        return None  # asked already and found nothing; ask again once it has settled
    since = (attempt.started_at - CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")
    params: dict[str, Any] = {"feedTypes": FEED_TYPE, "createdSince": since, "pageSize": 100,
                              "marketplaceIds": ",".join(marketplace_ids)}
    response = client.http.get(f"{FEEDS}/feeds", operation=GET_FEEDS, params=params)
    body = response.json() if response.content else {}
    feeds = body.get("feeds") if isinstance(body, dict) else None
    if not isinstance(feeds, list):
        raise ChannelError("amazon getFeeds: no 'feeds' list in the answer", channel="amazon")
    candidates = [f for f in feeds if isinstance(f, dict) and isinstance(f.get("feedId"), str)
                  and f["feedId"] not in attempt.known_handles
                  and f.get("feedType", FEED_TYPE) == FEED_TYPE]
    # One arrival and two lost attempts that could have made it: which batch arrived cannot
    # be told, and adopting it for the wrong one marks a batch Amazon never got accepted.
    if len(candidates) == 1 and not rivals(attempt, candidates[0], patch_api_max_items):
        order = message_order(attempt, catalog)
        if order is None:
            return None  # the report could not be tied to SKUs: undecided, never guessed
        message_skus, children = order
        feed = candidates[0]
        return Submission(channel="amazon", handle=feed["feedId"],
                          state=SubmissionState.PENDING, skus=attempt.skus,
                          detail={"kind": "feed", "adopted": True,
                                  "messages": len(message_skus),
                                  "message_skus": message_skus, "children": children,
                                  "deleted": [s for s, a in attempt.actions.items()
                                              if a == "delete"]})
    if not candidates and waited >= SETTLE_SECONDS:
        return NOT_ARRIVED
    return None


def find_package(client: AmazonClient, shipment: Shipment, attempted_at: datetime,
                 now: datetime, reference_id: str) -> bool | None:
    """Whether Amazon already holds the package of a confirmShipment whose answer was lost.

    getOrder with ``includedData=PACKAGES`` (Orders API v2026-01-01, ``Order.packages``, only
    for merchant-fulfilled orders) lists the order's packages with their tracking number and
    ``packageReferenceId``; feedsync's reference id is stable per (order, tracking number).
    Not listed yet within :data:`SETTLE_SECONDS` of the attempt: cannot tell (None).
    """
    order = client.get_order(shipment.order_id, ["PACKAGES"])
    packages = order.get("packages") or []
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict):
            continue
        if (str(package.get("packageReferenceId")) == reference_id
                or (package.get("trackingNumber") or "") == shipment.tracking_number):
            return True
    if (now - attempted_at).total_seconds() >= SETTLE_SECONDS:
        return False
    return None
