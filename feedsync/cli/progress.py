"""Progress on a terminal: one line on stderr, redrawn a few times a second at most.

A redraw per item costs more than the work for a fast item (200,000 redraws of a bar were 15 MB
of terminal output and made `feed build` 80 % slower under a terminal), so :class:`Progress`
counts every item but draws only when :data:`INTERVAL` seconds have passed. It is only created
on an interactive terminal (:meth:`feedsync.cli.context.AppContext.show_progress`), never in
``--json`` or ``-q`` mode, and never on stdout, so pipes and cron logs get none of it.

:class:`ProgressMapper` wraps a channel's mapper so every command that maps the catalog
(validate, plan, push, sync) shows how far it is without the engine knowing about terminals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from feedsync.catalog import Catalog
    from feedsync.mapping.record import MappedRecord
    from feedsync.mapping.schema import ChannelSchema

INTERVAL = 0.25  # seconds between redraws: four a second
T = TypeVar("T")


class Progress:
    """A throttled one-line counter: ``label: 12,345/200,000 items (6 %) 41,000/s``."""

    def __init__(self, label: str, stream: IO[str], *, total: int | None = None,
                 unit: str = "items", interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream
        self.total = total
        self.unit = unit
        self.interval = INTERVAL if interval is None else interval
        self.clock = clock
        self.count = 0
        self.redraws = 0
        self._started = clock()
        self._drawn_at = self._started
        self._width = 0

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more; redraw if the last redraw is old enough."""
        self.count += n
        now = self.clock()
        if now - self._drawn_at >= self.interval:
            self._draw(now)

    def set(self, position: int) -> None:
        """Move to an absolute position (bytes read, say)."""
        self.advance(position - self.count)

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting each; the line is finished when they run out."""
        try:
            for item in items:
                self.advance()
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Draw the final figures and end the line (only if anything was drawn)."""
        if self.redraws:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
            self.redraws = 0

    def text(self, now: float) -> str:
        """The line as it would be drawn at ``now``."""
        if self.unit == "bytes":
            done = f"{self.count / 1e6:,.1f}" + (
                f"/{self.total / 1e6:,.1f} MB" if self.total else " MB")
        else:
            done = f"{self.count:,}" + (f"/{self.total:,}" if self.total else "") + f" {self.unit}"
        share = f" ({100 * self.count / self.total:.0f} %)" if self.total else ""
        elapsed = max(now - self._started, 1e-9)
        rate = self.count / elapsed
        speed = f"{rate / 1e6:,.1f} MB/s" if self.unit == "bytes" else f"{rate:,.0f}/s"
        return f"{self.label}: {done}{share} {speed}"

    def _draw(self, now: float) -> None:
        line = self.text(now)
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self._drawn_at = now
        self.redraws += 1


class ProgressMapper:
    """A channel mapper whose ``map_catalog`` reports each record to a :class:`Progress`."""

    def __init__(self, inner: Any, make: Callable[[], Progress]) -> None:
        self._inner = inner
        self._make = make

    @property
    def schema(self) -> ChannelSchema:
        """The wrapped mapper's schema."""
        schema: ChannelSchema = self._inner.schema
        return schema

    @property
    def version(self) -> str:
        """The wrapped mapper's version (the render cache depends on it)."""
        return str(self._inner.version)

    def map_catalog(self, catalog: Catalog, *, skus: Iterable[str] | None = None,
                    now: datetime | None = None, **kw: Any) -> Iterator[MappedRecord]:
        """The wrapped records, counted on the terminal."""
        records = self._inner.map_catalog(catalog, skus=skus, now=now, **kw)
        return self._make().wrap(records)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
