"""Session factory defaults: User-Agent, timeouts, base URLs, request ids, redirects."""

from __future__ import annotations

import logging

import pytest
import responses

from feedsync import __version__
from feedsync.errors import ConfigError
from feedsync.http import USER_AGENT, BaseUrls, Timeouts, build_session
from feedsync.http.session import join_url, same_origin

from .conftest import BASE, MakeClient

AMAZON = BaseUrls(production="https://sellingpartnerapi-na.amazon.com",
                  sandbox="https://sandbox.sellingpartnerapi-na.amazon.com")


def test_user_agent_and_default_timeouts(rsps: responses.RequestsMock,
                                         make_client: MakeClient) -> None:
    rsps.get(BASE + "/ping", json={})
    make_client().get("/ping", operation="ping")
    request = rsps.calls[0].request
    assert request.headers["User-Agent"] == f"feedsync/{__version__} (+python-requests)"
    assert USER_AGENT.startswith("feedsync/")
    assert request.req_kwargs["timeout"] == (10.0, 60.0)  # type: ignore[attr-defined]


def test_timeouts_configurable_per_client_and_call(rsps: responses.RequestsMock,
                                                   make_client: MakeClient) -> None:
    rsps.get(BASE + "/ping", json={})
    client = make_client(timeouts=Timeouts(connect=3, read=120))
    client.get("/ping", operation="ping")
    client.get("/ping", operation="ping", timeout=5)
    assert [c.request.req_kwargs["timeout"] for c in rsps.calls] == [  # type: ignore[attr-defined]
        (3, 120), 5]


def test_base_url_per_environment() -> None:
    assert AMAZON.for_environment("production") == "https://sellingpartnerapi-na.amazon.com"
    assert AMAZON.for_environment("sandbox").startswith("https://sandbox.")
    assert AMAZON.for_environment("http://127.0.0.1:8765/amazon") == (
        "http://127.0.0.1:8765/amazon")
    with pytest.raises(ConfigError, match="'production', 'sandbox' or an http"):
        AMAZON.for_environment("staging")
    with pytest.raises(ConfigError, match="no sandbox"):
        BaseUrls("https://api.etsy.com").for_environment("sandbox")


def test_local_override_with_path_prefix(rsps: responses.RequestsMock,
                                         make_client: MakeClient) -> None:
    rsps.get("http://127.0.0.1:8765/amazon/orders/2026-01-01/orders", json={})
    client = make_client(base_url=AMAZON.for_environment("http://127.0.0.1:8765/amazon"))
    assert client.get("/orders/2026-01-01/orders", operation="searchOrders").ok


def test_join_url_and_origin() -> None:
    assert join_url("https://h.test/v1", "items") == "https://h.test/v1/items"
    assert join_url("https://h.test/v1/", "/items") == "https://h.test/v1/items"
    assert join_url("https://h.test/v1", "https://other.test/x") == "https://other.test/x"
    assert same_origin("https://h.test/a", "https://h.test:443/b") is False  # explicit port
    assert same_origin("https://h.test/a", "https://h.test/b?x=1")
    assert not same_origin("https://h.test/a", "http://h.test/a")


def test_request_ids_logged_at_debug(rsps: responses.RequestsMock, make_client: MakeClient,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="feedsync.http")
    rsps.get(BASE + "/ping", json={}, headers={"x-amzn-RequestId": "amz-1",
                                               "x-fb-trace-id": "fb-2",
                                               "WM_QOS.CORRELATION_ID": "wm-3"})
    make_client().get("/ping", operation="ping")
    line = next(r.getMessage() for r in caplog.records if "HTTP 200" in r.getMessage())
    assert "amz-1" in line and "fb-2" in line and "wm-3" in line
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


def test_api_calls_do_not_follow_redirects(rsps: responses.RequestsMock,
                                           make_client: MakeClient) -> None:
    """Credentials in custom headers must not follow a redirect to another host."""
    rsps.get(BASE + "/moved", status=302, headers={"Location": "https://elsewhere.test/x"})
    response = make_client().get("/moved", operation="x")
    assert response.status_code == 302 and len(rsps.calls) == 1


def test_foreign_url_gets_no_credentials(rsps: responses.RequestsMock,
                                         make_client: MakeClient) -> None:
    from feedsync.http import StaticBearerAuth

    rsps.get("https://bucket.s3.test/doc", body="feed document")
    rsps.get(BASE + "/own", body="own")
    client = make_client(auth=StaticBearerAuth("meta-token-abcdef"))
    client.get("https://bucket.s3.test/doc", operation="download")
    client.get("/own", operation="x")
    assert "Authorization" not in rsps.calls[0].request.headers
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer meta-token-abcdef"


def test_build_session_extra_headers() -> None:
    session = build_session(headers={"Content-Language": "en-US"})
    assert session.headers["Content-Language"] == "en-US"
    assert session.headers["User-Agent"] == USER_AGENT
