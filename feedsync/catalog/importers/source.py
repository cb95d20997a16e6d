"""Reading an input file safely: bytes → checked UTF-8 lines → CSV records with line numbers.

The file is streamed line by line and never held in memory. Each physical line is decoded on its
own, so a wrong encoding is reported with the exact line (and the import can skip just that row
with ``--skip-invalid``) instead of failing somewhere inside a buffered decoder. Structural CSV
damage (an unclosed quote, a NUL byte, a cell over the size limit) stops the import with the line
where it happened: the rest of the file cannot be trusted after it.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from feedsync.errors import InputError

# csv's default cell limit is 128 KiB, which real exports exceed (HTML descriptions with inline
# styles, base64 images). 16 MiB admits a 10 MB description while bounding what one cell can
# cost in memory; a bigger cell stops the import with a clear message (docs/catalog-formats.md).
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
# A physical line holds at most a few such cells; a longer one (``/dev/zero``, a binary file, a
# header of 300 MB) stops the import before it is held in memory (issue #16).
LINE_SIZE_LIMIT = 2 * FIELD_SIZE_LIMIT
HEADER_FIELD_LIMIT = 64 * 1024  # a column name; real headers have names of a few dozen chars
MAX_LISTED_PROBLEMS = 1000  # problems kept for the report; the rest are counted
_PROGRESS_EVERY = 4096  # lines between progress callbacks
_VALUE_SHOWN = 60  # characters of a bad value quoted in a problem
_FORMULA_QUOTES = (b"'=", b"'+", b"'-", b"'@", b"'\t", b"'\r")


@dataclass(slots=True)
class Problem:
    """One invalid cell or row: where it is, what it holds, and why it is refused."""

    line: int
    reason: str
    column: str | None = None
    value: str | None = None
    sku: str | None = None

    def describe(self, label: str) -> str:
        """``file:line: SKU x: column 'value': reason`` for reports and errors."""
        parts = [f"{label}:{self.line}"]
        if self.sku:
            parts.append(f"SKU {self.sku}")
        if self.column:
            shown = ""
            if self.value is not None:
                value = self.value
                if len(value) > _VALUE_SHOWN:
                    value = value[:_VALUE_SHOWN] + f"… ({len(self.value)} chars)"
                shown = f" {value!r}"
            parts.append(f"{self.column}{shown}")
        return ": ".join(parts) + f": {self.reason}"


@dataclass
class Source:
    """An input file read as decoded lines, with encoding problems recorded per line."""

    path: Path
    label: str
    progress: Callable[[int], None] | None = None
    encoding_problems: list[Problem] = field(default_factory=list)
    size: int = 0
    records: int = 0  # data records read (rows of a CSV, objects of a JSON Lines file)
    # A line held a ' before a formula character (an export neutralised a cell for spreadsheets,
    # feedsync.spreadsheet): from then on, rows are checked to undo it.
    formula_quotes: bool = False

    def check(self) -> bytes:
        """Refuse files that cannot be a CSV/JSONL export; return the first bytes."""
        try:
            self.size = self.path.stat().st_size
            with self.path.open("rb") as handle:
                head = handle.read(4096)
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read: {exc.strerror}") from None
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise InputError(f"{self.label}: the file is empty (expected a header row)")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(
                f"{self.label}: the file is UTF-16 (Excel 'Unicode Text'); "
                "save it as 'CSV UTF-8' and import again"
            )
        if head.startswith(b"PK\x03\x04"):
            raise InputError(
                f"{self.label}: this is an Excel workbook (.xlsx), not CSV; "
                "save it as 'CSV UTF-8' and import again"
            )
        if head.startswith(b"\x1f\x8b"):
            raise InputError(f"{self.label}: the file is gzip-compressed; decompress it first")
        if b"\x00" in head:
            raise InputError(f"{self.label}: the file contains NUL bytes: it is binary, not a "
                             "CSV or JSON Lines export")
        return head

    def lines(self) -> Iterator[str]:
        """Decoded lines (line endings kept, as csv expects); BOM removed."""
        progress = self.progress
        with self.path.open("rb") as handle:
            read = functools.partial(handle.readline, LINE_SIZE_LIMIT + 1)
            for number, raw in enumerate(iter(read, b""), start=1):
                if len(raw) > LINE_SIZE_LIMIT or b"\x00" in raw:
                    raise _structural(self.label, number, raw)
                if b"'" in raw and not self.formula_quotes:
                    self.formula_quotes = any(q in raw for q in _FORMULA_QUOTES)
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.encoding_problems.append(_encoding_problem(number, raw, exc))
                    text = raw.decode("utf-8", "replace")
                if progress is not None and number % _PROGRESS_EVERY == 0:
                    progress(handle.tell())
                yield text
            if progress is not None:
                progress(handle.tell())

    def take_encoding_problems(self) -> list[Problem]:
        """Encoding problems found since the last call (they belong to the current record)."""
        found, self.encoding_problems = self.encoding_problems, []
        return found


def _structural(label: str, number: int, raw: bytes) -> InputError:
    """The file breaks off at line ``number``: too long a line or a NUL byte (never echoed)."""
    if len(raw) > LINE_SIZE_LIMIT:
        reason = (f"the line is longer than {LINE_SIZE_LIMIT // (1024 * 1024)} MiB, the import "
                  "limit per line (a binary file, or an unclosed quote?)")
    else:
        reason = f"the line contains a NUL byte at position {raw.index(0) + 1}: the file is " \
                 "binary or not UTF-8 text"
    return InputError(f"{label}: the file cannot be read past line {number}; nothing was "
                      "imported", [f"{label}:{number}: {reason}"])


def _encoding_problem(number: int, raw: bytes, exc: UnicodeDecodeError) -> Problem:
    start = max(exc.start - 20, 0)
    snippet = raw[start:exc.start + 20].decode("cp1252", "replace").strip()
    return Problem(
        number,
        f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1}, near "
        f"{snippet!r}); the file looks like Windows-1252/Latin-1: export it again as UTF-8 "
        "(in Excel: 'CSV UTF-8')",
    )


@dataclass(slots=True)
class Record:
    """One CSV record: the line it starts on, its cells, and problems found while reading it."""

    line: int
    cells: list[str]
    problems: list[Problem]


class CsvFile:
    """A CSV export: its header and a stream of records."""

    def __init__(self, source: Source, *, short_rows_ok: bool = False) -> None:
        """``short_rows_ok``: a row with fewer cells than the header is read as if its missing
        trailing cells were empty (WooCommerce's batched export writes such rows); they are
        counted in ``short_rows`` instead of being reported as broken."""
        self.source = source
        csv.field_size_limit(FIELD_SIZE_LIMIT)
        self._reader = csv.reader(source.lines(), strict=True)
        self.header: list[str] = []
        self.header_line = 0
        self.short_rows_ok = short_rows_ok
        self.short_rows = 0
        self._read_header()

    @property
    def width(self) -> int:
        """Cells per row, as the header has them."""
        return len(self.header)

    def _read_header(self) -> None:
        csv.field_size_limit(HEADER_FIELD_LIMIT)  # a column name is short: bound the header
        try:
            self._find_header()
        except InputError as exc:
            if "field larger than field limit" not in str(exc.__context__ or ""):
                raise
            raise InputError(f"{self.source.label}: the header row cannot be read", [
                f"{self.source.label}:{self.source_line()}: a column name is longer than "
                f"{HEADER_FIELD_LIMIT // 1024} KiB (is this really a CSV export?)"]) from None
        finally:
            csv.field_size_limit(FIELD_SIZE_LIMIT)

    def source_line(self) -> int:
        """The physical line the reader is on."""
        return self._reader.line_num

    def _find_header(self) -> None:
        for record in self._records():
            if not any(cell.strip() for cell in record.cells):
                continue
            if record.problems:
                raise InputError(f"{self.source.label}: the header row cannot be read",
                                 [p.describe(self.source.label) for p in record.problems])
            self.header = [cell.replace("\ufeff", "").strip() for cell in record.cells]
            self.header_line = record.line
            return
        raise InputError(f"{self.source.label}: the file is empty (expected a header row)")

    def columns(self) -> dict[str, int]:
        """Header names (case-folded) → position; duplicates are an error."""
        positions: dict[str, int] = {}
        duplicates = []
        for index, name in enumerate(self.header):
            if not name:
                continue  # unnamed (trailing) columns spreadsheets add are ignored
            key = name.casefold()
            if key in positions:
                duplicates.append(name)
            positions[key] = index
        if duplicates:
            raise InputError(
                f"{self.source.label}:{self.header_line}: duplicate column(s) in the header: "
                + ", ".join(repr(d) for d in duplicates)
            )
        if len(positions) == 1 and ";" in self.header[0]:
            raise InputError(
                f"{self.source.label}:{self.header_line}: the header has a single column "
                f"containing ';': the file uses ';' as separator; export it with ',' instead"
            )
        return positions

    def __iter__(self) -> Iterator[Record]:
        # _records() inlined: this loop runs once per row of a million-row file.
        width = len(self.header)
        reader = self._reader
        source = self.source
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _not_csv(source, start, exc) from None
            problems = source.take_encoding_problems() if source.encoding_problems else []
            if len(cells) != width:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if self.short_rows_ok and len(cells) < width:
                    self.short_rows += 1  # the readers treat a missing cell as empty
                    source.records += 1
                    yield Record(start, cells, problems)
                    continue
                problems.append(Problem(
                    start,
                    f"the row has {len(cells)} cells but the header has {width} "
                    "(an unquoted ',' or line break, or a cut-off line?)",
                ))
            source.records += 1
            yield Record(start, cells, problems)

    def _records(self) -> Iterator[Record]:
        reader = self._reader
        source = self.source
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _not_csv(source, start, exc) from None
            problems = source.take_encoding_problems() if source.encoding_problems else []
            yield Record(start, cells, problems)


def _not_csv(source: Source, line: int, exc: csv.Error) -> InputError:
    return InputError(f"{source.label}: the file is not valid CSV; nothing was imported",
                      [f"{source.label}:{line}: {_csv_reason(str(exc))}"])


def _csv_reason(message: str) -> str:
    if "field larger than field limit" in message:
        return (f"a cell is larger than {FIELD_SIZE_LIMIT // (1024 * 1024)} MiB, the import "
                "limit per cell (an unclosed quote can also cause this)")
    if "unexpected end of data" in message:
        return "a quoted cell starting on this line is never closed (missing '\"')"
    if "NUL" in message:
        return "the line contains a NUL byte: the file is binary or not UTF-8 text"
    if "new-line character seen in unquoted field" in message:
        return "a line break inside an unquoted cell (old Mac line endings?): save as CSV UTF-8"
    if re.search(r"'.' expected after '\"'", message):
        return "a quote inside a quoted cell is not doubled (write \"\" for a literal quote)"
    return message
