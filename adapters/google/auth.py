"""Google service-account OAuth: the JWT bearer grant (RFC 7523), as a refreshing requests auth.

A service account signs a short JWT with its private key and trades it at the token endpoint for
an access token valid for an hour
(https://developers.google.com/identity/protocols/oauth2/service-account#httprest).
``google-auth`` does the RSA signing (key parsing and RS256 are easy to get subtly wrong);
the token request itself goes through feedsync's HTTP layer, so it gets the same timeouts,
retries, fake clock in tests and redaction as every other call, and is refreshed a minute
before it expires or once after a 401.

The key file's path is a secret (``FEEDSYNC_GOOGLE__SERVICE_ACCOUNT_FILE`` or
``[google] service_account_file`` in secrets.toml); the file itself is never copied anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from feedsync.errors import ConfigError, register_secret
from feedsync.http import OAuth2GrantAuth

SCOPE = "https://www.googleapis.com/auth/content"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # Google accepts at most one hour


def load_service_account(path: str | Path) -> dict[str, Any]:
    """Read and check a service-account key file; ConfigError names the file and what is wrong.

    The private key is registered for redaction the moment it is read.
    """
    where = Path(path).expanduser()
    try:
        info = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"google: service account file {where} does not exist "
                          f"(secret service_account_file)") from None
    except OSError as exc:
        raise ConfigError(f"google: cannot read service account file {where}: "
                          f"{exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"google: service account file {where} is not JSON") from None
    if not isinstance(info, dict):
        raise ConfigError(f"google: service account file {where} is not a JSON object")
    for secret in ("private_key", "private_key_id"):
        if isinstance(info.get(secret), str):
            register_secret(info[secret])
    if info.get("type") != "service_account":
        raise ConfigError(f"google: {where} is not a service account key "
                          f"(type is {info.get('type')!r}, expected 'service_account')")
    missing = [k for k in ("client_email", "private_key") if not info.get(k)]
    if missing:
        raise ConfigError(f"google: service account file {where} lacks {', '.join(missing)}")
    return info


class ServiceAccountAuth(OAuth2GrantAuth):
    """Bearer tokens for a Google service account, fetched with a signed JWT assertion."""

    grant_type = JWT_BEARER

    def __init__(self, info: Mapping[str, Any], *, scope: str = SCOPE,
                 token_uri: str | None = None, **kwargs: Any) -> None:
        # google-auth (and cryptography) only when a service account is used: a command that
        # never signs a token starts without them (issue #19)
        from google.auth import crypt

        uri = token_uri or str(info.get("token_uri") or DEFAULT_TOKEN_URI)
        try:
            self._signer = crypt.RSASigner.from_service_account_info(dict(info))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"google: the service account's private key cannot be used "
                              f"({type(exc).__name__})") from None
        # client_id is the service account's own numeric id: RFC 6749 §3.2.1 lets a client name
        # itself this way, and the HTTP layer's OAuth base always sends one in the body.
        super().__init__(uri, str(info.get("client_id") or info["client_email"]), None,
                         margin=60.0, **kwargs)
        self.client_email = str(info["client_email"])
        self._jwt_scope = scope

    @property
    def _label(self) -> str:
        ctx = self._context
        who = f"{ctx.channel}[{ctx.account}]" if ctx.channel else "google"
        return f"{who}: service-account token request for {self.client_email}"

    def _grant_params(self) -> dict[str, str]:
        """A fresh assertion per token request, timed by the bound clock."""
        from google.auth import jwt

        now = int(self._context.clock.time())
        claims = {"iss": self.client_email, "scope": self._jwt_scope, "aud": self.token_url,
                  "iat": now, "exp": now + ASSERTION_LIFETIME}
        assertion = jwt.encode(self._signer, claims).decode("ascii")
        register_secret(assertion)
        return {"assertion": assertion}


def service_account_auth(secrets: Mapping[str, Any], **kwargs: Any) -> ServiceAccountAuth:
    """The auth for a channel's secrets (``service_account_file``), or ConfigError."""
    path = secrets.get("service_account_file")
    if path is None:
        raise ConfigError("google: delivery = 'api' needs the secret service_account_file "
                          "(FEEDSYNC_GOOGLE__SERVICE_ACCOUNT_FILE or [google] in secrets.toml)")
    value = path.get_secret_value() if hasattr(path, "get_secret_value") else str(path)
    return ServiceAccountAuth(load_service_account(value), **kwargs)
