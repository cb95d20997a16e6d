"""Constants and helpers shared by the Google adapter tests (a unique module name: every test
folder has a ``conftest`` module, so tests import from here, never from ``conftest``)."""

from __future__ import annotations

import responses

TOKEN_URL = "https://oauth2.googleapis.com/token"
API = "https://merchantapi.googleapis.com/products/v1/accounts/123"
SOURCE = "accounts/123/dataSources/456"


def token_response(mock: responses.RequestsMock, token: str = "ya29.first-token",
                   expires_in: int = 3600) -> None:
    """Register one answer of the OAuth token endpoint."""
    mock.add(responses.POST, TOKEN_URL, json={"access_token": token, "expires_in": expires_in,
                                              "token_type": "Bearer"})
