"""Pushing only some parts (the orders fast path's quantity): the rest stays planned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import pytest

from feedsync.adapter import Action, Batch, Capability, Submission
from feedsync.sync.parts import merge_parts
from feedsync.sync.plan import build_plan
from feedsync.sync.runs import Outcome
from feedsync.testing import FAKE_SCHEMA, FakeAdapter
from tests.conftest import make_product
from tests.sync.conftest import SyncEnv, plan_actions

QUANTITY = frozenset({"quantity"})


class _Recorder(FakeAdapter):
    seen: ClassVar[list[Batch]] = []

    def submit(self, batch: Batch) -> Submission:
        _Recorder.seen.append(batch)
        return super().submit(batch)


class _FullReplace(_Recorder):
    """Like Google: no price/quantity path, every update replaces the whole item."""

    capabilities: ClassVar[Capability] = Capability.API_PUSH | Capability.DELETE


def _hashes(env: SyncEnv, sku: str) -> tuple[Any, ...]:
    return tuple(env.catalog.db.execute(
        "SELECT content_hash, price_hash, quantity_hash FROM listings WHERE channel = 'fake'"
        " AND sku = ?", [sku]).fetchone())


def _edit_and_sell(env: SyncEnv, sku: str, on_hand: int) -> None:
    """A content and price edit of ``sku`` plus an order that moved its stock."""
    env.catalog.upsert_products([make_product(sku, title="Renamed", price=Decimal("24.99"))])
    env.set_stock(sku, on_hand)


def test_merge_parts_takes_only_the_named_parts() -> None:
    old = {"id": "A", "title": "Old", "price": "1.00 USD", "quantity": "5", "brand": "X"}
    new = {"id": "A", "title": "New", "price": "2.00 USD", "quantity": "0",
           "availability": "out_of_stock"}
    merged = merge_parts(old, new, QUANTITY, FAKE_SCHEMA)
    assert merged == {"id": "A", "title": "Old", "price": "1.00 USD", "quantity": "0",
                      "availability": "out_of_stock", "brand": "X"}
    gone = merge_parts(old, {"id": "A", "title": "New", "price": "2.00 USD"}, QUANTITY,
                       FAKE_SCHEMA)
    assert "quantity" not in gone, "a quantity field the new record dropped is dropped"


def test_content_edit_and_sale_send_only_the_quantity(env: SyncEnv) -> None:
    env.adapter_cls = _Recorder
    env.add_many(4)
    assert env.push().outcome is Outcome.OK
    before = _hashes(env, "SKU-001")
    _edit_and_sell(env, "SKU-001", 0)

    _Recorder.seen = []
    result = env.push(skus=["SKU-001"], parts=QUANTITY, wait=0)
    assert result.outcome is Outcome.OK, result.message
    [batch] = _Recorder.seen
    [item] = batch.items
    assert item.action is Action.PRICE_QUANTITY
    assert item.payload["data"] == {"id": "SKU-001", "price": "19.99 USD", "quantity": "0",
                                    "availability": "out_of_stock"}, \
        "the price the channel already has, not the edited one"
    held = env.channel.items["SKU-001"]
    assert (held["title"], held["price"], held["quantity"]) == ("Product SKU-001",
                                                                "19.99 USD", "0")
    after = _hashes(env, "SKU-001")
    assert after[:2] == before[:2], "content and price hashes stay as they were"
    assert after[2] != before[2], "the quantity sent is recorded"
    assert result.details["plan"]["only_parts"] == ["quantity"]

    plan = env.plan()
    rows = {row.sku: row for row in plan.rows()}
    plan.close()
    assert set(rows) == {"SKU-001"}, "the edit is still planned by the next full plan"
    row = rows["SKU-001"]
    assert row.action is Action.UPDATE and row.parts == {"content", "price"}
    assert row.diff == {"title": ["Product SKU-001", "Renamed"],
                        "price": ["19.99 USD", "24.99 USD"]}
    assert env.push().outcome is Outcome.OK
    assert env.channel.items["SKU-001"]["title"] == "Renamed"
    assert env.channel.items["SKU-001"]["quantity"] == "0"
    assert plan_actions(env.plan()) == {}


def test_full_replace_channels_get_what_they_hold_with_the_new_quantity(
        env: SyncEnv) -> None:
    env.adapter_cls = _FullReplace
    env.add_many(3)
    env.push()
    _edit_and_sell(env, "SKU-002", 1)
    _Recorder.seen = []
    result = env.push(skus=["SKU-002"], parts=QUANTITY, wait=0)
    assert result.outcome is Outcome.OK, result.message
    [item] = _Recorder.seen[0].items
    assert item.action is Action.UPDATE
    data = item.payload["data"]
    assert (data["title"], data["price"], data["quantity"]) == ("Product SKU-002",
                                                                "19.99 USD", "1")
    assert plan_actions(env.plan(adapter_cls=_FullReplace)) == {"SKU-002": "update"}


def test_a_restricted_plan_leaves_creates_deletes_and_other_parts_alone(env: SyncEnv) -> None:
    env.add_many(3)
    env.push()
    env.add(make_product("NEW-1"))
    env.catalog.db.execute("DELETE FROM products WHERE sku = 'SKU-000'")
    env.catalog.upsert_products([make_product("SKU-001", price=Decimal("18.99"))])
    env.set_stock("SKU-002", 3)
    touched = ["NEW-1", "SKU-000", "SKU-001", "SKU-002"]
    only = build_plan(env.bind(), env.catalog, skus=touched, parts=QUANTITY)
    assert only.left_out == 3 and only.summary()["left_for_next_push"] == 3
    assert plan_actions(only) == {"SKU-002": "price_quantity"}
    assert plan_actions(env.plan()) == {"NEW-1": "create", "SKU-000": "delete",
                                        "SKU-001": "price_quantity",
                                        "SKU-002": "price_quantity"}


def test_parts_must_be_known(env: SyncEnv) -> None:
    with pytest.raises(ValueError, match="subset of content, price, quantity"):
        build_plan(env.bind(), env.catalog, skus=["X"], parts={"stock"})


def test_zero_share_is_over_the_channel_not_the_skus_pushed(env: SyncEnv) -> None:
    # 10 listed, 2 sold out: 20 % of the channel (under 30 %), 100 % of the SKUs pushed.
    skus = env.add_many(10)
    env.push()
    for sku in skus[:2]:
        env.set_stock(sku, 0)
    result = env.push(skus=skus[:2], parts=QUANTITY, wait=0)
    assert result.outcome is Outcome.OK, result.message
    assert result.details["plan"]["to_zero_quantity"] == 2
    assert result.details["plan"]["listed_before"] == 10
    assert [env.channel.items[s]["quantity"] for s in skus[:2]] == ["0", "0"]
    # ... and a sell-out of most of the channel is still refused, whatever the subset
    for sku in skus[2:6]:
        env.set_stock(sku, 0)
    refused = env.push(skus=skus[2:6], parts=QUANTITY, wait=0)
    assert refused.outcome is Outcome.REFUSED
    assert "4 of 10 listed items" in refused.message


def test_the_fast_path_is_exempt_from_the_zero_quantity_share_only(env: SyncEnv) -> None:
    skus = env.add_many(3)
    env.push()
    old_price = env.channel.items[skus[0]]["price"]
    env.set_stock(skus[0], 0)
    env.catalog.upsert_products([make_product(skus[0], price=Decimal("999.00"))])
    # 1 of 3 going to zero is 33 % > 30 %: a plain push of that SKU is refused ...
    refused = env.push(skus=skus[:1], parts=QUANTITY, wait=0)
    assert refused.outcome is Outcome.REFUSED and "1 of 3" in refused.message
    # ... the fast path's is not; the figures are still reported, with the exemption
    result = env.push(skus=skus[:1], parts=QUANTITY, wait=0, exempt_quantity_guardrails=True)
    assert result.outcome is Outcome.OK, result.message
    plan = result.details["plan"]
    assert (plan["to_zero_quantity"], plan["guardrail_violations"]) == (1, [])
    assert plan["guardrails_exempt"] == ["max_zero_quantity_share"]
    assert env.channel.items[skus[0]]["quantity"] == "0"
    # the price jump (far over max_price_change_pct) did not ride along, and is still guarded
    assert env.channel.items[skus[0]]["price"] == old_price and "999" not in old_price
    later = env.push()
    assert later.outcome is Outcome.REFUSED and "max_price_change_pct" in later.message


def test_the_exemption_needs_a_quantity_only_plan_of_given_skus(env: SyncEnv) -> None:
    env.add_many(2)
    for kw in ({"skus": None, "parts": QUANTITY}, {"skus": ["SKU-000"], "parts": None},
               {"skus": ["SKU-000"], "parts": frozenset({"quantity", "price"})}):
        with pytest.raises(ValueError, match="exempt_quantity_guardrails"):
            build_plan(env.bind(), env.catalog, exempt_quantity_guardrails=True, **kw)


def test_min_items_judges_only_plans_that_change_the_item_count(env: SyncEnv) -> None:
    env.configure("[channels.fake.guardrails]\nmin_items = 5\nmax_zero_quantity_share = 0.5\n")
    env.add_many(3)
    assert env.push().outcome is Outcome.REFUSED, "3 creates would leave 3 < 5 listed"
    assert env.push(force=True).outcome is Outcome.OK
    env.set_stock("SKU-001", 0)
    result = env.push(skus=["SKU-001"], parts=QUANTITY, wait=0)
    assert result.outcome is Outcome.OK, result.message
    assert env.channel.items["SKU-001"]["quantity"] == "0"
    env.add(make_product("SKU-NEW"))
    refused = env.push()
    assert refused.outcome is Outcome.REFUSED and "min_items" in refused.message
