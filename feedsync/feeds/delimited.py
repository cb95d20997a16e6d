"""Delimited product feeds: Google's tab-separated text feed and Meta's CSV feed.

Both have a header row of attribute names, then one row per item with every column present
(Meta rejects a row whose column count differs from the header). Conventions:

- Repeated attributes (``additional_image_link`` …) go in one cell, values separated by a comma;
  a comma inside a URL is percent-encoded as ``%2C`` so it is not read as a separator
  (https://support.google.com/merchants/answer/6324370; Meta accepts a comma-separated list,
  https://www.facebook.com/business/help/120325381656392).
- Line breaks and tabs inside a value become a space, so every item is exactly one line (one
  bad value can never shift the columns of the rows after it), and characters XML forbids are
  removed, as in the XML feeds.
- Google TSV quotes a value only when it contains a double quote (RFC 4180 style); Meta asks for
  values with whitespace or commas to be double-quoted, so its data rows quote every value
  (https://developers.facebook.com/docs/marketing-api/catalog/reference/#feed-format).
- UTF-8 without a byte-order mark, ``\\n`` line ends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO, cast

from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter, scrub
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")
# Line breaks and tabs (flattened) plus what XML forbids (removed).
_NEEDS_CLEANING = re.compile("[\x00-\x1f\x85\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_C0 = bytes(range(0x20))
_NOT_ASCII_TO_CLEAN = ("\x85", "\u2028", "\u2029", "\ufffe", "\uffff")


def needs_cleaning(text: str) -> bool:
    """Whether ``text`` holds a character _NEEDS_CLEANING matches (the same answer).

    A regex over a whole row costs more than writing it; this looks for the C0 controls as
    bytes (they never occur inside a multi-byte UTF-8 sequence), for the few other characters
    with ``in`` (instant on Latin-1 text), and finds a lone surrogate by failing to encode it.
    """
    if text.isascii():
        data = text.encode("ascii")
    else:
        if any(char in text for char in _NOT_ASCII_TO_CLEAN):
            return True
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return len(data.translate(None, _C0)) != len(data)


def is_url_field(name: str) -> bool:
    """Fields whose values are URLs (``link``, ``image_link``, ``additional_image_link`` …)."""
    return name == "link" or name.endswith(("_link", "_url"))


class DelimitedFormat(FeedFormat):
    """A header row and one delimited row per item (``csv`` module dialect options)."""

    def __init__(self, *, name: str, delimiter: str, quote_all: bool,
                 repeated_separator: str = ",", extension: str | None = None,
                 media_type: str = "text/csv") -> None:
        self.name = name
        self.extension = extension or name
        self.media_type = media_type
        self.delimiter = delimiter
        self.quote_all = quote_all
        self.repeated_separator = repeated_separator

    def open(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo,
             columns: Sequence[str] | None = None) -> DelimitedWriter:
        """A writer on ``stream``; ``columns`` defaults to every schema field, in order."""
        return DelimitedWriter(self, stream, schema, info, columns)

    def count_items(self, stream: BinaryIO) -> int:
        """Rows after the header (a quoted value may span lines, so rows, not lines)."""
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        try:
            rows = sum(1 for _ in csv.reader(text, delimiter=self.delimiter))
        finally:
            text.detach()
        return max(rows - 1, 0)


class _Sink:
    """The binary stream under the text layer, whose ``flush`` can be held back.

    Flushing a gzip stream ends a deflate block (a sync flush), which changes the compressed
    bytes: rows appended after the header by :meth:`DelimitedWriter.write_rendered` must move
    the text layer's buffer down without flushing, so the file is the one-process file.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.hold_flush = False

    def write(self, data: bytes) -> int:
        return self.stream.write(data)

    def flush(self) -> None:
        if not self.hold_flush:
            self.stream.flush()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return bool(self.stream.closed)


