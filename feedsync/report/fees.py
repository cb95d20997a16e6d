"""What a channel keeps of an order: the fees it reports, or the merchant's fee model.

A channel that reports its fees on the order (stored in ``orders.fees`` by its adapter) is
believed: those fees are *reported*. Otherwise ``feedsync.toml [fees.<channel>]`` estimates
them: ``referral_rate`` and ``payment_rate`` of the order's item revenue, plus ``per_order`` and
``per_unit`` fixed fees; those fees are *estimated*. Fulfilment (pick, pack, postage) comes only
from the model, for orders the merchant ships itself (marketplace-fulfilled orders — FBA, WFS —
carry the marketplace's fulfilment fee in its reported fees). A fixed amount in another
currency than the order's is converted with the workspace rates; without a rate the estimate is
not made and the order is counted as ``fees_unknown`` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from feedsync.config import FeeSettings
from feedsync.report.money import ZERO, Converter


@dataclass(frozen=True)
class OrderFees:
    """One order's fees and fulfilment cost, in the order's currency."""

    fees: Decimal
    fulfilment: Decimal
    reported: bool  # True: the channel said so; False: estimated by the model
    known: bool  # False: no reported fees and no usable model


def order_fees(*, revenue: Decimal, units: int, currency: str, reported_fees: Decimal | None,
               merchant_fulfilled: bool, model: FeeSettings | None,
               converter: Converter) -> OrderFees:
    """The fees and fulfilment cost of one order (see the module docstring for the rules)."""
    fulfilment = ZERO
    fixed_ok = True
    if model is not None and merchant_fulfilled:
        cost = _fixed(model.fulfilment_per_order + model.fulfilment_per_unit * units,
                      model, currency, converter)
        if cost is None:
            fixed_ok = False
        else:
            fulfilment = cost
    if reported_fees is not None:
        return OrderFees(fees=reported_fees, fulfilment=fulfilment, reported=True, known=True)
    if model is None:
        return OrderFees(fees=ZERO, fulfilment=fulfilment, reported=False, known=False)
    fixed = _fixed(model.per_order + model.per_unit * units, model, currency, converter)
    if fixed is None or not fixed_ok:
        return OrderFees(fees=ZERO, fulfilment=fulfilment, reported=False, known=False)
    share = (model.referral_rate + model.payment_rate) * revenue
    return OrderFees(fees=share + fixed, fulfilment=fulfilment, reported=False, known=True)


def _fixed(amount: Decimal, model: FeeSettings, currency: str,
           converter: Converter) -> Decimal | None:
    """A fixed amount of the model's currency expressed in the order's ``currency``."""
    if amount == ZERO:
        return ZERO
    return converter.between(amount, model.currency or converter.target, currency)
