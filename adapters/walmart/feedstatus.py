"""The feed-status answer (GET /v3/feeds/{feedId}?includeDetails=true) → per-SKU outcomes.

Format: ``PartnerFeedResponse`` in ../shared/specs/walmart/us-mp-feeds.json. ``feedStatus`` is
RECEIVED, INPROGRESS, PROCESSED or ERROR; each page of ``itemDetails.itemIngestionStatus`` (at
most 50) gives per item its ``sku``, its ``index`` in the feed, ``ingestionStatus`` (INPROGRESS,
SUCCESS, DATA_ERROR, SYSTEM_ERROR, TIMEOUT_ERROR) and ``ingestionErrors.ingestionError[]``
(``type``, ``code``, ``description``; Walmart's answers also carry a ``field`` the schema does
not list). Walmart's guidance (https://developer.walmart.com/us-marketplace/docs/
feed-management-api-overview): DATA_ERROR means the item data must be fixed; SYSTEM_ERROR and
TIMEOUT_ERROR mean "resubmit", so those SKUs are deferred (sent again by the next run) rather
than rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedsync.adapters.walmart.render import field_for

from feedsync.adapter import ItemOutcome, ItemStatus
from feedsync.errors import ChannelError
from feedsync.models import Issue, Severity

SOURCE = "walmart"
PENDING = frozenset({"RECEIVED", "INPROGRESS"})
FINAL = frozenset({"PROCESSED", "ERROR"})
RETRYABLE = frozenset({"SYSTEM_ERROR", "TIMEOUT_ERROR"})
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_QUOTED = re.compile(r"""['"‘“]([A-Za-z][A-Za-z0-9]*)['"’”]""")


@dataclass
class ItemRow:
    """One item's line of the feed status."""

    sku: str | None
    index: int | None
    status: str
    wpid: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FeedPage:
    """One page of a feed's status."""

    feed_id: str
    status: str
    received: int
    succeeded: int
    failed: int
    processing: int
    offset: int
    limit: int
    items: list[ItemRow]
    feed_errors: list[dict[str, Any]]

    @property
    def final(self) -> bool:
        """True once Walmart will not change this feed any more."""
        return self.status in FINAL

    @property
    def details_left(self) -> bool:
        """True when item details beyond this page exist."""
        return self.offset + max(self.limit, len(self.items), 1) < self.received


