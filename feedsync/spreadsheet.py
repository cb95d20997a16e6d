"""CSV files meant for spreadsheets never run a formula (OWASP's CSV-injection rule, issue #16).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula: a product title ``=HYPERLINK("http://evil", "x")``
or a buyer name ``+cmd|' /C calc'!A0`` from a marketplace would run when the merchant opens the
file. Such a cell is written with a leading ``'`` (which spreadsheets show as "text"), as
https://owasp.org/www-community/attacks/CSV_Injection recommends. Plain numbers (``-12.50``)
are left alone: they are not formulas.

Which files (docs/catalog-formats.md, docs/orders.md): ``catalog export`` (CSV) and
``orders export`` (CSV) are neutralised. Feeds fetched by a marketplace (the Meta catalog CSV,
Google's TSV) keep the exact value, because the channel shows the text as written; JSON Lines
exports keep it exact too. The native CSV importer removes the ``'`` again
(:func:`restore`), so an export imports back unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def neutralise(value: str) -> str:
    """``value``, prefixed with ``'`` if a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_STARTS):
        return value if _PLAIN_NUMBER.fullmatch(value) else "'" + value
    if value[:1] == "'" and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value  # already looks neutralised: one more ', so restore() is exact
    return value


def neutralise_row(cells: Sequence[object]) -> list[object]:
    """A row's cells with every text cell neutralised (other values untouched)."""
    return [neutralise(c) if isinstance(c, str) else c for c in cells]


def restore(cells: list[str]) -> list[str]:
    """Undo :func:`neutralise` on the cells of a row read back (cheap when nothing to undo)."""
    if not ("\x00'" in "\x00".join(cells) or (cells and cells[0][:1] == "'")):
        return cells
    return [c[1:] if c[:1] == "'" and c.lstrip("'").startswith(FORMULA_STARTS) else c
            for c in cells]


class SpreadsheetWriter:
    """``csv.writer`` for files meant for spreadsheets: rows end with ``\n``, every text cell
    is neutralised, and a row holding a carriage return is written with every cell quoted.

    Why: with ``lineterminator="\n"``, QUOTE_MINIMAL quotes a value holding ``\n`` (a
    character of the line terminator) but not a bare ``\r``, which every CSV reader takes as
    the end of the record, so the file broke at that cell (CPython 3.11 behaviour, checked by
    tests/hardening/test_csv_injection.py). Quoting is always allowed, so those rows are
    quoted whole; the others are written exactly as before.
    """

    def __init__(self, out: IO[str]) -> None:
        self._plain = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: Sequence[object]) -> Any:
        """Write one row (neutralised; quoted whole if a cell holds a carriage return)."""
        row = neutralise_row(cells)
        bare_cr = any(isinstance(c, str) and "\r" in c for c in row)
        return (self._quoted if bare_cr else self._plain).writerow(row)
