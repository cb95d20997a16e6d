"""Opening a configured channel's adapter for the orders loop, and asking what it can do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlite_utils

from feedsync.adapter import Adapter, Capability
from feedsync.adapter_factory import open_adapter as open_channel_adapter
from feedsync.clock import utc_now as utcnow
from feedsync.config import Workspace
from feedsync.errors import FeedsyncError
from feedsync.registry import adapter_class

__all__ = ["AdapterFactory", "adapter_factory", "channel_capabilities", "channels_with",
           "open_adapter", "utcnow"]

AdapterFactory = Callable[[str], Adapter]


def channel_capabilities(workspace: Workspace, channel: str) -> Capability:
    """What ``channel``'s adapter declares (importing its class; no instance, no I/O)."""
    settings = workspace.channel(channel)
    return adapter_class(channel, settings.adapter).capabilities


def open_adapter(workspace: Workspace, db: sqlite_utils.Database, channel: str,
                 clock: Callable[[], datetime] = utcnow) -> Adapter:
    """An adapter instance for ``channel`` configured from ``[channels.<channel>]``.

    Raises ConfigError naming the file and key when the channel's settings do not validate
    (the core's :func:`feedsync.sync.channels.open_adapter` validates them once).
    """
    return open_channel_adapter(workspace, db, channel, clock=clock)


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
