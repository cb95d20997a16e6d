"""Documented rate limits, declared by adapters as data.

An adapter lists one :class:`OperationLimit` per throttled operation, copied from the
marketplace's documentation, for example Amazon's Orders API ``searchOrders``
(0.0056 requests/second, burst 20) or Etsy's app-wide 10,000 calls a day. The name ``"*"``
(:data:`ANY_OPERATION`) declares a limit shared by every operation of the channel account, applied
in addition to the operation's own limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

ANY_OPERATION = "*"
DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class OperationLimit:
    """The documented limits of one operation of one channel.

    ``rate_per_second`` and ``burst`` define a token bucket: up to ``burst`` requests at once,
    then one every ``1 / rate_per_second`` seconds. ``daily_budget`` caps the calls of this
    operation (or of the whole account, for ``"*"``) in any rolling 24 hours.
    ``per_key_daily_budget`` caps calls per key (e.g. per product: Google Merchant API allows two
    updates per product a day); the sync engine spends it through ``HttpClient.key_budget``.
    """

    operation: str
    rate_per_second: float
    burst: int = 1
    daily_budget: int | None = None
    per_key_daily_budget: int | None = None

    def __post_init__(self) -> None:
        if not self.operation:
            raise ValueError("OperationLimit.operation must not be empty")
        if not (self.rate_per_second > 0 and math.isfinite(self.rate_per_second)):
            raise ValueError(
                f"{self.operation}: rate_per_second must be a positive number, "
                f"got {self.rate_per_second!r}"
            )
        if self.burst < 1:
            raise ValueError(f"{self.operation}: burst must be at least 1, got {self.burst!r}")
        for name in ("daily_budget", "per_key_daily_budget"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{self.operation}: {name} must be at least 1, got {value!r}")

    @property
    def refill_seconds(self) -> float:
        """Seconds an empty bucket needs to refill completely (longer than a run → persisted)."""
        return self.burst / self.rate_per_second


def index_limits(limits: Iterable[OperationLimit]) -> dict[str, OperationLimit]:
    """Map operation name → limit, refusing duplicates (a typo would silently drop a limit)."""
    found: dict[str, OperationLimit] = {}
    for limit in limits:
        if limit.operation in found:
            raise ValueError(f"operation {limit.operation!r} has two OperationLimit entries")
        found[limit.operation] = limit
    return found
