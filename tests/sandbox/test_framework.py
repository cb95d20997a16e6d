"""The sandbox framework, driven through the toy marketplace of docs/sandbox.md
(feedsync/sandbox/example.py) over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from feedsync.sandbox import (
    Marketplace,
    Request,
    Response,
    load_marketplace,
    parse_fault,
    route,
    running_sandbox,
)
from feedsync.sandbox.app import SandboxApp
from feedsync.sandbox.buyers import BuyerError, place_orders, race_last_unit
from feedsync.sandbox.example import CLIENT_ID, CLIENT_SECRET, ExampleMarket
from feedsync.sandbox.faults import FaultSpecError
from feedsync.sandbox.registry import ModuleError, check_module, load_all
from feedsync.sandbox.server import NotLoopback, RunningSandbox, SandboxServer, build_app


def _markets() -> dict[str, Marketplace]:
    return {"example": ExampleMarket()}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path / "sandbox.db", markets=_markets()) as running:
        yield running
        assert running.app.internal_errors == []


def _token(sandbox: RunningSandbox) -> str:
    reply = requests.post(sandbox.url("example") + "/oauth/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _put(sandbox: RunningSandbox, token: str, sku: str, **item: object) -> requests.Response:
    body = {"title": "Mug", "price": "9.50", "quantity": 3, **item}
    return requests.put(f"{sandbox.url('example')}/items/{sku}", json=body, timeout=5,
                        headers={"Authorization": f"Bearer {token}"})


def test_binds_loopback_only(tmp_path: Path) -> None:
    app = build_app(tmp_path / "s.db", markets=_markets())
    for host in ("0.0.0.0", "192.168.1.10", "localhost", "::"):
        with pytest.raises(NotLoopback, match=r"127\.0\.0\.1 only"):
            SandboxServer(app, host=host)
    app.store.close()


def test_token_endpoint_and_protected_routes(sandbox: RunningSandbox) -> None:
    base = sandbox.url("example")
    refused = requests.post(base + "/oauth/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "invalid_client"
    anonymous = requests.get(base + "/items/A", timeout=5)
    assert anonymous.status_code == 401
    assert "missing" in anonymous.json()["errors"][0]["message"]
    forged = requests.get(base + "/items/A", timeout=5, headers={"Authorization": "Bearer x"})
    assert forged.status_code == 401
    token = _token(sandbox)
    assert _put(sandbox, token, "A").status_code == 200
    got = requests.get(base + "/items/A", timeout=5, headers={"Authorization": f"Bearer {token}"})
    assert got.json() == {"sku": "A", "title": "Mug", "price": "9.50", "quantity": 3}


def test_marketplace_rules_refuse_bad_listings_in_its_shape(sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    long_title = _put(sandbox, token, "A", title="x" * 151)
    assert long_title.status_code == 400
    assert long_title.json()["errors"][0] == {
        "code": "INVALID_VALUE", "message": "title longer than 150", "field": "title"}
    assert _put(sandbox, token, "A", quantity=-1).json()["errors"][0]["field"] == "quantity"
    not_json = requests.put(sandbox.url("example") + "/items/A", data=b"{", timeout=5,
                            headers={"Authorization": f"Bearer {token}"})
    assert not_json.status_code == 400
    unknown = requests.get(sandbox.url("example") + "/nowhere", timeout=5)
    assert unknown.status_code == 404 and "errors" in unknown.json()
    assert requests.get(sandbox.url("ebay") + "/x", timeout=5).status_code == 404


def test_feeds_are_processed_after_a_few_polls(sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    auth = {"Authorization": f"Bearer {token}"}
    base = sandbox.url("example")
    created = requests.post(base + "/feeds", timeout=5, headers=auth, json={"items": [
        {"sku": "A", "title": "Mug", "price": "5", "quantity": 2},
        {"sku": "B", "title": "", "price": "5", "quantity": 2}]})
    assert created.status_code == 202
    feed = base + f"/feeds/{created.json()['feedId']}"
    assert requests.get(base + "/items/A", timeout=5, headers=auth).status_code == 404
    first = requests.get(feed, timeout=5, headers=auth).json()
    assert first["status"] == "IN_PROGRESS" and first["results"] is None
    done = requests.get(feed, timeout=5, headers=auth).json()
    assert done["status"] == "DONE"
    assert [r["status"] for r in done["results"]] == ["SUCCESS", "ERROR"]
    assert requests.get(feed, timeout=5, headers=auth).json() == done  # processed once
    assert requests.get(base + "/items/A", timeout=5, headers=auth).json()["quantity"] == 2
    too_big = requests.post(base + "/feeds", timeout=5, headers=auth,
                            json={"items": [{"sku": str(i)} for i in range(101)]})
    assert too_big.status_code == 400


def test_rate_limit_answers_429_with_the_marketplaces_headers(sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    statuses = [_put(sandbox, token, f"S{i}") for i in range(14)]
    assert statuses[0].headers["X-RateLimit-Limit"] == "5"
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "a burst of 10 then 5/s must refuse some of 14 immediate calls"
    assert limited[0].json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    assert int(limited[0].headers["Retry-After"]) >= 1


def test_tokens_expire_on_the_sandbox_clock(sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    assert _put(sandbox, token, "A").status_code == 200
    sandbox.admin("clock", {"advance": 901})
    expired = _put(sandbox, token, "A")
    assert expired.status_code == 401 and "expired" in expired.json()["errors"][0]["message"]
    assert _put(sandbox, _token(sandbox), "A").status_code == 200


def test_injected_faults(sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    base = sandbox.url("example")
    auth = {"Authorization": f"Bearer {token}"}
    sandbox.admin("faults", {"rules": ["example.putItem:lost:1"]})
    with pytest.raises(requests.ConnectionError):
        _put(sandbox, token, "LOST")
    sandbox.admin("faults", {"rules": ["example.putItem:drop:1"]})
    with pytest.raises(requests.ConnectionError):
        _put(sandbox, token, "DROPPED")
    sandbox.admin("faults", {"rules": []})
    assert requests.get(base + "/items/LOST", timeout=5, headers=auth).status_code == 200
    assert requests.get(base + "/items/DROPPED", timeout=5, headers=auth).status_code == 404
    sandbox.admin("faults", {"rules": ["*:5xx:1"]})
    assert _put(sandbox, token, "A").status_code == 503
    assert _token(sandbox)  # "*" never faults the token endpoint
    sandbox.admin("faults", {"rules": ["example:429:1"]})
    assert _put(sandbox, token, "A").status_code == 429
    sandbox.admin("faults", {"rules": ["example.putItem:revoke:1"]})
    assert _put(sandbox, token, "A").status_code == 401
    sandbox.admin("faults", {"rules": []})
    assert _put(sandbox, token, "A").status_code == 401  # stays revoked
    assert _put(sandbox, _token(sandbox), "A").status_code == 200
    stats = sandbox.admin("stats")
    assert stats["calls"]["example"]["putItem"]["lost"] == 1
    assert stats["faults_injected"]["revoke"] == 1


def test_fault_draws_are_seeded(tmp_path: Path) -> None:
    def pattern(seed: int) -> list[int]:
        with running_sandbox(tmp_path / f"s{seed}.db", markets=_markets(), seed=seed,
                             faults=[parse_fault("example.putItem:5xx:0.5")]) as sandbox:
            token = _token(sandbox)
            return [_put(sandbox, token, "A", quantity=1).status_code for _ in range(9)]

    assert pattern(3) == pattern(3)
    assert set(pattern(3)) == {200, 503}


def test_fault_specs_are_checked() -> None:
    assert parse_fault("amazon.createFeed:slow:0.1:3").spec() == "amazon.createFeed:slow:0.1:3"
    for bad in ("amazon:429", "amazon:teapot:0.1", "amazon:429:2", ":429:0.1", "a:429:x"):
        with pytest.raises(FaultSpecError, match="fault"):
            parse_fault(bad)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "keep.db"
    with running_sandbox(state, markets=_markets()) as first:
        token = _token(first)
        assert _put(first, token, "KEEP").status_code == 200
    with running_sandbox(state, markets=_markets()) as second:
        got = requests.get(second.url("example") + "/items/KEEP", timeout=5,
                           headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200  # the token too: it has not expired


def test_buyers_place_multi_line_orders_within_listed_quantities(
        sandbox: RunningSandbox) -> None:
    token = _token(sandbox)
    for sku in ("A", "B", "C"):
        _put(sandbox, token, sku, quantity=2)
    placed = place_orders(sandbox.app, "example", 10, seed=4, multi_line_share=1.0,
                          cancel_share=0.5)
    assert placed.units == 6 and placed.lines > len(placed.orders)  # all stock, multi-line
    assert placed.cancelled
    orders = requests.get(sandbox.url("example") + "/orders", timeout=5,
                          headers={"Authorization": f"Bearer {token}"}).json()["orders"]
    assert {o["id"] for o in orders} == set(placed.orders)
    assert {o["id"] for o in orders if o["status"] == "CANCELLED"} == set(placed.cancelled)
    with pytest.raises(BuyerError, match="not emulated"):
        place_orders(sandbox.app, "ebay", 1)


def test_last_unit_race_needs_two_selling_channels(sandbox: RunningSandbox) -> None:
    with pytest.raises(BuyerError, match="not emulated"):
        race_last_unit(sandbox.app, ("example", "amazon"))


def test_registry_treats_a_missing_module_as_not_emulated() -> None:
    assert load_marketplace("nosuchmarket") is None
    assert "nosuchmarket" not in load_all(["nosuchmarket"])
    assert isinstance(load_marketplace("example"), ExampleMarket)


def test_registry_refuses_modules_that_break_the_rules() -> None:
    class Sloppy(Marketplace):
        name = "sloppy"
        schema = "CREATE TABLE IF NOT EXISTS listings (sku TEXT)"

        @route("GET", "/x", operation="x")
        def x(self, ctx: object, request: Request) -> Response:
            return Response.empty()

    with pytest.raises(ModuleError, match="prefixed sloppy_"):
        check_module(Sloppy(), "sloppy")
    with pytest.raises(ModuleError, match="declares name"):
        check_module(Sloppy(), "other")


def test_a_handler_bug_is_a_500_and_recorded(tmp_path: Path) -> None:
    class Buggy(Marketplace):
        name = "buggy"

        @route("GET", "/boom", operation="boom", auth=False)
        def boom(self, ctx: object, request: Request) -> Response:
            raise RuntimeError("bug")

    with running_sandbox(tmp_path / "b.db", markets={"buggy": Buggy()}) as sandbox:
        assert requests.get(sandbox.url("buggy") + "/boom", timeout=5).status_code == 500
        app: SandboxApp = sandbox.app
        assert app.internal_errors == ["buggy boom: RuntimeError: bug"]


@pytest.mark.parametrize("channel", ["amazon", "google", "facebook"])
def test_the_built_in_marketplace_modules_load_and_keep_the_rules(channel: str) -> None:
    market = load_marketplace(channel)
    assert market is not None and market.name == channel
    check_module(market, channel)


def test_logs_never_carry_query_strings_headers_or_bodies(
        sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="feedsync.sandbox")
    requests.get(sandbox.url("example") + "/items/A?access_token=s3cr3t-token", timeout=5,
                 headers={"Authorization": "Bearer s3cr3t-header"})
    requests.post(sandbox.url("example") + "/oauth/token", timeout=5,
                  data={"client_secret": "s3cr3t-body"})
    assert "/example/items/A" in caplog.text
    assert "s3cr3t" not in caplog.text
