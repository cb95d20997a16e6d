"""The shape of a mapping file (``mappings/<channel>.toml``), validated with pydantic.

This module checks structure (which keys exist, their types and ranges). Meaning (is a field the
channel's, is a column the catalog's, is a transform known and are its arguments right) is checked
when the file is compiled (:mod:`feedsync.mapping.compile`); both report through one
:class:`ProblemCollector`, so the merchant sees every problem at once, each as
``file:line: key: why``. docs/mapping.md is the reference for every key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from feedsync.errors import ConfigError
from feedsync.mapping.locate import Locator, dotted


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


Scalar = str | int | float | bool


class TransformRef(_Strict):
    """One step of a chain: ``{name = "truncate", args = {max = 150}}``, or just a name."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


SOURCE_KEYS = ("from", "template", "const", "first", "rule")
RULE_SOURCES = ("price", "sale_price", "sale_price_effective_date", "quantity", "availability",
                "category", "item_group_id")


class FieldRule(_Strict):
    """How one channel field gets its value: one source, then transforms, in order."""

    from_: str | None = Field(default=None, alias="from")
    template: str | None = None
    const: Scalar | list[Scalar] | None = None
    first: list[str] | None = None
    rule: Literal["price", "sale_price", "sale_price_effective_date", "quantity", "availability",
                  "category", "item_group_id"] | None = None
    transform: str | None = None
    args: dict[str, Any] | None = None
    transforms: list[str | TransformRef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        given = [key for key, value in zip(
            SOURCE_KEYS, (self.from_, self.template, self.const, self.first, self.rule),
            strict=True) if value is not None]
        if len(given) > 1:
            raise ValueError(f"give one source, not {' and '.join(given)}")
        if self.first is not None and not any(name.strip() for name in self.first):
            # an empty list would empty the field without a word (issue #16)
            raise ValueError("'first' needs at least one column name, e.g. "
                             "first = [\"gtin\", \"mpn\"]")
        if self.args is not None and self.transform is None:
            raise ValueError("'args' belongs to 'transform'")
        if self.transform is not None and self.transforms:
            raise ValueError("use either 'transform' (one) or 'transforms' (a chain), not both")
        return self

    @property
    def chain(self) -> list[TransformRef]:
        """The transforms to apply, in order (``transform``/``args`` is a chain of one)."""
        if self.transform is not None:
            return [TransformRef(name=self.transform, args=self.args or {})]
        return [TransformRef(name=t) if isinstance(t, str) else t for t in self.transforms]


class PriceSpec(_Strict):
    """[price]: convert, mark up, add, round, clamp; sale price only inside its dates."""

    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    markup_percent: Decimal = Field(default=Decimal(0), ge=-99, le=1000)
    add: Decimal = Decimal(0)
    round: Literal["none", "0.99", "0.95", "whole"] = "none"
    min: Decimal | None = Field(default=None, ge=0)
    max: Decimal | None = Field(default=None, gt=0)
    format: str = "{amount} {currency}"
    sale_rules: bool = True  # apply conversion/markup/add/round to the sale price too

    @model_validator(mode="after")
    def _ordered(self) -> PriceSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        if "{amount}" not in self.format:
            raise ValueError("format must contain {amount}")
        return self


class QuantitySpec(_Strict):
    """[quantity]: what stock a channel is shown."""

    reserve: int = Field(default=0, ge=0)
    buffer_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    buffer_units: int = Field(default=0, ge=0)
    floor: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)
    when_out: Literal["out_of_stock", "backorder", "preorder"] = "out_of_stock"
    # shown for stock the store does not count (in stock, no number): never 0
    untracked_quantity: int = Field(default=10, ge=1)


class Condition(_Strict):
    """One [filters] condition set: every key given must hold (AND)."""

    status: str | list[str] | None = None
    brand_in: list[str] | None = None
    tag_contains: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    available_min: int | None = None
    in_stock: bool | None = None
    category_under: str | None = None
    sku_in: list[str] | None = None
    has: str | list[str] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_fields_set:
            raise ValueError("an empty condition would match every product")
        return self


class FiltersSpec(_Strict):
    """[filters]: include when any include set matches (or none is given), unless excluded."""

    include: list[Condition] = Field(default_factory=list)
    exclude: list[Condition] = Field(default_factory=list)


class CategoriesSpec(_Strict):
    """[categories]: store category path → channel category, by longest prefix."""

    source: str = "category"
    default: str | None = None
    map: dict[str, str] = Field(default_factory=dict)
    # a column holding the channel's own category, used as-is when set (Shopify's "Google
    # Shopping / Google Product Category" → attributes.google_product_category)
    prefer: str | None = None


class VariantsSpec(_Strict):
    """[variants]: the family id and the variation attributes under the channel's names."""

    group_id: str = "item_group_id"
    attributes: dict[str, str] = Field(default_factory=dict)
    require_values: bool = True


class MappingFile(_Strict):
    """A whole mapping file."""

    channel: str | None = None
    fields: dict[str, str | FieldRule]
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    categories: CategoriesSpec = CategoriesSpec()
    price: PriceSpec = PriceSpec()
    quantity: QuantitySpec = QuantitySpec()
    filters: FiltersSpec = FiltersSpec()
    variants: VariantsSpec = VariantsSpec()


class ProblemCollector:
    """Collects ``file:line: key: why`` problems for one mapping file, then raises them together."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.locator = Locator(text)
        self.problems: list[str] = []

    def add(self, loc: Sequence[str | int], message: str, hint: str | None = None) -> None:
        """Record a problem at key path ``loc`` (``hint``: the offending value, to find it)."""
        line = self.locator.line_of(loc, hint)
        key = dotted(loc) or "(top level)"
        self.problems.append(f"{self.path}:{line}: {key}: {message}")

    def raise_if_any(self) -> None:
        """Raise one ConfigError listing every problem, if there is any."""
        if self.problems:
            raise ConfigError(
                f"{self.path}: {len(self.problems)} problem(s) in the mapping file",
                self.problems,
            )


def _pydantic_loc(err: dict[str, Any]) -> list[str | int]:
    """Drop pydantic's union-branch labels (``str``, ``FieldRule``) from an error location."""
    noise = {"str", "FieldRule", "TransformRef", "list[str]", "str-typed"}
    out: list[str | int] = []
    for part in err["loc"]:
        if isinstance(part, str) and (part in noise or part.startswith(("list[", "function-"))):
            continue
        out.append("from" if part == "from_" else part)
    return out


def read_mapping(path: Path) -> tuple[MappingFile, bytes, ProblemCollector]:
    """Read and structurally validate a mapping file; raise ConfigError naming every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read mapping file: {exc.strerror}") from None
    text = raw.decode("utf-8", errors="replace")
    collector = ProblemCollector(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        spec = MappingFile.model_validate(data)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            loc = _pydantic_loc(dict(err))
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "required key is missing"
            else:
                message = err["msg"].removeprefix("Value error, ")
            key = f"{dotted(loc)}: {message}"
            # a union (column name | table) fails once per branch: report the table's reason
            if key in seen or (err["type"] == "string_type" and len(loc) == 2):
                continue
            seen.add(key)
            collector.add(loc, message)
        collector.raise_if_any()
        raise AssertionError("unreachable") from None  # pragma: no cover
    return spec, raw, collector
