"""Google Merchant API emulation: the account, service-account JWT exchange, error shapes.

- Token: the OAuth 2.0 JWT bearer grant for service accounts
  (https://developers.google.com/identity/protocols/oauth2/service-account#httprest): the
  assertion is an RS256 JWT signed with the account's private key, ``iss`` = the service
  account's email, ``aud`` = the token URL, ``scope`` naming the API, ``exp`` at most an hour
  after ``iat``. Access tokens live an hour. Errors are RFC 6749 ``{"error",
  "error_description"}``.
- Errors: https://cloud.google.com/apis/design/errors — ``{"error": {"code", "message",
  "status", "details"}}``; field problems as ``google.rpc.BadRequest.fieldViolations``.
- The sandbox's service accounts are created by :meth:`GoogleBase.provision` (``feedsync init
  --sandbox``): a fresh RSA key, the key file written into the workspace, its public half kept
  in the state file (Google keeps the public keys of a service account the same way).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from pathlib import Path
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import Exchange, Marketplace, RateLimit, route

SCOPE = "https://www.googleapis.com/auth/content"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MERCHANT_ID = "5550001"
DATA_SOURCE_ID = "10001"
FEED_LABEL = "US"
CONTENT_LANGUAGE = "en"
TOKEN_TTL = 3600
ASSERTION_MAX_S = 3600
SKEW_S = 300
KEY_FILE = "sandbox-google-service-account.json"

QUOTAS = "https://developers.google.com/merchant/api/guides/quotas-limits"
# Google adjusts per-minute quotas per account and publishes no numbers: these are the
# sandbox's own, generous enough for a merchant's catalog and small enough to show a 429.
LIMITS: dict[str, RateLimit] = {
    "productInputs.insert": RateLimit(20.0, 100, QUOTAS),
    "productInputs.delete": RateLimit(20.0, 100, QUOTAS),
    "products.get": RateLimit(20.0, 100, QUOTAS),
    "products.list": RateLimit(5.0, 20, QUOTAS),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS google_service_accounts (
    client_email TEXT PRIMARY KEY, key_id TEXT NOT NULL, public_pem TEXT NOT NULL,
    account_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS google_data_sources (
    account_id TEXT NOT NULL, data_source_id TEXT NOT NULL, feed_label TEXT NOT NULL,
    content_language TEXT NOT NULL, PRIMARY KEY (account_id, data_source_id));
"""


def google_error(status: int, code: str, message: str,
                 violations: list[tuple[str, str]] | None = None) -> SandboxError:
    """A Google API error; ``violations`` become a google.rpc.BadRequest detail."""
    return SandboxError(status, code, message, violations=violations or [])


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _oauth_error(code: str, description: str) -> Response:
    return Response.json({"error": code, "error_description": description}, status=400)


