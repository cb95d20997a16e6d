"""Orders, units and money per channel and day, streamed from the orders tables.

The rules (docs/report.md):

- An order belongs to the day it was placed (``orders.created_at``, UTC) and to its channel.
- Revenue is item revenue: each line's ``unit_price × quantity`` (the order total when no line
  has a price). Shipping and tax the buyer paid are not revenue here.
- Cancelled orders count as cancelled and add no money. Refunded orders count as refunded and
  add no revenue, fees or cost of goods (the goods came back); their fulfilment cost still
  counts when any unit had shipped.
- Cost of goods: each line's quantity × the product's cost (``attributes.cost``, else
  ``attributes.cost_per_item``, in the product's currency); a line whose SKU has no cost adds
  its units to ``cogs_missing_units`` instead of a guessed zero.
- Fees: see :mod:`feedsync.report.fees`. Margin = revenue − fees − cost of goods − fulfilment.

Rows are read in one streamed query ordered by order, so memory does not grow with the number
of orders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlite_utils

from feedsync.config import FeeSettings
from feedsync.report.fees import order_fees
from feedsync.report.money import ZERO, Amounts, Converter

MONEY_FIGURES = ("revenue", "fees", "fees_reported", "fees_estimated", "cogs", "fulfilment",
                 "margin")


@dataclass
class ChannelMoney:
    """One channel's order figures over the period.

    While orders stream in, money is summed per (day, currency) in plain lists (one Decimal
    per figure): the cheapest exact accumulation. :meth:`finish` then fills ``totals`` and
    ``daily`` (figure → :class:`Amounts`) once.
    """

    orders: int = 0
    units: int = 0
    cancelled: int = 0
    refunded: int = 0
    fees_unknown: int = 0  # orders with no reported fees and no usable fee model
    cogs_missing_units: int = 0
    totals: dict[str, Amounts] = field(default_factory=lambda: {n: Amounts()
                                                                for n in MONEY_FIGURES})
    # day (ISO) → {"orders", "units", figure → Amounts}; filled by finish()
    daily: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cells: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)
    _day_counts: dict[str, list[int]] = field(default_factory=dict)

    def count(self, day: str, units: int) -> None:
        """One more order (and its units) on ``day``."""
        counts = self._day_counts.get(day)
        if counts is None:
            counts = self._day_counts[day] = [0, 0]
        counts[0] += 1
        counts[1] += units

    def add(self, day: str, currency: str, values: tuple[Decimal, ...]) -> None:
        """Add one order's figures (in :data:`MONEY_FIGURES` order)."""
        cell = self._cells.get((day, currency))
        if cell is None:
            self._cells[(day, currency)] = list(values)
        else:
            for index, value in enumerate(values):
                cell[index] += value

    def finish(self) -> ChannelMoney:
        """Turn the accumulators into ``totals`` and ``daily``."""
        for day, (orders, units) in self._day_counts.items():
            self.daily[day] = {"orders": orders, "units": units,
                               **{n: Amounts() for n in MONEY_FIGURES}}
        for (day, currency), cell in self._cells.items():
            bucket = self.daily.setdefault(day, {"orders": 0, "units": 0, **{
                n: Amounts() for n in MONEY_FIGURES}})
            for name, value in zip(MONEY_FIGURES, cell, strict=True):
                bucket[name].add(currency, value)
                self.totals[name].add(currency, value)
        return self


_QUERY = """
SELECT o.channel, o.order_id, o.status, o.created_at, o.currency, o.fees,
       o.fulfillment_channel, o.total, l.quantity, l.unit_price, l.currency, l.shipped_high,
       p.currency, COALESCE(json_extract(p.attributes, '$.cost'),
                            json_extract(p.attributes, '$.cost_per_item'))
FROM orders o
LEFT JOIN order_lines l
       ON l.channel = o.channel AND l.account = o.account AND l.order_id = o.order_id
LEFT JOIN products p ON p.sku = l.sku
WHERE o.created_at >= ? AND o.created_at < ? {channel_filter}
ORDER BY o.channel, o.account, o.order_id, l.position
"""


