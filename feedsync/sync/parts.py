"""A record's three parts (content, price, quantity): their hashes and readable values.

The channel schema says which part each field belongs to (``FieldSpec.part``); a field the
schema does not know counts as content. Each part is hashed separately, so a plan can tell a
price/quantity-only change from a content update. The channel schema's version is hashed in,
so a change of the channel's rules or record format re-sends every SKU; the *mapping* version is
deliberately not (it is part of the dirty-tracking inputs instead, so editing a mapping
re-renders every SKU but re-sends only those whose fields actually changed).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.sync.state import dumps

PARTS: tuple[str, ...] = ("content", "price", "quantity")

Hashes = tuple[str, str, str]


class DeleteReason(StrEnum):
    """Why a plan deletes a listing."""

    REMOVED = "removed"  # the SKU is no longer in the catalog
    FILTERED = "filtered"  # the mapping's filters leave it out
    EXCLUDED = "excluded"  # an override keeps it off this channel
    ARCHIVED = "archived"  # the product is archived in the store

    def describe(self) -> str:
        """Words for the plan summary."""
        return {
            "removed": "removed from the catalog",
            "filtered": "filtered out",
            "excluded": "excluded by an override",
            "archived": "archived",
        }[self.value]


def split_parts(fields: dict[str, Any], schema: ChannelSchema) -> dict[str, dict[str, Any]]:
    """Group ``fields`` by the part the schema gives each one (unknown fields: content)."""
    groups: dict[str, dict[str, Any]] = {part: {} for part in PARTS}
    for name, value in fields.items():
        spec = schema.get(name)
        groups[spec.part if spec is not None else "content"][name] = value
    return groups


def part_hashes(fields: dict[str, Any], schema: ChannelSchema) -> Hashes:
    """BLAKE2b of each part's canonical JSON, salted with the schema's version."""
    groups = split_parts(fields, schema)
    out = []
    for part in PARTS:
        digest = hashlib.blake2b(digest_size=12)
        digest.update(f"{schema.channel}\x00{schema.version}\x00{part}\x00".encode())
        digest.update(dumps(groups[part]).encode("utf-8"))
        out.append(digest.hexdigest())
    return out[0], out[1], out[2]


def merge_parts(old: dict[str, Any], new: dict[str, Any], parts: frozenset[str],
                schema: ChannelSchema) -> dict[str, Any]:
    """``old`` with the fields of ``parts`` taken from ``new`` (the others kept as in ``old``).

    What a channel holds after only ``parts`` of ``new`` reached it, e.g. the orders fast path
    sending a quantity while a content edit waits for the next push. Field order follows ``new``
    (then the fields only ``old`` has), so the result renders as deterministically as a record.
    """
    def part_of(name: str) -> str:
        spec = schema.get(name)
        return spec.part if spec is not None else "content"

    merged: dict[str, Any] = {}
    for name, value in new.items():
        if part_of(name) in parts:
            merged[name] = value
        elif name in old:
            merged[name] = old[name]
    for name, value in old.items():
        if name not in merged and part_of(name) not in parts:
            merged[name] = value
    return merged


def record_hashes(record: MappedRecord, schema: ChannelSchema) -> Hashes:
    """:func:`part_hashes` of a mapped record."""
    return part_hashes(record.fields, schema)


def field_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Field → [old, new] for every field whose value differs (absent is None)."""
    old = old or {}
    new = new or {}
    diff: dict[str, list[Any]] = {}
    for name in list(old) + [n for n in new if n not in old]:
        before, after = old.get(name), new.get(name)
        if before != after:
            diff[name] = [before, after]
    return diff


_NUMBER = re.compile(r"^\s*(-?\d+(?:\.\d+)?)")
_OUT = {"out_of_stock", "out of stock", "outofstock", "discontinued", "sold_out", "sold out"}
_IN = {"in_stock", "in stock", "instock", "available", "preorder", "backorder"}


def amount(value: Any) -> Decimal | None:
    """The leading number of a price field (``"19.99 USD"``, ``"19.99"``), or None."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    match = _NUMBER.match(value)
    if match is None:
        return None
    try:
        return Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern only matches decimals
        return None


def quantity_of(quantity_part: dict[str, Any]) -> int | None:
    """Units a record offers, read from its quantity part, or None when it cannot be told.

    A numeric field wins (``quantity``, ``inventory``); otherwise an availability word decides
    between 0 and "some" (1): Google's ``out_of_stock``, Meta's ``out of stock`` …
    """
    words: list[str] = []
    for value in quantity_part.values():
        text = value[0] if isinstance(value, list) and value else value
        if not isinstance(text, str):
            continue
        stripped = text.strip()
        if re.fullmatch(r"-?\d+", stripped):
            return max(int(stripped), 0)
        words.append(stripped.lower())
    for word in words:
        if word in _OUT:
            return 0
        if word in _IN:
            return 1
    return None


def price_changes(
    old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(field, old, new, percent change) for price fields present with an amount in both."""
    found = []
    for name, before in old.items():
        if name not in new:
            continue
        a, b = amount(before), amount(new[name])
        if a is None or b is None or a == b or a <= 0:
            continue
        pct = abs(b - a) / a * 100
        found.append((name, a, b, pct.quantize(Decimal("0.1"))))
    return found
