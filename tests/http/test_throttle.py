"""Token buckets, learned rates, persisted state across runs, and daily budgets."""

from __future__ import annotations

import itertools

import pytest
import responses
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.errors import BudgetExhausted, TransientError
from feedsync.http import (
    DEFAULT_HINT_HOOKS,
    NO_RETRY,
    FakeClock,
    MemoryStateStore,
    OperationLimit,
    SqliteStateStore,
    TokenBucket,
    rate_header_hint,
)
from feedsync.http.store import BucketKey

from .conftest import BASE, MakeClient

URL = BASE + "/orders"
SEARCH_ORDERS = OperationLimit("searchOrders", rate_per_second=0.0056, burst=20)


def send_times(limit: OperationLimit, gaps: list[float], store: object | None = None,
               clock: FakeClock | None = None) -> list[float]:
    """Acquire one token per gap (the caller idles ``gap`` seconds first); when each was sent."""
    clock = clock or FakeClock()
    bucket = TokenBucket(BucketKey("c", "a", limit.operation), limit,
                         store or MemoryStateStore(), clock)  # type: ignore[arg-type]
    times = []
    for gap in gaps:
        clock.advance(gap)
        clock.sleep(bucket.reserve())
        times.append(clock.time())
    return times


def assert_within_rate(times: list[float], limit: OperationLimit) -> None:
    """In every window [t_i, t_j], at most burst + rate * (t_j - t_i) requests were sent."""
    for i in range(len(times)):
        for j in range(i, len(times)):
            # one microsecond of slack: epoch-sized floats carry ~0.2 µs of rounding
            allowed = limit.burst + limit.rate_per_second * (times[j] - times[i] + 1e-6)
            assert j - i + 1 <= allowed + 1e-9, (i, j, times[i], times[j])


@settings(max_examples=150, deadline=None)
@given(
    rate=st.floats(min_value=0.001, max_value=50.0),
    burst=st.integers(min_value=1, max_value=25),
    gaps=st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=60),
)
def test_bucket_never_exceeds_its_rate(rate: float, burst: int, gaps: list[float]) -> None:
    limit = OperationLimit("op", rate_per_second=rate, burst=burst)
    times = send_times(limit, gaps)
    assert times == sorted(times)
    assert_within_rate(times, limit)


def test_bucket_sustains_its_rate_not_less() -> None:
    """After the burst, requests go exactly at the documented rate (no extra slowness)."""
    times = send_times(SEARCH_ORDERS, [0.0] * 30)
    assert times[19] == times[0]  # burst of 20 at once
    spacing = [b - a for a, b in itertools.pairwise(times[19:])]
    assert all(s == pytest.approx(1 / 0.0056) for s in spacing)


def test_bucket_state_persists_across_runs(sqlite_store: SqliteStateStore,
                                           rsps: responses.RequestsMock, clock: FakeClock,
                                           make_client: MakeClient) -> None:
    """A cron run right after another does not get a fresh burst of 20."""
    rsps.get(URL, json={})
    first = make_client(limits=[SEARCH_ORDERS], state_store=sqlite_store)
    for _ in range(20):
        first.get("/orders", operation="searchOrders")
    assert clock.sleeps == []
    clock.advance(60)  # the next cron run, one minute later, new client instance
    second = make_client(limits=[SEARCH_ORDERS], state_store=sqlite_store)
    second.get("/orders", operation="searchOrders")
    # 60 s refilled 0.336 tokens; the rest of one token takes (1 - 0.336) / 0.0056 s
    assert clock.sleeps == [pytest.approx((1 - 60 * 0.0056) / 0.0056)]


def test_bucket_state_is_in_the_database(db: sqlite_utils.Database,
                                         sqlite_store: SqliteStateStore, clock: FakeClock) -> None:
    bucket = TokenBucket(BucketKey("amazon", "eu", "searchOrders"), SEARCH_ORDERS,
                         sqlite_store, clock)
    bucket.reserve()
    [row] = list(db["http_buckets"].rows)
    assert (row["channel"], row["account"], row["operation"]) == ("amazon", "eu", "searchOrders")
    assert row["tokens"] == pytest.approx(19.0)


def test_rate_learned_from_a_declared_rate_header(rsps: responses.RequestsMock,
                                                  clock: FakeClock,
                                                  make_client: MakeClient) -> None:
    rsps.get(URL, json={}, headers={"x-amzn-RateLimit-Limit": "0.5"})
    limit = OperationLimit("getOrder", rate_per_second=0.0167, burst=1)
    hooks = (*DEFAULT_HINT_HOOKS, rate_header_hint("x-amzn-RateLimit-Limit"))
    client = make_client(limits=[limit], hint_hooks=hooks)
    client.get("/orders", operation="getOrder")
    client.get("/orders", operation="getOrder")
    assert clock.sleeps == [pytest.approx(2.0)]  # 1 / 0.5, not 1 / 0.0167
    bucket = client.throttle.bucket("getOrder")
    assert bucket is not None and bucket.rate == 0.5