def _dec(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        value = Decimal(text if isinstance(text, str) else str(text))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(slots=True)
class _Order:
    channel: str
    status: str
    day: str
    currency: str
    reported_fees: Decimal | None
    merchant_fulfilled: bool
    total: Decimal | None
    revenue: Decimal = ZERO
    priced_lines: int = 0
    units: int = 0
    shipped: bool = False
    cogs: Decimal = ZERO
    cogs_missing_units: int = 0


def _orders(db: sqlite_utils.Database, start: str, end: str, channels: Sequence[str],
            default_currency: str, converter: Converter) -> Iterator[_Order]:
    params: list[Any] = [start, end]
    channel_filter = ""
    if channels:
        channel_filter = f"AND o.channel IN ({', '.join('?' for _ in channels)})"
        params.extend(channels)
    current: _Order | None = None
    current_key: tuple[str, str] | None = None
    for (channel, order_id, status, created_at, currency, fees, fulfilment_channel, total,
         quantity, unit_price, line_currency, shipped_high, product_currency,
         cost) in db.execute(_QUERY.format(channel_filter=channel_filter), params):
        key = (channel, order_id)
        if key != current_key:
            if current is not None:
                yield current
            current_key = key
            current = _Order(channel=channel, status=status, day=str(created_at)[:10],
                             currency=currency or default_currency,
                             reported_fees=_dec(fees),
                             merchant_fulfilled=(fulfilment_channel or "") != "marketplace",
                             total=_dec(total))
        assert current is not None
        if quantity is None:  # an order without lines
            continue
        qty = int(quantity)
        current.units += qty
        current.shipped = current.shipped or bool(shipped_high)
        price = _dec(unit_price)
        line_total = None if price is None else price * qty
        if line_total is not None and line_currency and line_currency != current.currency:
            # A line priced in another currency than its order (rare): converted with the
            # workspace rates, or treated as unpriced when there is no rate.
            line_total = converter.between(line_total, line_currency, current.currency)
        if line_total is not None:
            current.priced_lines += 1
            current.revenue += line_total
        unit_cost = _dec(cost)
        if unit_cost is None:
            current.cogs_missing_units += qty
            continue
        line_cost = unit_cost * qty
        if product_currency and product_currency != current.currency:
            converted = converter.between(line_cost, product_currency, current.currency)
            if converted is None:
                current.cogs_missing_units += qty
                continue
            line_cost = converted
        current.cogs += line_cost
    if current is not None:
        yield current


def channel_money(db: sqlite_utils.Database, *, start: str, end: str,
                  channels: Sequence[str], default_currency: str,
                  rates: Mapping[str, Decimal],
                  fee_models: Mapping[str, FeeSettings]) -> dict[str, ChannelMoney]:
    """Order figures per channel for orders placed in ``[start, end)`` (ISO timestamps)."""
    converter = Converter(default_currency, rates)
    out: dict[str, ChannelMoney] = {}
    zeros = (ZERO,) * len(MONEY_FIGURES)
    for order in _orders(db, start, end, channels, default_currency, converter):
        figures = out.get(order.channel)
        if figures is None:
            figures = out[order.channel] = ChannelMoney()
        if order.status == "cancelled":
            figures.cancelled += 1
            continue
        figures.orders += 1
        figures.units += order.units
        figures.count(order.day, order.units)
        revenue = order.revenue if order.priced_lines else (order.total or ZERO)
        fees = order_fees(revenue=revenue, units=order.units, currency=order.currency,
                          reported_fees=order.reported_fees,
                          merchant_fulfilled=order.merchant_fulfilled,
                          model=fee_models.get(order.channel), converter=converter)
        if order.status == "refunded":
            figures.refunded += 1
            values = zeros
            if order.shipped and fees.fulfilment:
                # revenue, fees, reported, estimated, cogs, fulfilment, margin
                values = (ZERO, ZERO, ZERO, ZERO, ZERO, fees.fulfilment, -fees.fulfilment)
        else:
            if not fees.known:
                figures.fees_unknown += 1
            figures.cogs_missing_units += order.cogs_missing_units
            values = (revenue, fees.fees, fees.fees if fees.reported else ZERO,
                      ZERO if fees.reported else fees.fees, order.cogs, fees.fulfilment,
                      revenue - fees.fees - order.cogs - fees.fulfilment)
        figures.add(order.day, order.currency, values)
    for figures in out.values():
        figures.finish()
    return out
