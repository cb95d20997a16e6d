"""Documented rate limits, enforced: one token bucket per (channel, operation, caller).

Buckets live in memory and start full, like the marketplaces' after a quiet period; a
``scale`` above 1 speeds refills up (tests that must not wait out Amazon's one-feed-per-two-
minutes), 0 turns enforcement off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from feedsync.sandbox.module import RateLimit


class RateLimiter:
    """Token buckets keyed by (channel, operation, caller)."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.scale = scale
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str, str], limit: RateLimit) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until one is available."""
        if self.scale <= 0:
            return 0.0
        rate = limit.rate_per_second * self.scale
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - stamp) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate if rate > 0 else 3600.0