def test_channel_rate_headers_are_not_read_by_default(rsps: responses.RequestsMock,
                                                      make_client: MakeClient) -> None:
    """A channel's own header (Amazon's) is read only where that channel declares the hook."""
    rsps.get(URL, json={}, headers={"x-amzn-RateLimit-Limit": "0.5"})
    limit = OperationLimit("getOrder", rate_per_second=0.0167, burst=1)
    client = make_client(limits=[limit])
    client.get("/orders", operation="getOrder")
    bucket = client.throttle.bucket("getOrder")
    assert bucket is not None and bucket.rate == 0.0167


def test_retry_after_holds_back_the_operation(rsps: responses.RequestsMock, clock: FakeClock,
                                              make_client: MakeClient) -> None:
    rsps.get(URL, status=429, headers={"Retry-After": "30"})
    rsps.get(URL, json={})
    limit = OperationLimit("op", rate_per_second=10, burst=10)
    client = make_client(limits=[limit])
    client.get("/orders", operation="op")
    assert clock.sleeps == [30.0]  # waited once, not Retry-After plus a bucket wait


def test_ratelimit_reset_header_blocks_bucket(rsps: responses.RequestsMock, clock: FakeClock,
                                              make_client: MakeClient) -> None:
    rsps.get(URL, json={}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "45"})
    limit = OperationLimit("op", rate_per_second=10, burst=10)
    client = make_client(limits=[limit])
    client.get("/orders", operation="op")
    client.get("/orders", operation="op")
    assert clock.sleeps == [pytest.approx(45.0)]


def test_429_without_hint_empties_bucket(rsps: responses.RequestsMock, clock: FakeClock,
                                         make_client: MakeClient) -> None:
    rsps.get(URL, status=429)
    rsps.get(URL, json={})
    limit = OperationLimit("op", rate_per_second=0.5, burst=5)
    make_client(limits=[limit]).get("/orders", operation="op")
    # back-off wait, then the bucket (emptied by the 429) needs its next token: 2 s in total
    assert sum(clock.sleeps) >= 2.0 - 1e-9


def test_long_wait_is_deferred_not_slept(rsps: responses.RequestsMock, clock: FakeClock,
                                         make_client: MakeClient) -> None:
    rsps.get(URL, json={})
    limit = OperationLimit("createFeed", rate_per_second=1 / 300, burst=1)
    client = make_client(limits=[limit], max_throttle_wait=60)
    client.get("/orders", operation="createFeed")
    with pytest.raises(BudgetExhausted, match="deferred to the next run"):
        client.get("/orders", operation="createFeed")
    assert clock.sleeps == [] and len(rsps.calls) == 1
    [deferral] = client.deferred()
    assert deferral.operation == "createFeed" and "300 s wait" in deferral.reason


def test_daily_budget_exhaustion_defers_cleanly(rsps: responses.RequestsMock, clock: FakeClock,
                                                make_client: MakeClient,
                                                sqlite_store: SqliteStateStore) -> None:
    """Etsy: 10,000 calls a day for the whole app (scaled down to 5 here)."""
    rsps.get(URL, json={})
    etsy = [OperationLimit("*", rate_per_second=10, burst=10, daily_budget=5)]
    client = make_client(limits=etsy, state_store=sqlite_store)
    for op in ("getListing", "getListing", "updateListing", "getShop", "getShop"):
        client.get("/orders", operation=op)
    assert client.budget_remaining("getListing") == 0
    deferred = 0
    for _ in range(3):
        try:
            client.get("/orders", operation="updateListing")
        except BudgetExhausted:
            deferred += 1
    assert deferred == 3 and len(rsps.calls) == 5  # no HTTP once the budget is gone
    report = [d.describe() for d in client.deferred()]
    assert len(report) == 3
    assert report[0].startswith("acme[default]: 1 call(s) to updateListing deferred to the "
                                "next run: daily budget of 5 call(s) per 24 h is used")
    assert "capacity frees up at" in report[0]
    # A new run the same day (new client, same database) is still out of budget ...
    clock.advance(3600)
    later = make_client(limits=etsy, state_store=sqlite_store)
    assert later.budget_remaining("getShop") == 0
    # ... and the budget comes back once the calls have left the rolling window.
    clock.advance(24 * 3600)
    assert later.budget_remaining("getShop") == 5
    later.get("/orders", operation="getShop")
    assert len(rsps.calls) == 6


