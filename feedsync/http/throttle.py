"""Proactive throttling: token buckets per operation and rolling daily budgets.

feedsync slows itself down *before* a channel answers 429. Each (channel, account, operation)
with a declared :class:`~feedsync.http.limits.OperationLimit` gets a :class:`TokenBucket`; the
state lives in a :class:`~feedsync.http.store.StateStore`, so with the SQLite store a cron run that
starts right after another one finds the bucket as the previous run left it (Amazon's
``searchOrders`` refills one token every ~3 minutes: a fresh full bucket per run would burst
past the limit every time).

A bucket hands out *reservations*: a caller takes a token even if the level goes negative, and
sleeps until the debt is repaid. Callers are served in arrival order, and the wait is computed
once, inside one store transaction.

Daily budgets (:class:`RollingBudget`) count calls in hourly slots over a rolling 24 hours and
include the whole oldest slot, so they can only err on the safe side (a call frees up between
24 and 25 hours after it was made). An exhausted budget is not an error storm: the call is
refused, a :class:`Deferral` is recorded for the run report, and the sync engine moves on.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from feedsync.clock import from_timestamp, iso_z
from feedsync.errors import BudgetExhausted, redact
from feedsync.http.clock import Clock
from feedsync.http.limits import ANY_OPERATION, DAY_SECONDS, OperationLimit
from feedsync.http.store import BucketKey, BucketState, StateStore

SLOT_SECONDS = 3600.0


def _iso(ts: float) -> str:
    return iso_z(from_timestamp(ts))


@dataclass(frozen=True)
class Deferral:
    """Work not done in this run because a limit was reached; it is due in the next run."""

    channel: str
    account: str
    operation: str
    reason: str
    calls: int = 1
    key: str | None = None  # the budget key (e.g. a SKU) for per-key budgets
    retry_at: float | None = None  # epoch seconds when capacity frees up, if known

    def describe(self) -> str:
        """One line for the run report."""
        what = f"{self.calls} call(s) to {self.operation}"
        if self.key is not None:
            what += f" for {self.key}"
        when = f" (capacity frees up at {_iso(self.retry_at)})" if self.retry_at else ""
        return redact(f"{self.channel}[{self.account}]: {what} deferred to the next run: "
                      f"{self.reason}{when}")


class DeferralLog:
    """The deferrals of one client, in order, for the run report (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Deferral] = []

    def add(self, deferral: Deferral) -> None:
        """Record one deferral."""
        with self._lock:
            self._items.append(deferral)

    def items(self) -> list[Deferral]:
        """A copy of everything recorded so far."""
        with self._lock:
            return list(self._items)


class TokenBucket:
    """A persisted token bucket for one (channel, account, operation)."""

    def __init__(self, key: BucketKey, limit: OperationLimit, store: StateStore,
                 clock: Clock) -> None:
        self.key = key
        self.limit = limit
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()

    def _level(self, state: BucketState | None, now: float) -> BucketState:
        """The state brought forward to ``max(now, updated_at)`` (refilled, capped at burst)."""
        if state is None:
            return BucketState(tokens=float(self.limit.burst), updated_at=now)
        rate = state.rate or self.limit.rate_per_second
        if now <= state.updated_at:
            return state  # a reservation or a server-imposed block lies in the future
        tokens = min(float(self.limit.burst), state.tokens + (now - state.updated_at) * rate)
        return BucketState(tokens=tokens, updated_at=now, rate=state.rate,
                           blocked_until=state.blocked_until)

    @property
    def rate(self) -> float:
        """The rate in force: learned from headers if the channel sent one, else documented."""
        state = self._store.get_bucket(self.key)
        return (state.rate if state and state.rate else None) or self.limit.rate_per_second

    def reserve(self, n: int = 1, max_wait: float | None = None) -> float:
        """Take ``n`` tokens and return how long to wait before sending (0 if available now).

        If the wait would exceed ``max_wait`` nothing is taken and :class:`BudgetExhausted`
        is raised: the request belongs to the next run.
        """
        with self._lock, self._store.transaction():
            now = self._clock.time()
            state = self._level(self._store.get_bucket(self.key), now)
            rate = state.rate or self.limit.rate_per_second
            start = max(now, state.updated_at)
            tokens = state.tokens - n
            wait = (start - now) + (max(0.0, -tokens) / rate)
            if max_wait is not None and wait > max_wait:
                raise BudgetExhausted(
                    f"{self.key}: the rate limit ({rate:g} requests/s, burst "
                    f"{self.limit.burst}) needs a {wait:.0f} s wait, more than the "
                    f"{max_wait:.0f} s allowed; deferred to the next run",
                    deferral=Deferral(self.key.channel, self.key.account, self.key.operation,
                                      f"rate limit needs a {wait:.0f} s wait", n,
                                      retry_at=now + wait),
                )
            self._store.put_bucket(self.key, BucketState(
                tokens=tokens, updated_at=start, rate=state.rate,
                blocked_until=state.blocked_until))
        return wait

    def learn_rate(self, rate: float) -> None:
        """Adopt a rate the channel reported (e.g. Amazon's ``x-amzn-RateLimit-Limit``)."""
        if not (rate > 0 and math.isfinite(rate)):
            return
        with self._lock, self._store.transaction():
            state = self._level(self._store.get_bucket(self.key), self._clock.time())
            if state.rate == rate:
                return
            state.rate = rate
            self._store.put_bucket(self.key, state)

    def block_until(self, until: float, tokens_then: float = 1.0) -> None:
        """Hold requests back until ``until``, when at most ``tokens_then`` may go.

        The channel said so: Retry-After after a 429 means "one request may go at that time"
        (``tokens_then=1``); a 429 without a hint or a "remaining: 0" header means the bucket
        is empty now (``until=now, tokens_then=0``). Existing debt is never forgiven.
        """
        with self._lock, self._store.transaction():
            now = self._clock.time()
            state = self._level(self._store.get_bucket(self.key), now)
            state.tokens = min(state.tokens, tokens_then)
            state.updated_at = max(state.updated_at, until)
            state.blocked_until = max(state.blocked_until, until)
            self._store.put_bucket(self.key, state)


