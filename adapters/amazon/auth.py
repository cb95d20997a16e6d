"""Login with Amazon (LWA): the refresh-token grant, sent as ``x-amz-access-token``.

SP-API needs only an LWA access token since October 2023; AWS Signature Version 4 signing and
IAM roles are no longer required (https://developer-docs.amazon.com/sp-api/changelog/
sp-api-will-no-longer-require-aws-iam-or-aws-signature-version-4). The token endpoint is
``POST https://api.amazon.com/auth/o2/token`` with ``grant_type=refresh_token``, the refresh
token and the app's client id and secret in the form body; access tokens last one hour
(https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api).
feedsync.http's :class:`OAuth2RefreshTokenAuth` caches the token on the object, refreshes it a
minute before expiry or after a refusal, and persists a rotated refresh token if LWA ever sends
one.
"""

from __future__ import annotations

from feedsync.adapters.amazon.config import LWA_TOKEN_URL, LwaCredentials

from feedsync.http import OAuth2RefreshTokenAuth

ACCESS_TOKEN_HEADER = "x-amz-access-token"


def lwa_auth(credentials: LwaCredentials, token_url: str = LWA_TOKEN_URL
             ) -> OAuth2RefreshTokenAuth:
    """An auth object for SP-API calls: the raw token in ``x-amz-access-token`` (no scheme)."""
    return OAuth2RefreshTokenAuth(
        token_url,
        credentials.client_id.get_secret_value(),
        credentials.client_secret,
        credentials.refresh_token,
        header=ACCESS_TOKEN_HEADER,
        scheme=None,
        client_auth="body",
    )
