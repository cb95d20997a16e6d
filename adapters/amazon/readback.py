"""Reading back a feed whose createFeed answer was lost (issue #16; feedsync.sync.readback).

createFeed is not idempotent: sent twice it creates two feeds and spends two of the few
JSON_LISTINGS_FEED submissions allowed per five minutes. When its answer is lost, the core asks
:func:`find_feed`, which lists this seller's JSON_LISTINGS_FEED feeds created since the attempt
started (``getFeeds`` with ``feedTypes`` and ``createdSince``,
https://developer-docs.amazon.com/sp-api/docs/feeds-api-v2021-06-30-reference#getfeeds) and:

* exactly one feed created in the window that is not one of ours (``known_handles``): that is
  the lost one; it is adopted as a pending submission and polled like any other;
* none, once :data:`SETTLE_SECONDS` have passed since the attempt: Amazon never received it
  (the SKUs are planned again);
* none yet, or several candidates (another tool submitting feeds for this seller at the same
  time): cannot tell; the attempt stays open and is asked about again next run.

getFeeds' usage plan is 0.0222 requests/s, burst 10: one call per lost answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from feedsync.adapters.amazon.client import FEED_TYPE, FEEDS, AmazonClient

from feedsync.adapter import Submission, SubmissionState
from feedsync.errors import ChannelError
from feedsync.models import Shipment
from feedsync.sync.readback import NOT_ARRIVED, Attempt, Verdict

GET_FEEDS = "getFeeds"
CLOCK_SKEW = timedelta(minutes=2)  # Amazon's clock and ours; createdSince is inclusive
SETTLE_SECONDS = 60.0  # a feed Amazon accepted is listed by getFeeds well within this


def find_feed(client: AmazonClient, attempt: Attempt, now: datetime,
              marketplace_ids: list[str]) -> Verdict:
    """The verdict on a lost createFeed (see the module docstring)."""
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
    if len(candidates) == 1:
        feed = candidates[0]
        return Submission(channel="amazon", handle=feed["feedId"],
                          state=SubmissionState.PENDING, skus=attempt.skus,
                          detail={"kind": "feed", "adopted": True,
                                  "messages": len(attempt.skus),
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
