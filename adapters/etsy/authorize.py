"""``feedsync auth etsy``: get the shop owner's first tokens without other tools.

The command (feedsync/cli/auth_cmds.py, generic over channels) calls :func:`authorize` with the
workspace, a way to show text and a way to ask for the redirect. The flow
(https://developers.etsy.com/documentation/essentials/authentication):

1. a PKCE pair and a random ``state`` are made; the authorize URL is shown;
2. the merchant approves in a browser and pastes the URL Etsy redirected to (or the code);
   ``state`` must match (RFC 6749 §10.12: a code meant for another request is refused);
3. the code is exchanged at the token endpoint with the PKCE verifier;
4. the refresh token is stored in the workspace database (feedsync.http's rotated-token
   store: the next run prefers it), never printed; the shop id is looked up
   (getShopByOwnerUserId) so the merchant can set ``channels.etsy.shop_id``.

A refresh token already configured in the environment or secrets.toml stays where it is; the
stored one is bound to it, exactly like a rotated token, so the next run uses the new one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests
from feedsync.adapters.etsy.auth import Pkce, authorize_url, code_grant, user_id_of
from feedsync.adapters.etsy.config import EtsyConfig, EtsyCredentials
from feedsync.adapters.etsy.limits import API_BASE
from feedsync.adapters.etsy.steps import RefreshMarks

from feedsync.errors import AuthError, ConfigError, UsageError, register_secret
from feedsync.http import build_session, json_body
from feedsync.http.auth import _fingerprint
from feedsync.http.store import SqliteStateStore, StoredRefreshToken

if TYPE_CHECKING:
    from feedsync.config import Workspace

CHANNEL = "etsy"
# Bound to no configured token: used when secrets hold no refresh token (adapter.http_auth).
AUTHORIZED_ORIGIN = "feedsync auth etsy"


@dataclass
class Authorized:
    """What the flow obtained (no secret in it)."""

    user_id: str | None
    shop_id: int | None
    shop_name: str | None
    stored: bool


def read_code(pasted: str, state: str) -> str:
    """The authorization code from a pasted redirect URL (or a bare code); checks ``state``."""
    text = pasted.strip()
    if "?" not in text and "=" not in text:
        if not text:
            raise UsageError("no code given: paste the whole URL Etsy redirected you to")
        return text
    query = parse_qs(urlsplit(text).query if "?" in text else text)
    if "error" in query:
        raise AuthError(f"Etsy refused the authorization: {query['error'][0]} "
                        f"{query.get('error_description', [''])[0]}".strip())
    if query.get("state", [None])[0] != state:
        raise UsageError("the pasted URL belongs to another authorization (state differs): "
                         "start `feedsync auth etsy` again and use the new link")
    code = query.get("code", [""])[0]
    if not code:
        raise UsageError("the pasted URL has no code= parameter")
    return code


def exchange(session: requests.Session, config: EtsyConfig, keystring: str, code: str,
             pkce: Pkce) -> dict[str, Any]:
    """The token endpoint's answer to the authorization code (AuthError when refused)."""
    response = session.post(config.token_url, timeout=(10, 30), allow_redirects=False,
                            data=code_grant(keystring=keystring, redirect_uri=config.redirect_uri,
                                            code=code, pkce=pkce))
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict) or "refresh_token" not in body:
        detail = body.get("error_description") or body.get("error") if isinstance(
            body, dict) else response.text[:200]
        raise AuthError(f"Etsy's token endpoint refused the code (HTTP {response.status_code}: "
                        f"{detail}); start `feedsync auth etsy` again (a code works once and "
                        "only for a few minutes)")
    for key in ("access_token", "refresh_token"):
        register_secret(str(body.get(key, "")))
    return body


def find_shop(session: requests.Session, base_url: str, api_key: str, access_token: str
              ) -> tuple[str | None, int | None, str | None]:
    """(user id, shop id, shop name) of the token's owner, via getShopByOwnerUserId."""
    user_id = user_id_of(access_token)
    if user_id is None:
        return None, None, None
    response = session.get(f"{base_url}/v3/application/users/{user_id}/shops", timeout=(10, 30),
                           headers={"x-api-key": api_key,
                                    "Authorization": f"Bearer {access_token}"})
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, dict):
        return user_id, None, None
    shop_id = body.get("shop_id")
    return user_id, shop_id if isinstance(shop_id, int) else None, body.get("shop_name")


def authorize(workspace: Workspace, config: EtsyConfig, *, show: Callable[[str], None],
              ask: Callable[[str], str], session: requests.Session | None = None
              ) -> Authorized:
    """Run the flow (see the module docstring)."""
    channel_secrets = workspace.secrets(CHANNEL)
    keystring = channel_secrets.get("keystring")
    if keystring is None or not keystring.get_secret_value():
        raise ConfigError("Etsy's app keystring is missing: set FEEDSYNC_ETSY__KEYSTRING (or "
                          "[etsy] keystring in secrets.toml) to your app's keystring from "
                          "https://www.etsy.com/developers/your-apps")
    key = keystring.get_secret_value()
    pkce, state = Pkce.new(), secrets.token_urlsafe(16)
    show("Open this link, sign in as the shop owner and allow access:\n\n"
         + authorize_url(config.authorize_url, keystring=key, redirect_uri=config.redirect_uri,
                         scopes=config.scopes, state=state, pkce=pkce)
         + f"\n\nEtsy then sends your browser to {config.redirect_uri}?code=…; the page may "
           "not load, that is fine.")
    code = read_code(ask("Paste the whole address your browser went to"), state)
    http = session or build_session()
    tokens = exchange(http, config, key, code, pkce)
    configured = channel_secrets.get("refresh_token")
    origin = AUTHORIZED_ORIGIN
    if configured is not None and configured.get_secret_value():
        # Bound to the configured token the way feedsync.http binds a rotated one.
        origin = _fingerprint(configured.get_secret_value())
    db = workspace_db(workspace)
    SqliteStateStore(db).put_refresh_token(CHANNEL, config.account, StoredRefreshToken(
        token=str(tokens["refresh_token"]), origin=origin))
    RefreshMarks(db, config.account).done()  # a refresh lost earlier is now resolved
    api_key = EtsyCredentials(keystring=keystring, refresh_token=keystring,
                              shared_secret=channel_secrets.get("shared_secret")).api_key()
    user_id, shop_id, shop_name = find_shop(http, config.base_url or API_BASE, api_key,
                                            str(tokens["access_token"]))
    return Authorized(user_id=user_id, shop_id=shop_id, shop_name=shop_name, stored=True)


def workspace_db(workspace: Workspace) -> Any:
    """The workspace database (opened and migrated by the catalog)."""
    from feedsync.catalog import open_catalog

    return open_catalog(workspace.db_path).db


AUTHORIZE = authorize
