"""Checking each ``[channels.<name>]`` table of feedsync.toml before any command runs.

The core settings (``enabled``, ``delivery`` …) are checked by :mod:`feedsync.config`; this module
checks what only the channel's adapter knows, for every channel at once, so a merchant sees
every problem in one go with its key path:

- the channel exists (a built-in adapter, an entry point, or ``adapter = "dotted.path"``);
  enabling one that does not is an error naming the channels that do;
- its own keys, through the adapter's pydantic ``Config`` (unknown keys name the allowed ones);
- its ``[channels.<name>.guardrails]`` table;
- keys an enabled channel cannot work without, declared by the adapter's Config as
  ``REQUIRED_KEYS = {"api": ("seller_id", …), "*": (…)}`` (delivery → keys that must be set).

Adapters are imported through :mod:`feedsync.registry` only, never by name.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from feedsync.errors import ConfigError

# Keys of [channels.<name>] checked by feedsync.config.ChannelSettings (reported once, there).
COMMON_KEYS = frozenset({"enabled", "delivery", "mapping", "account", "adapter"})
GUARDRAILS = "guardrails"


def channel_problems(channels: Any, source: str) -> list[str]:
    """Every problem of every ``[channels.<name>]`` table, as ``source: key.path: why``."""
    if not isinstance(channels, dict):
        return []  # feedsync.config reports a non-table
    problems: list[str] = []
    for name, table in channels.items():
        if isinstance(table, dict):
            problems.extend(_one_channel(str(name), table, source))
    return problems


def _one_channel(name: str, table: dict[str, Any], source: str) -> list[str]:
    from feedsync.registry import channel_config
    from feedsync.sync.guardrails import load_guardrails

    prefix = f"{source}: channels.{name}"
    enabled = table.get("enabled") is True
    dotted = table.get("adapter") if isinstance(table.get("adapter"), str) else None
    problems: list[str] = []
    try:
        load_guardrails(name, table.get(GUARDRAILS), source)
    except ConfigError as exc:
        problems.extend(exc.problems or [f"{prefix}.{GUARDRAILS}: {exc.message}"])
    try:
        config_cls = channel_config(name, dotted)  # <package>.config, not the whole adapter
    except ConfigError as exc:
        # A disabled table for a channel not built yet is allowed (it is prepared ahead).
        if enabled or dotted:
            problems.append(f"{prefix}: {exc.message}")
        return problems
    except Exception as exc:  # a broken third-party adapter must not hide the other problems
        problems.append(f"{prefix}: cannot load the adapter: {exc!r}")
        return problems
    raw = {key: value for key, value in table.items() if key != GUARDRAILS}
    try:
        config_cls.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_describe(prefix, config_cls, err) for err in exc.errors()
                        if not err["loc"] or err["loc"][0] not in COMMON_KEYS)
    if enabled:  # named even when other keys are wrong, so one round of fixes is enough
        problems.extend(_missing(prefix, config_cls, raw, str(table.get("delivery", "file"))))
    return problems


def _describe(prefix: str, config_cls: type[BaseModel], err: Any) -> str:
    where = ".".join(str(part) for part in err["loc"])
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        # the common keys too: a misspelt `delivry` must be offered `delivery`
        allowed = sorted({*config_cls.model_fields, *COMMON_KEYS, GUARDRAILS})
        close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return (f"{prefix}.{where}: unknown key (allowed: {', '.join(allowed)}){hint}")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{prefix}.{where}: {err['msg']}{shown}"


def _missing(prefix: str, config_cls: type[BaseModel], raw: dict[str, Any],
             delivery: str) -> list[str]:
    table: dict[str, tuple[str, ...]] = getattr(config_cls, "REQUIRED_KEYS", {}) or {}
    keys = [*table.get("*", ()), *table.get(delivery, ())]
    found = []
    for key in dict.fromkeys(keys):
        value = raw.get(key)
        if value is None or value == "" or value == [] or value == {}:
            field = config_cls.model_fields.get(key)
            why = f" ({field.description})" if field is not None and field.description else ""
            found.append(f"{prefix}.{key}: required for an enabled channel with delivery = "
                         f"{delivery!r}{why}")
    return found
