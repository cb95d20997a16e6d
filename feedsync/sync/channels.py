"""One channel as the sync engine sees it: settings, mapper, guardrails and (lazily) its adapter.

The mapper is anything with the mapping engine's shape (:class:`Mapper`); by default it is
``feedsync.mapping.engine.ChannelMapper.for_workspace(workspace, channel)``. Tests and the
contract suite pass their own. ``bind_channel(..., defer_mapping=True)`` (``feedsync plan``)
binds a :class:`DeferredMapper` instead: the same mapper, compiled only when the plan has
something to render or cannot trust its last check of the mapping (issue #19).
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from feedsync.adapter_types import Capability
from feedsync.clock import utc_now
from feedsync.mapping.record import ENGINE_VERSION, MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.registry import adapter_class
from feedsync.sync.guardrails import Guardrails, load_guardrails

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.adapter import Adapter
    from feedsync.adapter_factory import adapter_settings, open_adapter
    from feedsync.catalog import Catalog
    from feedsync.config import Workspace
    from feedsync.mapping.engine import ChannelMapper

# What the sync engine calls for "now": a feedsync.clock.Clock or any Callable[[], datetime].
Clock = Callable[[], datetime]

__all__ = ["ChannelBinding", "DeferredMapper", "Mapper", "adapter_settings", "bind_channel",
           "load_mapper", "mapping_code_version", "open_adapter", "render_version", "utc_now"]


def __getattr__(name: str) -> Any:
    """``adapter_settings`` and ``open_adapter`` (re-exported) on first use: they import the
    adapter kit and its HTTP stack, which planning does not need (#19)."""
    if name in ("adapter_settings", "open_adapter"):
        from feedsync import adapter_factory

        return getattr(adapter_factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Mapper(Protocol):
    """What the sync engine needs from the mapping engine for one channel."""

    @property
    def schema(self) -> ChannelSchema:
        """The channel's field rules (``FieldSpec.part`` drives the part hashes)."""
        ...

    @property
    def version(self) -> str:
        """Changes whenever the mapping file (or anything it reads) changes."""
        ...

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None) -> Iterator[MappedRecord]:
        """One record per catalog SKU (only ``skus`` when given), excluded ones included."""
        ...


def load_mapper(workspace: Workspace, channel: str) -> Mapper:
    """The workspace's mapper for ``channel`` (the mapping engine's ChannelMapper)."""
    from feedsync.mapping.engine import ChannelMapper

    mapper: Mapper = ChannelMapper.for_workspace(workspace, channel)
    return mapper


class DeferredMapper:
    """The workspace's :class:`~feedsync.mapping.engine.ChannelMapper` for one channel,
    compiled on first use (:meth:`load`, or any use beyond ``schema`` and ``version``).

    ``schema`` comes from the channel package and ``version`` from the mapping file's bytes and
    the workspace settings — the digest ``ChannelMapper`` computes, without compiling (tested
    equal), so a plan with nothing to render needs neither the engine nor its import (#19).
    Anything the file cannot give cheaply (unreadable, not TOML) is left to the real mapper,
    which raises its usual error. :func:`feedsync.sync.plan.build_plan` loads it whenever its
    last successful check of this mapping version was not made by this code
    (:func:`mapping_code_version`), so a broken mapping is reported as before.
    """

    def __init__(self, workspace: Workspace, channel: str) -> None:
        from feedsync.registry import channel_schema

        self.channel = channel
        self.schema: ChannelSchema = channel_schema(channel, workspace.channel(channel).adapter)
        self._workspace = workspace
        self._mapper: ChannelMapper | None = None
        self._version: str | None = None

    @property
    def loaded(self) -> bool:
        """Whether the mapping has been compiled."""
        return self._mapper is not None

    def load(self) -> ChannelMapper:
        """The compiled mapper (ConfigError naming every problem if the mapping is invalid)."""
        if self._mapper is None:
            from feedsync.mapping.engine import ChannelMapper

            self._mapper = ChannelMapper.for_workspace(self._workspace, self.channel)
        return self._mapper

    @property
    def version(self) -> str:
        """``ChannelMapper.version`` of this mapping, computed without compiling it."""
        if self._version is None:
            self._version = self._quick_version() or self.load().version
        return self._version

    def _quick_version(self) -> str | None:
        # Mirrors ChannelMapper.__init__'s digest (feedsync/mapping/engine.py); a test keeps
        # the two equal for the shipped mappings and every input the digest reads.
        settings = self._workspace.settings
        try:
            raw = self._workspace.mapping_path(self.channel).read_bytes()
            data = tomllib.loads(raw.decode("utf-8", errors="replace"))
        except (OSError, tomllib.TOMLDecodeError):
            return None  # the real mapper says what is wrong
        store_name, store_url = settings.workspace.name, settings.workspace.store_url or ""
        digest = hashlib.sha256()
        for part in (raw, self.schema.version.encode(), ENGINE_VERSION.encode(),
                     settings.catalog.default_currency.encode(), store_name.encode(),
                     store_url.encode()):
            digest.update(part)
            digest.update(b"\x00")
        price = data.get("price")
        target = price.get("currency") if isinstance(price, dict) else None
        rates = settings.currency_rates
        if isinstance(target, str) and target and target in rates:
            digest.update(f"{target}={rates[target]}".encode())
        return digest.hexdigest()[:16]

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None) -> Iterator[MappedRecord]:
        """The compiled mapper's records (compiling it first)."""
        return self.load().map_catalog(catalog, skus=skus, now=now)

    def __getattr__(self, name: str) -> Any:
        # Anything else a caller asks of a ChannelMapper (rule_of, map_product …).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)


