"""Retrying one request: tenacity with back-off, Retry-After, and bounds on attempts and time.

Every call of :func:`call_with_retries` builds its own ``tenacity.Retrying``, so each request has
its own attempt counter and clock: one slow endpoint never eats the retries of another, and
there is no process-wide counter. Sleeping goes through the injected clock.

An attempt asks for another attempt by raising :class:`RetryRequested`, carrying how long the
channel told us to wait (Retry-After) if it did. Without such a hint the wait is exponential
back-off with full jitter (a random wait between 0 and ``base * 2**(n-1)``, capped), which
spreads clients out instead of having them retry in lockstep
(https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).

Retries stop at ``max_attempts`` or when the next wait would take the request past
``max_elapsed`` seconds; in particular a Retry-After longer than the time left is not waited
for at all: the caller gets the last failure at once and defers the work.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
import tenacity
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from feedsync.http.actions import Resolution
from feedsync.http.clock import Clock

log = logging.getLogger("feedsync.http")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and back-off of one request's retries."""

    max_attempts: int = 5
    max_elapsed: float = 300.0  # seconds from the first attempt, waits included
    base_delay: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.max_elapsed < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return rng.uniform(0.0, ceiling)


NO_RETRY = RetryPolicy(max_attempts=1)


class RetryRequested(Exception):
    """Raised inside an attempt: this failure is transient, try again.

    ``wait`` is the channel's own hint (seconds) or None for back-off. The exception carries
    the resolution and the response or exception that caused it, for the final error message.
    """

    def __init__(self, resolution: Resolution, *, wait: float | None = None,
                 response: requests.Response | None = None,
                 error: BaseException | None = None) -> None:
        super().__init__(resolution.reason or resolution.action.value)
        self.resolution = resolution
        self.wait = wait
        self.response = response
        self.error = error


@dataclass
class RetryOutcome:
    """Why retrying stopped: used to build the final TransientError."""

    attempts: int
    elapsed: float
    wanted_wait: float | None  # the wait refused for exceeding the time budget, if any


class RetriesExhausted(Exception):
    """Raised by :func:`call_with_retries` when no attempt succeeded within the bounds."""

    def __init__(self, last: RetryRequested, outcome: RetryOutcome) -> None:
        super().__init__(str(last))
        self.last = last
        self.outcome = outcome


class _Wait(tenacity.wait.wait_base):
    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self.policy = policy
        self.rng = rng

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RetryRequested) and exc.wait is not None:
            return exc.wait
        return self.policy.backoff(retry_state.attempt_number, self.rng)


class _Stop(tenacity.stop.stop_base):
    def __init__(self, policy: RetryPolicy, clock: Clock, start: float) -> None:
        self.policy = policy
        self.clock = clock
        self.start = start
        self.refused_wait: float | None = None

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        elapsed = self.clock.time() - self.start
        if elapsed + retry_state.upcoming_sleep > self.policy.max_elapsed:
            self.refused_wait = retry_state.upcoming_sleep
            return True
        return False


def call_with_retries(attempt: Callable[[int], T], *, policy: RetryPolicy, clock: Clock,
                      rng: random.Random, label: str) -> T:
    """Run ``attempt(attempt_number)`` until it returns, retrying on :class:`RetryRequested`.

    Raises :class:`RetriesExhausted` when the bounds are reached; any other exception from an
    attempt propagates at once.
    """
    start = clock.time()
    stop = _Stop(policy, clock, start)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.debug("%s: attempt %d failed (%s); retrying in %.1f s", label,
                  state.attempt_number, exc, state.upcoming_sleep)

    retrying = Retrying(
        retry=retry_if_exception_type(RetryRequested),
        wait=_Wait(policy, rng),
        stop=stop,
        sleep=clock.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    number = 0
    try:
        for attempt_manager in retrying:
            with attempt_manager:
                number = attempt_manager.retry_state.attempt_number
                return attempt(number)
    except RetryRequested as last:
        raise RetriesExhausted(
            last, RetryOutcome(number, clock.time() - start, stop.refused_wait)) from last
    raise AssertionError("unreachable: tenacity ended without result or exception")
