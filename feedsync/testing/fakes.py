"""Fakes for engine and adapter tests: an in-memory channel, and mappers that need no mapping file.

- :class:`FakeChannel` holds items, counts calls, and can reject SKUs, defer them, refuse whole
  batches, fail transiently, refuse auth, answer asynchronously, or "crash" right after it took
  a batch (to test resumption).
- :class:`FakeMapper` maps catalog products to the fake channel's fields (``feedsync.testing.
  fake.schema``) with the mapping engine's semantics that matter to sync: stock, sale windows,
  overrides, exclusions, archived/draft status, a category filter, a title suffix per category
  (to simulate a mapping edit) and an error for a missing/over-long title.
- :class:`StaticMapper` serves given records (the contract suite uses it for any channel).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feedsync.adapter import (
    Action,
    Batch,
    ItemOutcome,
    ItemStatus,
    Submission,
    SubmissionState,
)
from feedsync.errors import AuthError, ChannelError, TransientError
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.models import Issue, ProductStatus, Severity
from feedsync.testing.fake.schema import SCHEMA as FAKE_SCHEMA

if TYPE_CHECKING:
    from feedsync.catalog import Catalog


class SimulatedCrash(BaseException):
    """Raised by :class:`FakeChannel` to imitate the process dying (not an ``Exception``, so
    nothing in the engine catches it, just like a kill)."""


@dataclass
class FakeChannel:
    """An in-memory marketplace. ``items`` is what it holds now, by SKU."""

    asynchronous: bool = False
    polls_needed: int = 1  # polls before an asynchronous batch is final
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)
    reject: dict[str, tuple[str, str]] = field(default_factory=dict)  # sku → (code, message)
    defer: set[str] = field(default_factory=set)
    refuse_batches: int = 0  # the next N submits are refused whole (ChannelError)
    transient_failures: int = 0  # the next N submits fail with TransientError
    auth_failure: bool = False
    crash_after_submit: int = 0  # the Nth submit from now takes the batch, then "crashes"
    crash_after_record: bool = False  # raise on the first poll (after the pending is stored)
    report_accepted: bool = True  # False: a synchronous answer lists only non-accepted items
    retain: bool = True  # False: keep no items or batches, only count calls (benchmarks)
    _jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _handles: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def submit_calls(self) -> int:
        """How many times ``submit`` reached the channel (including refused ones)."""
        return sum(1 for name, _ in self.calls if name == "submit")

    @property
    def request_count(self) -> int:
        """Every call (submits and polls)."""
        return len(self.calls)

    def submit(self, batch: Batch) -> Submission:
        """Take one batch: apply it now, or queue it when asynchronous."""
        self.calls.append(("submit", len(batch.items)))
        if self.auth_failure:
            raise AuthError("fake: 401 the access token is invalid")
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientError("fake: 503 service unavailable, retries exhausted")
        if self.refuse_batches:
            self.refuse_batches -= 1
            raise ChannelError("fake: 400 malformed batch", channel="fake", status=400)
        if self.retain:
            self.batches.append(batch)
        outcomes = [self._apply(item.sku, item.action, item.payload) for item in batch.items]
        if self.crash_after_submit:
            self.crash_after_submit -= 1
            if not self.crash_after_submit:
                raise SimulatedCrash("killed after the channel took the batch")
        if self.asynchronous:
            handle = f"job-{next(self._handles)}"
            self._jobs[handle] = {"outcomes": outcomes, "polls": 0}
            return Submission(channel="fake", handle=handle, state=SubmissionState.PENDING,
                              skus=batch.skus, detail={"handle": handle})
        if not self.report_accepted:  # like channels that only list their errors
            outcomes = [o for o in outcomes if o.status is not ItemStatus.ACCEPTED]
        return Submission(channel="fake", handle=None, state=SubmissionState.DONE,
                          skus=batch.skus, outcomes=outcomes)

    def poll(self, submission: Submission) -> Submission:
        """Report an asynchronous batch: pending until polled ``polls_needed`` times."""
        self.calls.append(("poll", submission.handle))
        if self.crash_after_record:
            self.crash_after_record = False
            raise SimulatedCrash("killed before the batch was polled")
        job = self._jobs[str(submission.detail["handle"])]
        job["polls"] += 1
        if job["polls"] < self.polls_needed:
            return submission
        return Submission(channel="fake", handle=submission.handle,
                          state=SubmissionState.DONE, skus=submission.skus,
                          outcomes=list(job["outcomes"]), detail=submission.detail)

    def _apply(self, sku: str, action: Action, payload: Any) -> ItemOutcome:
        if sku in self.defer:
            return ItemOutcome(sku=sku, status=ItemStatus.DEFERRED, issues=[Issue(
                sku=sku, severity=Severity.WARNING, code="budget",
                message="daily update budget spent", source="fake")])
        if sku in self.reject:
            code, message = self.reject[sku]
            return ItemOutcome(sku=sku, status=ItemStatus.REJECTED, issues=[Issue(
                sku=sku, severity=Severity.ERROR, code=code, message=message, source="fake")])
        if action is Action.DELETE:
            self.items.pop(sku, None)
            return ItemOutcome(sku=sku, status=ItemStatus.DELETED)
        data = dict(payload.get("data") or {})
        if action is Action.PRICE_QUANTITY:
            merged = dict(self.items.get(sku, {}))
            merged.update(data)
            data = merged
        if self.retain:
            self.items[sku] = data
        return ItemOutcome(sku=sku, status=ItemStatus.ACCEPTED, remote_id=f"fake:{sku}")


_default_channel = FakeChannel()


def default_channel() -> FakeChannel:
    """The channel a FakeAdapter uses when its context names none (CLI tests)."""
    return _default_channel


def reset_default_channel(channel: FakeChannel | None = None) -> FakeChannel:
    """Replace the default channel (call it at the start of a test)."""
    global _default_channel
    _default_channel = channel or FakeChannel()
    return _default_channel


def _in_sale(start: datetime | None, end: datetime | None, now: datetime) -> bool:
    def aware(moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment

    start, end = aware(start), aware(end)
    return (start is None or start <= now) and (end is None or now < end)


@dataclass
class FakeMapper:
    """Catalog products → fake channel records (see the module docstring)."""

    version: str = "1"
    schema: ChannelSchema = FAKE_SCHEMA
    channel: str = "fake"
    title_suffix: dict[str, str] = field(default_factory=dict)  # category → suffix
    exclude_categories: Collection[str] = ()
    calls: list[int] = field(default_factory=list)  # SKUs asked for, per call

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None) -> Iterator[MappedRecord]:
        """One record per requested catalog SKU."""
        now = now or datetime.now(UTC)
        if skus is None:
            products = catalog.iter_products()
            self.calls.append(-1)
        else:
            wanted = list(skus)
            self.calls.append(len(wanted))
            products = catalog.iter_products("sku IN (SELECT value FROM json_each(?))",
                                             [json.dumps(wanted)])
        for product in products:
            yield self._map(catalog, product, now)

    def _map(self, catalog: Catalog, product: Any, now: datetime) -> MappedRecord:
        sku = product.sku
        record = MappedRecord(sku=sku, channel=self.channel)
        excluded = catalog.exclusions(sku)
        if product.status is ProductStatus.ARCHIVED:
            record.included, record.exclusion = False, "archived"
        elif product.status is ProductStatus.DRAFT:
            record.included, record.exclusion = False, "status is draft"
        elif self.channel in excluded:
            record.included, record.exclusion = False, f"override: {excluded[self.channel]}"
        elif product.category in self.exclude_categories:
            record.included, record.exclusion = False, f"category {product.category!r}"
        available = catalog.available(sku)
        title = (product.title or "") + self.title_suffix.get(product.category, "")
        price = product.price
        fields: dict[str, Any] = {
            "id": sku, "title": title, "description": product.description,
            "link": product.link, "image_link": product.images[0] if product.images else None,
            "brand": product.brand, "gtin": product.gtin,
            "price": f"{price} {product.currency}",
        }
        if product.sale_price is not None and _in_sale(product.sale_start, product.sale_end,
                                                       now):
            fields["sale_price"] = f"{product.sale_price} {product.currency}"
        fields["quantity"] = str(max(available, 0))
        fields["availability"] = "in_stock" if available > 0 else "out_of_stock"
        fields.update(catalog.overrides(sku, self.channel))
        record.fields = {k: v for k, v in fields.items() if v not in (None, "")}
        if not title.strip() or len(title) > 150:
            record.issues.append(Issue(sku=sku, severity=Severity.ERROR, code="title_length",
                                       message="title must be 1-150 characters", field="title"))
        return record


@dataclass
class StaticMapper:
    """Serves fixed records by SKU (whatever the catalog says); ``version`` is settable."""

    schema: ChannelSchema
    records: dict[str, MappedRecord]
    version: str = "static-1"
    transform: Callable[[MappedRecord], MappedRecord] | None = None

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None) -> Iterator[MappedRecord]:
        """The stored records for ``skus`` (all when None), in SKU order."""
        wanted = sorted(self.records) if skus is None else sorted(set(skus) & set(self.records))
        for sku in wanted:
            record = self.records[sku]
            yield self.transform(record) if self.transform else record


class FakeChannelDouble:
    """The :class:`~feedsync.testing.contract.ChannelDouble` of the fake channel."""

    def __init__(self, channel: FakeChannel | None = None) -> None:
        self.channel = channel or FakeChannel()

    def context_extras(self) -> dict[str, Any]:
        """The adapter finds its channel here."""
        return {"fake_channel": self.channel}

    def reject(self, skus: Collection[str]) -> None:
        """Refuse these SKUs item by item."""
        for sku in skus:
            self.channel.reject[sku] = ("invalid_value", "the fake channel refuses this item")

    def fail_once_transiently(self) -> None:
        """The next submit fails (the fake has no HTTP layer to retry it)."""
        self.channel.transient_failures = 1

    def refuse_auth(self) -> None:
        """Every submit fails authentication."""
        self.channel.auth_failure = True

    @property
    def request_count(self) -> int:
        """Calls the channel received."""
        return self.channel.request_count
