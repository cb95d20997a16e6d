"""Finding a channel's code: built-in names, the `feedsync.adapters` entry points, dotted paths.

A channel package exposes ``SCHEMA`` (``schema.py``: its field rules) and, once it can push,
``ADAPTER`` (``adapter.py``: its Adapter subclass). The core only reaches adapters through here,
so it never imports a concrete adapter.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING

from feedsync.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from feedsync.adapter import Adapter
    from feedsync.adapter_config import AdapterConfig
    from feedsync.feeds.base import FeedFormat
    from feedsync.mapping.schema import ChannelSchema

ENTRY_POINT_GROUP = "feedsync.adapters"
BUILTIN_PACKAGE = "feedsync.adapters"


def builtin_channels() -> tuple[str, ...]:
    """The channels built in: every package under ``feedsync.adapters`` that has an ``adapter``
    module (a channel whose adapter is not written yet is not offered). Sorted by name."""
    import pkgutil
    from importlib.util import find_spec

    package = importlib.import_module(BUILTIN_PACKAGE)
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and find_spec(f"{BUILTIN_PACKAGE}.{info.name}.adapter") is not None:
            found.append(info.name)
    return tuple(sorted(found))


def available_channels() -> tuple[str, ...]:
    """Built-in channels, then those registered in the entry-point group (third-party)."""
    names = list(builtin_channels())
    names += sorted(e.name for e in entry_points(group=ENTRY_POINT_GROUP) if e.name not in names)
    return tuple(names)


def channel_package(name: str, dotted: str | None = None) -> str:
    """The import path of a channel's package: ``dotted``, an entry point, or the built-in."""
    if dotted:
        return dotted
    builtin = builtin_channels()
    if name in builtin:
        return f"{BUILTIN_PACKAGE}.{name}"
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return entry.value
    known = ", ".join(builtin)
    raise ConfigError(
        f"unknown channel {name!r}: built-in channels are {known}; a third-party adapter "
        f"registers in the {ENTRY_POINT_GROUP!r} entry-point group or sets channels.{name}.adapter"
    )


def _load(name: str, submodule: str, dotted: str | None) -> ModuleType:
    package = channel_package(name, dotted)
    try:
        return importlib.import_module(f"{package}.{submodule}")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"channel {name!r}: cannot import {package}.{submodule} ({exc})"
        ) from None


def optional_channel_module(name: str, submodule: str,
                            dotted: str | None = None) -> ModuleType | None:
    """``<package>.<submodule>`` of a channel, or None when the package has no such module
    (an optional part of the adapter layout: ``authorize``, ``validation``, ``local`` …).

    An import error *inside* that module is not hidden: only its own absence means None.
    """
    module_name = f"{channel_package(name, dotted)}.{submodule}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def channel_schema(name: str, dotted: str | None = None) -> ChannelSchema:
    """The field rules of a channel (``<package>.schema.SCHEMA``)."""
    return _load(name, "schema", dotted).SCHEMA


def adapter_class(name: str, dotted: str | None = None) -> type[Adapter]:
    """The Adapter subclass of a channel (``<package>.adapter.ADAPTER``)."""
    return _load(name, "adapter", dotted).ADAPTER


def channel_config(name: str, dotted: str | None = None) -> type[AdapterConfig]:
    """The ``Config`` class of a channel's settings, importing as little as possible.

    ``<package>.config.CONFIG`` when the package declares it there (the adapter layout's
    ``config.py``): checking feedsync.toml before every command then costs no import of the
    adapter, its HTTP client and the adapter kit (issue #19). Otherwise — no such module or
    name, or any failure importing it — the adapter class's ``Config``, so every error is the
    one :func:`adapter_class` reports. A package's ``CONFIG`` must be its adapter's ``Config``
    (tests/cli/test_startup.py checks the built-in ones).
    """
    try:
        module = optional_channel_module(name, "config", dotted)
    except Exception:  # adapter_class below reports it as it always did
        module = None
    config = getattr(module, "CONFIG", None) if module is not None else None
    if isinstance(config, type):
        from feedsync.adapter_config import AdapterConfig

        if issubclass(config, AdapterConfig):
            return config
    return adapter_class(name, dotted).Config


def channel_feed(name: str, dotted: str | None = None) -> Mapping[str, FeedFormat]:
    """The feed file formats of a channel (``<package>.feed.FEED_FORMATS``: format name →
    :class:`~feedsync.feeds.base.FeedFormat`, the first being the default)."""
    return _load(name, "feed", dotted).FEED_FORMATS
