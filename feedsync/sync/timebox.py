"""Bounding the time one channel's step takes in a run, rate waits included (issue #16).

After one 429 on Amazon's searchOrders the pull slows to the documented 0.0056 requests/s, one
page every three minutes: a 10-minute cron job then overlaps itself and holds the workspace lock
for an hour. A :class:`TimeBox` gives a step a deadline: between pages the step stops once it is
reached, and while it runs the adapter's HTTP throttle may wait at most until the deadline — a
longer wait raises ``BudgetExhausted`` instead of sleeping. What was read is committed (the
cursor is the checkpoint); the rest is left for the next run, with a note in ``status``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TimeBox:
    """``seconds`` from now on ``monotonic``; :meth:`expired` and :meth:`left`."""

    seconds: float
    monotonic: Callable[[], float] = time.monotonic
    setting: str = "[orders] max_pull_seconds"  # named in the note
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.monotonic()

    def left(self) -> float:
        """Seconds left (never negative)."""
        return max(self.started + self.seconds - self.monotonic(), 0.0)

    def expired(self) -> bool:
        """The deadline has passed."""
        return self.left() <= 0.0

    def note(self, what: str) -> str:
        """The message a step stopped by its time bound reports."""
        return (f"{what}: stopped at the time bound of {self.seconds:g} s per run "
                f"({self.setting}); the next run continues")


def _throttle(adapter: Any) -> Any | None:
    """The adapter's HTTP throttle, if it talks HTTP through feedsync.http (else None)."""
    for name in ("http", "_http"):
        try:
            http = getattr(adapter, name, None)
        except Exception:  # an adapter whose HTTP client cannot be built: nothing to bound
            return None
        throttle = getattr(http, "throttle", None)
        if throttle is not None and hasattr(throttle, "max_wait"):
            return throttle
    return None


@dataclass
class Narrower:
    """Call before each request-making step: the throttle may wait only the time left.
    ``binding`` is True while that is less than the adapter's own bound (so a refused wait is
    the time box's doing, not a spent budget)."""

    box: TimeBox
    throttle: Any | None
    original: float | None
    binding: bool = False

    def __call__(self) -> None:
        if self.throttle is None:
            return
        left = self.box.left()
        self.binding = self.original is None or left < self.original
        self.throttle.max_wait = left if self.binding else self.original


@contextlib.contextmanager
def bounded_waits(adapter: Any, box: TimeBox) -> Iterator[Narrower]:
    """While inside, no throttle wait of ``adapter`` goes past ``box``'s deadline (the
    adapter's own bound is restored on exit)."""
    throttle = _throttle(adapter)
    narrow = Narrower(box, throttle, getattr(throttle, "max_wait", None))
    narrow()
    try:
        yield narrow
    finally:
        if throttle is not None:
            throttle.max_wait = narrow.original
