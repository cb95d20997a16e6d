"""What every feed format shares: the format description, the writer contract, notes per SKU.

A :class:`FeedFormat` is a small, immutable description of one file format a channel accepts
(Google RSS 2.0 XML, Google TSV, Meta CSV …). A channel package lists its formats in
``<package>.feed.FEED_FORMATS``; the core finds them through :func:`feedsync.registry.channel_feed`.

A format opens a :class:`FeedWriter` on a binary stream. The writer streams: it holds one record
at a time, never the whole feed, and writes the same bytes for the same records (no timestamps,
fixed field order, fixed formatting).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from pydantic import BaseModel

from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema

# Characters XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
# The same characters are scrubbed from delimited feeds: they are never meaningful in a listing
# and platforms reject the whole file for them.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# How many SKUs a result names per kind of note (counts are always complete): a feed of a
# million rows must not hold a million SKUs in memory to report them.
SAMPLE_LIMIT = 20


# Finding the same characters without the regex, which costs more than writing the item (a writer
# checks every item): the C0 controls are single bytes in UTF-8 that never occur inside a
# multi-byte sequence; U+FFFE/U+FFFF are looked for in the text (instant for Latin-1 text); a
# lone surrogate cannot be encoded at all.
_FORBIDDEN_C0 = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def xml_bytes(text: str) -> bytes | None:
    """``text`` as UTF-8, or None when it holds a character :func:`scrub` would remove."""
    if "\ufffe" in text or "\uffff" in text:
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return data if len(data.translate(None, _FORBIDDEN_C0)) == len(data) else None


def scrub(text: str) -> tuple[str, int]:
    """``text`` without the characters XML cannot carry, and how many were removed."""
    cleaned, removed = _NOT_XML_CHARS.subn("", text)
    return cleaned, removed


@dataclass
class WriterNotes:
    """What a writer changed or doubted while writing (counts, with a bounded SKU sample).

    Writers never drop a SKU; they only normalise what the file format cannot carry (control
    characters, line breaks in a one-line-per-item format) and say so here.
    """

    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, sku: str, field_name: str) -> None:
        """Count one note of ``kind`` for ``sku``'s ``field_name``."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        sample = self.samples.setdefault(kind, [])
        entry = f"{sku}:{field_name}"
        if len(sample) < SAMPLE_LIMIT and entry not in sample:
            sample.append(entry)

    def merge(self, later: WriterNotes) -> None:
        """Add the notes ``later`` took on the SKUs after ours (a worker's range of the feed).

        Samples keep the first :data:`SAMPLE_LIMIT` entries in SKU order, as one writer would.
        """
        for kind, count in later.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + count
            sample = self.samples.setdefault(kind, [])
            for entry in later.samples.get(kind, []):
                if len(sample) < SAMPLE_LIMIT and entry not in sample:
                    sample.append(entry)

    def as_dict(self) -> dict[str, dict[str, object]]:
        """JSON-friendly view: ``{kind: {"count": n, "sample": [...]}}``."""
        return {
            kind: {"count": count, "sample": list(self.samples.get(kind, []))}
            for kind, count in sorted(self.counts.items())
        }


@dataclass(frozen=True)
class FeedInfo:
    """Feed-level metadata some formats carry (RSS ``<channel>`` title, link, description)."""

    channel: str
    title: str
    description: str = ""
    link: str | None = None  # None: derived from the first item's link (scheme + host)
    # The channel's [channels.<name>] settings, for formats whose header needs them (Amazon's
    # seller id); None when a feed is built outside a workspace (tests, tools).
    settings: BaseModel | None = None


class FeedWriter(ABC):
    """Writes one feed file, one record at a time. Use :meth:`close` to finish the file.

    A writer whose items do not depend on one another (no numbering, no state carried from one
    item to the next) sets :attr:`splittable` and implements :meth:`render` and
    :meth:`write_rendered`: worker processes then render ranges of the feed and the building
    process appends their bytes in order (:mod:`feedsync.feeds.parallel`), the same bytes
    :meth:`write` would have written.
    """

    splittable: bool = False

    def __init__(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo) -> None:
        self.stream = stream
        self.schema = schema
        self.info = info
        self.items = 0
        self.notes = WriterNotes()

    @abstractmethod
    def write(self, record: MappedRecord) -> None:
        """Append one sendable record to the feed."""

    @abstractmethod
    def close(self) -> None:
        """Write whatever ends the file (closing tags); the stream itself stays open."""

    def render(self, record: MappedRecord) -> bytes:
        """The bytes :meth:`write` would append for ``record`` (its notes are taken), without
        writing them or anything that goes before the first item (splittable writers only)."""
        raise NotImplementedError(f"{type(self).__name__} cannot render items apart")

    def write_rendered(self, data: bytes, items: int, first: MappedRecord | None) -> None:
        """Append ``items`` items :meth:`render` made (``data``); ``first`` is the first of
        them, which a header written before the first item may need (splittable writers only).
        """
        raise NotImplementedError(f"{type(self).__name__} cannot append rendered items")

    def _unknown_field(self, record: MappedRecord, name: str) -> ValueError:
        return ValueError(
            f"{self.info.channel}: SKU {record.sku!r} has field {name!r}, which is not in the "
            f"{self.schema.channel} schema (version {self.schema.version})"
        )


class FeedFormat(ABC):
    """One file format of one channel: its name, file extension, writer and item counter."""

    name: str
    extension: str
    media_type: str

    @abstractmethod
    def open(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo,
             columns: Sequence[str] | None = None) -> FeedWriter:
        """A writer of this format on ``stream`` (binary; compression happens below it).

        ``columns`` fixes the columns of tabular formats (default: every schema field).
        """

    @abstractmethod
    def count_items(self, stream: BinaryIO) -> int:
        """How many items a file of this format holds (used when the gate has no record)."""
