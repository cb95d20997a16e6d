"""The interface every emulated marketplace implements (see docs/sandbox.md for a walkthrough).

A marketplace module is one subclass of :class:`Marketplace` exported as ``MARKETPLACE`` from
``feedsync/sandbox/<channel>.py`` (or a package of that name). It declares:

- ``name`` (the feedsync channel name, also its mount point ``/<name>/…``);
- ``schema``: DDL of its own state tables, every name prefixed ``<name>_``;
- routes: methods decorated with :func:`route` (method, path pattern, the operation name the
  marketplace documents, whether a token is required, whether it *is* the token endpoint);
- ``limits``: documented rate limits per operation → 429s in its own shape and headers;
- its error shapes: :meth:`Marketplace.render_error`, :meth:`Marketplace.auth_error`,
  :meth:`Marketplace.rate_limited`, :meth:`Marketplace.rate_headers`;
- asynchronous work: :meth:`Marketplace.process_job` (see :mod:`feedsync.sandbox.jobs`);
- buyers: :meth:`Marketplace.offers`, :meth:`Marketplace.place_order`,
  :meth:`Marketplace.cancel_order` (only if ``sells`` is True); what buyers see:
  :meth:`Marketplace.quantities`;
- provisioning and the demo workspace: :meth:`Marketplace.seed`,
  :meth:`Marketplace.workspace_settings`, :meth:`Marketplace.secrets`,
  :meth:`Marketplace.provision`.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from feedsync.sandbox.jobs import Job, Jobs
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.state import next_id
from feedsync.sandbox.tokens import Tokens

Handler = Callable[[Any, "Exchange", Request], Response]


@dataclass(frozen=True)
class Route:
    """One endpoint of an emulated marketplace."""

    method: str
    pattern: str
    operation: str
    auth: bool
    token: bool
    handler_name: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when ``method path`` is this route, else ``None``."""
        if method != self.method:
            return None
        found = self.regex.fullmatch(path)
        return found.groupdict() if found else None


def _compile(pattern: str) -> re.Pattern[str]:
    # "{name}" matches one path segment; "{name:path}" matches the rest (slashes included).
    parts = re.split(r"(\{\w+(?::path)?\})", pattern)
    regex = ""
    for part in parts:
        placeholder = re.fullmatch(r"\{(\w+)(:path)?\}", part)
        if placeholder:
            body = ".+" if placeholder.group(2) else "[^/]+"
            regex += f"(?P<{placeholder.group(1)}>{body})"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def route(method: str, pattern: str, *, operation: str, auth: bool = True,
          token: bool = False) -> Callable[[Handler], Handler]:
    """Declare a handler ``(self, ctx, request) -> Response`` for ``method pattern``.

    ``operation`` is the name the marketplace documents (an OpenAPI ``operationId`` where there
    is one): rate limits, fault rules and the spec oracle in tests key on it. ``auth=True``
    makes the server check the access token (see :meth:`Marketplace.access_token`) before the
    handler runs; ``token=True`` marks the token endpoint (never token-checked, and not hit by
    ``*`` fault rules).
    """
    def mark(handler: Handler) -> Handler:
        handler.__sandbox_route__ = (method.upper(), pattern, operation,  # type: ignore[attr-defined]
                                     auth and not token, token)
        return handler
    return mark


@dataclass(frozen=True)
class RateLimit:
    """A documented limit: a token bucket of ``burst`` refilled at ``rate_per_second``."""

    rate_per_second: float
    burst: int
    doc: str = ""  # the marketplace page the numbers come from


@dataclass(frozen=True)
class Offer:
    """A SKU a buyer can order on a marketplace right now."""

    sku: str
    quantity: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class OrderLine:
    """One line of a buyer's order."""

    sku: str
    quantity: int
    unit_price: Decimal
    currency: str


@dataclass(frozen=True)
class BuyerOrder:
    """What a simulated buyer orders; the module turns it into the marketplace's order."""

    lines: tuple[OrderLine, ...]
    buyer_name: str


class Exchange:
    """What a handler gets besides the request: the transaction, time, ids, tokens, jobs."""

    def __init__(self, market: Marketplace, db: sqlite3.Connection, now: float, base_url: str,
                 rng: random.Random) -> None:
        self.market = market
        self.db = db
        self.now = now
        self.base_url = base_url  # e.g. http://127.0.0.1:PORT/amazon (absolute links, uploads)
        self.rng = rng
        self.tokens = Tokens(db, market.name, now)
        self.jobs = Jobs(db, market.name, now, lambda job: market.process_job(self, job))

    def next_id(self, kind: str) -> int:
        """The next number of this marketplace's ``kind`` sequence (kept in the state file)."""
        return next_id(self.db, self.market.name, kind)

    def url(self, path: str) -> str:
        """An absolute URL on this marketplace's mount point."""
        return self.base_url + path


