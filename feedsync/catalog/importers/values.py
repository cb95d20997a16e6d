"""Parsing one cell: money, quantities, measures, GTINs, dates, URLs, lists, currencies.

Every parser takes the raw text of a cell and returns a typed value or raises
:class:`FieldError` with a reason a merchant can act on. Nothing here guesses: a price written
``12,99`` is rejected (is the comma a decimal or a thousands separator?) rather than read in some
locale, because a wrong guess silently multiplies a price by 100.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from feedsync.catalog.importers.currencies import ISO_4217

MAX_DECIMALS = 4  # net prices entered ex-tax in EU shops often carry 3-4 decimals
# Upper bounds (issue #16): a bigger value is a typo or hostile input, and 2**63 would not even
# fit SQLite's INTEGER. Marketplaces store stock as 32-bit integers (Amazon, eBay, Google).
MAX_QUANTITY = 2**31 - 1
MAX_INTEGER_DIGITS = 12  # 999,999,999,999.9999 as a price, weight or length


class FieldError(ValueError):
    """A cell's value is invalid; ``reason`` says why and what to write instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ".5" without the leading zero is how WooCommerce writes weights and prices (issue #10).
_PLAIN_DECIMAL = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_INTEGER = re.compile(r"-?\d+")
_SCIENTIFIC = re.compile(r"[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+")


def _diagnose_number(text: str, what: str) -> FieldError:
    """The most helpful reason why ``text`` is not a plain non-negative decimal."""
    if "," in text:
        return FieldError(
            f"{what} contains ',': feedsync does not guess whether it is a decimal or a "
            "thousands separator; write '.' as the decimal separator and no thousands "
            "separator (e.g. 12.99 or 1299.00)"
        )
    if _SCIENTIFIC.fullmatch(text):
        return FieldError(
            f"{what} is in scientific notation (a spreadsheet reformatted it); "
            "format the column as text and export again"
        )
    if text.startswith("-") and _PLAIN_DECIMAL.fullmatch(text[1:]):
        return FieldError(f"{what} must not be negative")
    if any(symbol in text for symbol in "$€£¥₹"):
        return FieldError(
            f"{what} contains a currency symbol; write the amount only and the ISO code in "
            "the currency column"
        )
    return FieldError(f"{what} is not a number (expected e.g. 12.99)")


# Prices and weights repeat across a catalog (a family's variants, price points): the parsers
# below are pure and return immutable Decimals, so the last few thousand answers are kept
# (invalid cells raise, and are never cached).
@functools.lru_cache(maxsize=4096)
def parse_money(text: str, what: str = "price") -> Decimal:
    """A non-negative amount with '.' as decimal separator and at most 4 decimals."""
    text = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise _diagnose_number(text, what)
    whole, _, decimals = text.partition(".")
    if len(decimals) > MAX_DECIMALS:
        raise FieldError(f"{what} has more than {MAX_DECIMALS} decimal places")
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise FieldError(f"{what} is too large (more than {MAX_INTEGER_DIGITS} digits before "
                         "the decimal point)")
    return Decimal(text)


@functools.lru_cache(maxsize=4096)
def parse_measure(text: str, what: str) -> Decimal:
    """A non-negative decimal such as a weight or a length."""
    text = text.strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise _diagnose_number(text, what)
    if len(text.partition(".")[0].lstrip("0")) > MAX_INTEGER_DIGITS:
        raise FieldError(f"{what} is too large (more than {MAX_INTEGER_DIGITS} digits before "
                         "the decimal point)")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise FieldError(f"{what} is not a number") from None


def parse_quantity(text: str) -> int:
    """A whole, non-negative stock quantity (at most :data:`MAX_QUANTITY`)."""
    if text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    text = text.strip()
    if _INTEGER.fullmatch(text):
        if len(text.lstrip("-0")) > 10 or int(text) > MAX_QUANTITY:
            raise FieldError(f"quantity is too large (at most {MAX_QUANTITY:,}): a typo, or "
                             "a spreadsheet formula's result?")
        value = int(text)
        if value < 0:
            raise FieldError(
                "quantity must not be negative (an oversold item has 0 available); "
                "write 0 or correct the stock in the store"
            )
        return value
    if re.fullmatch(r"\d{1,10}\.0+", text) and int(text.split(".")[0]) <= MAX_QUANTITY:
        return int(text.split(".")[0])
    if re.fullmatch(r"-?\d+\.\d+", text):
        raise FieldError("quantity must be a whole number")
    raise _diagnose_number(text, "quantity")


