"""List and emptiness transforms: join, split, slice, first non-empty, defaults, yes/no, maps.

Registered in :mod:`feedsync.mapping.transforms_base` when imported (by
:mod:`feedsync.mapping.transforms`).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from feedsync.mapping.transforms_base import (
    Args,
    NoArgs,
    Problem,
    Step,
    Value,
    _register,
)


class JoinArgs(Args):
    sep: str = ", "


@_register("join", "Join a list into one string with `sep`.",
           JoinArgs, (["cotton", "linen"], {"sep": " / "}, "cotton / linen"))
def _join(args: JoinArgs) -> Step:
    sep = args.sep

    def step(value: Value, problems: list[Problem]) -> Value:
        return value if isinstance(value, str) else sep.join(v for v in value if v)

    return step


class SplitArgs(Args):
    sep: str = Field(default=",", min_length=1)


@_register("split", "Split a string on `sep` into a list (items trimmed, empty ones dropped).",
           SplitArgs, ("red, blue,", {"sep": ","}, ["red", "blue"]))
def _split(args: SplitArgs) -> Step:
    sep = args.sep

    def step(value: Value, problems: list[Problem]) -> Value:
        items = value.split(sep) if isinstance(value, str) else value
        return [s for item in items if (s := item.strip())]

    return step


class SliceArgs(Args):
    start: int = 0
    stop: int | None = None


@_register("slice", "Keep list items from `start` up to (not including) `stop`.",
           SliceArgs, (["a.jpg", "b.jpg", "c.jpg"], {"start": 1}, ["b.jpg", "c.jpg"]))
def _slice(args: SliceArgs) -> Step:
    start, stop = args.start, args.stop

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            value = [value] if value else []
        return value[start:stop]

    return step


@_register("first_non_empty", "The first non-empty item of a list, as a string.",
           NoArgs, (["", "B-200", "C-300"], {}, "B-200"))
def _first_non_empty(args: NoArgs) -> Step:
    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return value
        return next((v for v in value if v), "")

    return step


class DefaultArgs(Args):
    value: str


@_register("default", "Use `value` when there is no value.",
           DefaultArgs, ("", {"value": "new"}, "new"))
def _default(args: DefaultArgs) -> Step:
    fallback = args.value

    def step(value: Value, problems: list[Problem]) -> Value:
        return value if value else fallback

    return step


class YesNoArgs(Args):
    yes: str = "yes"
    no: str = "no"


@_register("yes_no", "`yes` when there is a value, `no` when there is none.",
           YesNoArgs, ("", {"yes": "", "no": "no"}, "no"))
def _yes_no(args: YesNoArgs) -> Step:
    yes, no = args.yes, args.no

    def step(value: Value, problems: list[Problem]) -> Value:
        return yes if value else no

    return step


class MapArgs(Args):
    values: dict[str, str]
    default: str | None = None
    case_sensitive: bool = False


def value_map(values: dict[str, str], default: str | None = None,
              case_sensitive: bool = False) -> Callable[[str], str]:
    """A str → str lookup: unmatched values pass through unless ``default`` is given."""
    table = dict(values) if case_sensitive else {k.strip().casefold(): v for k, v in values.items()}

    def lookup(text: str) -> str:
        key = text if case_sensitive else text.strip().casefold()
        found = table.get(key)
        if found is not None:
            return found
        return text if default is None else default

    return lookup


@_register("map", "Translate values through a table (`default` for anything not listed).",
           MapArgs, ("Brand new", {"values": {"brand new": "new"}}, "new"))
def _map(args: MapArgs) -> Step:
    lookup = value_map(args.values, args.default, args.case_sensitive)

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return lookup(value) if value else value
        return [out for item in value if (out := lookup(item))]

    return step
