"""[price] and [quantity] rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from feedsync.mapping.record import TraceStep
from feedsync.mapping.rules import (
    PriceRule,
    availability_word,
    minor_unit,
    round_price,
    shown_quantity,
)
from feedsync.mapping.spec import PriceSpec, QuantitySpec
from tests.conftest import make_product

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RATES = {"EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "JPY": Decimal("150")}


def price_rule(**spec: object) -> PriceRule:
    return PriceRule(PriceSpec.model_validate(spec), RATES, "USD")


@pytest.mark.parametrize("amount, mode, expected", [
    ("12.30", "0.99", "12.99"),
    ("12.99", "0.99", "12.99"),
    ("13.00", "0.99", "13.99"),
    ("12.96", "0.95", "13.95"),
    ("12.01", "whole", "13"),
    ("12.00", "whole", "12"),
    ("12.001", "0.99", "12.99"),
])
def test_round_price_goes_up(amount: str, mode: str, expected: str) -> None:
    assert round_price(Decimal(amount), mode) == Decimal(expected)


def test_markup_add_round_then_clamp() -> None:
    rule = price_rule(markup_percent="10", add="1.00", round="0.99", max="20")
    trace: list[TraceStep] = []
    result = rule.compute(make_product(price=Decimal("10.00")), NOW, trace)
    assert result.amount == Decimal("12.99")  # 10 × 1.1 + 1 = 12 → 12.99
    assert [s.rule for s in trace] == ["[price] markup_percent 10", "[price] add 1.00",
                                       "[price] round 0.99"]
    clamped = rule.compute(make_product(price=Decimal("50")), NOW)
    assert clamped.amount == Decimal("20")
    assert clamped.problems[0][1] == "price_above_max"


def test_min_is_a_floor() -> None:
    result = price_rule(min="5").compute(make_product(price=Decimal("2.50")), NOW)
    assert result.amount == Decimal("5.00")
    assert result.problems[0][1] == "price_below_min"


def test_currency_conversion_with_fixed_rates() -> None:
    rule = price_rule(currency="EUR")
    result = rule.compute(make_product(price=Decimal("100")), NOW)
    assert (result.amount, result.currency) == (Decimal("92.00"), "EUR")
    # a GBP product priced for EUR goes through the base currency: 79 GBP = 100 USD = 92 EUR
    gbp = rule.compute(make_product(price=Decimal("79"), currency="GBP"), NOW)
    assert gbp.amount == Decimal("92.00")
    assert rule.format(result.amount, result.currency) == "92.00 EUR"  # type: ignore[arg-type]


def test_zero_decimal_currency() -> None:
    result = price_rule(currency="JPY").compute(make_product(price=Decimal("10.01")), NOW)
    assert result.amount == Decimal("1502")


def test_three_decimal_currency_keeps_its_fils() -> None:
    """Minor units come from CLDR (Babel), not a hand list: the Kuwaiti dinar has three."""
    rule = PriceRule(PriceSpec.model_validate({"currency": "KWD"}),
                     {"KWD": Decimal("0.30712")}, "USD")
    result = rule.compute(make_product(price=Decimal("19.99")), NOW)
    assert result.amount == Decimal("6.139")  # 19.99 × 0.30712 = 6.1393…, to the fils
    assert [str(minor_unit(c)) for c in ("USD", "JPY", "KWD", "BHD")] == [
        "0.01", "1", "0.001", "0.001"]


def test_missing_rate_is_an_error_not_a_guess() -> None:
    result = price_rule(currency="EUR").compute(
        make_product(price=Decimal("10"), currency="CHF"), NOW)
    assert result.amount is None
    assert result.problems[0][1] == "currency_rate_missing"


def test_non_positive_price_is_an_error() -> None:
    result = price_rule(add="-20").compute(make_product(price=Decimal("10")), NOW)
    assert result.amount is None and result.problems[0][1] == "price_not_positive"


class TestSale:
    def sale(self, **fields: object) -> object:
        return make_product(price=Decimal("30"), sale_price=Decimal("20"), **fields)

    def test_inside_dates(self) -> None:
        product = self.sale(sale_start=datetime(2026, 11, 27), sale_end=datetime(2026, 12, 1))
        result = price_rule().compute(product, NOW)  # type: ignore[arg-type]
        assert result.sale_amount == Decimal("20.00")
        assert result.sale_window == "2026-11-27T00:00:00+00:00/2026-12-01T00:00:00+00:00"

    @pytest.mark.parametrize("start, end", [
        (datetime(2026, 12, 1), None),  # not started
        (None, datetime(2026, 11, 28, 12, 0)),  # ended exactly now: end is exclusive
    ])
    def test_outside_dates(self, start: datetime | None, end: datetime | None) -> None:
        trace: list[TraceStep] = []
        result = price_rule().compute(self.sale(sale_start=start, sale_end=end),  # type: ignore
                                      NOW, trace)
        assert result.sale_amount is None
        assert trace[-1].after == "not active now"

    def test_open_dates_have_no_window(self) -> None:
        result = price_rule().compute(self.sale(), NOW)  # type: ignore[arg-type]
        assert result.sale_amount == Decimal("20.00") and result.sale_window == ""

    def test_rules_apply_to_sale_unless_disabled(self) -> None:
        product = self.sale()
        assert price_rule(markup_percent="50").compute(product, NOW).sale_amount == \
            Decimal("30.00")  # type: ignore[arg-type]
        # 30 × 1.5 = 45 vs sale 20 untouched
        assert price_rule(markup_percent="50", sale_rules=False).compute(
            product, NOW).sale_amount == Decimal("20.00")  # type: ignore[arg-type]

    def test_sale_not_below_price_is_dropped(self) -> None:
        product = make_product(price=Decimal("20"), sale_price=Decimal("20"))
        result = price_rule().compute(product, NOW)
        assert result.sale_amount is None and result.problems[0][1] == "sale_not_lower"


@pytest.mark.parametrize("available, spec, expected", [
    (10, {}, 10),
    (-3, {}, 0),
    (10, {"reserve": 2}, 8),
    (10, {"buffer_percent": "10"}, 9),  # ceil(1.0)
    (11, {"buffer_percent": "10"}, 9),  # ceil(1.1) = 2
    (10, {"buffer_units": 3}, 7),
    (10, {"reserve": 2, "buffer_percent": "50", "buffer_units": 1}, 3),  # 8 − 4 − 1
    (3, {"floor": 3}, 0),
    (4, {"floor": 3}, 4),
    (500, {"max": 100}, 100),
    (2, {"reserve": 5}, 0),
])
def test_shown_quantity(available: int, spec: dict[str, object], expected: int) -> None:
    assert shown_quantity(available, QuantitySpec.model_validate(spec)) == expected


def test_availability_word() -> None:
    spec = QuantitySpec(when_out="backorder")
    assert availability_word(1, spec) == "in_stock"
    assert availability_word(0, spec) == "backorder"


def test_shared_results_still_report_per_product() -> None:
    rule = price_rule(min="5")
    first = rule.compute(make_product("A", price=Decimal("2")), NOW)
    second = rule.compute(make_product("B", price=Decimal("2")), NOW)
    assert first is second  # computed once per distinct input
    assert (first.text, first.problems[0][1]) == ("5.00 USD", "price_below_min")
    traced: list[TraceStep] = []
    explained = rule.compute(make_product("C", price=Decimal("2")), NOW, traced)
    assert explained is not first and traced  # explain always recomputes, with its trace


def test_remembered_prices_are_those_of_their_own_inputs() -> None:
    # equal values written differently (an instant at two offsets) are not one memo entry
    from datetime import timedelta, timezone

    rule = price_rule()
    start_utc = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    start_cet = start_utc.astimezone(timezone(timedelta(hours=1)))
    end = datetime(2026, 12, 1, tzinfo=UTC)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    windows = []
    for start in (start_utc, start_cet, start_utc):
        product = make_product(price=Decimal("20"), sale_price=Decimal("15"),
                               sale_start=start, sale_end=end)
        result = rule.compute(product, now)
        assert result.sale_window == rule.compute(product, now, trace=[]).sale_window
        windows.append(result.sale_window)
    assert windows == ["2026-11-20T11:00:00+00:00/2026-12-01T00:00:00+00:00",
                       "2026-11-20T12:00:00+01:00/2026-12-01T00:00:00+00:00",
                       "2026-11-20T11:00:00+00:00/2026-12-01T00:00:00+00:00"]
