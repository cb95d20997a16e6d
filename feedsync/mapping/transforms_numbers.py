"""Number transforms: weights and lengths with units, prices.

Registered in :mod:`feedsync.mapping.transforms_base` when imported (by
:mod:`feedsync.mapping.transforms`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import ConfigDict, Field

from feedsync.mapping.transforms_base import (
    Args,
    Problem,
    Step,
    Value,
    _register,
)
from feedsync.models import Severity

_NUMBER_UNIT = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*$")

WEIGHT_UNITS: dict[str, Decimal] = {  # in grams
    "g": Decimal(1), "kg": Decimal(1000), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125"),
}
LENGTH_UNITS: dict[str, Decimal] = {  # in millimetres
    "mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000), "in": Decimal("25.4"),
    "ft": Decimal("304.8"),
}
_UNIT_ALIASES = {"kgs": "kg", "lbs": "lb", "gram": "g", "grams": "g", "inch": "in",
                 "inches": "in"}


def _plain(amount: Decimal, decimals: int, quantum: Decimal | None = None) -> str:
    """``amount`` rounded half-up to ``decimals`` places, without trailing zeros or exponent
    (``quantum``: ``10 ** -decimals``, when the caller has it already)."""
    if quantum is None:
        quantum = Decimal(1).scaleb(-decimals)
    text = format(amount.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unit_converter(units: dict[str, Decimal], kind: str) -> Callable[[Any], Step]:
    def build(args: Any) -> Step:
        to, default_from, decimals = args.to, args.from_, args.decimals

        memo: dict[str, str] = {}  # catalogs repeat the same few weights and sizes
        quantum = Decimal(1).scaleb(-decimals)

        def convert(text: str, problems: list[Problem]) -> str:
            found = memo.get(text)
            if found is not None:
                return found
            match = _NUMBER_UNIT.match(text)
            unit = ""
            if match:
                unit = match.group(2).lower()
                unit = _UNIT_ALIASES.get(unit, unit) or (default_from or "")
            if not match or unit not in units:
                problems.append((Severity.WARNING, f"bad_{kind}",
                                 f"cannot read {kind} {text!r} (expected a number and one of "
                                 f"{', '.join(units)}); value dropped"))
                return ""
            number = match.group(1)
            amount = Decimal(number.replace(",", "."))
            try:
                # in its own unit (the usual case) the value is already exact: ×u÷u gives the
                # same number as long as the product fits the 28-digit context
                converted = (amount if unit == to and len(number) <= 20
                             else amount * units[unit] / units[to])
                result = f"{_plain(converted, decimals, quantum)} {to}"
            except InvalidOperation:
                problems.append((Severity.WARNING, f"bad_{kind}",
                                 f"{kind} {text!r} is out of range; value dropped"))
                return ""
            if len(memo) < 4096:
                memo[text] = result
            return result

        def step(value: Value, problems: list[Problem]) -> Value:
            if isinstance(value, str):
                return convert(value, problems) if value else value
            return [out for item in value if item and (out := convert(item, problems))]

        return step

    return build


class WeightArgs(Args):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    to: Literal["g", "kg", "lb", "oz"]
    from_: Literal["g", "kg", "lb", "oz"] | None = Field(default=None, alias="from")
    decimals: int = Field(default=3, ge=0, le=6)


class LengthArgs(Args):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    to: Literal["mm", "cm", "m", "in", "ft"]
    from_: Literal["mm", "cm", "m", "in", "ft"] | None = Field(default=None, alias="from")
    decimals: int = Field(default=2, ge=0, le=6)


_register("convert_weight", "Convert `<number> <unit>` (or a bare number in unit `from`) to `to`.",
          WeightArgs, ("1.5 lb", {"to": "kg", "decimals": 2}, "0.68 kg"))(
    _unit_converter(WEIGHT_UNITS, "weight"))
_register("convert_length", "Convert `<number> <unit>` (or a bare number in unit `from`) to `to`.",
          LengthArgs, ("12 in", {"to": "cm"}, "30.48 cm"))(
    _unit_converter(LENGTH_UNITS, "length"))


class FormatPriceArgs(Args):
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    decimals: int = Field(default=2, ge=0, le=4)


_PRICE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Z]{3})?\s*$")


@_register("format_price", "Write an amount as `12.99 USD` (currency: the value's or `currency`).",
           FormatPriceArgs, ("12.5", {"currency": "USD"}, "12.50 USD"))
def _format_price(args: FormatPriceArgs) -> Step:
    quantum = Decimal(1).scaleb(-args.decimals)

    def fmt(text: str, problems: list[Problem]) -> str:
        match = _PRICE.match(text)
        currency = (match.group(2) if match else None) or args.currency
        if not match:
            problems.append((Severity.ERROR, "bad_price", f"cannot read price {text!r}"))
            return ""
        try:
            amount = Decimal(match.group(1)).quantize(quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than a price can have
            problems.append((Severity.ERROR, "bad_price", f"cannot read price {text!r}"))
            return ""
        return f"{amount} {currency}" if currency else str(amount)

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return fmt(value, problems) if value else value
        return [out for item in value if item and (out := fmt(item, problems))]

    return step
