"""Opening a configured channel's adapter for the orders loop, and asking what it can do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils
from pydantic import ValidationError

from feedsync.adapter import Adapter, AdapterContext, Capability
from feedsync.config import CONFIG_FILE, Workspace
from feedsync.errors import ConfigError, FeedsyncError
from feedsync.registry import adapter_class

AdapterFactory = Callable[[str], Adapter]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def channel_capabilities(workspace: Workspace, channel: str) -> Capability:
    """What ``channel``'s adapter declares (importing its class; no instance, no I/O)."""
    settings = workspace.channel(channel)
    return adapter_class(channel, settings.adapter).capabilities


def open_adapter(workspace: Workspace, db: sqlite_utils.Database, channel: str,
                 clock: Callable[[], datetime] = utcnow) -> Adapter:
    """An adapter instance for ``channel`` configured from ``[channels.<channel>]``.

    Raises ConfigError naming the file and key when the channel's settings do not validate.
    """
    settings = workspace.channel(channel)
    cls = adapter_class(channel, settings.adapter)
    try:
        config = cls.Config.model_validate(settings.model_dump())
    except ValidationError as exc:
        problems = [
            f"{workspace.root / CONFIG_FILE}: channels.{channel}."
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError(f"channel {channel!r} is misconfigured", problems) from None
    context = AdapterContext(
        workspace=workspace, settings=config, secrets=workspace.secrets(channel), db=db,
        clock=clock, account=settings.account,
    )
    return cls(context)


def adapter_factory(workspace: Workspace, db: sqlite_utils.Database,
                    clock: Callable[[], datetime] = utcnow) -> AdapterFactory:
    """A factory that opens each channel's adapter once and reuses it for the run."""
    opened: dict[str, Adapter] = {}

    def factory(channel: str) -> Adapter:
        if channel not in opened:
            opened[channel] = open_adapter(workspace, db, channel, clock)
        return opened[channel]

    return factory


def channels_with(workspace: Workspace, wanted: Capability,
                  names: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """Enabled channels (or ``names``) whose adapter declares any of ``wanted``.

    Returns the matching names and, for the others, why they were left out.
    """
    chosen: list[str] = []
    skipped: dict[str, str] = {}
    for name in names if names is not None else workspace.enabled_channels():
        try:
            caps = channel_capabilities(workspace, name)
        except FeedsyncError as exc:
            skipped[name] = exc.message
            continue
        if caps & wanted:
            chosen.append(name)
        else:
            skipped[name] = f"the {name} adapter does not support {wanted.name}"
    return chosen, skipped
