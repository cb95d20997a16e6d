"""Batches: by item count, by bytes, apart by batch key; an oversized item is refused per SKU."""

from __future__ import annotations

import pytest

from feedsync.adapter import Action, Limits, RenderedItem
from feedsync.sync.batching import Batcher, ItemTooLarge
from feedsync.testing import FakeAdapter
from tests.conftest import make_product
from tests.sync.conftest import SyncEnv


def _item(sku: str, size: int, action: Action = Action.CREATE) -> RenderedItem:
    return RenderedItem(sku=sku, action=action, payload={}, size=size)


def _run(batcher: Batcher[str], items: list[RenderedItem]) -> list[list[str]]:
    out = []
    for item in items:
        out.extend(b.batch.skus for b in batcher.add(item, item.sku))
    out.extend(b.batch.skus for b in batcher.flush())
    return out


def test_batches_close_at_the_item_limit() -> None:
    batches = _run(Batcher("x", Limits(3)), [_item(f"S{i}", 10) for i in range(7)])
    assert batches == [["S0", "S1", "S2"], ["S3", "S4", "S5"], ["S6"]]


def test_batches_close_before_the_byte_limit() -> None:
    items = [_item("A", 40), _item("B", 40), _item("C", 30), _item("D", 100), _item("E", 1)]
    assert _run(Batcher("x", Limits(100, 100)), items) == [["A", "B"], ["C"], ["D"], ["E"]]


def test_items_with_different_keys_never_share_a_batch() -> None:
    batcher: Batcher[str] = Batcher("x", Limits(10), key=lambda item: item.action.value)
    items = [_item("A", 1), _item("B", 1, Action.DELETE), _item("C", 1)]
    assert sorted(_run(batcher, items)) == [["A", "C"], ["B"]]


def test_an_item_larger_than_a_whole_batch_is_refused() -> None:
    with pytest.raises(ItemTooLarge, match="S1: rendered item is 101 bytes"):
        Batcher("x", Limits(10, 100)).add(_item("S1", 101), "S1")
    with pytest.raises(ValueError):
        Batcher("x", Limits(0))


def test_push_uses_the_minimum_number_of_calls(env: SyncEnv) -> None:
    env.adapter_cls = FakeAdapter.with_limits(4)
    env.add_many(10)
    result = env.push()
    assert [len(b.items) for b in env.channel.batches] == [4, 4, 2]
    assert result.counts["batches"] == 3 and env.channel.submit_calls == 3


def test_push_splits_by_bytes(env: SyncEnv) -> None:
    env.add_many(6)
    sizes = []
    probe = env.bind().adapter()
    plan = env.plan()
    for row in plan.rows():
        sizes.append(probe.render_item(row.change("fake")).size)
    plan.close()
    env.adapter_cls = FakeAdapter.with_limits(100, max(sizes) * 2 + 1)
    env.push()
    assert [len(b.items) for b in env.channel.batches] == [2, 2, 2]
    for batch in env.channel.batches:
        assert sum(i.size for i in batch.items) <= max(sizes) * 2 + 1


def test_an_oversized_sku_is_reported_and_the_rest_go_out(env: SyncEnv) -> None:
    env.add(make_product("BIG", description="x" * 3000), make_product("SMALL"))
    env.adapter_cls = FakeAdapter.with_limits(100, 2000)
    result = env.push()
    assert result.outcome.value == "partial"
    assert env.listing("SMALL")["status"] == "live"
    big = env.listing("BIG")
    assert big["status"] == "rejected" and big["issues"][0]["code"] == "item_too_large"
    assert result.details["rejected"][0]["sku"] == "BIG"
    again = env.push()
    assert again.counts["not_sent"] == 1, "retried (and reported) by every run"
