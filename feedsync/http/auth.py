"""Authentication as ``requests.auth.AuthBase`` objects that look after their own tokens.

* :class:`OAuth2RefreshTokenAuth` – refresh-token grant (Amazon Login with Amazon, eBay user
  tokens, Etsy). Rotated refresh tokens are written to the workspace database and preferred on
  the next run.
* :class:`ClientCredentialsAuth` – client-credentials grant (Walmart, eBay application tokens).
* :class:`StaticBearerAuth` – a long-lived token (Meta system-user token).
* :class:`ApiKeyAuth` – a fixed header (Etsy ``x-api-key: keystring:shared_secret``).
* :class:`AuthChain` – several at once (Etsy sends an API key *and* an OAuth bearer token).

Tokens live on the auth object, never in a module-level cache, and are refreshed under a lock
``margin`` seconds before they expire. A token endpoint that does not say when a token expires
is not second-guessed: the token is used until the channel answers 401, then refreshed once.
The :class:`~feedsync.http.client.HttpClient` binds its session, clock and state store to the
auth object, so the token endpoint gets the same timeouts, retries and redaction as every call.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import requests
from pydantic import SecretStr
from requests.auth import AuthBase, HTTPBasicAuth

from feedsync.errors import AuthError, ChannelError, TransientError, redact, register_secret
from feedsync.http.actions import Action as _Action
from feedsync.http.actions import Resolution, json_body
from feedsync.http.clock import Clock, SystemClock
from feedsync.http.retry import RetriesExhausted, RetryPolicy, RetryRequested, call_with_retries
from feedsync.http.store import StateStore, StoredRefreshToken

log = logging.getLogger("feedsync.http.auth")

Secret = str | SecretStr

# OAuth 2.0 error codes (RFC 6749 §5.2) meaning the credentials themselves are wrong.
_CREDENTIAL_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope",
                      "unsupported_grant_type", "access_denied", "invalid_request"}
TOKEN_RETRY = RetryPolicy(max_attempts=4, max_elapsed=60.0, base_delay=1.0, max_delay=10.0)


def _plain(value: Secret | None) -> str | None:
    if value is None:
        return None
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    register_secret(text)
    return text


@dataclass
class AuthContext:
    """What a client lends its auth object: transport, time, persistence, identity."""

    session: requests.Session
    clock: Clock
    store: StateStore | None
    channel: str
    account: str
    timeout: tuple[float, float] = (10.0, 30.0)


class HttpAuth(AuthBase):
    """Base class: an auth that may be able to refresh itself after a 401."""

    can_refresh: bool = False

    def bind(self, context: AuthContext) -> None:
        """Receive the client's session, clock and store (called by HttpClient)."""

    def refresh(self, failed: requests.PreparedRequest | None = None) -> bool:
        """Obtain a new credential after ``failed`` got a 401; False if this auth cannot."""
        return False


class StaticBearerAuth(HttpAuth):
    """A long-lived token sent as ``<header>: <scheme> <token>`` (Meta system-user tokens)."""

    def __init__(self, token: Secret, *, header: str = "Authorization",
                 scheme: str | None = "Bearer") -> None:
        self._value = f"{scheme} {_plain(token)}" if scheme else str(_plain(token))
        register_secret(self._value)
        self.header = header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._value
        return request


class ApiKeyAuth(StaticBearerAuth):
    """A fixed key header, e.g. Etsy ``x-api-key: keystring:shared_secret``."""

    def __init__(self, key: Secret, *, header: str = "x-api-key") -> None:
        super().__init__(key, header=header, scheme=None)


class AuthChain(HttpAuth):
    """Apply several auths in order; refreshing refreshes whichever can."""

    def __init__(self, *auths: HttpAuth) -> None:
        self.auths = auths
        self.can_refresh = any(a.can_refresh for a in auths)

    def bind(self, context: AuthContext) -> None:
        """Bind every member."""
        for auth in self.auths:
            auth.bind(context)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        for auth in self.auths:
            request = auth(request)
        return request

    def refresh(self, failed: requests.PreparedRequest | None = None) -> bool:
        """Refresh every member that can; True if any did."""
        results = [a.refresh(failed) for a in self.auths if a.can_refresh]
        return any(results)


