"""Walmart's client-credentials token and the WM_* headers every call carries.

Token: ``POST /v3/token`` with ``grant_type=client_credentials`` in a form body and the client id
and secret as HTTP Basic auth; the answer's ``access_token`` lives ``expires_in`` = 900 seconds
(tokenAPI in ../shared/specs/walmart/us-mp-auth.json and its example;
https://developer.walmart.com/us-marketplace/docs/get-an-access-token). feedsync.http's
:class:`ClientCredentialsAuth` caches it on the auth object and fetches a new one
``TOKEN_MARGIN_SECONDS`` before it expires, or after a 401 (one refresh, one re-send), so a token
that expires in the middle of a run — or between a feed's upload and its status polls — is
replaced without failing the call.

Headers (the ``WM_*`` header parameters of every operation in the same files): the token goes
in ``WM_SEC.ACCESS_TOKEN`` (no scheme); every call also sends ``WM_SVC.NAME`` (the service
name), a fresh ``WM_QOS.CORRELATION_ID`` (a random UUID per request, Walmart's key for tracing
one call) and ``Accept: application/json``; solution providers add
``WM_CONSUMER.CHANNEL.TYPE``. The token request carries the same service name and its own
correlation id.
"""

from __future__ import annotations

import uuid

import requests
from feedsync.adapters.walmart.config import WalmartCredentials
from feedsync.adapters.walmart.limits import TOKEN_MARGIN_SECONDS

from feedsync.http import AuthChain, ClientCredentialsAuth, HttpAuth

TOKEN_PATH = "/v3/token"
ACCESS_TOKEN_HEADER = "WM_SEC.ACCESS_TOKEN"
SERVICE_NAME_HEADER = "WM_SVC.NAME"
CORRELATION_HEADER = "WM_QOS.CORRELATION_ID"
CHANNEL_TYPE_HEADER = "WM_CONSUMER.CHANNEL.TYPE"


def correlation_id() -> str:
    """A fresh correlation id (a random UUID, as Walmart asks)."""
    return str(uuid.uuid4())


class WalmartTokenAuth(ClientCredentialsAuth):
    """The client-credentials grant with Walmart's token-request headers."""

    def __init__(self, token_url: str, credentials: WalmartCredentials, service_name: str,
                 channel_type: str | None = None) -> None:
        headers = {"Accept": "application/json", SERVICE_NAME_HEADER: service_name,
                   CORRELATION_HEADER: correlation_id()}
        if channel_type:
            headers[CHANNEL_TYPE_HEADER] = channel_type
        super().__init__(token_url, credentials.client_id.get_secret_value(),
                         credentials.client_secret, header=ACCESS_TOKEN_HEADER, scheme=None,
                         client_auth="basic", token_headers=headers,
                         margin=TOKEN_MARGIN_SECONDS)

    def _grant_params(self) -> dict[str, str]:
        # Called once per token request: each one gets its own correlation id.
        self.token_headers[CORRELATION_HEADER] = correlation_id()
        return {}


class WalmartHeaders(HttpAuth):
    """``WM_SVC.NAME``, a fresh ``WM_QOS.CORRELATION_ID`` per request (each retry included:
    Walmart traces attempts, not logical calls) and ``WM_CONSUMER.CHANNEL.TYPE`` if set."""

    def __init__(self, service_name: str, channel_type: str | None = None) -> None:
        self.service_name = service_name
        self.channel_type = channel_type

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[SERVICE_NAME_HEADER] = self.service_name
        request.headers[CORRELATION_HEADER] = correlation_id()
        if self.channel_type:
            request.headers[CHANNEL_TYPE_HEADER] = self.channel_type
        return request


def walmart_auth(base_url: str, credentials: WalmartCredentials, service_name: str,
                 channel_type: str | None = None) -> AuthChain:
    """The auth of every Walmart call: token and WM_* headers (token URL on the same host)."""
    return AuthChain(
        WalmartTokenAuth(base_url.rstrip("/") + TOKEN_PATH, credentials, service_name,
                         channel_type),
        WalmartHeaders(service_name, channel_type),
    )
