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

The core builds what every adapter would otherwise repeat:

- the validated ``Config`` instance: the core validates ``[channels.<name>]`` once with the
  adapter's ``Config`` and hands the instance over; ``self.config`` is typed by the
  ``Adapter[MyConfig]`` parameter, and adapters never re-validate;
- the clock (``self.clock``, a :class:`feedsync.clock.Clock`, the same one the HTTP layer uses);
- the HTTP client (``self.http``), built on first use from what the adapter declares: ``api``
  (an :class:`HttpApi`: base URLs per environment, error table, rate-limit header hints),
  ``limits.operations``, :meth:`Adapter.http_auth` and :meth:`Adapter.require_api_config`;
  ``base_url`` in the channel's settings overrides the root (the sandbox, loopback tests).

Data a record cannot be rendered from raises :class:`RenderError` (per SKU, ``render_failed``);
any other exception from ``render_item`` is a bug and stops the channel loudly.

A new channel is one package in ``adapters/``, one mapping file in ``mappings/``, and a test
module that subclasses the shared contract suite in ``feedsync.testing``; docs/architecture.md
("Add a channel") lists the modules and the names the core looks up.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, SecretStr

# The plain data types and the Config bases live in their own modules, light to import (#19).
from feedsync.adapter_config import AdapterConfig, ApiConfig
from feedsync.adapter_types import (
    Action,
    Batch,
    Capability,
    ItemOutcome,
    ItemStatus,
    Limits,
    OrderPage,
    PlannedChange,
    RenderedItem,
    Submission,
    SubmissionState,
)
from feedsync.clock import Clock, as_clock
from feedsync.errors import ConfigError, RenderError
from feedsync.http import (
    BaseUrls,
    ErrorTable,
    HttpAuth,
    HttpClient,
    MemoryStateStore,
    RetryPolicy,
    SqliteStateStore,
    StateStore,
)
from feedsync.http.hints import DEFAULT_HINT_HOOKS, HintHook

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.config import Workspace

__all__ = [
    "Action",
    "Adapter",
    "AdapterConfig",
    "AdapterContext",
    "ApiConfig",
    "Batch",
    "Capability",
    "HttpApi",
    "ItemOutcome",
    "ItemStatus",
    "Limits",
    "OrderPage",
    "PlannedChange",
    "RenderError",
    "RenderedItem",
    "Submission",
    "SubmissionState",
]


@dataclass
class AdapterContext:
    """Everything an adapter instance may use; built by the core for one run.

    ``settings`` is the adapter's validated ``Config`` instance. ``clock`` is a
    :class:`~feedsync.clock.Clock` (a plain ``Callable[[], datetime]`` is wrapped in one).
    ``db`` may be None in unit tests that never touch the workspace (HTTP state is then kept
    in memory).
    """

    workspace: Workspace
    settings: BaseModel
    secrets: Mapping[str, SecretStr]
    db: sqlite_utils.Database | None
    clock: Clock | Callable[[], datetime]
    account: str = "default"
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.clock = as_clock(self.clock)


@dataclass(frozen=True)
class HttpApi:
    """What the core needs to build an adapter's :class:`~feedsync.http.HttpClient`.

    Declare it in the adapter's ``limits.py`` next to the operations it throttles:
    ``base_urls`` (documented roots per environment), ``error_table`` (the channel's answers
    → actions) and ``hints`` (hooks reading the channel's own rate-limit headers; Retry-After
    and ``x-ratelimit-reset`` are always read). ``retry`` overrides the default policy.
    """

    base_urls: BaseUrls
    error_table: ErrorTable = field(default_factory=ErrorTable)
    hints: tuple[HintHook, ...] = ()
    retry: RetryPolicy | None = None


ConfigT = TypeVar("ConfigT", bound=AdapterConfig)


class Adapter(ABC, Generic[ConfigT]):
    """Base class of every marketplace adapter. See the module docstring for the contract.

    Subclass it as ``class MyAdapter(Adapter[MyConfig])`` with ``Config = MyConfig``.
    """

    name: ClassVar[str]
    Config: ClassVar[type[AdapterConfig]] = AdapterConfig
    capabilities: ClassVar[Capability] = Capability.NONE
    limits: ClassVar[Limits] = Limits(max_batch_items=1)
    api: ClassVar[HttpApi | None] = None  # None: no HTTP API (file feeds only)

    def __init__(self, context: AdapterContext) -> None:
        config_cls = type(self).Config
        if not isinstance(context.settings, config_cls):
            raise TypeError(f"{type(self).__name__} needs its settings validated as "
                            f"{config_cls.__name__} (feedsync.sync.channels.open_adapter does "
                            f"that), got {type(context.settings).__name__}")
        self.context = context
        self.config: ConfigT = cast(ConfigT, context.settings)
        self._http: HttpClient | None = None

    # --- what the core builds -------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The run's clock (the HTTP layer waits on the same one)."""
        return cast(Clock, self.context.clock)

    def base_urls(self) -> BaseUrls:
        """The API's documented roots; override when they depend on the config (a region)."""
        if self.api is None:
            raise ConfigError(f"{self.name}: this channel has no API (use a feed file)")
        return self.api.base_urls

    def base_url(self) -> str:
        """The API root in use: ``base_url`` if set, else the configured environment's root."""
        override = getattr(self.config, "base_url", None)
        if override:
            return str(override)
        return self.base_urls().for_environment(
            str(getattr(self.config, "environment", "production")))

    def require_api_config(self) -> None:
        """Raise ConfigError naming every setting an API call needs and the config lacks."""

    def http_auth(self) -> HttpAuth | None:
        """The auth for API calls, from ``self.context.secrets`` (ConfigError if missing)."""
        return None

    @property
    def http(self) -> HttpClient:
        """The channel account's HTTP client, built on first use (it may read secrets)."""
        if self._http is None:
            self._http = self._build_http()
        return self._http

    def _build_http(self) -> HttpClient:
        api = self.api
        if api is None:
            raise ConfigError(f"{self.name}: this channel has no API (use a feed file)")
        self.require_api_config()
        db = self.context.db
        store: StateStore = SqliteStateStore(db) if db is not None else MemoryStateStore()
        return HttpClient(
            self.name, base_url=self.base_url(), account=self.context.account,
            auth=self.http_auth(), limits=self.limits.operations,
            error_table=api.error_table, state_store=store, clock=self.clock,
            retry=api.retry, hint_hooks=(*DEFAULT_HINT_HOOKS, *api.hints),
        )

    # --- what the adapter implements ------------------------------------------------------

    @abstractmethod
    def render_item(self, change: PlannedChange) -> RenderedItem:
        """Pure: one change → the channel's payload for it. Same input, same bytes.

        Raises :class:`RenderError` when the record's data cannot be rendered (reported for
        that SKU); anything else it raises is treated as a bug in the adapter.
        """

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
