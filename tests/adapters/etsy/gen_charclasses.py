"""Generate adapters/etsy/charclasses.py from unicodedata: ``python gen_charclasses.py > …``."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable

HEADER = '''"""Unicode character classes for Etsy's text rules, generated from Python's unicodedata.

Etsy states its rules as PCRE classes (\\\\p{L}, \\\\p{Nd}, \\\\p{P}, \\\\p{Sm},
\\\\p{Zs}); Python's ``re`` has no \\\\p{…}, and computing the ranges at import costs half
a CPU second, so they are generated once by ``tests/adapters/etsy/gen_charclasses.py``
(a test checks this file against the running interpreter's unicodedata when the Unicode
versions match).
"""
'''


def ranges(test: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Inclusive code point ranges whose general category passes ``test``."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    prev = 0
    for cp in range(sys.maxunicode + 1):
        if test(unicodedata.category(chr(cp))):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            out.append((start, prev))
            start = None
    if start is not None:
        out.append((start, prev))
    return out


def base_ranges() -> list[tuple[int, int]]:
    """\\p{L} \\p{Nd} \\p{Zs}."""
    return ranges(lambda c: c[0] == "L" or c in ("Nd", "Zs"))


def extra_ranges() -> list[tuple[int, int]]:
    """\\p{P} \\p{Sm}."""
    return ranges(lambda c: c[0] == "P" or c == "Sm")


def _rows(rs: list[tuple[int, int]], per_line: int = 4) -> list[str]:
    items = [f"(0x{a:X}, 0x{b:X})," for a, b in rs]
    return ["    " + " ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]


def generate() -> str:
    """The module's text."""
    lines = [HEADER,
             f'UNIDATA_VERSION = "{unicodedata.unidata_version}"', "",
             "# \\p{L} \\p{Nd} \\p{Zs}: letters, decimal digits, space separators (inclusive).",
             "LETTERS_DIGITS_SPACES: tuple[tuple[int, int], ...] = (", *_rows(base_ranges()), ")",
             "# \\p{P} \\p{Sm}: punctuation and mathematical symbols (inclusive ranges).",
             "PUNCTUATION_MATH: tuple[tuple[int, int], ...] = (", *_rows(extra_ranges()), ")", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(generate())