class GoogleBase(Marketplace):
    """Token exchange, errors and the Merchant Center account every route shares."""

    name = "google"
    limits: ClassVar[dict[str, RateLimit]] = LIMITS

    def seed(self, ctx: Exchange) -> None:
        ctx.db.execute("INSERT OR IGNORE INTO google_data_sources VALUES (?, ?, ?, ?)",
                       (MERCHANT_ID, DATA_SOURCE_ID, FEED_LABEL, CONTENT_LANGUAGE))

    # --- token ----------------------------------------------------------------------------------

    @route("POST", "/token", operation="oauth2.token", token=True)
    def token(self, ctx: Exchange, request: Request) -> Response:
        """Trade a signed JWT assertion for an access token."""
        form = request.form()
        if form.get("grant_type") != JWT_BEARER:
            return _oauth_error("unsupported_grant_type", "Invalid grant_type: "
                                f"{form.get('grant_type')}")
        try:
            header_b64, claims_b64, signature_b64 = (form.get("assertion") or "").split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except ValueError:
            return _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived "
                                "token (60 minutes) and in a reasonable timeframe.")
        if header.get("alg") != "RS256":
            return _oauth_error("invalid_grant", "Invalid JWT: the algorithm must be RS256.")
        account = ctx.db.execute("SELECT * FROM google_service_accounts WHERE client_email = ?",
                                 (claims.get("iss"),)).fetchone()
        if account is None:
            return _oauth_error("invalid_grant", "Invalid grant: account not found")
        key = serialization.load_pem_public_key(account["public_pem"].encode())
        assert isinstance(key, rsa.RSAPublicKey)
        try:
            key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
        except InvalidSignature:
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        problem = _claims_problem(claims, ctx.url("/token"), ctx.now)
        if problem:
            return _oauth_error("invalid_grant", problem)
        issued = ctx.tokens.issue(account["client_email"], TOKEN_TTL, prefix="ya29.sbx-",
                                  scope=str(claims["scope"]))
        return Response.json({"access_token": issued.token, "expires_in": issued.expires_in,
                              "token_type": "Bearer"})

    def auth_error(self, request: Request, reason: str) -> Response:
        return self.render_error(google_error(
            401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected "
            "OAuth 2 access token, login cookie or other valid authentication credential."),
            request)

    def check_account(self, ctx: Exchange, request: Request, account_id: str) -> None:
        """403 unless the caller's service account is a user of this Merchant Center account."""
        row = ctx.db.execute("SELECT 1 FROM google_service_accounts WHERE client_email = ? AND "
                             "account_id = ?", (request.principal, account_id)).fetchone()
        if row is None:
            raise google_error(403, "PERMISSION_DENIED", "The caller does not have access to "
                               f"the accounts: [{account_id}]")

    # --- shapes ---------------------------------------------------------------------------------

    def render_error(self, error: SandboxError, request: Request) -> Response:
        body: dict[str, Any] = {"code": error.status, "message": error.message,
                                "status": error.code}
        violations = error.details.get("violations")
        if violations:
            body["details"] = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                "fieldViolations": [{"field": f, "description": d}
                                                    for f, d in violations]}]
        return Response.json({"error": body}, status=error.status)

    def not_found(self, request: Request) -> Response:
        return self.render_error(google_error(404, "NOT_FOUND",
                                              "Requested entity was not found."), request)

    def server_error(self, request: Request, status: int) -> Response:
        if status == 503:
            return self.render_error(google_error(503, "UNAVAILABLE",
                                                  "The service is currently unavailable."),
                                     request)
        return self.render_error(google_error(500, "INTERNAL", "Internal error encountered."),
                                 request)

    def rate_limited(self, request: Request, operation: str, limit: Any,
                     retry_after: float) -> Response:
        response = self.render_error(google_error(
            429, "RESOURCE_EXHAUSTED", f"Quota exceeded for quota metric '{operation}' of "
            "service 'merchantapi.googleapis.com'."), request)
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
        return response

    # --- demo workspace -------------------------------------------------------------------------

    def workspace_settings(self, base_url: str) -> dict[str, Any]:
        return {"enabled": True, "delivery": "api", "base_url": base_url,
                "merchant_id": MERCHANT_ID, "data_source": DATA_SOURCE_ID,
                "feed_label": FEED_LABEL, "content_language": CONTENT_LANGUAGE,
                "settle_seconds": 2.0}

    def provision(self, ctx: Exchange, workspace: Path) -> dict[str, str]:
        """A new service account: key file in the workspace, public key registered here."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = secrets.token_hex(20)
        email = f"feedsync-sandbox-{secrets.token_hex(3)}@sandbox-project.iam.gserviceaccount.com"
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        private = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        ctx.db.execute("INSERT INTO google_service_accounts VALUES (?, ?, ?, ?)",
                       (email, key_id, public.decode(), MERCHANT_ID))
        info = {"type": "service_account", "project_id": "sandbox-project",
                "private_key_id": key_id, "private_key": private.decode(),
                "client_email": email, "client_id": str(int(time.time() * 1000)),
                "token_uri": ctx.url("/token")}
        path = workspace / KEY_FILE
        path.write_text(json.dumps(info, indent=2), encoding="utf-8")
        path.chmod(0o600)
        return {"service_account_file": str(path.resolve())}


def _claims_problem(claims: dict[str, Any], audience: str, now: float) -> str | None:
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        return "Invalid JWT: iat and exp are required."
    if claims.get("aud") != audience:
        return "Invalid JWT: audience must be the token endpoint."
    if expires - issued > ASSERTION_MAX_S or issued > now + SKEW_S or expires < now - SKEW_S:
        return ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.")
    if SCOPE not in str(claims.get("scope") or "").split():
        return "Invalid OAuth scope or ID token audience provided."
    return None