def gtin_check_digit_ok(digits: str) -> bool:
    """Whether the last digit of a GTIN-8/12/13/14 is its GS1 mod-10 check digit."""
    # Weights 3,1,3,1… from the digit left of the check digit, leftwards.
    if digits.isascii() and digits.isdigit():  # digit sums from the ASCII codes, in C
        tripled, single = digits[-2::-2].encode(), digits[-3::-2].encode()
        total = (3 * (sum(tripled) - 48 * len(tripled)) + sum(single) - 48 * len(single))
    else:
        total = 3 * sum(map(int, digits[-2::-2])) + sum(map(int, digits[-3::-2]))
    return (10 - total % 10) % 10 == int(digits[-1])


def gtin_with_check_digit(body: str) -> str:
    """``body`` followed by its GS1 check digit (for generating sample and bench data)."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def parse_gtin(text: str) -> str:
    """A GTIN-8, UPC-A (12), EAN-13 or GTIN-14 with a valid check digit."""
    text = text.strip()
    if text.isdigit() and text.isascii() and len(text) in (8, 12, 13, 14):
        if gtin_check_digit_ok(text):
            return text
        raise FieldError("GTIN check digit is wrong (mistyped, or leading zeros lost?)")
    if _SCIENTIFIC.fullmatch(text):
        raise FieldError(
            "GTIN is in scientific notation (a spreadsheet reformatted it and lost digits); "
            "format the column as text and export again"
        )
    if not text.isdigit() or not text.isascii():
        raise FieldError("GTIN must contain digits only")
    raise FieldError(f"GTIN must have 8, 12, 13 or 14 digits, not {len(text)}")


def looks_like_gtin(text: str) -> bool:
    """Whether ``text`` has a GTIN's shape (digits, GTIN length), valid or not."""
    text = text.strip()
    return text.isdigit() and text.isascii() and len(text) in (8, 12, 13, 14)


_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


def parse_datetime(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time (``T`` or space, optional offset).

    A date alone means the start of that day, or its last second when ``end_of_day`` (a sale
    that ends on 2024-06-30 runs through that day). WooCommerce writes hours without a leading
    zero ("2024-06-01 0:00:00"), which is accepted too.
    """
    text = text.strip()
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise FieldError("is not an ISO 8601 date (expected e.g. 2024-06-30 or 2024-06-30T18:00)")
    day, hour, minute, second, fraction, offset = match.groups()
    try:
        if hour is None:
            moment = datetime.fromisoformat(day)
            if end_of_day:
                moment = datetime.combine(moment.date(), time(23, 59, 59))
            if offset:
                moment = datetime.fromisoformat(f"{moment.isoformat()}{_offset(offset)}")
            return moment
        stamp = f"{day}T{int(hour):02d}:{minute}:{second or '00'}{fraction or ''}"
        return datetime.fromisoformat(stamp + (_offset(offset) if offset else ""))
    except ValueError as exc:
        raise FieldError(f"is not a valid date ({exc})") from None


def _offset(offset: str) -> str:
    if offset == "Z":
        return "+00:00"
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"


@functools.lru_cache(maxsize=512)
def parse_currency(text: str) -> str:
    """An ISO 4217 currency code (case-insensitive on input, stored upper case)."""
    code = text.strip().upper()
    if code not in ISO_4217:
        raise FieldError("is not an ISO 4217 currency code (e.g. USD, EUR, GBP)")
    return code


_PLAIN_URL = re.compile(r"https?://[^\s|]{4,}")


def parse_url(text: str, what: str = "URL") -> str:
    """An absolute http(s) URL; spaces and '|' are percent-encoded as browsers do."""
    url = text.strip()
    if _PLAIN_URL.fullmatch(url):
        return url
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) < 12:
        raise FieldError(f"{what} must be an absolute http(s) URL")
    if any(c in url for c in "\t\r\n"):
        raise FieldError(f"{what} contains a line break or tab")
    return url.replace(" ", "%20").replace("|", "%7C")


def split_escaped(text: str, separator: str = ",") -> list[str]:
    """Split a list cell on ``separator``; ``\\`` before it keeps it (WooCommerce writes ``\\,``).

    Items are stripped and empty items dropped.
    """
    if "\\" + separator not in text:
        return [item.strip() for item in text.split(separator) if item.strip()]
    items: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following == separator:
                current.append(separator)
            else:
                current.append(char + following)
        elif char == separator:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def join_escaped(items: list[str], separator: str = ",") -> str:
    """Inverse of :func:`split_escaped` (used by the native export)."""
    return f"{separator} ".join(item.replace(separator, "\\" + separator) for item in items)


def unique(items: list[str]) -> list[str]:
    """``items`` without repeats, first occurrence kept, order preserved."""
    return list(dict.fromkeys(items))


def category_path(text: str) -> str:
    """A category path normalised to single spaces around '>' ("A>B" -> "A > B")."""
    if ">" not in text:
        return text.strip()
    return " > ".join(part.strip() for part in text.split(">") if part.strip())
