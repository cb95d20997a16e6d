"""[price] and [quantity]: what price and stock a channel is shown.

Price, in this order (each step shows up in ``feedsync explain``):
convert to ``currency`` with the fixed rate from feedsync.toml ``[currency_rates]`` → mark up by
``markup_percent`` → ``add`` a fixed amount → ``round`` up to .99 / .95 / a whole unit → clamp to
``min`` / ``max`` → round to the currency's minor unit. The sale price takes the same steps
(unless ``sale_rules = false``) and is only shown while ``sale_start <= now < sale_end`` (either
bound may be open); a sale price that is not below the price is dropped with a warning, since
both Google and Meta reject it.

Quantity, in this order: available − ``reserve`` → minus the buffer (``buffer_percent`` of what is
left, rounded up, plus ``buffer_units``) → at or below the safety ``floor`` becomes 0 → capped at
``max``; never negative. Availability is ``in_stock`` when the shown quantity is positive, else
``when_out`` (a ``[values.availability]`` map turns these words into the channel's). Stock the
store does not count (untracked) is shown as ``untracked_quantity`` (capped by ``max``, at
least 1): in stock, without reserve or buffer, since there is no count to hold back from.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from feedsync.mapping.record import TraceStep
from feedsync.mapping.sources import plain_text
from feedsync.mapping.spec import PriceSpec, QuantitySpec
from feedsync.mapping.transforms import Problem
from feedsync.models import Product, Severity


@functools.lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 (USD), 1 (JPY), 0.001 (KWD) …

    From the CLDR currency data Babel maintains (``get_currency_precision``), not a hand list:
    a currency with three decimals gets them; an unknown code gets CLDR's default of two.
    Cached: prices are rounded once per record on the mapping's hot path.
    """
    return Decimal(1).scaleb(-get_currency_precision(currency.upper()))


def _ignore(rule: str, before: Decimal, after: Decimal) -> None:
    """The trace note of :meth:`PriceRule.apply` when nothing is traced."""


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes in the catalog are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(slots=True)
class PriceResult:
    """The channel price of one product, and its sale price when one is active now."""

    amount: Decimal | None
    currency: str
    sale_amount: Decimal | None = None
    sale_window: str = ""  # ISO 8601 interval "start/end" when both bounds are known
    problems: list[Problem] = field(default_factory=list)
    text: str = ""  # the price in the mapping's format, "" when it cannot be priced
    sale_text: str = ""  # the active sale price in the mapping's format, or ""