def _int(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        raise ChannelError(f"walmart feed status: {key} {value!r} is not a number",
                           channel=SOURCE) from None


def _errors(container: Any) -> list[dict[str, Any]]:
    if not isinstance(container, Mapping):
        return []
    found = container.get("ingestionError") or []
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def parse_feed_status(body: Any) -> FeedPage:
    """Parse one PartnerFeedResponse page (raises ChannelError on an unusable answer)."""
    if not isinstance(body, Mapping) or not body.get("feedStatus"):
        raise ChannelError("walmart feed status: the answer has no feedStatus", channel=SOURCE)
    status = str(body["feedStatus"])
    if status not in PENDING | FINAL:
        raise ChannelError(f"walmart feed status: unknown feedStatus {status!r}",
                           channel=SOURCE)
    details = body.get("itemDetails") or {}
    rows = []
    for raw in (details.get("itemIngestionStatus") or []) if isinstance(details, Mapping) else []:
        if not isinstance(raw, Mapping) or not raw.get("ingestionStatus"):
            raise ChannelError("walmart feed status: an item without ingestionStatus",
                               channel=SOURCE)
        index = raw.get("index")
        rows.append(ItemRow(sku=raw.get("sku"), index=index if isinstance(index, int) else None,
                            status=str(raw["ingestionStatus"]), wpid=raw.get("wpid"),
                            errors=_errors(raw.get("ingestionErrors"))))
    feed_errors = _errors(body.get("ingestionErrors"))
    feed_errors += [e for e in body.get("errors") or [] if isinstance(e, dict)]
    return FeedPage(feed_id=str(body.get("feedId") or ""), status=status,
                    received=_int(body, "itemsReceived"), succeeded=_int(body, "itemsSucceeded"),
                    failed=_int(body, "itemsFailed"), processing=_int(body, "itemsProcessing"),
                    offset=_int(body, "offset"), limit=_int(body, "limit"), items=rows,
                    feed_errors=feed_errors)


def named_field(error: Mapping[str, Any]) -> str | None:
    """The mapping field an ingestion error is about: its ``field`` when Walmart gives one,
    else the first Walmart attribute named in the description (quoted names first)."""
    mapped = field_for(str(error.get("field") or ""))
    if mapped:
        return mapped
    text = str(error.get("description") or "")
    for pattern in (_QUOTED, _WORD):
        for match in pattern.finditer(text):
            mapped = field_for(match.group(1) if pattern is _QUOTED else match.group(0))
            if mapped and mapped != "sku":
                return mapped
    return None


def to_issue(error: Mapping[str, Any], sku: str) -> Issue:
    """One ingestion error as an Issue naming the mapping field (DATA_ERROR blocks the SKU)."""
    kind = str(error.get("type") or "DATA_ERROR")
    severity = Severity.WARNING if kind in RETRYABLE else Severity.ERROR
    message = str(error.get("description") or kind)
    return Issue(sku=sku, severity=severity, code=str(error.get("code") or kind),
                 message=message, field=named_field(error), source=SOURCE)


def item_outcome(row: ItemRow, sku: str, *, deleted: bool = False) -> ItemOutcome:
    """A final item line as an outcome (INPROGRESS lines are pending)."""
    issues = [to_issue(error, sku) for error in row.errors]
    if row.status == "SUCCESS":
        status = ItemStatus.DELETED if deleted else ItemStatus.ACCEPTED
    elif row.status == "INPROGRESS":
        status = ItemStatus.PENDING
    elif row.status in RETRYABLE:
        status = ItemStatus.DEFERRED
        if not issues:
            issues = [Issue(sku=sku, severity=Severity.WARNING, code=row.status,
                            message=f"Walmart could not process the item ({row.status}); it is "
                                    "sent again by the next run", source=SOURCE)]
    else:
        status = ItemStatus.REJECTED
    return ItemOutcome(sku=sku, status=status, issues=issues, remote_id=row.wpid)


def unread_outcome(sku: str, feed_id: str) -> ItemOutcome:
    """A SKU the feed's item details never listed while Walmart's counts leave items failed or
    still processing: its fate is unknown, so it is pending (deferred, sent again) — never
    assumed accepted, which would also send its inventory."""
    return ItemOutcome(sku=sku, status=ItemStatus.PENDING, issues=[Issue(
        sku=sku, severity=Severity.WARNING, code="NOT_LISTED",
        message=f"Walmart's status of feed {feed_id} does not list this item yet; it is sent "
                "again by the next run", source=SOURCE)])


def sku_of(row: ItemRow, skus: Sequence[str]) -> str | None:
    """The SKU of a status line: Walmart's ``sku`` when it is ours, else by ``index``."""
    if row.sku and row.sku in skus:
        return row.sku
    if row.index is not None and 0 <= row.index < len(skus):
        return skus[row.index]
    return None


def feed_error_outcomes(page: FeedPage, skus: Sequence[str]) -> list[ItemOutcome] | None:
    """When Walmart refused the whole feed (feedStatus ERROR) for its data, every SKU is
    rejected with the feed-level errors; None when the errors are Walmart's own (the SKUs are
    then released and sent again)."""
    data = [e for e in page.feed_errors if str(e.get("type") or "DATA_ERROR") not in RETRYABLE
            and str(e.get("category") or "DATA") in ("DATA", "REQUEST")]
    if not data:
        return None
    return [ItemOutcome(sku=sku, status=ItemStatus.REJECTED,
                        issues=[to_issue(e, sku) for e in data]) for sku in skus]


def describe(page: FeedPage) -> str:
    """One line for logs and the submission detail."""
    return (f"feed {page.feed_id} {page.status}: {page.received} received, {page.succeeded} "
            f"succeeded, {page.failed} failed, {page.processing} processing")


def parse_feed_id(body: Any) -> str:
    """A feed submission's answer (``FeedId``): the feed id."""
    feed_id = body.get("feedId") if isinstance(body, Mapping) else None
    if not isinstance(feed_id, str) or not feed_id:
        raise ChannelError("walmart feed upload: no feedId in the answer", channel=SOURCE)
    return feed_id


@dataclass
class FeedRecord:
    """One feed of the feed list (GET /v3/feeds, ``FeedRecord``)."""

    feed_id: str
    feed_type: str | None
    status: str | None
    received: int
    submitted_ms: int | None


def parse_feed_list(body: Any) -> tuple[list[FeedRecord], int | None]:
    """A getAllFeedStatuses answer (``FeedRecordResponse``): its feeds and the total count.

    Used to resolve a feed upload whose answer was lost: a feed of the same type submitted
    since the attempt is the one that was created (see ``adapters.walmart.submit``)."""
    if not isinstance(body, Mapping):
        raise ChannelError("walmart feed list: the answer is not an object", channel=SOURCE)
    results = body.get("results") or {}
    feeds = []
    for raw in (results.get("feed") or []) if isinstance(results, Mapping) else []:
        if isinstance(raw, Mapping) and raw.get("feedId"):
            date = raw.get("feedDate")
            feeds.append(FeedRecord(feed_id=str(raw["feedId"]), feed_type=raw.get("feedType"),
                                    status=raw.get("feedStatus"),
                                    received=_int(raw, "itemsReceived"),
                                    submitted_ms=date if isinstance(date, int) else None))
    total = body.get("totalResults")
    return feeds, total if isinstance(total, int) else None
