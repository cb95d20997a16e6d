"""Identifier and link transforms: GTINs, absolute URLs, amounts.

Registered in :mod:`feedsync.mapping.transforms_base` when imported (by
:mod:`feedsync.mapping.transforms`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import quote, urljoin, urlsplit

from pydantic import field_validator

from feedsync.mapping.transforms_base import (
    Args,
    Problem,
    Step,
    Value,
    _register,
)
from feedsync.models import Severity

_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))


def gtin_check_digit_ok(digits: str) -> bool:
    """GS1 mod-10 check: weights 3,1,3,1… from the right, excluding the check digit.

    ``digits`` holds ASCII digits only; they are turned into their values as bytes at once
    (runs once per SKU and feed).
    """
    values = digits.encode("ascii").translate(_DIGIT_VALUES)
    total = 3 * sum(values[-2::-2]) + sum(values[-3::-2])
    return (10 - total % 10) % 10 == values[-1]


_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")


def normalise_gtin(raw: str) -> tuple[str | None, str]:
    """``(digits, "")`` for a valid GTIN-8/12/13/14, or ``(None, why)``."""
    text = raw.strip()
    if not (text.isdigit() and text.isascii()):
        text = text.replace(" ", "").replace("-", "")
        if _SCIENTIFIC.fullmatch(text):
            return None, "looks like a spreadsheet number in scientific notation"
        if not text.isdigit() or not text.isascii():
            return None, "is not all digits"
    if len(text) not in (8, 12, 13, 14):
        return None, f"has {len(text)} digits (a GTIN has 8, 12, 13 or 14)"
    if not text.strip("0"):
        return None, "is all zeros"
    if not gtin_check_digit_ok(text):
        return None, "has a wrong check digit"
    return text, ""


class GtinArgs(Args):
    invalid: Literal["drop", "error"] = "drop"


@_register("gtin", "Normalise a GTIN (digits only) and verify its check digit.",
           GtinArgs, ("400-638-133393-1", {}, "4006381333931"))
def _gtin(args: GtinArgs) -> Step:
    as_error = args.invalid == "error"

    def check(text: str, problems: list[Problem]) -> str:
        digits, why = normalise_gtin(text)
        if digits is not None:
            return digits
        if as_error:
            problems.append((Severity.ERROR, "invalid_gtin", f"GTIN {text!r} {why}"))
            return ""
        problems.append((Severity.WARNING, "invalid_gtin",
                         f"GTIN {text!r} {why}; sent without a GTIN"))
        return ""

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return check(value, problems) if value else value
        return [out for item in value if item and (out := check(item, problems))]

    return step


class AbsoluteUrlArgs(Args):
    base: str

    @field_validator("base")
    @classmethod
    def _absolute(cls, base: str) -> str:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base must be an absolute http(s) URL")
        return base if base.endswith("/") else base + "/"


_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


@_register("absolute_url", "Resolve a relative link against `base`; encode spaces.",
           AbsoluteUrlArgs, ("/img/tee red.jpg", {"base": "https://shop.example.com"},
                             "https://shop.example.com/img/tee%20red.jpg"))
def _absolute_url(args: AbsoluteUrlArgs) -> Step:
    base = args.base

    def resolve(text: str, problems: list[Problem]) -> str:
        url = urljoin(base, text.strip())
        url = quote(url, safe=_URL_SAFE)
        if urlsplit(url).scheme not in ("http", "https"):
            problems.append((Severity.ERROR, "bad_url", f"{text!r} is not an http(s) link"))
            return ""
        return url

    def step(value: Value, problems: list[Problem]) -> Value:
        if isinstance(value, str):
            return resolve(value, problems) if value else value
        return [out for item in value if item and (out := resolve(item, problems))]

    return step


def parse_amount(text: str) -> Decimal | None:
    """A Decimal from text, or None (used by filters and rules on text values)."""
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None
