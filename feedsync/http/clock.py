"""Time for the HTTP layer: the one :mod:`feedsync.clock`, under its historical import path.

Every wait in feedsync.http (retry back-off, Retry-After, token-bucket refill, token expiry) goes
through a :class:`~feedsync.clock.Clock`, so tests never really sleep.
"""

from __future__ import annotations

from feedsync.clock import Clock, FakeClock, SystemClock

__all__ = ["Clock", "FakeClock", "SystemClock"]
