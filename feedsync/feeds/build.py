"""Building one feed file: mapped records in, a published (or refused) feed out.

The records stream from the mapping engine in SKU order. Sendable records are written; records
with errors are skipped and counted (``feedsync validate`` lists them with their issues);
excluded records are counted. Nothing is held but counters and a bounded SKU sample, so memory
stays flat however large the catalog is. The file is written atomically and passes the publish
gate before it replaces the previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedsync.errors import FeedsyncError
from feedsync.feeds.atomic import AtomicFile
from feedsync.feeds.base import SAMPLE_LIMIT, FeedFormat, FeedInfo, FeedWriter, WriterNotes
from feedsync.feeds.gate import (
    DEFAULT_MAX_DROP,
    FeedState,
    GateDecision,
    check_publish,
    previous_feed,
    write_state,
)
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema


@dataclass
class BuildTally:
    """What was left out of a feed and why, with bounded SKU samples (first in SKU order)."""

    excluded: int = 0  # SKUs filtered out or excluded by an override
    excluded_sample: list[str] = field(default_factory=list)
    skipped: int = 0  # SKUs with error issues
    skipped_sample: list[str] = field(default_factory=list)
    with_warnings: int = 0  # sent, but with warning issues

    def admit(self, record: MappedRecord) -> bool:
        """Count ``record``; True when it goes into the feed (included, no errors)."""
        if not record.included:
            self.excluded += 1
            if len(self.excluded_sample) < SAMPLE_LIMIT:
                self.excluded_sample.append(record.sku)
            return False
        if record.has_errors:
            self.skipped += 1
            if len(self.skipped_sample) < SAMPLE_LIMIT:
                self.skipped_sample.append(record.sku)
            return False
        if record.issues:
            self.with_warnings += 1
        return True

    def merge(self, later: BuildTally) -> None:
        """Add the tally of the SKUs after ours (a worker's range), as one pass would count."""
        self.excluded += later.excluded
        self.excluded_sample += later.excluded_sample[:SAMPLE_LIMIT - len(self.excluded_sample)]
        self.skipped += later.skipped
        self.skipped_sample += later.skipped_sample[:SAMPLE_LIMIT - len(self.skipped_sample)]
        self.with_warnings += later.with_warnings


# Fills an open writer with the feed's items and counts what it left out.
Filler = Callable[[FeedWriter, BuildTally], None]


@dataclass
class FeedResult:
    """What one ``feed build`` did for one channel and format."""

    channel: str
    format: str
    path: Path
    published: bool
    gate: GateDecision
    previous_source: str
    gzip: bool = False
    items: int = 0
    skipped: int = 0  # SKUs with error issues: left out, listed by `feedsync validate`
    skipped_sample: list[str] = field(default_factory=list)
    excluded: int = 0  # SKUs filtered out or excluded by an override
    excluded_sample: list[str] = field(default_factory=list)
    with_warnings: int = 0  # sent, but with warning issues
    size: int = 0
    sha256: str | None = None
    notes: WriterNotes = field(default_factory=WriterNotes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view for ``--json``."""
        return {
            "channel": self.channel,
            "format": self.format,
            "path": str(self.path),
            "published": self.published,
            "gzip": self.gzip,
            "items": self.items,
            "skipped": self.skipped,
            "skipped_sample": list(self.skipped_sample),
            "excluded": self.excluded,
            "excluded_sample": list(self.excluded_sample),
            "with_warnings": self.with_warnings,
            "previous_items": self.gate.previous,
            "previous_source": self.previous_source,
            "gate": {"allowed": self.gate.allowed, "forced": self.gate.forced,
                     "reason": self.gate.reason},
            "bytes": self.size,
            "sha256": self.sha256,
            "notes": self.notes.as_dict(),
        }


def build_feed(
    records: Iterable[MappedRecord],
    *,
    schema: ChannelSchema,
    fmt: FeedFormat,
    target: Path,
    info: FeedInfo,
    compress: bool = False,
    force: bool = False,
    max_drop: float = DEFAULT_MAX_DROP,
    columns: Sequence[str] | None = None,
) -> FeedResult:
    """Write ``records`` to ``target`` in ``fmt``; publish it if the gate allows.

    The previous file at ``target`` is replaced only by a complete new file that passed the
    gate; otherwise it is left byte for byte as it was and ``published`` is False.
    """
    def fill(writer: FeedWriter, tally: BuildTally) -> None:
        write_records(records, writer, tally)

    return publish_feed(fill, schema=schema, fmt=fmt, target=target, info=info,
                        compress=compress, force=force, max_drop=max_drop, columns=columns)


def write_records(records: Iterable[MappedRecord], writer: FeedWriter, tally: BuildTally) -> None:
    """Write the sendable ``records`` with ``writer``; count the others in ``tally``."""
    admit, write = tally.admit, writer.write
    for record in records:
        if admit(record):
            write(record)


def publish_feed(fill: Filler, *, schema: ChannelSchema, fmt: FeedFormat, target: Path,
                 info: FeedInfo, compress: bool = False, force: bool = False,
                 max_drop: float = DEFAULT_MAX_DROP,
                 columns: Sequence[str] | None = None) -> FeedResult:
    """:func:`build_feed` with the items written by ``fill`` (one process or several)."""
    try:
        return _build(fill, schema=schema, fmt=fmt, target=target, info=info,
                      compress=compress, force=force, max_drop=max_drop, columns=columns)
    except OSError as exc:  # disk full, no permission, a folder where the file should be …
        where = exc.filename or target
        raise FeedsyncError(
            f"{info.channel}: cannot write the feed {target}: {exc.strerror or exc} ({where}); "
            "the previously published file, if any, is unchanged"
        ) from exc


def _build(fill: Filler, *, schema: ChannelSchema, fmt: FeedFormat,
           target: Path, info: FeedInfo, compress: bool, force: bool, max_drop: float,
           columns: Sequence[str] | None) -> FeedResult:
    previous = previous_feed(target, fmt)
    result = FeedResult(
        channel=info.channel, format=fmt.name, path=target, published=False,
        gate=GateDecision(False, 0, previous.items), previous_source=previous.source,
        gzip=compress,
    )
    tally = BuildTally()
    with AtomicFile(target, compress=compress) as out:
        writer = fmt.open(out.stream, schema, info, columns)
        fill(writer, tally)
        writer.close()
        result.excluded, result.excluded_sample = tally.excluded, tally.excluded_sample
        result.skipped, result.skipped_sample = tally.skipped, tally.skipped_sample
        result.with_warnings = tally.with_warnings
        result.items = writer.items
        result.notes = writer.notes
        result.gate = check_publish(writer.items, previous.items, max_drop=max_drop,
                                    force=force)
        if not result.gate.allowed:
            return result  # leaving the block discards the new file
        out.commit()
    result.published = True
    result.size = out.size
    result.sha256 = out.sha256
    write_state(target, FeedState(
        channel=info.channel, format=fmt.name, items=result.items, size=out.size,
        sha256=out.sha256 or "", gzip=compress, schema_version=schema.version,
        built_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    ))
    return result
