"""Money in the channel report: exact Decimal sums kept per currency, converted only with rates.

Amounts of different currencies are never added together. A figure is either shown per
currency, or converted into the catalog's default currency with the fixed rates of
``feedsync.toml [currency_rates]`` (1 unit of the default currency = N units of the other, as the
mapping's ``[price] currency`` rule reads them). A currency without a rate is left out of the
converted figure and named in ``unconverted``, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from feedsync.mapping.rules import minor_unit

ZERO = Decimal(0)


@dataclass
class Amounts:
    """A sum of money per currency code."""

    by_currency: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, amount: Decimal) -> None:
        """Add ``amount`` of ``currency``."""
        self.by_currency[currency] = self.by_currency.get(currency, ZERO) + amount

    def merge(self, other: Amounts) -> None:
        """Add every currency of ``other``."""
        for currency, amount in other.by_currency.items():
            self.add(currency, amount)

    def get(self, currency: str) -> Decimal:
        """The sum in ``currency`` (0 when none)."""
        return self.by_currency.get(currency, ZERO)

    def currencies(self) -> list[str]:
        """The currencies present, sorted."""
        return sorted(self.by_currency)


@dataclass(frozen=True)
class Converter:
    """Converts amounts into ``target`` with fixed rates (1 target = rate × other)."""

    target: str
    rates: Mapping[str, Decimal]

    def convert(self, currency: str, amount: Decimal) -> Decimal | None:
        """``amount`` of ``currency`` in the target currency, or None without a rate."""
        if currency == self.target:
            return amount
        rate = self.rates.get(currency)
        if rate is None or rate <= 0:
            return None
        return amount / rate

    def between(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        """``amount`` of ``source`` expressed in ``target`` (through the default currency), or
        None when a rate is missing."""
        if source == target:
            return amount
        base = self.convert(source, amount)
        if base is None:
            return None
        if target == self.target:
            return base
        rate = self.rates.get(target)
        return None if rate is None or rate <= 0 else base * rate

    def total(self, amounts: Amounts) -> tuple[Decimal, list[str]]:
        """The converted sum of ``amounts`` and the currencies that could not be converted."""
        total = ZERO
        missing: list[str] = []
        for currency in amounts.currencies():
            value = self.convert(currency, amounts.get(currency))
            if value is None:
                missing.append(currency)
            else:
                total += value
        return total, missing


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-even to the currency's minor unit (for display only)."""
    return amount.quantize(minor_unit(currency))


def as_text(amount: Decimal, currency: str) -> str:
    """``1234.50`` for JSON: exact digits at the currency's minor unit, never a float."""
    return format(rounded(amount, currency), "f")


def texts(amounts: Amounts) -> dict[str, str]:
    """Every currency of ``amounts`` as display text."""
    return {c: as_text(amounts.get(c), c) for c in amounts.currencies()}


def sum_amounts(parts: Iterable[Amounts]) -> Amounts:
    """The per-currency sum of several ``Amounts``."""
    out = Amounts()
    for part in parts:
        out.merge(part)
    return out
