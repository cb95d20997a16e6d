"""No secret reaches a log line or an exception message: scan for the actual values."""

from __future__ import annotations

import logging

import pytest
import responses

from feedsync.errors import ChannelError, CircuitOpen, FeedsyncError, ItemRejected, redact
from feedsync.http import (
    ApiKeyAuth,
    AuthChain,
    OAuth2RefreshTokenAuth,
    RedactingFilter,
    safe_headers,
    safe_url,
)

from .conftest import BASE, MakeClient

TOKEN_URL = "https://auth.example.test/token"

# Values that must never be visible. None of them has a recognisable shape, so only the
# HTTP layer's registration and masking can hide them.
CLIENT_SECRET = "cs-7f3a9b2e1d"
REFRESH = "rt-0a1b2c3d4e5f"
ROTATED = "rt-rotated-9z8y7x"
ACCESS = "at-5544332211"
API_KEY = "keystring42:sharedsecret42"
SIGNATURE = "5e1f0a9c8b7d6e5f4a3b2c1d"


def all_text(caplog: pytest.LogCaptureFixture, errors: list[BaseException]) -> str:
    lines = [record.getMessage() for record in caplog.records]
    lines += [str(e) for e in errors]
    lines += [p for e in errors if isinstance(e, FeedsyncError) for p in getattr(e, "problems", [])]
    return "\n".join(lines)