class PriceRule:
    """A compiled [price] section."""

    def __init__(self, spec: PriceSpec, rates: Mapping[str, Decimal], base_currency: str) -> None:
        self.spec = spec
        self.rates = dict(rates)
        self.base = base_currency
        self._markup = 1 + spec.markup_percent / 100
        self._format = spec.format.format
        # variants and whole ranges share prices: the same inputs give the same result (which
        # is read-only once made), so a run computes each distinct price once
        self._memo: dict[tuple[object, ...], PriceResult] = {}

    def factor(self, currency: str) -> Decimal | None:
        """Multiplier from ``currency`` to the target currency (None: a rate is missing)."""
        target = self.spec.currency
        if target is None or target == currency:
            return Decimal(1)
        from_rate = Decimal(1) if currency == self.base else self.rates.get(currency)
        to_rate = Decimal(1) if target == self.base else self.rates.get(target)
        if from_rate is None or to_rate is None:
            return None
        return to_rate / from_rate

    def apply(self, amount: Decimal, currency: str, label: str,
              trace: list[TraceStep] | None, problems: list[Problem]) -> Decimal | None:
        """Run one amount through the rules; None when it cannot be priced."""
        spec = self.spec
        target = spec.currency or currency
        unit = minor_unit(target)

        note = _ignore  # most runs explain nothing
        if trace is not None:
            steps = trace

            def note(rule: str, before: Decimal, after: Decimal) -> None:
                steps.append(TraceStep(label, f"[price] {rule}", format(before, "f"),
                                       format(after, "f")))

        if target != currency:
            factor = self.factor(currency)
            if factor is None:
                problems.append((Severity.ERROR, "currency_rate_missing",
                                 f"no fixed rate to convert {currency} to {target}: add it to "
                                 f"feedsync.toml [currency_rates]"))
                return None
            converted = amount * factor
            note(f"currency {currency}→{target} ×{factor.normalize()}", amount, converted)
            amount = converted
        if spec.markup_percent:
            marked = amount * self._markup
            note(f"markup_percent {spec.markup_percent}", amount, marked)
            amount = marked
        if spec.add:
            note(f"add {spec.add}", amount, amount + spec.add)
            amount += spec.add
        if spec.round != "none":
            rounded = round_price(amount, spec.round, unit)
            note(f"round {spec.round}", amount, rounded)
            amount = rounded
        if spec.min is not None and amount < spec.min:
            note(f"min {spec.min}", amount, spec.min)
            problems.append((Severity.WARNING, "price_below_min",
                             f"{label} {amount.quantize(unit)} {target} raised to the minimum "
                             f"{spec.min}"))
            amount = spec.min
        if spec.max is not None and amount > spec.max:
            note(f"max {spec.max}", amount, spec.max)
            problems.append((Severity.WARNING, "price_above_max",
                             f"{label} {amount.quantize(unit)} {target} lowered to the maximum "
                             f"{spec.max}"))
            amount = spec.max
        try:
            final = amount.quantize(unit, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            problems.append((Severity.ERROR, "price_not_positive" if amount <= 0 else "bad_price",
                             f"{label} {amount} {target} cannot be sent as a price"))
            return None
        if final <= 0:
            problems.append((Severity.ERROR, "price_not_positive",
                             f"{label} is {final} {target}; a channel needs a positive price"))
            return None
        return final

    def compute(self, product: Product, now: datetime,
                trace: list[TraceStep] | None = None) -> PriceResult:
        """The channel price and the active sale price of ``product`` at ``now``.

        The result is shared between products with the same price inputs: do not modify it.
        """
        if trace is not None:
            return self._compute(product, now, trace)
        # The key is the inputs' text, not the Decimals and datetimes themselves: hashing a
        # Decimal costs more than writing it, and equal values may still be written differently
        # (12.5 and 12.50, the same instant at two offsets), which a result carries in its text.
        start, end = product.sale_start, product.sale_end
        key = (str(product.price), product.currency, str(product.sale_price),
               start.isoformat() if start is not None else None,
               end.isoformat() if end is not None else None, now)
        result = self._memo.get(key)
        if result is None:
            if len(self._memo) >= 4096:
                self._memo.clear()
            result = self._memo[key] = self._compute(product, now, None)
        return result

    def _compute(self, product: Product, now: datetime,
                 trace: list[TraceStep] | None) -> PriceResult:
        result = self._compute_amounts(product, now, trace)
        if result.amount is not None:
            result.text = self.format(result.amount, result.currency)
        if result.sale_amount is not None:
            result.sale_text = self.format(result.sale_amount, result.currency)
        return result

    def _compute_amounts(self, product: Product, now: datetime,
                         trace: list[TraceStep] | None) -> PriceResult:
        problems: list[Problem] = []
        currency = self.spec.currency or product.currency
        amount = self.apply(product.price, product.currency, "price", trace, problems)
        result = PriceResult(amount, currency, problems=problems)
        sale = product.sale_price
        if sale is None:
            return result
        start = as_utc(product.sale_start) if product.sale_start else None
        end = as_utc(product.sale_end) if product.sale_end else None
        moment = as_utc(now)
        if (start is not None and moment < start) or (end is not None and moment >= end):
            if trace is not None:
                window = f"{start.isoformat() if start else '…'}/{end.isoformat() if end else '…'}"
                trace.append(TraceStep("sale_price", f"[price] sale window {window}",
                                       format(sale, "f"), "not active now"))
            return result
        if self.spec.sale_rules:
            sale_amount = self.apply(sale, product.currency, "sale_price", trace, problems)
        else:
            factor = self.factor(product.currency)
            sale_amount = None if factor is None else (sale * factor).quantize(minor_unit(currency))
        if sale_amount is None or amount is None:
            return result
        if sale_amount >= amount:
            problems.append((Severity.WARNING, "sale_not_lower",
                             f"sale price {sale_amount} is not below the price {amount}; "
                             f"sent without a sale price"))
            return result
        result.sale_amount = sale_amount
        if start is not None and end is not None:
            result.sale_window = f"{start.isoformat()}/{end.isoformat()}"
        return result

    def format(self, amount: Decimal, currency: str) -> str:
        """``amount`` in the mapping's price format (default ``12.99 USD``)."""
        return self._format(amount=plain_text(amount), currency=currency)


def round_price(amount: Decimal, mode: str, unit: Decimal = Decimal("0.01")) -> Decimal:
    """Round up to the next price ending in .99 / .95, or to the next whole unit.

    Rounding only goes up, so a markup or a minimum is never undercut by the rounding step.
    """
    cents = amount.quantize(unit, rounding=ROUND_CEILING)
    if mode == "whole" or unit == 1:
        return cents.quantize(Decimal(1), rounding=ROUND_CEILING)
    ending = Decimal(mode)  # "0.99" or "0.95"
    whole = cents.quantize(Decimal(1), rounding=ROUND_FLOOR)
    candidate = whole + ending
    return candidate if candidate >= cents else candidate + 1


def shown_quantity(available: int, spec: QuantitySpec,
                   trace: list[TraceStep] | None = None, label: str = "quantity") -> int:
    """The stock a channel is shown (see the module docstring for the order of steps)."""
    quantity = available
    if trace is None and not (spec.reserve or spec.buffer_units or spec.buffer_percent
                              or spec.floor or spec.max is not None):
        return max(quantity, 0)  # the default [quantity]: every step leaves it as it is

    def note(rule: str, before: int, after: int) -> None:
        if trace is not None:
            trace.append(TraceStep(label, f"[quantity] {rule}", before, after))

    if spec.reserve:
        note(f"reserve {spec.reserve}", quantity, quantity - spec.reserve)
        quantity -= spec.reserve
    buffer = spec.buffer_units
    if spec.buffer_percent and quantity > 0:
        buffer += math.ceil(quantity * spec.buffer_percent / 100)
    if buffer:
        note(f"buffer {spec.buffer_percent}% + {spec.buffer_units} units", quantity,
             quantity - buffer)
        quantity -= buffer
    if quantity <= spec.floor and quantity != 0:
        note(f"floor {spec.floor}", quantity, 0)
        quantity = 0
    if spec.max is not None and quantity > spec.max:
        note(f"max {spec.max}", quantity, spec.max)
        quantity = spec.max
    return max(quantity, 0)


def untracked_quantity(spec: QuantitySpec) -> int:
    """What a channel is shown for stock the store does not count: ``untracked_quantity``,
    capped by ``max``, never below 1 (untracked stock is in stock)."""
    amount = spec.untracked_quantity
    if spec.max is not None:
        amount = min(amount, spec.max)
    return max(amount, 1)


def availability_word(quantity: int, spec: QuantitySpec) -> str:
    """``in_stock`` when something can be sold, else the configured out-of-stock word."""
    return "in_stock" if quantity > 0 else spec.when_out