def test_per_key_budget_google_two_updates_per_product(clock: FakeClock,
                                                       make_client: MakeClient,
                                                       sqlite_store: SqliteStateStore) -> None:
    google = [OperationLimit("productInputs.insert", rate_per_second=5, burst=5,
                             per_key_daily_budget=2)]
    client = make_client(limits=google, state_store=sqlite_store)
    budget = client.key_budget("productInputs.insert")
    assert budget.try_consume("SKU-1") and budget.try_consume("SKU-1")
    assert not budget.try_consume("SKU-1")
    assert budget.try_consume_many(["SKU-1", "SKU-2", "SKU-3", "SKU-2"]) == [
        "SKU-2", "SKU-3", "SKU-2"]
    assert budget.remaining("SKU-2") == 0 and budget.remaining("SKU-3") == 1
    deferred = client.deferred()
    assert [(d.key, d.operation) for d in deferred] == [
        ("SKU-1", "productInputs.insert#per-key"), ("SKU-1", "productInputs.insert#per-key")]
    assert "for SKU-1 deferred to the next run" in deferred[0].describe()
    clock.advance(25 * 3600)
    assert budget.try_consume("SKU-1")
    with pytest.raises(KeyError, match="per_key_daily_budget"):
        client.key_budget("other")


def test_rolling_window_is_conservative(clock: FakeClock, make_client: MakeClient) -> None:
    """A call is counted for at least 24 h (up to 25 h: whole hourly slots)."""
    limits = [OperationLimit("op", rate_per_second=100, burst=100, daily_budget=1)]
    client = make_client(limits=limits)
    budget = client.throttle.budget("op")
    assert budget is not None
    clock.advance(3599 - clock.time() % 3600)  # one second before an hour boundary
    assert budget.try_consume("op")
    clock.advance(86_400)  # exactly 24 h after the call: still counted
    assert budget.remaining("op") == 0
    clock.advance(1)
    assert budget.remaining("op") == 1
    assert budget.try_consume("op")  # a call at the very start of an hour ...
    clock.advance(86_400 + 3599)  # ... counts for the whole of its slot: 25 h
    assert budget.remaining("op") == 0
    clock.advance(1)
    assert budget.remaining("op") == 1


def test_old_usage_is_pruned(db: sqlite_utils.Database, sqlite_store: SqliteStateStore,
                             clock: FakeClock, make_client: MakeClient) -> None:
    limits = [OperationLimit("op", rate_per_second=1, burst=1, per_key_daily_budget=2)]
    client = make_client(limits=limits, state_store=sqlite_store)
    client.key_budget("op").try_consume_many([f"SKU-{i}" for i in range(50)])
    assert db["http_budget_usage"].count == 50
    clock.advance(3 * 86400)
    make_client(limits=limits, state_store=sqlite_store)  # a later run prunes on start
    assert db["http_budget_usage"].count == 0


def test_operation_limit_validation() -> None:
    with pytest.raises(ValueError, match="rate_per_second"):
        OperationLimit("x", rate_per_second=0)
    with pytest.raises(ValueError, match="burst"):
        OperationLimit("x", rate_per_second=1, burst=0)
    with pytest.raises(ValueError, match="daily_budget"):
        OperationLimit("x", rate_per_second=1, daily_budget=0)
    assert SEARCH_ORDERS.refill_seconds == pytest.approx(20 / 0.0056)


def test_duplicate_limits_refused(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="two OperationLimit"):
        make_client(limits=[OperationLimit("a", 1), OperationLimit("a", 2)])


def test_client_sends_within_both_operation_and_account_limits(
        rsps: responses.RequestsMock, clock: FakeClock, make_client: MakeClient) -> None:
    """End to end: the times the mocked server sees respect every declared bucket."""
    seen: list[float] = []

    def server(request: object) -> tuple[int, dict[str, str], str]:
        seen.append(clock.time())
        return 200, {}, "{}"

    rsps.add_callback(responses.GET, URL, callback=server)
    account = OperationLimit("*", rate_per_second=2, burst=4)
    operation = OperationLimit("getListing", rate_per_second=5, burst=10)
    client = make_client(limits=[account, operation])
    for _ in range(25):
        client.get("/orders", operation="getListing")
    assert len(seen) == 25
    assert_within_rate(seen, account)  # the stricter account-wide bucket governs
    assert seen[-1] - seen[0] == pytest.approx((25 - 4) / 2)


def test_retry_after_for_an_undeclared_operation_holds_the_account_bucket(
        rsps: responses.RequestsMock, clock: FakeClock, make_client: MakeClient) -> None:
    rsps.get(URL, status=429, headers={"Retry-After": "20"})
    rsps.get(URL, json={})
    rsps.get(BASE + "/shops", json={})
    client = make_client(limits=[OperationLimit("*", rate_per_second=10, burst=10)])
    with pytest.raises(TransientError):
        client.get("/orders", operation="getShopReceipts", retry=NO_RETRY)
    client.get("/shops", operation="getShop")  # another operation waits out the Retry-After
    assert clock.sleeps == [pytest.approx(20.0)]
