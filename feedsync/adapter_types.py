"""The adapter contract's plain data types: capabilities, limits, planned changes, batches,
submissions and their outcomes (see :mod:`feedsync.adapter` for the contract itself).

They live apart from :class:`~feedsync.adapter.Adapter` so that what only plans or reports
(``feedsync plan``, the sync reports) does not import the HTTP stack, pydantic and the adapter
kit with them (issue #19). :mod:`feedsync.adapter` re-exports every name: import them from there
unless start-up cost matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Flag, StrEnum, auto
from typing import Any

from feedsync.mapping.record import MappedRecord
from feedsync.models import Issue, Order

__all__ = ["Action", "Batch", "Capability", "ItemOutcome", "ItemStatus", "Limits", "OrderPage",
           "PlannedChange", "RenderedItem", "Submission", "SubmissionState"]


class Capability(Flag):
    """What a channel supports; the core only asks for what is declared."""

    NONE = 0
    FILE_FEED = auto()  # a scheduled feed file the channel fetches
    API_PUSH = auto()  # listings pushed through an API
    PRICE_QUANTITY = auto()  # a cheaper price/quantity-only update path
    DELETE = auto()  # remote delete of a listing
    ORDERS = auto()  # orders can be pulled
    ACKNOWLEDGE = auto()  # orders must be acknowledged after they are stored
    SHIPMENTS = auto()  # shipment confirmations can be pushed
    FETCH_LIVE = auto()  # what the channel shows now can be read back (reconcile)


@dataclass(frozen=True)
class Limits:
    """Documented limits of a channel (link the doc next to each value in the adapter)."""

    max_batch_items: int
    max_batch_bytes: int | None = None
    # Per-operation request rates; items are feedsync.http.OperationLimit.
    operations: tuple[Any, ...] = ()


class Action(StrEnum):
    """What the plan does to one SKU on one channel."""

    CREATE = "create"
    UPDATE = "update"  # content changed (may include price/quantity)
    PRICE_QUANTITY = "price_quantity"  # only price and/or quantity changed
    DELETE = "delete"


@dataclass(slots=True)
class PlannedChange:
    """One SKU's planned remote effect. ``record`` is None for deletes."""

    sku: str
    action: Action
    record: MappedRecord | None
    reason: str = ""
    remote_id: str | None = None
    changed_parts: frozenset[str] = frozenset()
    diff: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (old, new)


@dataclass(slots=True)
class RenderedItem:
    """One change rendered into the channel's payload for one item, with its size in bytes."""

    sku: str
    action: Action
    payload: Any
    size: int


@dataclass(slots=True)
class Batch:
    """Items the core grouped within the adapter's limits, sent by one ``submit``."""

    channel: str
    items: list[RenderedItem]

    @property
    def skus(self) -> list[str]:
        """SKUs in this batch, in order."""
        return [item.sku for item in self.items]


class ItemStatus(StrEnum):
    """A channel's verdict on one item of a submission."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PENDING = "pending"
    DELETED = "deleted"
    # Not taken now (e.g. a per-item daily budget is spent): the core keeps the change planned
    # and a later run sends it again; ``issues`` may say why.
    DEFERRED = "deferred"


@dataclass(slots=True)
class ItemOutcome:
    """The result for one SKU; rejected items carry the channel's issues."""

    sku: str
    status: ItemStatus
    issues: list[Issue] = field(default_factory=list)
    remote_id: str | None = None


class SubmissionState(StrEnum):
    """Lifecycle of a submitted batch (feeds and batch handles are asynchronous)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Submission:
    """A batch sent to a channel. ``handle`` is the channel's id for it (feed id, batch handle)
    and ``detail`` holds JSON-serialisable data the adapter needs to poll it, so a later run
    can resume it from the database.

    Outcomes (read by feedsync.sync.apply): in a DONE submission a SKU without an outcome
    counts as accepted, so channels that only list errors need not list successes; in a
    FAILED one it is released and re-planned by the next run. A rejected outcome without
    issues still gets one ("rejected"), so no SKU's failure is ever silent."""

    channel: str
    handle: str | None
    state: SubmissionState
    skus: list[str]
    outcomes: list[ItemOutcome] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class OrderPage:
    """One page of orders and the cursor value that is safe to store once the page is."""

    orders: list[Order]
    cursor: datetime | None = None
