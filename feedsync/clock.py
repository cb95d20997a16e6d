"""Time for feedsync: one clock for adapters, the HTTP layer and the core, and the UTC helpers.

A :class:`Clock` answers three questions: the wall time as epoch seconds (``time``), the same
moment as an aware UTC datetime (``now``), and "wait this long" (``sleep``). It reads wall-clock
time rather than a monotonic counter because bucket state, daily budgets and order cursors
persist in the workspace database across runs, where only wall time means anything; a clock that
steps backwards is tolerated by its users (elapsed time is clamped at zero).

Tests pass a :class:`FakeClock`: sleeping advances it instantly and is recorded, so nothing in a
test ever really waits. A clock is also callable (``clock()`` is ``clock.now()``), so it plugs
in wherever the core takes a plain ``Callable[[], datetime]``.

The UTC helpers are the only place feedsync formats or parses timestamps: every stored or sent
moment is aware UTC, written as ISO 8601 with a ``Z``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = [
    "CallableClock",
    "Clock",
    "FakeClock",
    "SystemClock",
    "as_clock",
    "as_utc",
    "from_timestamp",
    "iso_z",
    "parse_iso",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already (never local time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_timestamp(seconds: float) -> datetime:
    """Epoch seconds → an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def iso_z(moment: datetime, *, timespec: str = "seconds") -> str:
    """``2026-01-15T12:00:00Z``: UTC, ISO 8601 with ``Z`` (``timespec`` as in isoformat)."""
    return as_utc(moment).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; naive means UTC) → aware UTC datetime.

    Raises ValueError on anything else, so the caller can name the field it came from.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(value))


@runtime_checkable
class Clock(Protocol):
    """The time operations feedsync needs."""

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` (never negative)."""
        ...

    def now(self) -> datetime:
        """The current moment as an aware UTC datetime."""
        ...

    def __call__(self) -> datetime:
        """``now()``: a clock is also the ``Callable[[], datetime]`` older code takes."""
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`time.sleep`."""

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` (negative values are treated as zero)."""
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        """The current moment, aware UTC."""
        return utc_now()

    def __call__(self) -> datetime:
        return self.now()


class FakeClock:
    """A clock that only moves when told: ``sleep`` advances it instantly and is recorded.

    ``start`` is epoch seconds or an aware datetime. ``clock.sleeps`` lists every wait asked for.
    """

    def __init__(self, start: float | datetime = 1_700_000_000.0) -> None:
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def time(self) -> float:
        """The current fake time."""
        with self._lock:
            return self._now

    def now(self) -> datetime:
        """The current fake time as an aware UTC datetime."""
        return from_timestamp(self.time())

    def __call__(self) -> datetime:
        return self.now()

    def sleep(self, seconds: float) -> None:
        """Advance the fake time by ``seconds`` and record the wait."""
        seconds = max(0.0, float(seconds))
        with self._lock:
            self.sleeps.append(seconds)
            self._now += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (time passing between runs)."""
        with self._lock:
            self._now += max(0.0, float(seconds))

    @property
    def slept(self) -> float:
        """Total seconds slept so far."""
        with self._lock:
            return sum(self.sleeps)


class CallableClock:
    """A :class:`Clock` around a ``Callable[[], datetime]`` (what older callers pass).

    ``time`` and ``now`` follow the callable; ``sleep`` really sleeps.
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def time(self) -> float:
        """The callable's moment as epoch seconds."""
        return self.now().timestamp()

    def now(self) -> datetime:
        """The callable's moment, in UTC."""
        return as_utc(self._now())

    def __call__(self) -> datetime:
        return self.now()

    def sleep(self, seconds: float) -> None:
        """Sleep for real (negative values are treated as zero)."""
        if seconds > 0:
            time.sleep(seconds)


def as_clock(value: Clock | Callable[[], datetime] | None) -> Clock:
    """A :class:`Clock` from a clock, a ``Callable[[], datetime]`` or None (the system clock)."""
    if value is None:
        return SystemClock()
    if isinstance(value, Clock):
        return value
    return CallableClock(value)