def test_no_secret_in_debug_logs_or_errors(rsps: responses.RequestsMock, make_client: MakeClient,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.post(TOKEN_URL, json={"access_token": ACCESS, "expires_in": 3600,
                               "refresh_token": ROTATED})
    # A channel that echoes our credentials back in an error body (it happens).
    rsps.put(BASE + "/items/SKU-1", status=400,
             body=f"bad request; you sent token {ACCESS} and key {API_KEY}",
             headers={"x-request-id": "rid-1"})
    rsps.get(BASE + "/items", status=500, json={"error": {"message": f"Bearer {ACCESS} failed"}})
    signed = (f"https://files.example-bucket.test/feed.json?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              f"&X-Amz-Signature={SIGNATURE}")
    rsps.get(signed.split("?")[0], status=403, body=f"SignatureDoesNotMatch {SIGNATURE}")
    rsps.get(BASE + "/search", json={})
    auth = AuthChain(ApiKeyAuth(API_KEY),
                     OAuth2RefreshTokenAuth(TOKEN_URL, "client-id", CLIENT_SECRET, REFRESH))
    client = make_client(auth=auth)
    errors: list[BaseException] = []
    client.get("/search", operation="search", params={"q": "x", "api_key": API_KEY})
    for call in (
        lambda: client.request("PUT", "/items/SKU-1", operation="put", item="SKU-1"),
        lambda: client.get("/items", operation="list"),
        lambda: client.get(signed, operation="download"),
    ):
        try:
            call()
        except FeedsyncError as exc:
            errors.append(exc)
    assert [type(e) for e in errors[:1]] == [ItemRejected]
    assert len(errors) == 3
    text = all_text(caplog, errors)
    assert "GET https://api.example.test/search" in text  # the request lines are logged ...
    assert "rid-1" in text  # ... with the channel's request ids
    for secret in (CLIENT_SECRET, REFRESH, ROTATED, ACCESS, API_KEY, SIGNATURE, "sharedsecret42"):
        assert secret not in text, secret


def test_unregistered_credentials_are_masked_by_shape() -> None:
    headers = {"Authorization": "Bearer never-registered-1", "x-amz-access-token": "Atza|zzz",
               "X-Custom-Session-Token": "never-registered-2", "Accept": "application/json",
               "WM_SEC.ACCESS_TOKEN": "never-registered-3"}
    shown = str(safe_headers(headers))
    assert "never-registered" not in shown and "Atza|zzz" not in shown
    assert "application/json" in shown


@pytest.mark.parametrize(("url", "hidden"), [
    ("https://h.test/p?access_token=unreg-1&x=1", "unreg-1"),
    ("https://h.test/p?appsecret_proof=unreg-2", "unreg-2"),
    ("https://h.test/p?X-Amz-Credential=AKIAUNREG&X-Amz-Signature=unreg-3&a=b", "AKIAUNREG"),
    ("https://user:unreg-4@h.test/p", "unreg-4"),
    ("https://h.test/p?client_secret=unreg-5", "unreg-5"),
    ("https://storage.googleapis.com/b/o?X-Goog-Signature=unreg-6", "unreg-6"),
])
def test_safe_url(url: str, hidden: str) -> None:
    assert hidden not in safe_url(url)
    assert safe_url(url).startswith(url.split("?")[0].replace("user:unreg-4@", "[REDACTED]@"))


def test_safe_url_keeps_harmless_parameters() -> None:
    assert safe_url("https://h.test/orders?limit=5&status=Shipped") == (
        "https://h.test/orders?limit=5&status=Shipped")


@pytest.mark.parametrize(("text", "hidden"), [
    ("sent Bearer unregBearer123 to host", "unregBearer123"),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAUNREG/2024/us-east-1/aws4_request, "
     "SignedHeaders=host, Signature=0badc0ffee", "0badc0ffee"),
    ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAUNREG/2024, Signature=x", "AKIAUNREG"),
    ("https://graph.facebook.com/v19.0/1/items_batch?appsecret_proof=unregproof1", "unregproof1"),
    ("WM_SEC.AUTH_SIGNATURE: unregsig1", "unregsig1"),
    ("header Basic dW5yZWc6dW5yZWdwYXNz here", "dW5yZWc6dW5yZWdwYXNz"),
    ("token EAAGm0PX4ZCpsBAOZB1nZAZBunregisteredmetatoken0000 leaked", "EAAGm0PX4ZCps"),
    ('{"client_secret": "unreg-cs"}', "unreg-cs"),
    ("refresh_token=Atzr|unreg&client_id=x", "Atzr|unreg"),
    ("x-api-key: unregkey:unregshared", "unregshared"),
])
def test_redact_patterns(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


@pytest.mark.parametrize("text", [
    "Basic information is missing for SKU-1",
    '{"error":{"code":17,"message":"User request limit reached"}}',
    "the Bearer of bad news",
])
def test_redact_leaves_ordinary_text(text: str) -> None:
    assert redact(text) == text


def test_redacting_filter_on_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("some.library")
    handler_filter = RedactingFilter()
    record = logger.makeRecord("some.library", logging.DEBUG, __file__, 1,
                               "GET %s", ("https://h.test/x?access_token=unreg-7",), None)
    assert handler_filter.filter(record)
    assert "unreg-7" not in record.getMessage()


def test_urllib3_request_lines_are_redacted(caplog: pytest.LogCaptureFixture,
                                            make_client: MakeClient) -> None:
    make_client()  # installs the filter on urllib3's connection-pool logger
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s', "https", "bucket.test", 443, "GET",
        f"/feed?X-Amz-Signature={SIGNATURE}", "HTTP/1.1", 200, 10)
    assert SIGNATURE not in caplog.text


def test_breaker_message_is_redacted(rsps: responses.RequestsMock,
                                     make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, status=401, json={"error": "invalid_client",
                                           "error_description": f"bad secret {CLIENT_SECRET}"})
    client = make_client(auth=OAuth2RefreshTokenAuth(TOKEN_URL, "id", CLIENT_SECRET, REFRESH))
    with pytest.raises(CircuitOpen) as info:
        client.get("/x", operation="x")
    assert CLIENT_SECRET not in str(info.value) and "invalid_client" in str(info.value)
    with pytest.raises(ChannelError) as again:
        client.get("/x", operation="x")
    assert CLIENT_SECRET not in str(again.value)
