"""Opening a channel's adapter: its class, its settings validated once, its context.

The one place the core instantiates adapters (the sync engine, the orders loop, feed builders
that need an adapter's settings): ``[channels.<name>]`` is validated with the adapter's
``Config`` here, and the adapter receives the validated instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from feedsync.adapter import Adapter, AdapterConfig, AdapterContext
from feedsync.clock import Clock, as_clock
from feedsync.errors import ConfigError
from feedsync.registry import adapter_class

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    import sqlite_utils

    from feedsync.config import Workspace

__all__ = ["CORE_KEYS", "adapter_settings", "open_adapter"]

# Keys of [channels.<name>] that belong to the core rather than to the adapter's Config.
CORE_KEYS = ("guardrails",)


def adapter_settings(workspace: Workspace, channel: str,
                     cls: type[Adapter[Any]] | None = None) -> AdapterConfig:
    """``[channels.<channel>]`` validated once with ``cls.Config`` (the core's keys removed).

    ``cls`` defaults to the channel's registered adapter class. Raises ConfigError naming the
    file and every bad key.
    """
    settings = workspace.channel(channel)
    cls = cls or adapter_class(channel, settings.adapter)
    raw = settings.model_dump()
    for key in CORE_KEYS:
        raw.pop(key, None)
    try:
        return cls.Config.model_validate(raw)
    except ValidationError as exc:
        source = workspace.config_path
        problems = [
            f"{source}: channels.{channel}."
            + ".".join(str(p) for p in err["loc"])
            + (": unknown key" if err["type"] == "extra_forbidden" else f": {err['msg']}")
            for err in exc.errors()
        ]
        raise ConfigError(f"{source}: invalid settings for channel {channel!r}",
                          problems) from None


def open_adapter(workspace: Workspace, db: sqlite_utils.Database | None, channel: str, *,
                 cls: type[Adapter] | None = None,
                 clock: Clock | Callable[[], datetime] | None = None,
                 extras: dict[str, Any] | None = None) -> Adapter:
    """An adapter instance for ``channel``: its class (``cls`` or the registry's), its validated
    settings, secrets, database and clock. The one place the core instantiates adapters."""
    settings = workspace.channel(channel)
    cls = cls or adapter_class(channel, settings.adapter)
    context = AdapterContext(
        workspace=workspace, settings=adapter_settings(workspace, channel, cls),
        secrets=workspace.secrets(channel), db=db, clock=as_clock(clock),
        account=settings.account, extras=dict(extras or {}),
    )
    return cls(context)
