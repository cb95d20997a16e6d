"""The closed set of named transforms a mapping file can chain (docs/mapping.md lists them all).

A transform is built once, when the mapping file is loaded, from its validated arguments into a
plain function ``step(value, problems) -> value``. ``value`` is a string or a list of strings
(repeated fields); the empty string / empty list means "no value". A step that finds bad data
appends ``(severity, code, message)`` to ``problems`` instead of raising, so one bad SKU never
stops a run. There is deliberately no expression language: a merchant who needs more asks for a
new, documented, tested transform.

The transforms live in themed modules — text (``transforms_text``), lists and emptiness
(``transforms_lists``), numbers, units and prices (``transforms_numbers``), identifiers and
links (``transforms_ids``) — over a common base (``transforms_base``). Importing a theme module
registers its transforms; this module imports them all and is the public face.
"""

from __future__ import annotations

# Each theme module registers its transforms when imported.
from feedsync.mapping import transforms_numbers  # noqa: F401  (only registers)
from feedsync.mapping.transforms_base import (
    REGISTRY,
    Args,
    NoArgs,
    Problem,
    Step,
    TransformDef,
    Value,
    build_transform,
    per_item,
)
from feedsync.mapping.transforms_ids import gtin_check_digit_ok, normalise_gtin, parse_amount
from feedsync.mapping.transforms_lists import value_map
from feedsync.mapping.transforms_text import strip_html_text, truncate_text

__all__ = ["REGISTRY", "Args", "NoArgs", "Problem", "Step", "TransformDef", "Value",
           "build_transform", "gtin_check_digit_ok", "normalise_gtin", "parse_amount",
           "per_item", "strip_html_text", "truncate_text", "value_map"]
