"""Draining the fast-path queue: what settles, what stays, batching, failures per channel."""

from __future__ import annotations

from collections.abc import Sequence

from feedsync.catalog import Catalog
from feedsync.db import open_database
from feedsync.errors import ChannelError, GuardrailError, TransientError
from feedsync.orders.fastpath import QuantityPushResult, drain_outbox, queued, queued_skus
from feedsync.orders.store import OrderStore


def store_with(queue: dict[str, list[str]]) -> OrderStore:
    store = OrderStore(Catalog(open_database(":memory:")).db)
    for channel, skus in queue.items():
        store.enqueue([channel], skus)
    return store


def test_settled_skus_leave_the_queue_and_retries_stay() -> None:
    store = store_with({"ebay": ["A", "B", "C", "D", "E"]})
    calls: list[list[str]] = []

    def pusher(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        calls.append(list(skus))
        return QuantityPushResult(done=[s for s in skus if s in "AE"],
                                  failed={"B": "rejected: bad price"} if "B" in skus else {},
                                  retry={"C": "throttled"} if "C" in skus else {},
                                  not_listed=["D"] if "D" in skus else [])

    report = drain_outbox(store.db, pusher, batch=2)
    assert calls == [["A", "B"], ["C", "D"], ["E"]]
    outcome = report.channels[0]
    assert (outcome.pushed, outcome.not_listed) == (2, 1)
    assert outcome.failed == {"B": "rejected: bad price"}
    assert outcome.retry == {"C": "throttled"}
    assert not report.ok
    assert queued_skus(store.db, "ebay") == ["C"]
    row = store.db.execute("SELECT attempts, last_error FROM stock_outbox").fetchone()
    assert tuple(row) == (1, "throttled")


def test_a_failing_channel_keeps_its_queue_and_the_others_go_on() -> None:
    store = store_with({"ebay": ["A", "B"], "etsy": ["A"], "walmart": ["A"]})
    errors = {"ebay": TransientError("503 from ebay"), "walmart": GuardrailError("refused")}

    def pusher(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        if channel in errors:
            raise errors[channel]
        return QuantityPushResult(done=list(skus))

    report = drain_outbox(store.db, pusher)
    by = {c.channel: c for c in report.channels}
    assert by["ebay"].transient and by["ebay"].error == "503 from ebay"
    assert by["walmart"].exit_code == 5
    assert by["etsy"].pushed == 1
    assert queued(store.db) == {"ebay": 2, "walmart": 1}


def test_an_unexpected_exception_is_reported_not_raised() -> None:
    store = store_with({"ebay": ["A"]})

    def pusher(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        raise KeyError("boom")

    report = drain_outbox(store.db, pusher)
    assert report.channels[0].error == "KeyError: 'boom'"
    assert report.channels[0].exit_code == 1
    assert queued(store.db) == {"ebay": 1}


def test_channel_error_stops_that_channel() -> None:
    store = store_with({"ebay": ["A", "B", "C"]})
    seen: list[str] = []

    def pusher(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        seen.extend(skus)
        raise ChannelError("no", channel=channel)

    drain_outbox(store.db, pusher, batch=1)
    assert seen == ["A"]  # stopped after the first failing batch
    assert queued(store.db) == {"ebay": 3}
