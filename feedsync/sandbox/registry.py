"""Which marketplaces are emulated: every channel whose module exists.

Modules are looked up by name — ``feedsync.sandbox.<channel>`` exporting ``MARKETPLACE`` (a
:class:`~feedsync.sandbox.module.Marketplace` subclass). A channel without a module is simply
not emulated. A module that exists but fails to import or breaks the interface is left out of
:func:`load_all` with a warning (one channel's half-written emulator must not take the others
down) and listed in :data:`BROKEN`; :func:`load_marketplace` raises, and the sandbox's own
tests fail on any entry in :data:`BROKEN`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable

from feedsync.sandbox.module import Marketplace
from feedsync.sandbox.state import table_names

CHANNELS = ("amazon", "ebay", "etsy", "walmart", "google", "facebook")
BROKEN: dict[str, str] = {}  # channel → why its module was left out

log = logging.getLogger(__name__)


class ModuleError(Exception):
    """A marketplace module that breaks the interface (the message says how)."""


def load_marketplace(name: str, module_path: str | None = None) -> Marketplace | None:
    """An instance of channel ``name``'s marketplace, or ``None`` when it has no module."""
    path = module_path or f"feedsync.sandbox.{name}"
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name == path:
            return None
        raise
    cls = getattr(module, "MARKETPLACE", None)
    if not (isinstance(cls, type) and issubclass(cls, Marketplace)):
        raise ModuleError(f"{path} must export MARKETPLACE = <a Marketplace subclass>")
    market = cls()
    check_module(market, name)
    return market


def check_module(market: Marketplace, name: str) -> None:
    """Refuse a module whose name, tables or routes break the rules in docs/sandbox.md."""
    if market.name != name:
        raise ModuleError(f"marketplace module for {name!r} declares name {market.name!r}")
    for table in table_names(market.schema):
        if not table.startswith(f"{name}_"):
            raise ModuleError(f"{name}: table or index {table!r} must be prefixed {name}_")
    if not market.routes:
        raise ModuleError(f"{name}: no routes declared (decorate handlers with @route)")
    for found in market.routes:
        if not found.pattern.startswith("/"):
            raise ModuleError(f"{name}: route {found.pattern!r} must start with /")


def load_all(names: Iterable[str] | None = None) -> dict[str, Marketplace]:
    """Every emulated marketplace among ``names`` (default: all six channels)."""
    found: dict[str, Marketplace] = {}
    for name in names or CHANNELS:
        try:
            market = load_marketplace(name)
        except Exception as exc:  # a broken module: leave that marketplace out, say why
            BROKEN[name] = f"{type(exc).__name__}: {exc}"
            log.warning("sandbox: the %s module is left out: %s", name, BROKEN[name])
            continue
        BROKEN.pop(name, None)
        if market is not None:
            found[name] = market
    return found
