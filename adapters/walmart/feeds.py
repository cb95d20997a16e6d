"""Sending Walmart feeds and reading their status, step by step, resumable from the database.

A submission's ``detail["steps"]`` lists its feeds (``{"type", "id", "skus", "done"}``) so a later
run resumes exactly where this one stopped: feeds that take hours are never waited for in one
run (the core records the pending submission and polls it again next time).

- **Hourly quota per feed type** (limits.FEED_QUOTAS): a token of the feed type's bucket is taken
  before the upload, without waiting; when the hour is spent the upload is not attempted and
  :class:`QuotaSpent` says when the next one is possible (the SKUs are deferred with that note).
- **A 429 on the feed endpoint** is retried by the HTTP layer after Walmart's Retry-After; a
  wait longer than the request's budget becomes BudgetExhausted (deferred the same way).
- **A lost answer** (a 5xx or a timeout after the upload was sent): the feed may exist. The
  newest feeds are read back (GET /v3/feeds) and a feed of the same type submitted since the
  attempt is adopted — only when it is the one such feed that is not already feedsync's (a feed
  another batch sent or adopted, in this run or a recent one, is never claimed twice: Walmart's
  list does not say which SKUs a feed holds, so a second batch adopting the first one's feed
  would take its outcomes for SKUs that were never sent). If Walmart lists none, or several
  that could be this one, the feed is sent once more (another token of the hour's quota); a
  second failure fails the batch and its SKUs are planned again. Feeds set absolute values
  (REPLACE items, prices, quantities), so even a duplicate feed would change nothing.
- **Status**: page 0 of GET /v3/feeds/{id}?includeDetails=true says whether the feed is final;
  the item details are paged (≤ 50) only when Walmart reports failed items, since a final feed
  without failures accepted every SKU.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feedsync.adapters.walmart import feedstatus
from feedsync.adapters.walmart import limits as ops
from feedsync.adapters.walmart.client import WalmartClient

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import BudgetExhausted, TransientError
from feedsync.http import HttpClient
from feedsync.models import Issue, Severity

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger("feedsync.adapters.walmart")

# How Walmart names our feed types in the feed list (the getAllFeedStatuses example shows the
# legacy names "item" and "inventory" next to the MP_* ones).
LISTED_AS: dict[str, frozenset[str]] = {
    ops.MP_ITEM: frozenset({"mp_item", "item"}),
    ops.RETIRE_ITEM: frozenset({"retire_item"}),
    ops.PRICE: frozenset({"price"}),
    ops.MP_INVENTORY: frozenset({"mp_inventory", "inventory"}),
}
CLOCK_SKEW_MS = 5 * 60 * 1000  # Walmart's feedDate vs our clock


class QuotaSpent(Exception):
    """A feed type's hourly quota is used up (or Walmart's 429 asks for a longer wait)."""

    def __init__(self, feed_type: str, note: str) -> None:
        super().__init__(note)
        self.feed_type = feed_type
        self.note = note


@dataclass
class Step:
    """One feed of a submission, as kept in its detail."""

    type: str
    id: str
    skus: list[str]
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON for the submission detail."""
        return {"type": self.type, "id": self.id, "skus": self.skus, "done": self.done}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        """Rebuild from the submission detail."""
        return cls(type=str(data["type"]), id=str(data["id"]), skus=list(data["skus"]),
                   done=bool(data.get("done")))


def deferred(skus: Sequence[str], note: str, code: str = "feed_quota") -> list[ItemOutcome]:
    """Every SKU deferred to a later run, with the reason."""
    return [ItemOutcome(sku=sku, status=ItemStatus.DEFERRED, issues=[
        Issue(sku=sku, severity=Severity.WARNING, code=code, message=note, source="walmart")])
        for sku in skus]


RECENT_SUBMISSIONS = 1000  # a lost feed is minutes old: far more batches than an hour sends


def recorded_feed_ids(db: Database | None, channel: str, account: str) -> set[str]:
    """The ids of the feeds this channel account's recent submissions sent or adopted (each
    submission keeps its feeds in ``detail["steps"]``)."""
    if db is None or not db["submissions"].exists():  # no sync state: driven outside a push
        return set()
    ids: set[str] = set()
    for handle, detail in db.execute(
            "SELECT handle, detail FROM submissions WHERE channel = ? AND account = ?"
            " ORDER BY id DESC LIMIT ?", [channel, account, RECENT_SUBMISSIONS]).fetchall():
        if handle:
            ids.add(str(handle))
        try:
            steps = json.loads(detail or "{}").get("steps") or []
        except (ValueError, AttributeError):
            continue
        ids.update(str(step["id"]) for step in steps
                   if isinstance(step, dict) and step.get("id"))
    return ids


