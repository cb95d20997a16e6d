"""Time for the HTTP layer, injectable so tests never really sleep.

Every wait in feedsync.http (retry back-off, Retry-After, token-bucket refill, token expiry) goes
through a :class:`Clock`. It reads wall-clock epoch seconds rather than a monotonic counter because
bucket state and daily budgets persist in the workspace database across runs, where only wall
time means anything. A clock that steps backwards is tolerated: elapsed time is clamped at zero.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """The two time operations the HTTP layer needs."""

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` (never negative)."""
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


class FakeClock:
    """A clock that only moves when told: ``sleep`` advances it instantly and is recorded.

    Useful in adapter tests too: ``clock.sleeps`` lists every wait the HTTP layer asked for.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def time(self) -> float:
        """The current fake time."""
        with self._lock:
            return self._now

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