class RollingBudget:
    """At most ``limit`` calls per key in any rolling ``window`` seconds, persisted.

    The key is whatever is being counted: an operation name for Etsy's 10,000 calls a day, a
    SKU for Google's two updates per product a day.
    """

    def __init__(self, scope: BucketKey, limit: int, store: StateStore, clock: Clock,
                 deferrals: DeferralLog, *, window: float = DAY_SECONDS,
                 slot: float = SLOT_SECONDS, what: str = "daily budget") -> None:
        self.scope = scope
        self.limit = limit
        self._store = store
        self._clock = clock
        self._deferrals = deferrals
        self._slot = slot
        self._window_slots = math.ceil(window / slot)
        self._what = what

    def _current_slot(self) -> int:
        return int(self._clock.time() // self._slot)

    def _usage(self, key: str, slot: int) -> list[tuple[int, int]]:
        return self._store.usage(self.scope, key, slot - self._window_slots)

    def used(self, key: str) -> int:
        """Calls counted against ``key`` in the current window."""
        return sum(n for _, n in self._usage(key, self._current_slot()))

    def remaining(self, key: str) -> int:
        """Calls still allowed for ``key`` in the current window."""
        return max(0, self.limit - self.used(key))

    def frees_at(self, key: str) -> float | None:
        """When the oldest counted call of ``key`` leaves the window (None if nothing counted)."""
        rows = self._usage(key, self._current_slot())
        if not rows:
            return None
        return (rows[0][0] + self._window_slots + 1) * self._slot

    def try_consume(self, key: str, n: int = 1, *, record: bool = True) -> bool:
        """Count ``n`` calls against ``key`` if they fit; otherwise record a deferral, False."""
        with self._store.transaction():
            slot = self._current_slot()
            rows = self._usage(key, slot)
            used = sum(c for _, c in rows)
            if used + n <= self.limit:
                self._store.add_usage(self.scope, key, slot, n)
                return True
        if record:
            self._deferrals.add(self.deferral(key, n))
        return False

    def try_consume_many(self, keys: Iterable[str], n: int = 1) -> list[str]:
        """:meth:`try_consume` for many keys in one transaction; returns the keys accepted."""
        accepted: list[str] = []
        refused: list[str] = []
        with self._store.transaction():
            slot = self._current_slot()
            for key in keys:
                used = sum(c for _, c in self._usage(key, slot))
                if used + n <= self.limit:
                    self._store.add_usage(self.scope, key, slot, n)
                    accepted.append(key)
                else:
                    refused.append(key)
        for key in refused:
            self._deferrals.add(self.deferral(key, n))
        return accepted

    def deferral(self, key: str, n: int) -> Deferral:
        """The :class:`Deferral` describing ``n`` refused calls for ``key``."""
        per_key = key != self.scope.operation
        return Deferral(
            self.scope.channel, self.scope.account, self.scope.operation,
            f"{self._what} of {self.limit} call(s) per {self._window_slots} h is used",
            n, key=key if per_key else None, retry_at=self.frees_at(key))

    def prune(self) -> None:
        """Forget usage that no window can count any more."""
        self._store.prune_usage(self._current_slot() - self._window_slots)


class Throttle:
    """All buckets and budgets of one channel account, applied before every request."""

    def __init__(self, channel: str, account: str, limits: dict[str, OperationLimit],
                 store: StateStore, clock: Clock, deferrals: DeferralLog,
                 max_wait: float | None) -> None:
        self.channel = channel
        self.account = account
        self._limits = limits
        self._store = store
        self._clock = clock
        self.deferrals = deferrals
        self.max_wait = max_wait
        self._buckets: dict[str, TokenBucket] = {}
        self._budgets: dict[tuple[str, bool], RollingBudget] = {}
        self._lock = threading.Lock()

    def _key(self, operation: str) -> BucketKey:
        return BucketKey(self.channel, self.account, operation)

    def bucket(self, operation: str) -> TokenBucket | None:
        """The bucket of ``operation`` if it has a declared limit."""
        limit = self._limits.get(operation)
        if limit is None:
            return None
        with self._lock:
            if operation not in self._buckets:
                self._buckets[operation] = TokenBucket(
                    self._key(operation), limit, self._store, self._clock)
            return self._buckets[operation]

    def budget(self, operation: str, *, per_key: bool = False) -> RollingBudget | None:
        """The daily budget of ``operation`` (or its per-key budget), if declared."""
        limit = self._limits.get(operation)
        amount = None if limit is None else (
            limit.per_key_daily_budget if per_key else limit.daily_budget)
        if amount is None:
            return None
        with self._lock:
            ident = (operation, per_key)
            if ident not in self._budgets:
                scope = BucketKey(self.channel, self.account,
                                  operation + ("#per-key" if per_key else ""))
                what = "per-key daily budget" if per_key else "daily budget"
                self._budgets[ident] = RollingBudget(
                    scope, amount, self._store, self._clock, self.deferrals, what=what)
            return self._budgets[ident]

    def _scopes(self, operation: str) -> list[str]:
        scopes = [operation] if operation in self._limits else []
        if ANY_OPERATION in self._limits and operation != ANY_OPERATION:
            scopes.append(ANY_OPERATION)
        return scopes

    def acquire(self, operation: str) -> None:
        """Wait for permission to send one ``operation`` request, or raise BudgetExhausted."""
        scopes = self._scopes(operation)
        budgets = [b for b in (self.budget(s) for s in scopes) if b is not None]
        for budget in budgets:  # cheap check first: no sleeping for a call that cannot go
            if budget.remaining(budget.scope.operation) < 1:
                self._refuse(budget, operation)
        wait = 0.0
        for scope in scopes:
            bucket = self.bucket(scope)
            if bucket is not None:
                try:
                    wait = max(wait, bucket.reserve(1, self.max_wait))
                except BudgetExhausted as exc:
                    if isinstance(exc.deferral, Deferral):
                        self.deferrals.add(exc.deferral)
                    raise
        if wait > 0:
            self._clock.sleep(wait)
        for budget in budgets:
            if not budget.try_consume(budget.scope.operation, record=False):
                self._refuse(budget, operation)

    def _refuse(self, budget: RollingBudget, operation: str) -> None:
        deferral = budget.deferral(budget.scope.operation, 1)
        deferral = Deferral(deferral.channel, deferral.account, operation, deferral.reason,
                            1, retry_at=deferral.retry_at)
        self.deferrals.add(deferral)
        raise BudgetExhausted(deferral.describe(), deferral=deferral)

    def learn_rate(self, operation: str, rate: float) -> None:
        """Adopt a channel-reported rate for ``operation`` (only for declared operations)."""
        bucket = self.bucket(operation)
        if bucket is not None:
            bucket.learn_rate(rate)

    def block_until(self, operation: str, until: float, tokens_then: float = 1.0) -> None:
        """Hold back every request of ``operation`` until ``until`` (see TokenBucket)."""
        bucket = self.bucket(operation)
        if bucket is not None:
            bucket.block_until(until, tokens_then)
