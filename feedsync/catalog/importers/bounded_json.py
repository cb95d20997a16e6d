"""Reading one JSON Lines object with bounded cost and one set of value rules (issue #16).

``json.loads`` alone accepts what a hostile or broken file throws at it and fails late with a
traceback: an array nested 100,000 deep (RecursionError), a 5,000-digit number (ValueError from
Python's integer-digit limit), ``0.1e1000`` (a 1,000-digit price once written out), a lone
surrogate ``\\ud800`` (UnicodeEncodeError when the row is hashed), duplicate keys (the last one
silently wins). Here each of these is a :class:`JsonRefused` with a reason a merchant can act on.

Numbers are kept as their literal text (:class:`JsonNumber`), so a JSON price or quantity goes
through exactly the same cell rules as a CSV one: ``1e2`` as a quantity is refused as scientific
notation in both formats, ``12.5`` is read the same in both.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # arrays/objects inside each other; attributes are rarely deeper than 3
MAX_NUMBER_CHARS = 40  # a price, quantity or measure never needs more


class JsonRefused(ValueError):
    """The line is JSON feedsync refuses to read; ``reason`` says why, ``key`` where if known."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


class JsonNumber(str):
    """A JSON number as written in the file (``"12.50"``, ``"1e2"``): text, checked later."""

    __slots__ = ()


def _number(text: str) -> JsonNumber:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number of {len(text)} digits (at most {MAX_NUMBER_CHARS} are read)")
    return JsonNumber(text)


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a number (JSON has no NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonRefused("the key appears twice in one object (which one is meant?)",
                                  key)
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_constant,
                            object_pairs_hook=_unique_keys)
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(line: str) -> int:
    """How deep arrays and objects nest in ``line`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for token in _TOKENS.finditer(line):
        char = token.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(line: str) -> Any:
    """The JSON value of ``line``; JSONDecodeError for syntax, JsonRefused for the rules above."""
    if line.count("[") + line.count("{") > MAX_DEPTH and nesting_depth(line) > MAX_DEPTH:
        raise JsonRefused(f"arrays/objects nested more than {MAX_DEPTH} deep")
    value = _DECODER.decode(line)
    if ("\\ud" in line or "\\uD" in line) and isinstance(value, dict):
        for key, item in value.items():
            try:
                json.dumps(item, ensure_ascii=False).encode("utf-8")
                key.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonRefused("contains a lone UTF-16 surrogate escape (\\ud800–\\udfff "
                                  "without its pair): not text", key) from None
    return value


def plain(value: Any, key: str) -> Any:
    """``value`` with its :class:`JsonNumber` leaves as int/float (for free-form attributes)."""
    if isinstance(value, JsonNumber):
        number: float | int
        if re.fullmatch(r"-?\d+", value):
            number = int(value)
        else:
            number = float(value)
            if not math.isfinite(number):
                raise JsonRefused(f"the number {value} is out of range", key)
        return number
    if isinstance(value, dict):
        return {k: plain(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, key) for v in value]
    return value
