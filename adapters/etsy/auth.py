"""Etsy OAuth 2.0: authorization code with PKCE (first tokens), then the refresh grant.

https://developers.etsy.com/documentation/essentials/authentication:

1. the shop owner opens ``https://www.etsy.com/oauth/connect?response_type=code&client_id=…
   &redirect_uri=…&scope=…&state=…&code_challenge=…&code_challenge_method=S256`` and approves;
   Etsy redirects to ``redirect_uri?code=…&state=…`` (the redirect URI must be registered for
   the app);
2. ``POST https://api.etsy.com/v3/public/oauth/token`` with ``grant_type=authorization_code``,
   ``client_id`` (the keystring), ``redirect_uri``, ``code`` and ``code_verifier`` → an access
   token (one hour) and a refresh token (90 days). The access token starts with the user id
   (``12345678.…``);
3. later, ``grant_type=refresh_token`` with ``client_id`` and ``refresh_token``; no client
   secret is sent. The answer carries a refresh token again, which feedsync.http stores in the
   workspace database when it differs (rotated) and prefers on the next run.

Every API request also carries ``x-api-key`` (https://developers.etsy.com/documentation/
essentials/requests): ``keystring:shared_secret`` when the shared secret is configured.

A refresh whose new refresh token never reached the database (the process was killed in
between) is detected on the next run: :class:`EtsyRefreshAuth` marks each refresh before it
sends it, clears the mark once the answer is stored, and turns Etsy's ``invalid_grant`` after
an unfinished mark into the exact instruction (``feedsync auth etsy``, which stores the new
token where the next run finds it).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from feedsync.adapters.etsy.config import EtsyCredentials

from feedsync.errors import AuthError
from feedsync.http import ApiKeyAuth, AuthChain, HttpAuth, OAuth2RefreshTokenAuth

VERIFIER_BYTES = 48  # 64 URL-safe characters; RFC 7636 §4.1 allows 43 to 128


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636): the secret verifier and its S256 challenge."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """A fresh random verifier and its challenge."""
        verifier = secrets.token_urlsafe(VERIFIER_BYTES)
        return cls(verifier, challenge(verifier))


def challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2, method S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(authorize_base: str, *, keystring: str, redirect_uri: str,
                  scopes: Sequence[str], state: str, pkce: Pkce) -> str:
    """The URL the shop owner opens to grant feedsync access."""
    query = {"response_type": "code", "client_id": keystring, "redirect_uri": redirect_uri,
             "scope": " ".join(scopes), "state": state, "code_challenge": pkce.challenge,
             "code_challenge_method": "S256"}
    # Spaces as %20, as Etsy's own example writes the scope list.
    return f"{authorize_base}?{urlencode(query, quote_via=quote)}"


def code_grant(*, keystring: str, redirect_uri: str, code: str, pkce: Pkce) -> dict[str, str]:
    """The token request body exchanging an authorization code."""
    return {"grant_type": "authorization_code", "client_id": keystring,
            "redirect_uri": redirect_uri, "code": code, "code_verifier": pkce.verifier}


def user_id_of(access_token: str) -> str | None:
    """The Etsy user id an access token belongs to (its prefix before the first dot)."""
    head, dot, _ = access_token.partition(".")
    return head if dot and head.isdigit() else None


class EtsyRefreshAuth(OAuth2RefreshTokenAuth):
    """The refresh-token grant with Etsy's client id and a mark around each refresh.

    ``marks`` (optional) is an object with ``begin()``, ``done()`` and ``unfinished()`` —
    :class:`feedsync.adapters.etsy.steps.RefreshMarks` on the workspace database.
    """

    def __init__(self, token_url: str, keystring: str, refresh_token: Any,
                 marks: Any | None = None) -> None:
        super().__init__(token_url, keystring, None, refresh_token)
        self.marks = marks

    def _fetch(self) -> None:
        if self.marks is None:
            super()._fetch()
            return
        earlier = self.marks.unfinished()
        self.marks.begin()
        try:
            super()._fetch()
        except AuthError as exc:
            if earlier is None:
                raise
            raise AuthError(
                f"{exc.message}. A feedsync run started refreshing Etsy's token at {earlier} "
                "and stopped before it could store the new refresh token Etsy issued, so the "
                "one feedsync has is no longer valid. Run `feedsync auth etsy` once: it "
                "stores the new token in the workspace database, and the next run continues"
            ) from None
        self.marks.done()


def etsy_auth(credentials: EtsyCredentials, token_url: str, marks: Any | None = None
              ) -> HttpAuth:
    """``x-api-key`` plus the bearer token that refreshes itself."""
    return AuthChain(ApiKeyAuth(credentials.api_key()),
                     EtsyRefreshAuth(token_url, credentials.keystring.get_secret_value(),
                                     credentials.refresh_token, marks))