class FeedSender:
    """Uploads feeds within their quotas and reads their status."""

    def __init__(self, http: HttpClient, client: WalmartClient, sent: set[str] | None = None,
                 recorded: Callable[[], set[str]] | None = None) -> None:
        """``sent``: the feeds this run sent or adopted (every one sent here is added);
        ``recorded``: those of earlier runs, read only when an answer is lost."""
        self.http = http
        self.client = client
        self.sent = set() if sent is None else sent
        self.recorded = recorded or set

    # --- sending ------------------------------------------------------------------------------

    def take_quota(self, feed_type: str) -> None:
        """Take one upload of ``feed_type`` from its hourly quota now, or raise QuotaSpent."""
        bucket = self.http.throttle.bucket(ops.feed_operation(feed_type))
        if bucket is None:
            return
        try:
            bucket.reserve(1, max_wait=0.0)
        except BudgetExhausted as exc:
            quota = ops.FEED_QUOTAS.get(feed_type)
            retry_at = getattr(exc.deferral, "retry_at", None)
            when = (datetime.fromtimestamp(retry_at, UTC).strftime("%H:%M UTC")
                    if isinstance(retry_at, int | float) else "within the hour")
            raise QuotaSpent(feed_type, f"Walmart allows {quota} {feed_type} feeds an hour and "
                                        f"this hour's are used; the next can go at {when}, so "
                                        "these SKUs are sent by a later run") from None

    def send(self, feed_type: str, document: bytes, skus: list[str],
             params: dict[str, str] | None = None) -> Step:
        """Upload one feed (see the module docstring for quota, 429 and lost answers)."""
        for attempt in (1, 2):
            self.take_quota(feed_type)
            attempted_ms = int(self.http.clock.time() * 1000)
            try:
                body = self.client.upload_feed(feed_type, document, params=params)
            except BudgetExhausted as exc:  # a Retry-After longer than the request may wait
                raise QuotaSpent(feed_type, f"Walmart throttled the {feed_type} feed upload: "
                                            f"{exc.message}") from None
            except TransientError as exc:
                found = self.find_submitted(feed_type, attempted_ms)
                if len(found) == 1:
                    log.warning("walmart: the answer to a %s feed upload was lost (%s); "
                                "Walmart lists feed %s submitted since: adopted", feed_type,
                                exc.message, found[0])
                    return self._claimed(Step(type=feed_type, id=found[0], skus=skus))
                if attempt == 2:
                    raise
                why = ("lists no such feed" if not found else
                       f"lists {len(found)} feeds that could be it and cannot tell which")
                log.info("walmart: %s feed upload failed (%s) and Walmart %s: sent again",
                         feed_type, exc.message, why)
                continue
            return self._claimed(Step(type=feed_type, id=feedstatus.parse_feed_id(body),
                                      skus=skus))
        raise AssertionError("unreachable")

    def _claimed(self, step: Step) -> Step:
        self.sent.add(step.id)
        return step

    def find_submitted(self, feed_type: str, since_ms: int) -> list[str]:
        """The feeds of ``feed_type`` Walmart lists as submitted since ``since_ms`` that are
        not already feedsync's, newest first (empty when the list cannot be read)."""
        try:
            feeds, _total = feedstatus.parse_feed_list(self.client.list_feeds())
        except TransientError:
            return []
        names = LISTED_AS.get(feed_type, frozenset({feed_type.lower()}))
        ours = self.sent | self.recorded()
        matches = [f for f in feeds if str(f.feed_type or "").lower() in names
                   and (f.submitted_ms or 0) >= since_ms - CLOCK_SKEW_MS
                   and f.feed_id not in ours]
        matches.sort(key=lambda f: f.submitted_ms or 0, reverse=True)
        return [f.feed_id for f in matches]

    # --- status ---------------------------------------------------------------------------------

    def outcomes(self, step: Step, page_size: int, *, deleted: bool = False
                 ) -> list[ItemOutcome] | None:
        """The outcomes of a final feed, None while Walmart is still processing it.

        A SKU the status does not mention counts as accepted (core rule for DONE submissions)
        only when Walmart's counts say every item succeeded (none failed, none processing);
        otherwise it stays pending and is sent again. A feed refused as a whole for its data
        rejects every SKU with Walmart's errors; refused for Walmart's own reasons, every SKU
        is deferred (sent again by a later run).
        """
        first = feedstatus.parse_feed_status(self.client.feed_status(step.id, limit=page_size))
        if not first.final:
            log.info("walmart: %s", feedstatus.describe(first))
            return None
        if first.status == "ERROR" and not first.items:
            refused = feedstatus.feed_error_outcomes(first, step.skus)
            return refused if refused is not None else deferred(
                step.skus, f"Walmart could not process feed {step.id}; it is sent again",
                code="feed_error")
        results: dict[str, ItemOutcome] = {}
        all_succeeded = first.failed == 0 and first.processing == 0
        page = first
        while True:
            for row in page.items:
                sku = feedstatus.sku_of(row, step.skus)
                if sku is not None:
                    results[sku] = feedstatus.item_outcome(row, sku, deleted=deleted)
            # A PROCESSED feed may still count items as processing (itemsProcessing in
            # PartnerFeedResponse, us-mp-feeds.json): only when none failed and none is still
            # processing are the items past this page known to have succeeded.
            if all_succeeded or not page.details_left:
                break
            offset = page.offset + max(page.limit, len(page.items), 1)
            page = feedstatus.parse_feed_status(
                self.client.feed_status(step.id, offset=offset, limit=page_size))
        if all_succeeded:
            default = ItemStatus.DELETED if deleted else ItemStatus.ACCEPTED
            return [results.get(sku) or ItemOutcome(sku=sku, status=default)
                    for sku in step.skus]
        return [results.get(sku) or feedstatus.unread_outcome(sku, step.id)
                for sku in step.skus]
