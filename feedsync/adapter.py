"""The adapter contract: what a marketplace adapter declares and the few methods it implements.

An adapter translates nothing itself (the mapping engine does) and decides nothing about
batching, dry-run, state, retries or throttling (the core does). It declares:

- ``name``, a pydantic ``Config`` for its keys under ``[channels.<name>]`` in feedsync.toml,
- ``capabilities`` (what the channel can do), and
- ``limits``: documented batch sizes and per-operation rates (``feedsync.http.OperationLimit``).

and implements:

- ``render_item(change)`` — pure: one planned change → one item payload (deterministic),
- ``submit(batch)`` — I/O: send one batch the core assembled within ``limits``,
- ``poll(submission)`` — I/O: asynchronous results mapped to per-SKU outcomes,
- ``pull_orders(since)`` — I/O, for channels with orders; parsing a payload is pure,
- optionally ``ack_orders``, ``push_shipments`` and ``fetch_live`` (reconcile).

A new channel is one package in ``adapters/`` (``schema.py`` with ``SCHEMA``, ``adapter.py`` with
``ADAPTER``), one mapping file in ``mappings/``, and a test module that subclasses the shared
contract suite in ``feedsync.testing``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Flag, StrEnum, auto
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from feedsync.mapping.record import MappedRecord
from feedsync.models import Issue, Order

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.config import Workspace


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


@dataclass
class AdapterContext:
    """Everything an adapter instance may use; built by the core for one run."""

    workspace: Workspace
    settings: BaseModel
    secrets: Mapping[str, SecretStr]
    db: sqlite_utils.Database
    clock: Callable[[], datetime]
    account: str = "default"
    extras: dict[str, Any] = field(default_factory=dict)


class AdapterConfig(BaseModel):
    """Base for an adapter's ``Config``: unknown keys are errors, named by the config loader."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    delivery: str = "file"
    mapping: str | None = None
    account: str = "default"
    adapter: str | None = None
    # [channels.<name>.guardrails] belongs to the sync engine (feedsync.sync.guardrails).
    guardrails: dict[str, Any] = Field(default_factory=dict)


class Adapter(ABC):
    """Base class of every marketplace adapter. See the module docstring for the contract."""

    name: ClassVar[str]
    Config: ClassVar[type[AdapterConfig]] = AdapterConfig
    capabilities: ClassVar[Capability] = Capability.NONE
    limits: ClassVar[Limits] = Limits(max_batch_items=1)

    def __init__(self, context: AdapterContext) -> None:
        self.context = context

    @abstractmethod
    def render_item(self, change: PlannedChange) -> RenderedItem:
        """Pure: one change → the channel's payload for it. Same input, same bytes."""

    @abstractmethod
    def submit(self, batch: Batch) -> Submission:
        """Send one batch; return a submission (final, or pending to be polled)."""

    def batch_key(self, item: RenderedItem) -> str:
        """Items with different keys never share a batch (e.g. a separate price/quantity
        endpoint); by default every action goes in the same batch."""
        return ""

    def poll(self, submission: Submission) -> Submission:
        """Ask the channel how a pending submission went (synchronous channels: as is)."""
        return submission

    def pull_orders(self, since: datetime) -> Iterator[OrderPage]:
        """Orders updated at or after ``since``, page by page (Capability.ORDERS)."""
        raise NotImplementedError(f"{self.name} has no order API")

    def ack_orders(self, order_ids: Sequence[str]) -> None:
        """Acknowledge orders already committed locally (Capability.ACKNOWLEDGE)."""
        raise NotImplementedError(f"{self.name} does not acknowledge orders")

    def push_shipments(self, shipments: Sequence[Any]) -> list[ItemOutcome]:
        """Confirm shipments (Capability.SHIPMENTS)."""
        raise NotImplementedError(f"{self.name} does not take shipments")

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """What the channel shows now for ``skus`` (Capability.FETCH_LIVE)."""
        raise NotImplementedError(f"{self.name} cannot read listings back")