class DelimitedWriter(FeedWriter):
    """Streams a delimited feed through :mod:`csv`, one row per record."""

    def __init__(self, fmt: DelimitedFormat, stream: BinaryIO, schema: ChannelSchema,
                 info: FeedInfo, columns: Iterable[str] | None) -> None:
        super().__init__(stream, schema, info)
        self.format = fmt
        self.columns = tuple(columns) if columns is not None else schema.field_names
        unknown = [c for c in self.columns if c not in schema]
        if unknown:
            raise ValueError(f"{info.channel}: columns not in the schema: {', '.join(unknown)}")
        self._index = {name: i for i, name in enumerate(self.columns)}
        self._url_fields = frozenset(c for c in self.columns if is_url_field(c))
        self._sink = _Sink(stream)
        self._text = io.TextIOWrapper(cast(BinaryIO, self._sink), encoding="utf-8", newline="",
                                      write_through=False)
        header = csv.writer(self._text, delimiter=fmt.delimiter, lineterminator="\n",
                            quotechar='"', doublequote=True, quoting=csv.QUOTE_MINIMAL)
        header.writerow(self.columns)
        # rows csv.writer must quote are written to a scratch buffer, so a row is one string
        # whether it is written here or rendered by a worker process (render)
        self._scratch = io.StringIO()
        self._rows = csv.writer(self._scratch, delimiter=fmt.delimiter, lineterminator="\n",
                                quotechar='"', doublequote=True,
                                quoting=csv.QUOTE_ALL if fmt.quote_all else csv.QUOTE_MINIMAL)
        self._width = len(self.columns)
        # csv.writer looks at every character of every value, which costs more than the rest
        # of a row; a row it would write unchanged is joined here instead (the same bytes:
        # tests/feeds/test_delimited.py compares both). QUOTE_MINIMAL quotes a value holding the
        # delimiter, a quote or a line end (and a lone empty value); QUOTE_ALL quotes every value
        # and doubles quotes.
        self._plain = (fmt.delimiter, '"', "\r", "\n")
        self._quoted_separator = f'"{fmt.delimiter}"'

    splittable = True  # a row depends on its record alone; the header on the columns

    def write(self, record: MappedRecord) -> None:
        """Append ``record`` as one row."""
        self._text.write(self._row_text(record))
        self.items += 1

    def render(self, record: MappedRecord) -> bytes:
        """``record``'s row as UTF-8 (line breaks and forbidden characters cleaned, noted)."""
        return self._row_text(record).encode("utf-8")

    def write_rendered(self, data: bytes, items: int, first: MappedRecord | None) -> None:
        """Append rendered rows after what was written through the text layer (the header)."""
        if not items:
            return
        self._sink.hold_flush = True  # only move the header down (see _Sink)
        try:
            self._text.flush()
        finally:
            self._sink.hold_flush = False
        self.stream.write(data)
        self.items += items

    def _row_text(self, record: MappedRecord) -> str:
        row = [""] * self._width
        index = self._index
        for name, value in record.fields.items():
            position = index.get(name)
            if position is None:
                raise self._no_column(record, name)
            if value.__class__ is not str:
                value = self._join(record.sku, name, value)  # type: ignore[arg-type]
            row[position] = value
        # One look at the whole row finds the rare value that needs cleaning.
        joined = " ".join(row)
        if needs_cleaning(joined):
            names = self.columns
            for position, value in enumerate(row):
                if _NEEDS_CLEANING.search(value):
                    row[position] = self._clean(record.sku, names[position], value)
            joined = " ".join(row)
        if self.format.quote_all:
            if '"' in joined:
                row = [value.replace('"', '""') for value in row]
            return '"' + self._quoted_separator.join(row) + '"\n'
        if self._width > 1 and not any(char in joined for char in self._plain):
            return self.format.delimiter.join(row) + "\n"
        scratch = self._scratch
        self._rows.writerow(row)
        text = scratch.getvalue()
        scratch.seek(0)
        scratch.truncate()
        return text

    def _no_column(self, record: MappedRecord, name: str) -> ValueError:
        if name in self.schema:
            return ValueError(
                f"{self.info.channel}: SKU {record.sku!r} has field {name!r}, which this feed "
                f"has no column for"
            )
        return self._unknown_field(record, name)

    def _join(self, sku: str, name: str, values: list[str]) -> str:
        separator = self.format.repeated_separator
        if name in self._url_fields:
            # Google: "encode any commas (as %2C) within the URL" (answer 6324370).
            return separator.join(v.replace(separator, "%2C") for v in values if v)
        if any(separator in v for v in values):
            self.notes.add("separator_inside_repeated_value", sku, name)
        return separator.join(v for v in values if v)

    def _clean(self, sku: str, name: str, value: str) -> str:
        flattened, breaks = _LINE_BREAKS.subn(" ", value)
        if breaks:
            self.notes.add("line_breaks_replaced", sku, name)
        cleaned, removed = scrub(flattened)
        if removed:
            self.notes.add("control_characters_removed", sku, name)
        return cleaned

    def close(self) -> None:
        """Flush the text layer; the binary stream stays open for the caller."""
        self._text.flush()
        self._text.detach()
