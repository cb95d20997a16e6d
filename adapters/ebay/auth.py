"""eBay user access tokens: the OAuth 2.0 refresh-token grant.

https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html:
``POST /identity/v1/oauth2/token`` on the environment's API host, HTTP Basic
``client_id:client_secret``, form body ``grant_type=refresh_token``, the refresh token and the
space-separated scopes (a subset of those the seller granted). Access tokens last 7200 seconds;
refresh tokens 18 months. A refresh token the seller revoked (or that expired) is answered
``invalid_grant``: the channel stops with exit 4 and the message names the variable to fix.
"""

from __future__ import annotations

from feedsync.adapters.ebay.config import SCOPES, EbayCredentials, secret_variable

from feedsync.errors import AuthError
from feedsync.http import OAuth2RefreshTokenAuth


class EbayTokenAuth(OAuth2RefreshTokenAuth):
    """The refresh-token grant, whose refusals say which secret to replace."""

    def _fetch(self) -> None:
        try:
            super()._fetch()
        except AuthError as exc:
            raise AuthError(f"{exc.message}; eBay refused the refresh token: create a new one "
                            f"(eBay developer portal → User Tokens, or your app's consent "
                            f"flow) and set {secret_variable('refresh_token')} (or "
                            f"{secret_variable('client_id')}/"
                            f"{secret_variable('client_secret')} if the keyset changed)"
                            ) from None


def ebay_auth(credentials: EbayCredentials, token_url: str) -> EbayTokenAuth:
    """Bearer tokens for the Sell APIs from the seller's refresh token."""
    return EbayTokenAuth(
        token_url,
        credentials.client_id.get_secret_value(),
        credentials.client_secret,
        credentials.refresh_token,
        client_auth="basic",
        scope=" ".join(SCOPES),
    )