class OAuth2GrantAuth(HttpAuth):
    """Shared machinery of the OAuth 2.0 grants: fetch, cache on self, refresh, retry.

    Subclass it for another grant (e.g. the JWT-bearer grant of a Google service account):
    set ``grant_type`` and implement ``_grant_params()`` (called under the lock, once per token
    request, with ``self._context.clock`` available); override ``_on_token_response(body)`` to
    read more than the access token.
    """

    can_refresh = True
    grant_type = ""

    def __init__(self, token_url: str, client_id: str, client_secret: Secret | None = None, *,
                 header: str = "Authorization", scheme: str | None = "Bearer",
                 client_auth: Literal["body", "basic"] = "body", scope: str | None = None,
                 extra_params: Mapping[str, str] | None = None,
                 token_headers: Mapping[str, str] | None = None, margin: float = 60.0,
                 clock: Clock | None = None, session: requests.Session | None = None) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = _plain(client_secret)
        self.header = header
        self.scheme = scheme
        self.client_auth = client_auth
        self.scope = scope
        self.extra_params = dict(extra_params or {})
        self.token_headers = dict(token_headers or {"Accept": "application/json"})
        self.margin = margin
        self._context = AuthContext(session or requests.Session(), clock or SystemClock(),
                                    None, "", "")
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None
        self._rng = random.Random()
        self.refresh_count = 0

    # --- binding and identity ---------------------------------------------------------------

    def bind(self, context: AuthContext) -> None:
        """Use the client's session, clock, store and identity."""
        self._context = context

    @property
    def _label(self) -> str:
        ctx = self._context
        who = f"{ctx.channel}[{ctx.account}]" if ctx.channel else "token endpoint"
        return f"{who}: {self.grant_type} token request"

    # --- the grant-specific part --------------------------------------------------------------

    def _grant_params(self) -> dict[str, str]:
        raise NotImplementedError

    def _on_token_response(self, body: dict[str, object]) -> None:
        """Hook for grants that receive more than an access token (rotated refresh tokens)."""

    # --- AuthBase -----------------------------------------------------------------------------

    def _header_value(self, token: str) -> str:
        return f"{self.scheme} {token}" if self.scheme else token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._header_value(self.access_token())
        return request

    def access_token(self) -> str:
        """A valid access token, fetched or refreshed first if needed."""
        with self._lock:
            now = self._context.clock.time()
            if (self._token is None or
                    (self._expires_at is not None and now >= self._expires_at - self.margin)):
                self._fetch()
            assert self._token is not None
            return self._token

    def refresh(self, failed: requests.PreparedRequest | None = None) -> bool:
        """Fetch a new token after a 401, unless another thread already replaced the token
        that ``failed`` carried (so N parallel 401s cause one refresh, not N)."""
        with self._lock:
            if failed is not None and self._token is not None:
                used = failed.headers.get(self.header)
                if used is not None and used != self._header_value(self._token):
                    return True
            self._fetch()
            return True

    def _fetch(self) -> None:
        ctx = self._context
        params = {"grant_type": self.grant_type, **self._grant_params(), **self.extra_params}
        if self.scope:
            params["scope"] = self.scope
        basic: HTTPBasicAuth | None = None
        if self.client_auth == "basic":
            basic = HTTPBasicAuth(self.client_id, self._client_secret or "")
        else:
            params["client_id"] = self.client_id
            if self._client_secret:
                params["client_secret"] = self._client_secret

        def attempt(number: int) -> requests.Response:
            try:
                response = ctx.session.post(self.token_url, data=params, auth=basic,
                                            headers=self.token_headers, timeout=ctx.timeout,
                                            allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise RetryRequested(Resolution(_Action.RETRY, reason=type(exc).__name__),
                                     error=exc) from exc
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryRequested(Resolution(_Action.RETRY, response.status_code),
                                     response=response)
            return response

        try:
            response = call_with_retries(attempt, policy=TOKEN_RETRY, clock=ctx.clock,
                                         rng=self._rng, label=self._label)
        except RetriesExhausted as exc:
            status = exc.last.response.status_code if exc.last.response is not None else None
            raise TransientError(
                f"{self._label} failed {exc.outcome.attempts} time(s) "
                f"(last: {status or exc.last.resolution.reason}); try again later") from None
        body = json_body(response)
        if response.status_code >= 400:
            # RFC 6749 §5.2 says a string; some endpoints send an object: never crash on it.
            code = body.get("error") if isinstance(body, dict) else None
            code = code if isinstance(code, str) else None
            description = body.get("error_description", "") if isinstance(body, dict) else ""
            detail = f"{code}: {description}" if code else response.text[:200]
            kind = "rejected the credentials" if (
                code in _CREDENTIAL_ERRORS or response.status_code in (400, 401, 403)
            ) else "failed"
            raise AuthError(f"{self._label} {kind} (HTTP {response.status_code}, "
                            f"{redact(str(detail))}): re-authorise the app or fix the secrets")
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ChannelError(f"{self._label}: the token endpoint answered without an "
                               f"access_token (HTTP {response.status_code})",
                               channel=ctx.channel, status=response.status_code)
        token = str(body["access_token"])
        register_secret(token)
        expires_in = body.get("expires_in")
        now = ctx.clock.time()
        try:
            self._expires_at = now + float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            self._expires_at = None
        self._token = token
        self.refresh_count += 1
        self._on_token_response(body)
        log.debug("%s: new access token, expires in %s s", self._label,
                  "?" if expires_in is None else expires_in)


class ClientCredentialsAuth(OAuth2GrantAuth):
    """OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

    Walmart: ``token_url=https://marketplace.walmartapis.com/v3/token``, ``client_auth="basic"``,
    ``header="WM_SEC.ACCESS_TOKEN"``, ``scheme=None``, plus ``WM_SVC.NAME`` token headers.
    eBay application token: ``client_auth="basic"`` and a ``scope``.
    """

    grant_type = "client_credentials"

    def _grant_params(self) -> dict[str, str]:
        return {}


# The name this class had before it was public (kept for adapters written against it).
_OAuth2Auth = OAuth2GrantAuth


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuth2RefreshTokenAuth(OAuth2GrantAuth):
    """OAuth 2.0 refresh-token grant (RFC 6749 §6).

    Amazon LWA: ``token_url=https://api.amazon.com/auth/o2/token``, ``header="x-amz-access-token"``,
    ``scheme=None`` (https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api).

    When the token endpoint returns a new ``refresh_token`` (Etsy and eBay rotate them), it is
    written to the workspace database through the bound store and used in preference to the
    configured one on the next run, as long as the configured one is unchanged: the stored row
    remembers a fingerprint of the configured token it descends from, so a merchant who
    re-authorises and puts a fresh refresh token in secrets.toml is not overridden by a stale one.
    """

    grant_type = "refresh_token"

    def __init__(self, token_url: str, client_id: str, client_secret: Secret | None,
                 refresh_token: Secret, **kwargs: Any) -> None:
        super().__init__(token_url, client_id, client_secret, **kwargs)
        configured = _plain(refresh_token)
        if not configured:
            raise AuthError("a refresh token is required for the refresh-token grant")
        self._configured = configured
        self._origin = _fingerprint(configured)
        self._refresh_token = configured

    def bind(self, context: AuthContext) -> None:
        """Bind, then prefer a rotated refresh token stored for this channel account."""
        super().bind(context)
        if context.store is None:
            return
        stored = context.store.get_refresh_token(context.channel, context.account)
        if stored is not None and stored.origin == self._origin:
            register_secret(stored.token)
            self._refresh_token = stored.token

    @property
    def refresh_token(self) -> str:
        """The refresh token in use (configured or rotated)."""
        return self._refresh_token

    def _grant_params(self) -> dict[str, str]:
        return {"refresh_token": self._refresh_token}

    def _on_token_response(self, body: dict[str, object]) -> None:
        new = body.get("refresh_token")
        if not isinstance(new, str) or not new or new == self._refresh_token:
            return
        register_secret(new)
        self._refresh_token = new
        ctx = self._context
        if ctx.store is None:
            log.warning("%s: the channel rotated the refresh token but no workspace database "
                        "is bound; the new token lives only for this run", self._label)
            return
        ctx.store.put_refresh_token(ctx.channel, ctx.account,
                                    StoredRefreshToken(token=new, origin=self._origin))
        log.info("%s: stored the rotated refresh token in the workspace database", self._label)
