"""Self-refreshing auth, rotated refresh tokens and the circuit breaker."""

from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
import sqlite_utils

from feedsync.errors import CircuitOpen, TransientError
from feedsync.http import (
    ApiKeyAuth,
    AuthChain,
    ClientCredentialsAuth,
    FakeClock,
    OAuth2RefreshTokenAuth,
    SqliteStateStore,
    StaticBearerAuth,
)

from .conftest import BASE, MakeClient

TOKEN_URL = "https://auth.example.test/o2/token"
URL = BASE + "/orders"


def lwa(refresh_token: str = "Atzr|configured-refresh-1234") -> OAuth2RefreshTokenAuth:
    """Amazon LWA style: x-amz-access-token header, client id/secret in the body."""
    return OAuth2RefreshTokenAuth(TOKEN_URL, "amzn1.application-oa2-client.abc",
                                  "lwa-client-secret-9876", refresh_token,
                                  header="x-amz-access-token", scheme=None)


def token_body(access: str, expires_in: int | None = 3600, refresh: str | None = None) -> dict:
    body: dict = {"access_token": access, "token_type": "bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def form(call: responses.Call) -> dict[str, list[str]]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return parse_qs(text)


def test_refresh_token_grant_sends_token_in_configured_header(
        rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, json=token_body("Atza|access-one"))
    rsps.get(URL, json={"orders": []})
    make_client(auth=lwa()).get("/orders", operation="searchOrders")
    grant = form(rsps.calls[0])
    assert grant["grant_type"] == ["refresh_token"]
    assert grant["refresh_token"] == ["Atzr|configured-refresh-1234"]
    assert grant["client_id"] == ["amzn1.application-oa2-client.abc"]
    assert grant["client_secret"] == ["lwa-client-secret-9876"]
    sent = rsps.calls[1].request.headers
    assert sent["x-amz-access-token"] == "Atza|access-one"
    assert "Authorization" not in sent


def test_token_reused_until_safety_margin(rsps: responses.RequestsMock, make_client: MakeClient,
                                          clock: FakeClock) -> None:
    rsps.post(TOKEN_URL, json=token_body("tok-1", expires_in=3600))
    rsps.post(TOKEN_URL, json=token_body("tok-2", expires_in=3600))
    rsps.get(URL, json={})
    client = make_client(auth=lwa())
    client.get("/orders", operation="o")
    clock.advance(3600 - 61)
    client.get("/orders", operation="o")
    assert [c.request.url for c in rsps.calls].count(TOKEN_URL) == 1
    clock.advance(2)  # now inside the 60 s margin: refresh before the channel says 401
    client.get("/orders", operation="o")
    assert [c.request.url for c in rsps.calls].count(TOKEN_URL) == 2
    assert rsps.calls[-1].request.headers["x-amz-access-token"] == "tok-2"


def test_401_refresh_then_success(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, json=token_body("stale-token", expires_in=None))
    rsps.post(TOKEN_URL, json=token_body("fresh-token"))
    rsps.get(URL, status=401, json={"errors": [{"code": "Unauthorized"}]})
    rsps.get(URL, json={"ok": 1})
    auth = lwa()
    response = make_client(auth=auth).get("/orders", operation="searchOrders")
    assert response.json() == {"ok": 1}
    used = [c.request.headers.get("x-amz-access-token") for c in rsps.calls
            if c.request.url.startswith(URL)]
    assert used == ["stale-token", "fresh-token"]
    assert auth.refresh_count == 2


def test_401_on_post_is_resent_after_refresh(rsps: responses.RequestsMock,
                                             make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, json=token_body("t1"))
    rsps.post(TOKEN_URL, json=token_body("t2"))
    rsps.post(URL, status=401)
    rsps.post(URL, status=202)
    assert make_client(auth=lwa()).post("/orders", operation="create").status_code == 202


def test_401_twice_opens_breaker_with_one_error(rsps: responses.RequestsMock,
                                                make_client: MakeClient,
                                                caplog: pytest.LogCaptureFixture) -> None:
    rsps.post(TOKEN_URL, json=token_body("t1"))
    rsps.post(TOKEN_URL, json=token_body("t2"))
    rsps.get(URL, status=401)
    client = make_client(auth=lwa(), account="eu")
    errors: list[CircuitOpen] = []
    for sku in ("A", "B", "C", "D"):
        try:
            client.get("/orders", operation="searchOrders", params={"sku": sku})
        except CircuitOpen as exc:
            errors.append(exc)
    # 1 token + 401 + 1 refresh + 401; then nothing touches the network
    assert [c.request.url.split("?")[0] for c in rsps.calls] == [TOKEN_URL, URL, TOKEN_URL, URL]
    assert [e.repeat for e in errors] == [False, True, True, True]
    first = errors[0]
    assert first.exit_code == 4 and first.status == 401 and first.channel == "acme"
    assert "acme[eu] searchOrders: HTTP 401" in first.message
    assert "after a token refresh" in first.message
    assert client.breaker.is_open and client.breaker.rejected == 3
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(logged) == 1  # one clear error for the run, not one per SKU


def test_breaker_is_per_client(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, status=401)
    rsps.get(BASE + "/other", json={"fine": True})
    broken = make_client(auth=StaticBearerAuth("meta-system-user-token-1"))
    with pytest.raises(CircuitOpen, match="cannot be refreshed"):
        broken.get("/orders", operation="o")
    healthy = make_client(channel="other", auth=StaticBearerAuth("other-token-5678"))
    assert healthy.get("/other", operation="o").json() == {"fine": True}
    same_channel_other_account = make_client(account="b", auth=StaticBearerAuth("tok-b-5678"))
    assert same_channel_other_account.get("/other", operation="o").ok


def test_403_is_config_failure_and_opens_breaker(rsps: responses.RequestsMock,
                                                 make_client: MakeClient) -> None:
    denied = {"code": "Unauthorized", "message": "Access to requested resource is denied."}
    rsps.get(URL, status=403, json={"errors": [denied]})
    client = make_client(auth=StaticBearerAuth("tok-1234"))
    with pytest.raises(CircuitOpen, match="permission denied") as info:
        client.get("/orders", operation="o")
    assert not info.value.repeat
    with pytest.raises(CircuitOpen):
        client.get("/orders", operation="o")
    assert len(rsps.calls) == 1


def test_invalid_grant_opens_breaker_once(rsps: responses.RequestsMock,
                                          make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, status=400, json={
        "error": "invalid_grant",
        "error_description": "The request has an invalid grant parameter : refresh_token"})
    client = make_client(auth=lwa())
    with pytest.raises(CircuitOpen, match="invalid_grant") as info:
        client.get("/orders", operation="o")
    assert "rejected the credentials" in info.value.message
    with pytest.raises(CircuitOpen) as again:
        client.get("/orders", operation="o")
    assert again.value.repeat
    assert len(rsps.calls) == 1  # the token endpoint once, the API never


def test_token_endpoint_5xx_is_retried(rsps: responses.RequestsMock, make_client: MakeClient,
                                       clock: FakeClock) -> None:
    rsps.post(TOKEN_URL, status=503)
    rsps.post(TOKEN_URL, json=token_body("t"))
    rsps.get(URL, json={})
    assert make_client(auth=lwa()).get("/orders", operation="o").ok
    assert len(clock.sleeps) == 1


def test_token_endpoint_down_is_transient_not_breaker(rsps: responses.RequestsMock,
                                                      make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, status=503)
    client = make_client(auth=lwa())
    with pytest.raises(TransientError, match="try again later"):
        client.get("/orders", operation="o")
    assert not client.breaker.is_open


def test_rotated_refresh_token_persisted_and_used_next_run(
        rsps: responses.RequestsMock, make_client: MakeClient, tmp_path: Path) -> None:
    from feedsync.db import open_database

    path = tmp_path / "ws" / "feedsync.db"
    db = open_database(path)
    rsps.post(TOKEN_URL, json=token_body("acc-1", refresh="Atzr|rotated-refresh-5678"))
    rsps.get(URL, json={})
    make_client(auth=lwa(), state_store=SqliteStateStore(db)).get("/orders", operation="o")
    db.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = sqlite_utils.Database(path)
    rows = list(raw["http_refresh_tokens"].rows)
    assert [(r["channel"], r["account"], r["refresh_token"]) for r in rows] == [
        ("acme", "default", "Atzr|rotated-refresh-5678")]
    assert "configured-refresh" not in str(rows)  # only a fingerprint of the configured one
    raw.close()

    # The next run: a new database handle, a new client, the same configured secret.
    db2 = open_database(path)
    rsps.post(TOKEN_URL, json=token_body("acc-2"))
    auth = lwa()
    make_client(auth=auth, state_store=SqliteStateStore(db2)).get("/orders", operation="o")
    assert auth.refresh_token == "Atzr|rotated-refresh-5678"
    assert form(rsps.calls[2])["refresh_token"] == ["Atzr|rotated-refresh-5678"]
    db2.close()


def test_newly_configured_refresh_token_beats_a_stale_rotated_one(
        rsps: responses.RequestsMock, make_client: MakeClient, sqlite_store: SqliteStateStore
) -> None:
    rsps.post(TOKEN_URL, json=token_body("acc-1", refresh="Atzr|rotated-from-old"))
    rsps.get(URL, json={})
    make_client(auth=lwa("Atzr|old-configured"), state_store=sqlite_store).get(
        "/orders", operation="o")
    auth = lwa("Atzr|re-authorised-new")  # the merchant re-authorised the app
    make_client(auth=auth, state_store=sqlite_store)
    assert auth.refresh_token == "Atzr|re-authorised-new"


def test_client_credentials_basic_auth_walmart_style(rsps: responses.RequestsMock,
                                                     make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, json=token_body("wm-access", expires_in=900))
    rsps.get(URL, json={})
    auth = ClientCredentialsAuth(
        TOKEN_URL, "wm-client-id", "wm-client-secret-abcd", client_auth="basic",
        header="WM_SEC.ACCESS_TOKEN", scheme=None,
        token_headers={"WM_SVC.NAME": "Walmart Marketplace", "Accept": "application/json"})
    make_client(auth=auth).get("/orders", operation="getAllOrders")
    token_call = rsps.calls[0].request
    expected = base64.b64encode(b"wm-client-id:wm-client-secret-abcd").decode()
    assert token_call.headers["Authorization"] == f"Basic {expected}"
    assert token_call.headers["WM_SVC.NAME"] == "Walmart Marketplace"
    assert form(rsps.calls[0]) == {"grant_type": ["client_credentials"]}
    assert rsps.calls[1].request.headers["WM_SEC.ACCESS_TOKEN"] == "wm-access"


def test_api_key_and_bearer_chain_etsy_style(rsps: responses.RequestsMock,
                                             make_client: MakeClient) -> None:
    rsps.post(TOKEN_URL, json=token_body("etsy-access", refresh="etsy-refresh-2"))
    rsps.get(URL, json={})
    oauth = OAuth2RefreshTokenAuth(TOKEN_URL, "keystring", None, "etsy-refresh-1")
    chain = AuthChain(ApiKeyAuth("keystring:shared-secret-xyz"), oauth)
    make_client(auth=chain).get("/orders", operation="getShopReceipts")
    sent = rsps.calls[1].request.headers
    assert sent["x-api-key"] == "keystring:shared-secret-xyz"
    assert sent["Authorization"] == "Bearer etsy-access"
    assert "client_secret" not in form(rsps.calls[0])  # a public client: id only
    assert oauth.refresh_token == "etsy-refresh-2"  # rotated, kept for this run (memory store)


def test_parallel_401s_cause_one_refresh(rsps: responses.RequestsMock,
                                         make_client: MakeClient) -> None:
    state = {"valid": "t1"}
    lock = threading.Lock()

    def token(request: object) -> tuple[int, dict, str]:
        with lock:
            state["valid"] = "t2" if state["valid"] == "t1-expired" else state["valid"]
        import json

        return 200, {}, json.dumps(token_body(state["valid"], expires_in=None))

    def api(request: object) -> tuple[int, dict, str]:
        headers = request.headers  # type: ignore[attr-defined]
        ok = headers.get("x-amz-access-token") == state["valid"]
        return (200 if ok else 401), {}, "{}"

    rsps.add_callback(responses.POST, TOKEN_URL, callback=token)
    rsps.add_callback(responses.GET, URL, callback=api)
    auth = lwa()
    client = make_client(auth=auth)
    client.get("/orders", operation="o")  # token t1
    with lock:
        state["valid"] = "t1-expired"  # the channel revokes t1: everyone gets 401 once
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            client.get("/orders", operation="o")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert auth.refresh_count == 2  # the first fetch and exactly one refresh


def test_no_module_level_token_cache() -> None:
    """Two auth objects with the same credentials do not share tokens."""
    a, b = lwa(), lwa()
    a._token = "only-a"
    assert b._token is None
