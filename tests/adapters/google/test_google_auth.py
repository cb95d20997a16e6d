"""Google service-account auth: a locally signed JWT traded at a mocked token endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from feedsync.adapters.google.auth import (
    JWT_BEARER,
    SCOPE,
    ServiceAccountAuth,
    load_service_account,
    service_account_auth,
)
from google.auth import jwt
from google_support import TOKEN_URL, token_response

from feedsync.errors import CircuitOpen, ConfigError, redact
from feedsync.http import FakeClock, HttpClient


def _client(auth: ServiceAccountAuth, clock: FakeClock) -> HttpClient:
    return HttpClient("google", base_url="https://merchantapi.googleapis.com", auth=auth,
                      clock=clock)


def _form(call: responses.Call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return {k: v[0] for k, v in parse_qs(text).items()}


def test_assertion_is_signed_with_the_key_and_traded_for_a_token(
        service_account: Path, rsa_key: rsa.RSAPrivateKey, clock: FakeClock,
        mocked: responses.RequestsMock) -> None:
    token_response(mocked)
    mocked.add(responses.GET, "https://merchantapi.googleapis.com/x", json={})
    auth = ServiceAccountAuth(load_service_account(service_account))
    _client(auth, clock).get("x", operation="read")
    form = _form(mocked.calls[0])
    assert form["grant_type"] == JWT_BEARER
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = jwt.decode(form["assertion"], certs=public, audience=TOKEN_URL,
                        clock_skew_in_seconds=10**10)
    assert claims["iss"] == "feedsync@feedsync-test.iam.gserviceaccount.com"
    assert claims["scope"] == SCOPE
    assert claims["iat"] == int(clock.time()) and claims["exp"] == claims["iat"] + 3600
    assert mocked.calls[1].request.headers["Authorization"] == "Bearer ya29.first-token"


def test_token_is_reused_then_refreshed_before_it_expires(
        service_account: Path, clock: FakeClock, mocked: responses.RequestsMock) -> None:
    token_response(mocked, "ya29.one")
    token_response(mocked, "ya29.two")
    mocked.add(responses.GET, "https://merchantapi.googleapis.com/x", json={})
    client = _client(ServiceAccountAuth(load_service_account(service_account)), clock)
    client.get("x", operation="read")
    client.get("x", operation="read")
    clock.advance(3600 - 30)  # inside the one-minute safety margin
    client.get("x", operation="read")
    token_calls = [c for c in mocked.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 2
    assert mocked.calls[-1].request.headers["Authorization"] == "Bearer ya29.two"


def test_refused_credentials_stop_the_channel_without_leaking_the_key(
        service_account: Path, clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=400,
               json={"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    auth = ServiceAccountAuth(load_service_account(service_account))
    with pytest.raises(CircuitOpen) as caught:
        _client(auth, clock).get("x", operation="read")
    message = str(caught.value)
    assert "invalid_grant" in message and "service-account token request" in message
    info = json.loads(service_account.read_text())
    for line in info["private_key"].splitlines()[1:3]:
        assert line not in message
    assert "BEGIN PRIVATE KEY" not in redact(info["private_key"])


@pytest.mark.parametrize(("content", "expected"), [
    (None, "does not exist"),
    ("{not json", "is not JSON"),
    (json.dumps({"type": "authorized_user"}), "not a service account key"),
    (json.dumps({"type": "service_account", "private_key": "x"}), "lacks client_email"),
])
def test_bad_key_files_name_the_file(tmp_path: Path, content: str | None,
                                     expected: str) -> None:
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_service_account(path)
    assert expected in str(caught.value) and str(path) in str(caught.value)


def test_unusable_private_key_is_a_config_error(tmp_path: Path) -> None:
    info = {"type": "service_account", "client_email": "a@b", "private_key": "not a key"}
    with pytest.raises(ConfigError, match="private key cannot be used"):
        ServiceAccountAuth(info)


def test_missing_secret_says_which_variable_to_set() -> None:
    with pytest.raises(ConfigError, match="FEEDSYNC_GOOGLE__SERVICE_ACCOUNT_FILE"):
        service_account_auth({})
