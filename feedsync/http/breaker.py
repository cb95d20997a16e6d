"""The per-channel-account circuit breaker: after an auth failure, stop *this* channel quietly.

When a channel refuses our credentials (a 401 that a token refresh did not cure, a 403, a token
endpoint saying ``invalid_grant``) every further request of the run would fail the same way:
one error per SKU helps nobody. The breaker opens once, the request that opened it raises one
:class:`~feedsync.errors.CircuitOpen` explaining what a human must fix, and every later request
of that client raises ``CircuitOpen`` at once, without touching the network, flagged as a repeat
(``exc.repeat``) so the run report can show the cause once. The breaker belongs to one client
object, so other channels and accounts carry on, and a new run starts closed.
"""

from __future__ import annotations

import logging
import threading

from feedsync.errors import CircuitOpen

log = logging.getLogger("feedsync.http")


class CircuitBreaker:
    """Open/closed state of one (channel, account) for the current run."""

    def __init__(self, channel: str, account: str) -> None:
        self.channel = channel
        self.account = account
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._status: int | None = None
        self.rejected = 0  # requests refused while open (not sent)

    @property
    def is_open(self) -> bool:
        """True once the channel has been stopped for this run."""
        with self._lock:
            return self._reason is not None

    @property
    def reason(self) -> str | None:
        """Why the breaker opened (already redacted), or None."""
        with self._lock:
            return self._reason

    def check(self) -> None:
        """Raise CircuitOpen (a repeat) if open; otherwise do nothing."""
        with self._lock:
            if self._reason is None:
                return
            self.rejected += 1
            reason, status = self._reason, self._status
        raise CircuitOpen(f"{self.channel}[{self.account}] is stopped for this run after an "
                          f"earlier failure: {reason}",
                          channel=self.channel, status=status, repeat=True)

    def open(self, reason: str, status: int | None = None) -> CircuitOpen:
        """Open the breaker (first reason wins) and return the error to raise."""
        with self._lock:
            first = self._reason is None
            if first:
                self._reason = reason
                self._status = status
            reason, status = self._reason or reason, self._status
        if first:
            text = f"{reason}; {self.channel}[{self.account}] is stopped for this run"
        else:
            text = (f"{self.channel}[{self.account}] is stopped for this run after an earlier "
                    f"failure: {reason}")
        exc = CircuitOpen(text, channel=self.channel, status=status, repeat=not first)
        if first:
            log.error("%s", exc.message)
        return exc
