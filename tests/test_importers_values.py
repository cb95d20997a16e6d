"""Cell parsers: money without locale guessing, quantities, GTINs, dates, lists, currencies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from feedsync.catalog.importers import values
from feedsync.catalog.importers.values import FieldError


@pytest.mark.parametrize(("text", "expected"), [
    ("12.99", Decimal("12.99")), (" 7 ", Decimal("7")), ("0.1234", Decimal("0.1234")),
    ("1299.00", Decimal("1299.00")),
])
def test_money_accepts_plain_decimals_exactly(text: str, expected: Decimal) -> None:
    value = values.parse_money(text)
    assert value == expected
    assert str(value) == text.strip()


@pytest.mark.parametrize(("text", "reason"), [
    ("12,99", "does not guess"),
    ("1,299.00", "does not guess"),
    ("$12.99", "currency symbol"),
    ("€ 12", "currency symbol"),
    ("-5.00", "negative"),
    ("1.2E+03", "scientific notation"),
    ("12.34567", "more than 4 decimal places"),
    ("twelve", "not a number"),
    ("", "not a number"),
])
def test_money_rejects_ambiguous_or_wrong_text(text: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        values.parse_money(text)


def test_quantity_whole_non_negative() -> None:
    assert values.parse_quantity("12") == 12
    assert values.parse_quantity("3.0") == 3  # spreadsheets write whole numbers like this
    with pytest.raises(FieldError, match="negative"):
        values.parse_quantity("-2")
    with pytest.raises(FieldError, match="whole number"):
        values.parse_quantity("2.5")
    with pytest.raises(FieldError, match="does not guess"):
        values.parse_quantity("1,000")


@pytest.mark.parametrize("gtin", ["4006381333931", "614141000036", "96385074", "00614141000036"])
def test_valid_gtins(gtin: str) -> None:
    assert values.parse_gtin(gtin) == gtin


@pytest.mark.parametrize(("text", "reason"), [
    ("4006381333932", "check digit"),
    ("40063813339", "8, 12, 13 or 14 digits"),
    ("4.00638E+12", "scientific notation"),
    ("ABC123456789", "digits only"),
])
def test_invalid_gtins(text: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        values.parse_gtin(text)


def test_gtin_with_check_digit_builds_valid_codes() -> None:
    assert values.gtin_with_check_digit("400638133393") == "4006381333931"


def test_dates() -> None:
    assert values.parse_datetime("2026-06-30") == datetime(2026, 6, 30)
    assert values.parse_datetime("2026-06-30", end_of_day=True) == datetime(2026, 6, 30, 23, 59,
                                                                             59)
    assert values.parse_datetime("2026-06-01 0:00:00") == datetime(2026, 6, 1)  # WooCommerce
    assert values.parse_datetime("2026-06-01T09:30Z") == datetime(2026, 6, 1, 9, 30,
                                                                   tzinfo=UTC)
    assert values.parse_datetime("2026-06-01T09:30:00+0200").utcoffset() == timedelta(hours=2)
    for bad in ("30/06/2026", "2026-13-01", "tomorrow"):
        with pytest.raises(FieldError):
            values.parse_datetime(bad)


def test_currency_and_url() -> None:
    assert values.parse_currency(" eur ") == "EUR"
    with pytest.raises(FieldError, match="ISO 4217"):
        values.parse_currency("EURO")
    with pytest.raises(FieldError, match="ISO 4217"):
        values.parse_currency("XAU")  # gold is not a shop currency
    assert values.parse_url("https://x.example/a b|c.jpg") == "https://x.example/a%20b%7Cc.jpg"
    with pytest.raises(FieldError, match="absolute"):
        values.parse_url("www.example.com/a.jpg")


def test_split_and_join_escaped_round_trip() -> None:
    items = values.split_escaped(r"kitchen, stoneware\, glazed, , gifts")
    assert items == ["kitchen", "stoneware, glazed", "gifts"]
    assert values.split_escaped(values.join_escaped(items)) == items


def test_category_path_normalised() -> None:
    assert values.category_path("Home>Kitchen >  Mugs") == "Home > Kitchen > Mugs"
    assert values.category_path(" Books ") == "Books"
