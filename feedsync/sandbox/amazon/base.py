"""Amazon SP-API emulation: account, Login with Amazon, error shapes, rate limits.

Docs followed (each rule below names its page):

- LWA token endpoint: https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-
  partner-api (refresh-token grant in a form body; access tokens live 3600 s);
- errors: https://developer-docs.amazon.com/sp-api/docs/error-handling — every SP-API error is
  ``{"errors": [{"code", "message", "details"}]}``; a missing, invalid or expired access token
  is a **403** ``Unauthorized`` (not 401), with the reason in ``details``;
- limits: each operation's usage plan in its Swagger model (../shared/specs/amazon) and
  https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits — every answer
  carries ``x-amzn-RateLimit-Limit`` and ``x-amzn-RequestId``; over the limit: 429
  ``QuotaExceeded``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, ClassVar

from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, route
from feedsync.sandbox.tokens import TokenCheck

# The sandbox seller's credentials (what `feedsync init --sandbox` writes to secrets.toml).
# Placeholders that only open the local sandbox, shaped like LWA's (a refresh token starts
# with "Atzr|") so the adapter's real code paths run; they are not, and never were, secrets.
CLIENT_ID = "amzn1.application-oa2-client.feedsyncsandbox"
CLIENT_SECRET = "SANDBOX-ONLY-NOT-A-SECRET"
REFRESH_TOKEN = "Atzr|SANDBOX-ONLY-NOT-A-SECRET"
SELLER_ID = "A1FEEDSYNCSANDBOX"
MARKETPLACE_ID = "ATVPDKIKX0DER"  # amazon.com (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids)
MARKETPLACE_NAME = "Amazon.com"
CURRENCY = "USD"
ACCESS_TOKEN_TTL = 3600

USAGE_PLANS = "https://developer-docs.amazon.com/sp-api/docs/usage-plans-and-rate-limits"
# Default usage plans from the Swagger models in ../shared/specs/amazon (x-amzn-api-... and
# the operation descriptions' "Usage plan" tables).
LIMITS: dict[str, RateLimit] = {
    "createFeedDocument": RateLimit(0.5, 15, USAGE_PLANS),
    "createFeed": RateLimit(0.0083, 15, USAGE_PLANS),
    "getFeed": RateLimit(2.0, 15, USAGE_PLANS),
    "getFeeds": RateLimit(0.0222, 10, USAGE_PLANS),
    "getFeedDocument": RateLimit(0.0222, 10, USAGE_PLANS),
    "putListingsItem": RateLimit(5.0, 10, USAGE_PLANS),
    "patchListingsItem": RateLimit(5.0, 10, USAGE_PLANS),
    "getListingsItem": RateLimit(5.0, 10, USAGE_PLANS),
    "deleteListingsItem": RateLimit(5.0, 10, USAGE_PLANS),
    "searchListingsItems": RateLimit(5.0, 5, USAGE_PLANS),
    "searchOrders": RateLimit(0.0056, 20, USAGE_PLANS),
    "getOrder": RateLimit(0.5, 30, USAGE_PLANS),
    "confirmShipment": RateLimit(2.0, 10, USAGE_PLANS),
}


def errors(status: int, code: str, message: str, details: str = "") -> SandboxError:
    """An SP-API error (rendered as ``{"errors": [{"code", "message", "details"}]}``)."""
    return SandboxError(status, code, message, details=details)


def invalid_input(message: str) -> SandboxError:
    """The 400 SP-API answers to missing or invalid parameters."""
    return errors(400, "InvalidInput", message, message)


class AmazonBase(Marketplace):
    """What every Amazon route shares: token, errors, limits, the seller account."""

    name = "amazon"
    sells = True
    limits: ClassVar[dict[str, RateLimit]] = LIMITS

    # --- Login with Amazon ---------------------------------------------------------------------

    @route("POST", "/auth/o2/token", operation="lwaToken", token=True)
    def lwa_token(self, ctx: Exchange, request: Request) -> Response:
        """The refresh-token grant (form body; client credentials in the body)."""
        form = request.form()
        if form.get("grant_type") != "refresh_token":
            return _lwa_error(400, "unsupported_grant_type",
                              "The authorization grant type is not supported.")
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return _lwa_error(401, "invalid_client",
                              "Client authentication failed")
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _lwa_error(400, "invalid_grant",
                              "The request has an invalid grant parameter : refresh_token")
        issued = ctx.tokens.issue(SELLER_ID, ACCESS_TOKEN_TTL, prefix="Atza|sbx-")
        return Response.json({"access_token": issued.token, "refresh_token": REFRESH_TOKEN,
                              "token_type": "bearer", "expires_in": issued.expires_in})

    def access_token(self, request: Request) -> str | None:
        return request.headers.get("x-amz-access-token")

    def auth_error(self, request: Request, reason: str) -> Response:
        details = {
            TokenCheck.MISSING: "",
            TokenCheck.EXPIRED: "The access token you provided has expired.",
        }.get(reason, "The access token you provided is revoked, malformed or invalid.")
        return self.render_error(errors(403, "Unauthorized",
                                        "Access to requested resource is denied.", details),
                                 request)

    # --- shapes ---------------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        entry: dict[str, Any] = {"code": error.code, "message": error.message}
        if "details" in error.details:
            entry["details"] = error.details["details"]
        return Response.json({"errors": [entry]}, status=error.status,
                             headers={"x-amzn-RequestId": str(uuid.uuid4())})

    def not_found(self, request: Request) -> Response:
        return self.render_error(errors(404, "NotFound", "Resource not found."), request)

    def server_error(self, request: Request, status: int) -> Response:
        if status == 503:
            return self.render_error(errors(503, "ServiceUnavailable",
                                            "Service temporarily unavailable."), request)
        return self.render_error(errors(500, "InternalFailure",
                                        "We encountered an internal error. Please try again."),
                                 request)

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        response = self.render_error(errors(429, "QuotaExceeded",
                                            "You exceeded your quota for the requested resource."),
                                     request)
        response.headers.update(self.rate_headers(operation, limit))
        return response

    def rate_headers(self, operation: str, limit: RateLimit) -> dict[str, str]:
        return {"x-amzn-RateLimit-Limit": f"{limit.rate_per_second:g}"}

    def check_seller(self, request: Request, seller_id: str) -> None:
        """A path naming another seller than the token's: 403 as for a foreign resource."""
        if seller_id != request.principal:
            raise errors(403, "Unauthorized", "Access to requested resource is denied.",
                         "The access token does not grant access to this seller.")

    # --- demo workspace -------------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "base_url": base_url,
                "lwa_token_url": f"{base_url}/auth/o2/token", "seller_id": SELLER_ID,
                "marketplace_ids": [MARKETPLACE_ID], "feed_poll_seconds": 2.0}

    def secrets(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN}

    def provision(self, ctx: Exchange, workspace: Path) -> dict[str, str]:
        return self.secrets()


def _lwa_error(status: int, code: str, description: str) -> Response:
    # LWA's OAuth 2.0 error body (RFC 6749 §5.2), not the SP-API shape.
    return Response.json({"error": code, "error_description": description}, status=status)
