"""Retries: which answers are retried, how long we wait, and the bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from feedsync.errors import BudgetExhausted, ChannelError, TransientError
from feedsync.http import (
    Action,
    ErrorTable,
    FakeClock,
    RetryPolicy,
    Rule,
    never_sent,
    parse_retry_after,
)

from .conftest import BASE, MakeClient

URL = BASE + "/items"


def test_429_with_retry_after_then_200(rsps: responses.RequestsMock, make_client: MakeClient,
                                      clock: FakeClock) -> None:
    rsps.get(URL, status=429, headers={"Retry-After": "7"})
    rsps.get(URL, json={"ok": True})
    response = make_client().get("/items", operation="listItems")
    assert response.json() == {"ok": True}
    assert len(rsps.calls) == 2
    assert clock.sleeps == [7.0]  # exactly what the channel asked for, no guessed second


def test_retry_after_as_http_date(rsps: responses.RequestsMock, make_client: MakeClient,
                                  clock: FakeClock) -> None:
    when = datetime.fromtimestamp(clock.time() + 120, UTC)
    rsps.get(URL, status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    rsps.get(URL, json={})
    make_client().get("/items", operation="listItems")
    assert clock.sleeps == [pytest.approx(120.0)]


def test_parse_retry_after_variants() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("0", now) == 0.0
    assert parse_retry_after("2.5", now) == 2.5
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:20 GMT", now) == pytest.approx(0.0)
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now) == pytest.approx(60.0)
    assert parse_retry_after("Mon, 13 Nov 2023 00:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("nan", now) is None


def test_three_5xx_then_success(rsps: responses.RequestsMock, make_client: MakeClient,
                                clock: FakeClock) -> None:
    for status in (500, 502, 503):
        rsps.get(URL, status=status)
    rsps.get(URL, json={"page": 1})
    response = make_client().get("/items", operation="listItems")
    assert response.status_code == 200
    assert len(rsps.calls) == 4
    assert len(clock.sleeps) == 3
    policy = RetryPolicy()
    for attempt, slept in enumerate(clock.sleeps, start=1):  # full jitter, capped exponential
        assert 0.0 <= slept <= policy.base_delay * 2 ** (attempt - 1)


def test_5xx_exhausted_raises_transient_error(rsps: responses.RequestsMock,
                                              make_client: MakeClient) -> None:
    rsps.get(URL, status=503, body="upstream unavailable",
             headers={"x-amzn-RequestId": "req-42"})
    client = make_client(retry=RetryPolicy(max_attempts=3))
    with pytest.raises(TransientError) as info:
        client.get("/items", operation="listItems")
    assert len(rsps.calls) == 3
    message = str(info.value)
    assert "acme[default] listItems" in message
    assert "HTTP 503" in message and "3 attempt(s)" in message
    assert "upstream unavailable" in message and "req-42" in message


def test_total_time_is_bounded(rsps: responses.RequestsMock, make_client: MakeClient,
                               clock: FakeClock) -> None:
    rsps.get(URL, status=503, headers={"Retry-After": "40"})
    client = make_client(retry=RetryPolicy(max_attempts=50, max_elapsed=100.0))
    with pytest.raises(TransientError, match="gave up after 3 attempt"):
        client.get("/items", operation="listItems")
    assert clock.sleeps == [40.0, 40.0]  # a third wait would pass 100 s


def test_retry_after_beyond_budget_defers_without_sleeping(
        rsps: responses.RequestsMock, make_client: MakeClient, clock: FakeClock) -> None:
    rsps.get(URL, status=429, headers={"Retry-After": "3600"})
    client = make_client(retry=RetryPolicy(max_elapsed=300.0))
    with pytest.raises(BudgetExhausted, match="deferred to the next run") as info:
        client.get("/items", operation="listItems")
    assert clock.sleeps == []
    assert len(rsps.calls) == 1
    [deferral] = client.deferred()
    assert deferral.operation == "listItems"
    assert deferral.retry_at == pytest.approx(clock.time() + 3600)
    assert info.value.exit_code == 75


def test_post_is_not_retried_unless_marked_safe(rsps: responses.RequestsMock,
                                                make_client: MakeClient) -> None:
    rsps.post(URL, status=503)
    client = make_client()
    with pytest.raises(TransientError, match="not idempotent"):
        client.post("/items", operation="createItem", json={"sku": "A"})
    assert len(rsps.calls) == 1
    with pytest.raises(TransientError, match="not idempotent"):
        client.post("/items", operation="createItem", json={"sku": "A"})
    assert len(rsps.calls) == 2  # again exactly one call: no retry


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_5xx_is_not_retried(rsps: responses.RequestsMock, make_client: MakeClient,
                                 clock: FakeClock, status: int) -> None:
    """The server may have acted on the POST before failing: sending it again could double it."""
    rsps.post(URL, status=status, headers={"Retry-After": "1"})
    rsps.post(URL, status=201)
    with pytest.raises(TransientError, match="not idempotent and the channel may have"):
        make_client().post("/items", operation="createItem", json={"sku": "A"})
    assert len(rsps.calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_429_with_retry_after_is_retried_for_any_method(
        rsps: responses.RequestsMock, make_client: MakeClient, clock: FakeClock,
        method: str) -> None:
    """RFC 6585 §4 / Amazon SP-API throttling: a 429 was refused unprocessed, so even a
    non-idempotent request is sent again, after the wait the channel asked for."""
    rsps.add(method, URL, status=429, headers={"Retry-After": "5"},
             json={"errors": [{"code": "QuotaExceeded",
                               "message": "You exceeded your quota for the requested resource."}]})
    rsps.add(method, URL, status=200, json={"id": 1})
    response = make_client().request(method, "/items", operation="createItem", json={"sku": "A"})
    assert response.json() == {"id": 1}
    assert [c.request.method for c in rsps.calls] == [method, method]
    assert rsps.calls[0].request.body == rsps.calls[1].request.body
    assert clock.sleeps == [5.0]


def test_429_is_unprocessed_whatever_rule_classified_it(rsps: responses.RequestsMock,
                                                       make_client: MakeClient) -> None:
    """An adapter's own 429 rule (Google's RESOURCE_EXHAUSTED) keeps the RFC meaning."""
    rsps.post(URL, status=429, json={"error": {"status": "RESOURCE_EXHAUSTED"}})
    rsps.post(URL, status=200)
    table = ErrorTable().extend([Rule(Action.RATE_LIMITED, status=429, reason="quota")])
    assert make_client(error_table=table).post("/items", operation="insert").ok
    assert len(rsps.calls) == 2
    assert ErrorTable().classify(rsps.calls[0].response).unprocessed
    assert not ErrorTable().classify(rsps.calls[1].response).unprocessed


def test_post_429_exhausted_gives_up_as_transient(rsps: responses.RequestsMock,
                                                  make_client: MakeClient,
                                                  clock: FakeClock) -> None:
    rsps.post(URL, status=429)
    client = make_client(retry=RetryPolicy(max_attempts=3))
    with pytest.raises(TransientError, match="gave up after 3 attempt"):
        client.post("/items", operation="createItem", json={})
    assert len(rsps.calls) == 3 and len(clock.sleeps) == 2


def test_post_429_beyond_the_budget_is_deferred(rsps: responses.RequestsMock,
                                                make_client: MakeClient,
                                                clock: FakeClock) -> None:
    rsps.post(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(BudgetExhausted, match="deferred to the next run"):
        make_client().post("/items", operation="createItem", json={})
    assert len(rsps.calls) == 1 and clock.sleeps == []


def test_documented_throttling_503_may_be_marked_unprocessed(
        rsps: responses.RequestsMock, make_client: MakeClient, clock: FakeClock) -> None:
    """Only an adapter rule marks a 503 as a throttling refusal (when its channel documents
    it); a 503 without Retry-After still matches the default rule and is not re-sent."""
    throttled = ErrorTable().extend([Rule(
        Action.RATE_LIMITED, status=503, when=lambda r: "Retry-After" in r.headers,
        unprocessed=True, reason="throttled by the front end (documented)")])
    rsps.post(URL, status=503, headers={"Retry-After": "2"})
    rsps.post(URL, status=201)
    assert make_client(error_table=throttled).post("/items", operation="create").status_code \
        == 201
    assert clock.sleeps == [2.0]
    rsps.post(URL + "2", status=503)
    with pytest.raises(TransientError, match="not idempotent"):
        make_client(error_table=throttled).post("/items2", operation="create")


def test_post_marked_safe_is_retried(rsps: responses.RequestsMock,
                                     make_client: MakeClient) -> None:
    rsps.post(URL, status=503)
    rsps.post(URL, status=201, json={"id": 1})
    response = make_client().post("/items", operation="createItem", idempotent=True, json={})
    assert response.status_code == 201
    assert len(rsps.calls) == 2


def test_put_and_get_retry_by_default_patch_does_not(rsps: responses.RequestsMock,
                                                     make_client: MakeClient) -> None:
    rsps.put(URL, status=500)
    rsps.put(URL, status=200)
    rsps.patch(URL, status=500)
    client = make_client()
    assert client.request("PUT", "/items", operation="put").status_code == 200
    with pytest.raises(TransientError):
        client.request("PATCH", "/items", operation="patch")
    assert [c.request.method for c in rsps.calls] == ["PUT", "PUT", "PATCH"]


def test_connection_errors_are_retried(rsps: responses.RequestsMock,
                                       make_client: MakeClient) -> None:
    rsps.get(URL, body=requests.ConnectionError("reset by peer"))
    rsps.get(URL, body=requests.ReadTimeout("slow"))
    rsps.get(URL, json={})
    assert make_client().get("/items", operation="listItems").status_code == 200
    assert len(rsps.calls) == 3


def test_connection_errors_exhausted(rsps: responses.RequestsMock,
                                     make_client: MakeClient) -> None:
    rsps.get(URL, body=requests.ConnectionError("reset by peer"))
    client = make_client(retry=RetryPolicy(max_attempts=2))
    with pytest.raises(TransientError, match="ConnectionError"):
        client.get("/items", operation="listItems")


def test_post_resent_only_if_it_provably_never_left(rsps: responses.RequestsMock,
                                                    make_client: MakeClient) -> None:
    refused = requests.ConnectionError(NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    rsps.post(URL, body=refused)
    rsps.post(URL, status=201)
    client = make_client()
    assert client.post("/items", operation="create").status_code == 201
    rsps.post(URL + "2", body=requests.ConnectionError("Connection aborted: RemoteDisconnected"))
    with pytest.raises(TransientError, match="not idempotent"):
        client.post("/items2", operation="create")


def test_never_sent() -> None:
    assert never_sent(requests.ConnectTimeout("connect timed out"))
    assert never_sent(requests.ConnectionError(
        NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    assert not never_sent(requests.ConnectionError("Connection aborted"))
    assert not never_sent(requests.ReadTimeout("read timed out"))


def test_each_request_has_its_own_retry_state(rsps: responses.RequestsMock,
                                              make_client: MakeClient) -> None:
    """Two failing requests each get the full number of attempts (no shared counter)."""
    rsps.get(URL, status=500)
    client = make_client(retry=RetryPolicy(max_attempts=3))
    for _ in range(2):
        with pytest.raises(TransientError):
            client.get("/items", operation="listItems")
    assert len(rsps.calls) == 6


def test_adapter_predicate_for_throttling_in_body(rsps: responses.RequestsMock,
                                                  make_client: MakeClient) -> None:
    """Meta reports throttling as HTTP 400 with error code 17 in the body."""
    rsps.get(URL, status=400, json={"error": {"code": 17, "message": "User request limit"}})
    rsps.get(URL, status=200, json={"data": []})
    table = ErrorTable().extend([
        Rule(Action.RATE_LIMITED, status=400, code="17", reason="Meta user request limit")])
    assert make_client(error_table=table).get("/items", operation="listItems").ok
    assert len(rsps.calls) == 2


def test_predicate_rule_on_a_200_body(rsps: responses.RequestsMock,
                                      make_client: MakeClient) -> None:
    rsps.get(URL, status=200, json={"status": "THROTTLED"})
    rsps.get(URL, status=200, json={"status": "OK"})
    table = ErrorTable().extend([Rule(Action.RETRY, status=200,
                                      when=lambda r: r.json().get("status") == "THROTTLED")])
    assert make_client(error_table=table).get("/items", operation="x").json() == {"status": "OK"}


def test_failure_is_not_retried(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, status=404, json={"errors": [{"code": "NotFound", "message": "no item"}]})
    with pytest.raises(ChannelError, match="HTTP 404 NotFound") as info:
        make_client().get("/items", operation="getItem")
    assert info.value.status == 404
    assert len(rsps.calls) == 1


def test_ok_statuses_are_returned(rsps: responses.RequestsMock, make_client: MakeClient) -> None:
    rsps.get(URL, status=404)
    assert make_client().get("/items", operation="getItem", ok_statuses=(404,)).status_code == 404


def test_backoff_is_capped_full_jitter() -> None:
    policy = RetryPolicy(base_delay=2.0, max_delay=30.0)
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in range(1, 12) for _ in range(50)]
    assert all(0.0 <= w <= 30.0 for w in waits)
    assert max(waits) > 20.0  # the cap is reached, not a fixed second
    assert len({round(w, 3) for w in waits}) > 100  # jittered
