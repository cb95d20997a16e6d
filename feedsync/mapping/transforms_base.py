"""The transforms' common ground: values, problems, argument models and the registry.

Each theme module (``transforms_text``, ``transforms_lists``, ``transforms_numbers``,
``transforms_ids``) registers its transforms here with :func:`_register`;
:mod:`feedsync.mapping.transforms` imports them all and is the public face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from feedsync.models import Severity

Value = str | list[str]
Problem = tuple[Severity, str, str]  # severity, code, message
Step = Callable[[Value, list[Problem]], Value]


class Args(BaseModel):
    """Base of every transform's arguments: unknown arguments are load errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoArgs(Args):
    """The transform takes no arguments."""


@dataclass(frozen=True)
class TransformDef:
    """A named transform: its argument model, its builder and a documented example."""

    name: str
    summary: str
    args: type[Args]
    build: Callable[[Any], Step]
    example_in: Value
    example_args: dict[str, Any]
    example_out: Value


REGISTRY: dict[str, TransformDef] = {}


def _register(name: str, summary: str, args: type[Args], example: tuple[Value, dict[str, Any],
              Value]) -> Callable[[Callable[[Any], Step]], Callable[[Any], Step]]:
    def decorate(build: Callable[[Any], Step]) -> Callable[[Any], Step]:
        REGISTRY[name] = TransformDef(name, summary, args, build, *example)
        return build

    return decorate


def build_transform(name: str, args: dict[str, Any]) -> Step:
    """Build one step; raises KeyError (unknown name) or pydantic.ValidationError (bad args)."""
    definition = REGISTRY[name]
    return definition.build(definition.args.model_validate(args))


def per_item(fn: Callable[[str], str]) -> Step:
    """Lift a str → str function to values: applied to the string or to each list item."""

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return fn(value) if value else value
        return [out for item in value if item and (out := fn(item))]

    return step
