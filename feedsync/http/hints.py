"""What a channel's response headers say about waiting and rates.

A hint hook reads one response and returns a :class:`RateHint`. The client applies the hints of
every response: ``retry_after`` is how long to wait before retrying this request, ``block_until``
holds back the operation's bucket, ``rate`` replaces the documented rate for the operation.
The standard headers (``Retry-After``, ``x-ratelimit-reset``) are read for every channel
(:data:`DEFAULT_HINT_HOOKS`); a channel's own headers are read by hooks it declares in its
``limits.py`` (``HttpApi(hints=...)``), e.g. Amazon's ``x-amzn-RateLimit-Limit`` or Walmart's
``x-next-replenishment-time``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests


@dataclass(frozen=True)
class RateHint:
    """Timing information found in one response."""

    retry_after: float | None = None  # seconds to wait before retrying (from now)
    block_until: float | None = None  # epoch seconds before which the operation must not run
    rate: float | None = None  # requests per second the channel says apply to the operation


HintHook = Callable[[requests.Response, float], "RateHint | None"]


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

    A date in the past gives 0; garbage gives None (the caller falls back to its back-off).
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            return None
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_after_hint(response: requests.Response, now: float) -> RateHint | None:
    """``Retry-After`` on any response (429, 503, ...)."""
    wait = parse_retry_after(response.headers.get("Retry-After"), now)
    if wait is None:
        return None
    return RateHint(retry_after=wait, block_until=now + wait)


# Values above this are epoch timestamps (GitHub style), below it delta seconds (IETF draft
# "RateLimit header fields" style). 10^9 seconds is ~31 years, no window is that long.
_EPOCH_THRESHOLD = 1e9


def ratelimit_reset_hint(response: requests.Response, now: float) -> RateHint | None:
    """``x-ratelimit-reset`` when the request was throttled or ``x-ratelimit-remaining`` is 0."""
    reset = response.headers.get("x-ratelimit-reset")
    if reset is None:
        return None
    remaining = response.headers.get("x-ratelimit-remaining")
    exhausted = response.status_code == 429 or (remaining is not None and remaining.strip() == "0")
    if not exhausted:
        return None
    try:
        value = float(reset)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    until = value if value > _EPOCH_THRESHOLD else now + value
    until = max(until, now)
    return RateHint(retry_after=until - now, block_until=until)


def rate_header_hint(header: str) -> HintHook:
    """A hook for a header that states the operation's rate in requests per second.

    A channel declares it in its ``limits.py`` (Amazon: ``rate_header_hint(
    "x-amzn-RateLimit-Limit")``); values that are not a positive finite number are ignored.
    """

    def hint(response: requests.Response, now: float) -> RateHint | None:
        value = response.headers.get(header)
        if value is None:
            return None
        try:
            rate = float(value)
        except ValueError:
            return None
        if not (rate > 0 and math.isfinite(rate)):
            return None
        return RateHint(rate=rate)

    hint.__name__ = f"rate_header_hint({header!r})"
    return hint


# Read on every channel's responses; a channel's own headers are hooks in its limits.py.
DEFAULT_HINT_HOOKS: tuple[HintHook, ...] = (
    retry_after_hint,
    ratelimit_reset_hint,
)


def combine(hints: list[RateHint]) -> RateHint:
    """Merge hints: the longest wait, the latest block, the last rate reported."""
    retry_after = max((h.retry_after for h in hints if h.retry_after is not None), default=None)
    block = max((h.block_until for h in hints if h.block_until is not None), default=None)
    rates = [h.rate for h in hints if h.rate is not None]
    return RateHint(retry_after=retry_after, block_until=block, rate=rates[-1] if rates else None)
