"""Walmart Marketplace emulation: the seller account, the token endpoint, headers, errors.

Docs followed (each rule names its page or the official OpenAPI file in ../shared/specs/walmart):

- token: ``POST /v3/token`` (tokenAPI, us-mp-auth.json) — form body
  ``grant_type=client_credentials``, the client id and secret as HTTP Basic auth, headers
  ``WM_SVC.NAME`` and ``WM_QOS.CORRELATION_ID``; answers ``{access_token, token_type: "Bearer",
  expires_in: 900}`` (the tokenAPI example);
- every other call carries ``WM_SEC.ACCESS_TOKEN``, ``WM_SVC.NAME`` and
  ``WM_QOS.CORRELATION_ID`` (the header parameters of every operation in us-mp-*.json); a
  missing or expired token is a 401;
- errors: ``{"errors": [GatewayError]}`` (``code``, ``field``, ``description``, ``info``,
  ``severity``, ``category``; the ``errors`` arrays of the response schemas). The codes below
  ending in ``.GMP_GATEWAY_API`` follow Walmart's gateway naming; the exact strings are this
  sandbox's own (Walmart publishes no code list);
- rate limits (https://developer.walmart.com/us-marketplace/docs/rate-limiting): over a limit,
  429 with ``x-current-token-count: 0`` and ``x-next-replenishment-time`` (epoch ms); every
  answer of a limited operation carries both headers.
"""

from __future__ import annotations

import base64
import math
from typing import Any, ClassVar

from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, Route, route
from feedsync.sandbox.tokens import TokenCheck

# The sandbox seller's credentials (what `feedsync init --sandbox` writes to secrets.toml).
CLIENT_ID = "feedsync-sandbox-walmart-client"
CLIENT_SECRET = "feedsync-sandbox-walmart-secret"
SELLER = "100009"  # the partnerId of Walmart's examples
SHIP_NODE = "10000003527"  # the ship node of the MultiNode inventory example
ACCESS_TOKEN_TTL = 900  # tokenAPI example: "expires_in": 900
REQUIRED_HEADERS = ("WM_SVC.NAME", "WM_QOS.CORRELATION_ID")

ITEMS_PAGE = "https://developer.walmart.com/us-marketplace/docs/item-management-available-requests"
THROTTLING = "https://developer.walmart.com/doc/us/mp/us-mp-throttling"


def per_minute(count: int, doc: str) -> RateLimit:
    """A documented "transactions per minute" limit."""
    return RateLimit(rate_per_second=count / 60.0, burst=max(1, count // 10), doc=doc)


LIMITS: dict[str, RateLimit] = {
    "getFeedItemStatus": per_minute(5000, ITEMS_PAGE),
    "getAllFeedStatuses": per_minute(5000, ITEMS_PAGE),
    "retireAnItem": per_minute(900, ITEMS_PAGE),
}
# Feeds per hour and feed type (enforced in the upload route: one route serves every type).
FEED_QUOTAS: dict[str, int] = {"MP_ITEM": 10, "RETIRE_ITEM": 10, "price": 10,
                               "MP_INVENTORY": 10}


def wm_error(status: int, code: str, description: str, field: str = "",
             category: str = "DATA") -> SandboxError:
    """A SandboxError rendered as Walmart's ``{"errors": [GatewayError]}``."""
    return SandboxError(status, code, description, field=field, category=category)


class WalmartBase(Marketplace):
    """What every Walmart route shares: token, headers, errors, limits, the account."""

    name = "walmart"
    sells = True
    limits: ClassVar[dict[str, RateLimit]] = LIMITS

    # --- token --------------------------------------------------------------------------------

    @route("POST", "/v3/token", operation="tokenAPI", token=True)
    def token(self, ctx: Exchange, request: Request) -> Response:
        """The client-credentials grant (Basic auth, form body)."""
        self.check_headers(request)
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if scheme.lower() != "basic" or (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            raise wm_error(401, "UNAUTHORIZED.GMP_GATEWAY_API",
                           "Unauthorized: client id or secret not valid", "Authorization")
        if request.form().get("grant_type") != "client_credentials":
            raise wm_error(400, "INVALID_REQUEST.GMP_GATEWAY_API",
                           "grant_type must be client_credentials", "grant_type")
        issued = ctx.tokens.issue(SELLER, ACCESS_TOKEN_TTL, prefix="eyJsbx.")
        return Response.json({"access_token": issued.token, "token_type": "Bearer",
                              "expires_in": issued.expires_in})

    def access_token(self, request: Request) -> str | None:
        return request.headers.get("WM_SEC.ACCESS_TOKEN")

    def check_headers(self, request: Request) -> None:
        """Refuse a call without Walmart's service-name and correlation-id headers."""
        for header in REQUIRED_HEADERS:
            if not request.headers.get(header):
                raise wm_error(400, "INVALID_REQUEST_HEADER.GMP_GATEWAY_API",
                               f"{header} header is required", header, "REQUEST")

    def handle(self, found: Route, ctx: Exchange, request: Request) -> Response:
        if not found.token:
            self.check_headers(request)
        return super().handle(found, ctx, request)

    def auth_error(self, request: Request, reason: str) -> Response:
        text = {TokenCheck.MISSING: "WM_SEC.ACCESS_TOKEN header is required",
                TokenCheck.EXPIRED: "Unauthorized token: the access token expired"}.get(
            reason, "Unauthorized token")
        return self.render_error(wm_error(401, "UNAUTHORIZED.GMP_GATEWAY_API", text,
                                          "WM_SEC.ACCESS_TOKEN", "REQUEST"), request)

    # --- shapes ---------------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        entry: dict[str, Any] = {
            "code": error.code, "field": error.details.get("field", ""),
            "description": error.message, "info": error.message, "severity": "ERROR",
            "category": error.details.get("category", "DATA"), "causes": [],
            "errorIdentifiers": {}}
        headers = {"WM_QOS.CORRELATION_ID": request.headers.get("WM_QOS.CORRELATION_ID") or ""}
        headers.update(error.details.get("headers") or {})
        return Response.json({"errors": [entry]}, status=error.status, headers=headers)

    def not_found(self, request: Request) -> Response:
        return self.render_error(wm_error(404, "CONTENT_NOT_FOUND.GMP_GATEWAY_API",
                                          f"no resource at {request.path}"), request)

    def server_error(self, request: Request, status: int) -> Response:
        return self.render_error(wm_error(status, "SYSTEM_ERROR.GMP_GATEWAY_API",
                                          "Internal error, try again later",
                                          category="SYSTEM"), request)

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        response = self.render_error(wm_error(429, "REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API",
                                              f"Too many requests for {operation}",
                                              category="REQUEST"), request)
        response.headers.update(throttle_headers(0, retry_after))
        return response

    def rate_headers(self, operation: str, limit: RateLimit) -> dict[str, str]:
        return {"x-current-token-count": str(limit.burst)}

    # --- demo workspace -------------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "base_url": base_url,
                "ship_node": SHIP_NODE}

    def secrets(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def throttle_headers(left: int, wait_s: float, now: float | None = None) -> dict[str, str]:
    """``x-current-token-count`` / ``x-next-replenishment-time`` (epoch ms) and Retry-After."""
    import time

    at = (now if now is not None else time.time()) + max(wait_s, 0.0)
    return {"x-current-token-count": str(left),
            "x-next-replenishment-time": str(int(at * 1000)),
            "Retry-After": str(max(1, math.ceil(wait_s)))}
