"""One channel as the sync engine sees it: settings, mapper, guardrails and (lazily) its adapter.

The mapper is anything with the mapping engine's shape (:class:`Mapper`); by default it is
``feedsync.mapping.engine.ChannelMapper.for_workspace(workspace, channel)``. Tests and the
contract suite pass their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from feedsync.adapter import Adapter, Capability
from feedsync.adapter_factory import adapter_settings, open_adapter
from feedsync.clock import utc_now
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.registry import adapter_class
from feedsync.sync.guardrails import Guardrails, load_guardrails

if TYPE_CHECKING:
    import sqlite_utils

    from feedsync.catalog import Catalog
    from feedsync.config import Workspace

# What the sync engine calls for "now": a feedsync.clock.Clock or any Callable[[], datetime].
Clock = Callable[[], datetime]

__all__ = ["ChannelBinding", "Mapper", "adapter_settings", "bind_channel", "load_mapper",
           "open_adapter", "render_version", "utc_now"]


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
) -> ChannelBinding:
    """Bind ``name``: validate its guardrails, load its mapper; the adapter comes lazily."""
    settings = workspace.channel(name)
    extra = settings.model_extra or {}
    rails = load_guardrails(name, extra.get("guardrails"), str(workspace.config_path))
    binding = ChannelBinding(
        name=name, account=settings.account, delivery=settings.delivery,
        workspace=workspace, db=db, mapper=mapper or load_mapper(workspace, name),
        guardrails=rails, clock=clock,
        adapter_cls=type(adapter) if adapter is not None else adapter_cls,
        extras=extras or {},
    )
    binding._adapter = adapter
    return binding