class Marketplace:
    """Base class of an emulated marketplace (see the module docstring)."""

    name: ClassVar[str] = ""
    schema: ClassVar[str] = ""
    limits: ClassVar[dict[str, RateLimit]] = {}
    sells: ClassVar[bool] = False  # True when buyers can place orders here
    routes: ClassVar[tuple[Route, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: list[Route] = []
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                spec = getattr(value, "__sandbox_route__", None)
                if spec:
                    method, pattern, operation, auth, token = spec
                    found = [r for r in found if r.handler_name != attr]
                    found.append(Route(method, pattern, operation, auth, token, attr,
                                       _compile(pattern)))
        cls.routes = tuple(found)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route serving ``method path`` with its parameters, if any."""
        for candidate in self.routes:
            params = candidate.match(method, path)
            if params is not None:
                return candidate, params
        return None

    def handle(self, found: Route, ctx: Exchange, request: Request) -> Response:
        """Run the route's handler."""
        response: Response = getattr(self, found.handler_name)(ctx, request)
        return response

    # --- auth ---------------------------------------------------------------------------------

    def access_token(self, request: Request) -> str | None:
        """Where this marketplace carries the access token (default: ``Authorization: Bearer``).
        Override for e.g. Amazon's ``x-amz-access-token`` header."""
        return request.bearer()

    def auth_error(self, request: Request, reason: str) -> Response:
        """The answer to a missing/unknown/expired/revoked token (default: 401 via
        :meth:`render_error`)."""
        return self.render_error(SandboxError(401, "Unauthorized",
                                              f"access token {reason}"), request)

    # --- error shapes ---------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        """This marketplace's documented error body for ``error``. Override it."""
        return Response.json({"error": {"code": error.code, "message": error.message,
                                        **error.details}}, status=error.status)

    def not_found(self, request: Request) -> Response:
        """An unknown path on this marketplace."""
        return self.render_error(SandboxError(404, "NotFound",
                                              f"no such resource: {request.path}"), request)

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        """The 429 this marketplace sends when ``limit`` is exceeded."""
        response = self.render_error(
            SandboxError(429, "QuotaExceeded", f"rate limit of {operation} exceeded"), request)
        response.headers.update(self.rate_headers(operation, limit))
        return response

    def rate_headers(self, operation: str, limit: RateLimit) -> dict[str, str]:
        """Headers sent on every response of a rate-limited operation (e.g. Amazon's
        ``x-amzn-RateLimit-Limit``). Default: none."""
        return {}

    def server_error(self, request: Request, status: int) -> Response:
        """An injected or real 5xx in this marketplace's shape."""
        return self.render_error(SandboxError(status, "InternalFailure",
                                              "We encountered an internal error."), request)

    # --- asynchronous work ------------------------------------------------------------------

    def process_job(self, ctx: Exchange, job: Job) -> Any:
        """Process a submitted job once it is due; the return value is stored as its result."""
        raise NotImplementedError(f"{self.name} submitted a job but has no process_job")

    # --- buyers ---------------------------------------------------------------------------------

    def offers(self, ctx: Exchange) -> Iterable[Offer]:
        """Every SKU a buyer can order now (listed, buyable, quantity > 0)."""
        return ()

    def place_order(self, ctx: Exchange, order: BuyerOrder) -> str:
        """Create the marketplace's order for ``order`` (and take the units off its listed
        quantity, as the marketplace does); returns the marketplace's order id."""
        raise NotImplementedError(f"{self.name} takes no orders")

    def cancel_order(self, ctx: Exchange, order_id: str) -> bool:
        """The buyer cancels an unshipped order; False when it can no longer be cancelled."""
        raise NotImplementedError(f"{self.name} takes no orders")

    def quantities(self, ctx: Exchange, skus: Sequence[str]) -> dict[str, int]:
        """The quantity this marketplace shows buyers now for each of ``skus`` that it lists
        (absent: not listed). End-to-end tests and bench/oversell.py read stock through it."""
        raise NotImplementedError(f"{self.name} does not report listed quantities")

    # --- provisioning and demo workspace --------------------------------------------------------

    def seed(self, ctx: Exchange) -> None:
        """Called once per start, in a transaction, after the tables exist: create what a
        fresh account has (a never-expiring system-user token, a service account, …)."""

    def provision(self, ctx: Exchange, workspace: Path) -> dict[str, str]:
        """Sandbox credentials for a new workspace (``feedsync init --sandbox``): the
        ``secrets.toml`` entries. A module may write files into ``workspace`` (a key file)
        and register what it created in its tables. Default: :meth:`secrets`."""
        return self.secrets()

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        """The ``[channels.<name>]`` keys that point the real adapter at this emulator
        (``delivery = "api"``, base-URL overrides, account ids)."""
        return {"enabled": True, "delivery": "api", "base_url": base_url}

    def secrets(self) -> dict[str, str]:
        """The sandbox credentials the adapter needs (written to ``secrets.toml``); the token
        endpoint accepts exactly these."""
        return {}
