"""The sandbox's request pipeline, independent of sockets.

For a request to ``/<channel>/<path>`` it finds the marketplace and route, counts the call,
draws an injected fault, enforces the documented rate limit, checks the access token, runs the
handler in one transaction (a refusal rolls back), lets observers (the spec oracle in tests) see
the exchange, and says how to answer: a response, or close the connection (``drop`` before
processing, ``lost`` after committing). ``/_sandbox/…`` is the admin API (see :mod:`.admin`).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from feedsync.sandbox.faults import FaultPlan
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, Route
from feedsync.sandbox.ratelimit import RateLimiter
from feedsync.sandbox.state import Clock, StateStore

log = logging.getLogger(__name__)

_NOMINAL = RateLimit(rate_per_second=1.0, burst=1)  # for a 429 injected on an unlimited route

Observer = Callable[[str, Route, Request, Response], None]


@dataclass
class Outcome:
    """How to answer: ``response`` (None = close the connection without answering)."""

    response: Response | None
    channel: str = ""
    operation: str = ""


@dataclass
class SandboxApp:
    """The marketplaces, their state and the knobs (faults, rate-limit scale, observers)."""

    markets: dict[str, Marketplace]
    store: StateStore
    faults: FaultPlan = field(default_factory=FaultPlan)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    observers: list[Observer] = field(default_factory=list)
    base_url: str = ""  # set by the server once bound: http://127.0.0.1:PORT
    seed: int = 0
    violations: list[str] = field(default_factory=list)  # observer failures (spec oracle)
    internal_errors: list[str] = field(default_factory=list)  # sandbox bugs: tests fail on any

    def __post_init__(self) -> None:
        self.clock = Clock(self.store)
        self._rng = random.Random(self.seed)
        self._rng_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.calls: Counter[tuple[str, str, str]] = Counter()
        for market in self.markets.values():
            self.store.install(market.schema)
            with self.store.transaction() as db:
                market.seed(self.exchange(market.name, db))

    # --- the pipeline ---------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Outcome:
        """Answer one marketplace request (``request.path`` still carries ``/<channel>``)."""
        channel, _, rest = request.path.lstrip("/").partition("/")
        market = self.markets.get(channel)
        if market is None:
            return Outcome(Response.json(
                {"error": f"marketplace {channel!r} is not emulated by this sandbox",
                 "emulated": sorted(self.markets)}, status=404))
        request.path = "/" + rest
        found = market.find(request.method, request.path)
        if found is None:
            return Outcome(market.not_found(request), channel, "unknown")
        route, request.params = found
        outcome = self._serve(market, route, request)
        outcome.channel, outcome.operation = channel, route.operation
        return outcome

    def _serve(self, market: Marketplace, route: Route, request: Request) -> Outcome:
        fault = self.faults.draw(market.name, route.operation, route.token)
        kind = fault.kind if fault else None
        if kind == "slow" and fault is not None:
            time.sleep(fault.seconds)
        if kind == "drop":
            self._count(market.name, route.operation, "dropped")
            return Outcome(None)
        if kind == "429":
            nominal = market.limits.get(route.operation) or _NOMINAL
            return self._finish(market, route, request,
                                market.rate_limited(request, route.operation, nominal, 1.0),
                                "429")
        if kind == "5xx":
            return self._finish(market, route, request, market.server_error(request, 503), "5xx")
        limit = market.limits.get(route.operation)
        if limit is not None:
            caller = market.access_token(request) or "anonymous"
            wait = self.limiter.take((market.name, route.operation, caller), limit)
            if wait > 0:
                return self._finish(market, route, request, market.rate_limited(
                    request, route.operation, limit, wait), "429")
        response = self._run(market, route, request, revoke=kind == "revoke")
        if limit is not None:
            for name, value in market.rate_headers(route.operation, limit).items():
                response.headers.setdefault(name, value)
        outcome = self._finish(market, route, request, response,
                               "lost" if kind == "lost" else str(response.status))
        if kind == "lost":
            outcome.response = None
        return outcome

    def _run(self, market: Marketplace, route: Route, request: Request, *, revoke: bool
             ) -> Response:
        try:
            with self.store.transaction() as db:
                ctx = Exchange(market, db, self.clock.now(db),
                               f"{self.base_url}/{market.name}", self._module_rng())
                if route.auth:
                    token = market.access_token(request)
                    if revoke and token:
                        ctx.tokens.revoke(token)
                    subject, refused = ctx.tokens.check(token)
                    if refused:
                        return market.auth_error(request, refused)
                    request.principal = subject
                return market.handle(route, ctx, request)
        except SandboxError as error:
            return market.render_error(error, request)
        except Exception as exc:  # a bug in an emulator: answer 500, make tests fail loudly
            message = f"{market.name} {route.operation}: {type(exc).__name__}: {exc}"
            log.exception("sandbox handler failed: %s %s", market.name, route.operation)
            self.internal_errors.append(message)
            return market.server_error(request, 500)

    def _finish(self, market: Marketplace, route: Route, request: Request,
                response: Response, outcome: str) -> Outcome:
        self._count(market.name, route.operation, outcome)
        for observe in self.observers:
            try:
                observe(market.name, route, request, response)
            except Exception as exc:  # the oracle's verdict, reported by the test
                self.violations.append(f"{market.name} {route.operation}: {exc}")
        return Outcome(response)

    def _count(self, channel: str, operation: str, outcome: str) -> None:
        with self._count_lock:
            self.calls[(channel, operation, outcome)] += 1

    def call_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """{channel: {operation: {outcome: count}}} since this server started (outcome: the
        status answered, or ``dropped``/``lost``)."""
        with self._count_lock:
            items = list(self.calls.items())
        counts: dict[str, dict[str, dict[str, int]]] = {}
        for (channel, operation, outcome), count in sorted(items):
            counts.setdefault(channel, {}).setdefault(operation, {})[outcome] = count
        return counts

    def _module_rng(self) -> random.Random:
        with self._rng_lock:
            return random.Random(self._rng.random())

    # --- used by admin routes, buyers and tests -------------------------------------------------

    def exchange(self, channel: str, db: sqlite3.Connection, *, ago: float = 0.0) -> Exchange:
        """A handler context outside any request (buyers placing orders, tests); ``ago``
        backdates it (an order a buyer placed that many seconds ago)."""
        market = self.markets[channel]
        return Exchange(market, db, self.clock.now(db) - ago, f"{self.base_url}/{channel}",
                        self._module_rng())

