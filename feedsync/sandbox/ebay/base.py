"""eBay Sell APIs emulation: the seller account, OAuth token endpoint, error shapes.

Docs followed (each rule names its page):

- token endpoint: https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html —
  ``POST /identity/v1/oauth2/token``, HTTP Basic ``client_id:client_secret``, form body
  ``grant_type=refresh_token``, ``refresh_token``, ``scope`` (space-separated, a subset of the
  scopes the seller granted); answers ``{access_token, expires_in: 7200, token_type}``; errors
  are OAuth 2.0 bodies ``{error, error_description}`` (RFC 6749 §5.2);
- errors: https://developer.ebay.com/api-docs/static/handling-error-messages.html — every
  RESTful error is ``{"errors": [{errorId, domain, category, message, longMessage,
  parameters}]}``; an invalid or expired access token is HTTP 401 errorId 1001; throttling is
  HTTP 429 errorId 2001;
- call limits: eBay publishes daily quotas per application, not per-second rates
  (https://developer.ebay.com/develop/get-started/api-call-limits), so no bucket is declared;
  faults (``--fault ebay:429:…``) produce eBay's 429.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, ClassVar

from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, route
from feedsync.sandbox.tokens import TokenCheck

# The sandbox seller's credentials (what `feedsync init --sandbox` writes to secrets.toml).
# Placeholders that only open the local sandbox; they are not, and never were, secrets.
CLIENT_ID = "feedsync-sandbox-client"
CLIENT_SECRET = "SANDBOX-ONLY-NOT-A-SECRET"
REFRESH_TOKEN = "SANDBOX-ONLY-NOT-A-SECRET-refresh"
SELLER = "feedsync_sandbox_seller"
MARKETPLACE_ID = "EBAY_US"
CURRENCY = "USD"
LOCATION_KEY = "FEEDSYNC-WH-1"
POLICIES = {"fulfillmentPolicyId": "6100000001", "paymentPolicyId": "6100000002",
            "returnPolicyId": "6100000003"}
ACCESS_TOKEN_TTL = 7200
# The scopes the sandbox seller granted (https://developer.ebay.com/api-docs/static/oauth-scopes.html).
GRANTED_SCOPES = frozenset({
    "https://api.ebay.com/oauth/api_scope",
    "https://api.ebay.com/oauth/api_scope/sell.inventory",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    "https://api.ebay.com/oauth/api_scope/sell.account",
})


def ebay_error(status: int, error_id: int, message: str, *, domain: str = "API_INVENTORY",
               category: str = "REQUEST", long_message: str | None = None,
               **parameters: str) -> SandboxError:
    """A SandboxError rendered in eBay's error shape."""
    return SandboxError(status, str(error_id), message, domain=domain, category=category,
                        long_message=long_message, parameters=parameters)


def error_entry(error_id: int, message: str, *, domain: str = "API_INVENTORY",
                category: str = "REQUEST", **parameters: str) -> dict[str, Any]:
    """One eBay ``Error`` object (inside bulk answers' entries)."""
    entry: dict[str, Any] = {"errorId": error_id, "domain": domain, "category": category,
                             "message": message}
    if parameters:
        entry["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return entry


def _oauth_error(status: int, code: str, description: str) -> Response:
    return Response.json({"error": code, "error_description": description}, status=status)


class EbayBase(Marketplace):
    """What every eBay route shares: the token endpoint, error shapes, the demo workspace."""

    name = "ebay"
    sells = True
    limits: ClassVar[dict[str, RateLimit]] = {}  # daily quotas only (module docstring)

    @route("POST", "/identity/v1/oauth2/token", operation="getUserAccessToken", token=True)
    def oauth_token(self, ctx: Exchange, request: Request) -> Response:
        """The refresh-token grant with HTTP Basic client authentication."""
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        try:
            client = base64.b64decode(encoded).decode() if scheme.lower() == "basic" else ""
        except ValueError:
            client = ""
        if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
            return _oauth_error(401, "invalid_client", "client authentication failed")
        form = request.form()
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type",
                                "grant type in request is not supported by the authorization "
                                "server")
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _oauth_error(400, "invalid_grant", "the provided authorization refresh "
                                "token is invalid or was issued to another client")
        scopes = (form.get("scope") or "").split()
        if any(scope not in GRANTED_SCOPES for scope in scopes):
            return _oauth_error(400, "invalid_scope", "The requested scope is invalid, "
                                "unknown, malformed, or exceeds the scope granted to the client")
        issued = ctx.tokens.issue(SELLER, ACCESS_TOKEN_TTL, prefix="v^1.1#i^1#sbx-",
                                  scope=" ".join(scopes) or None)
        return Response.json({"access_token": issued.token, "expires_in": issued.expires_in,
                              "token_type": "User Access Token"})

    # --- shapes ---------------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        details = error.details
        entry: dict[str, Any] = {
            "errorId": int(error.code) if str(error.code).isdigit() else 25001,
            "domain": details.get("domain", "API_INVENTORY"),
            "category": details.get("category", "REQUEST"),
            "message": error.message,
        }
        if details.get("long_message"):
            entry["longMessage"] = details["long_message"]
        parameters = details.get("parameters") or {}
        if "field" in details:
            parameters = {"fieldName": str(details["field"]), **parameters}
        if parameters:
            entry["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
        return Response.json({"errors": [entry]}, status=error.status)

    def auth_error(self, request: Request, reason: str) -> Response:
        long = {TokenCheck.EXPIRED: "The access token has expired.",
                TokenCheck.MISSING: "Missing access token."}.get(
            reason, "Invalid access token. Check the value of the Authorization HTTP request "
                    "header.")
        return self.render_error(ebay_error(401, 1001, "Invalid access token",
                                            domain="OAuth", long_message=long), request)

    def not_found(self, request: Request) -> Response:
        return self.render_error(ebay_error(404, 25710, "We didn't find the resource/entity "
                                                        "you are requesting. Please verify the "
                                                        "request"), request)

    def server_error(self, request: Request, status: int) -> Response:
        return self.render_error(ebay_error(status, 25001, "A system error has occurred.",
                                            category="APPLICATION"), request)

    def rate_limited(self, request: Request, operation: str, limit: RateLimit,
                     retry_after: float) -> Response:
        response = self.render_error(ebay_error(
            429, 2001, "Too many requests. The request limit has been reached for the "
                       "resource.", domain="ACCESS"), request)
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
        return response

    # --- demo workspace -------------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "base_url": base_url,
                "marketplace_id": MARKETPLACE_ID, "merchant_location_key": LOCATION_KEY,
                "fulfillment_policy_id": POLICIES["fulfillmentPolicyId"],
                "payment_policy_id": POLICIES["paymentPolicyId"],
                "return_policy_id": POLICIES["returnPolicyId"]}

    def secrets(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN}

    def provision(self, ctx: Exchange, workspace: Path) -> dict[str, str]:
        return self.secrets()
