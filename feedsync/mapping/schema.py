"""How a channel describes its record: field names, limits, enumerations and diff parts.

Each adapter package ships a ``schema.py`` with a module-level ``SCHEMA: ChannelSchema`` whose
field names and enumerations are the marketplace's own (tests check them against the official
contracts in ../shared/specs). The mapping engine validates records against it; feed writers use
its field order; the sync engine uses ``part`` to hash content, price and quantity separately so a
price-only change becomes a price/quantity-only update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Part = Literal["content", "price", "quantity"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One channel field and the channel's documented rules for it."""

    name: str
    required: bool = False
    max_length: int | None = None
    allowed: frozenset[str] | None = None  # enumeration, exact spelling of the channel
    repeated: bool = False  # a list of values (e.g. additional_image_link)
    max_items: int | None = None  # for repeated fields
    part: Part = "content"
    pattern: str | None = None  # a regular expression the value must match fully
    description: str = ""


@dataclass(frozen=True)
class RequiredWhen:
    """Fields a channel requires only for some products: when ``field``'s value matches
    ``pattern`` (a case-insensitive regular expression, searched), each of ``required`` must
    have a value (e.g. Google: gender, age group, color and size for apparel)."""

    field: str
    pattern: str
    required: tuple[str, ...]
    why: str  # "for apparel in its main markets": completes "<field> is required by <channel> …"
    # An error keeps the SKU out; a warning sends it and says so (e.g. when the requirement
    # depends on a target country feedsync cannot see).
    error: bool = True
    # Fields that lift the requirement when any of them has a value (an exemption, e.g.
    # Amazon's supplier_declared_has_product_identifier_exemption for a product without GTIN).
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelSchema:
    """The ordered fields of one channel's record; the first field is the record id."""

    channel: str
    version: str  # bump when rules change: it is part of the listing hashes
    fields: tuple[FieldSpec, ...]
    id_field: str = "id"
    # groups of fields of which at least one must have a value (e.g. Meta: brand, gtin or mpn)
    one_of: tuple[tuple[str, ...], ...] = ()
    # fields required only when another field's value matches (see RequiredWhen)
    required_when: tuple[RequiredWhen, ...] = ()
    _by_name: dict[str, FieldSpec] = field(default_factory=dict, init=False, repr=False,
                                           compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({f.name: f for f in self.fields})
        if len(self._by_name) != len(self.fields):
            raise ValueError(f"{self.channel}: duplicate field names in schema")
        if self.id_field not in self._by_name:
            raise ValueError(f"{self.channel}: id field {self.id_field!r} not in schema")
        for group in self.one_of:
            unknown = [name for name in group if name not in self._by_name]
            if unknown:
                raise ValueError(f"{self.channel}: one_of names unknown fields {unknown}")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Field names in the channel's order (feed column order)."""
        return tuple(f.name for f in self.fields)

    def get(self, name: str) -> FieldSpec | None:
        """The spec of ``name``, or None when the channel has no such field."""
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name