def mapping_code_version() -> str:
    """A fingerprint of the code that decides whether a mapping compiles: feedsync's version
    and the size and modification time of each module of :mod:`feedsync.mapping` (an upgrade
    or an edit changes it). A plan skips compiling an unchanged mapping only when its last
    check ran on the same code (see :class:`DeferredMapper`)."""
    import feedsync
    import feedsync.mapping

    digest = hashlib.blake2b(feedsync.__version__.encode(), digest_size=10)
    folder = Path(feedsync.mapping.__file__).parent
    with os.scandir(folder) as entries:
        found = sorted((e.name, e.stat()) for e in entries if e.name.endswith(".py"))
    for name, stat in found:
        digest.update(f"{name}\x00{stat.st_size}\x00{stat.st_mtime_ns}\x00".encode())
    return digest.hexdigest()


def render_version(mapper: Mapper, workspace: Workspace) -> str:
    """The version every cached render depends on: mapping, channel schema, currency rates."""
    digest = hashlib.blake2b(digest_size=10)
    rates = sorted((k, str(v)) for k, v in workspace.settings.currency_rates.items())
    for part in (mapper.version, mapper.schema.channel, mapper.schema.version, repr(rates)):
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass
class ChannelBinding:
    """A configured channel ready for planning and pushing."""

    name: str
    account: str
    delivery: str
    workspace: Workspace
    db: sqlite_utils.Database
    mapper: Mapper
    guardrails: Guardrails
    clock: Clock = utc_now
    adapter_cls: type[Adapter] | None = None
    _adapter: Adapter | None = field(default=None, repr=False)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def schema(self) -> ChannelSchema:
        """The channel schema (from the mapper)."""
        return self.mapper.schema

    @property
    def capabilities(self) -> Capability:
        """What the adapter declares (everything, when there is no adapter to ask)."""
        if self._adapter is not None:
            return type(self._adapter).capabilities
        if self.adapter_cls is not None:
            return self.adapter_cls.capabilities
        return Capability.API_PUSH | Capability.PRICE_QUANTITY | Capability.DELETE

    def adapter(self) -> Adapter:
        """The adapter instance (built on first use: it may read secrets)."""
        if self._adapter is None:
            from feedsync.adapter_factory import open_adapter

            if self.adapter_cls is None:
                self.adapter_cls = adapter_class(
                    self.name, self.workspace.channel(self.name).adapter)
            self._adapter = open_adapter(self.workspace, self.db, self.name,
                                         cls=self.adapter_cls, clock=self.clock,
                                         extras=self.extras)
        return self._adapter


def bind_channel(
    workspace: Workspace,
    db: sqlite_utils.Database,
    name: str,
    *,
    mapper: Mapper | None = None,
    adapter: Adapter | None = None,
    adapter_cls: type[Adapter] | None = None,
    clock: Clock = utc_now,
    extras: dict[str, Any] | None = None,
    defer_mapping: bool = False,
) -> ChannelBinding:
    """Bind ``name``: validate its guardrails, load its mapper; the adapter comes lazily.

    ``defer_mapping``: bind a :class:`DeferredMapper` (compiled when first needed; a mapping
    error then surfaces from :func:`~feedsync.sync.plan.build_plan`, not from here).
    """
    settings = workspace.channel(name)
    extra = settings.model_extra or {}
    rails = load_guardrails(name, extra.get("guardrails"), str(workspace.config_path))
    if mapper is None:
        mapper = DeferredMapper(workspace, name) if defer_mapping else load_mapper(workspace, name)
    binding = ChannelBinding(
        name=name, account=settings.account, delivery=settings.delivery,
        workspace=workspace, db=db, mapper=mapper,
        guardrails=rails, clock=clock,
        adapter_cls=type(adapter) if adapter is not None else adapter_cls,
        extras=extras or {},
    )
    binding._adapter = adapter
    return binding
