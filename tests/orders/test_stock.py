"""The reservation ledger: targets, idempotent deltas, locations, clamping, and properties."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsync.catalog import Catalog
from feedsync.db import open_database
from feedsync.models import InventoryLevel, Order, OrderLine, OrderStatus
from feedsync.orders.stock import LineKey, LineTarget, StockLedger, line_target
from feedsync.orders.store import OrderStore, write_transaction
from tests.conftest import make_product

S = OrderStatus
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def fresh(stock: dict[str, dict[str, int]], reserve_location: str | None = None
          ) -> tuple[Catalog, OrderStore]:
    catalog = Catalog(open_database(":memory:"))
    catalog.upsert_products(make_product(sku) for sku in stock)
    catalog.set_inventory(InventoryLevel(sku, loc, n) for sku, per in stock.items()
                          for loc, n in per.items())
    return catalog, OrderStore(catalog.db, reserve_location=reserve_location)


def inv(catalog: Catalog, sku: str) -> dict[str, tuple[int, int]]:
    return {lv.location: (lv.on_hand, lv.reserved) for lv in catalog.inventory(sku)}


def one(order_id: str, status: OrderStatus, lines: list[tuple[str, str | None, int, int]],
        minute: int = 0, fulfilment: str = "merchant") -> Order:
    return Order(channel="x", account="a", order_id=order_id, status=status,
                 created_at=T0, updated_at=T0 + timedelta(minutes=minute),
                 fulfillment_channel=fulfilment,
                 lines=[OrderLine(lid, sku, q, shipped) for lid, sku, q, shipped in lines])


@pytest.mark.parametrize(("status", "quantity", "shipped", "expected"), [
    (S.PENDING, 3, 0, (3, 0)),
    (S.UNSHIPPED, 3, 0, (3, 0)),
    (S.PARTIALLY_SHIPPED, 3, 1, (2, 1)),
    (S.SHIPPED, 3, 0, (0, 3)),  # shipped means all of it, whatever the count says
    (S.CANCELLED, 3, 0, (0, 0)),
    (S.CANCELLED, 3, 2, (0, 2)),  # what left the warehouse stays gone
    (S.REFUNDED, 3, 3, (0, 3)),
    (S.UNSHIPPED, 3, 7, (0, 3)),  # shipped is clamped to the quantity
    (S.UNSHIPPED, 0, 0, (0, 0)),
])
def test_line_target_table(status: OrderStatus, quantity: int, shipped: int,
                           expected: tuple[int, int]) -> None:
    assert line_target(status, quantity, shipped) == LineTarget(*expected)


def test_marketplace_fulfilled_lines_hold_no_local_stock() -> None:
    assert line_target(S.UNSHIPPED, 4, 0, local_stock=False) == LineTarget()
    catalog, store = fresh({"A": {"default": 5}})
    store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "A", 2, 0)],
                                       fulfilment="marketplace")])
    assert inv(catalog, "A") == {"default": (5, 0)}


def test_reserve_ship_cancel_and_idempotent_replays() -> None:
    catalog, store = fresh({"A": {"default": 5}})
    versions = [
        one("1", S.UNSHIPPED, [("1", "A", 3, 0)], 0),
        one("1", S.PARTIALLY_SHIPPED, [("1", "A", 3, 1)], 1),
        one("1", S.SHIPPED, [("1", "A", 3, 3)], 2),
    ]
    expected = [(5, 3), (4, 2), (2, 0)]
    for version, want in zip(versions, expected, strict=True):
        for _ in range(2):  # every version twice: the second is a no-op
            store.upsert_orders("x", "a", [version])
            assert inv(catalog, "A") == {"default": want}
    # replaying the whole history (older versions) changes nothing
    result = store.upsert_orders("x", "a", versions)
    assert (result.stale, result.unchanged) == (2, 1)
    assert inv(catalog, "A") == {"default": (2, 0)}

    store.upsert_orders("x", "a", [one("2", S.UNSHIPPED, [("1", "A", 2, 0)], 3)])
    assert catalog.available("A") == 0
    store.upsert_orders("x", "a", [one("2", S.CANCELLED, [("1", "A", 2, 0)], 4)])
    assert inv(catalog, "A") == {"default": (2, 0)}


def test_location_prefers_configured_when_it_has_enough() -> None:
    catalog, store = fresh({"A": {"shop": 1, "warehouse": 10}}, reserve_location="shop")
    store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "A", 1, 0)])])
    assert inv(catalog, "A") == {"shop": (1, 1), "warehouse": (10, 0)}
    # the shop cannot cover 2 more: the location with most available takes them
    store.upsert_orders("x", "a", [one("2", S.UNSHIPPED, [("1", "A", 2, 0)])])
    assert inv(catalog, "A") == {"shop": (1, 1), "warehouse": (10, 2)}
    # shipping and cancelling touch the location each line reserved at
    store.upsert_orders("x", "a", [one("1", S.SHIPPED, [("1", "A", 1, 1)], 1),
                                   one("2", S.CANCELLED, [("1", "A", 2, 0)], 1)])
    assert inv(catalog, "A") == {"shop": (0, 0), "warehouse": (10, 0)}


def test_most_available_location_and_tie_break_by_name() -> None:
    catalog, store = fresh({"A": {"b": 4, "a": 4, "c": 1}})
    store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "A", 1, 0)])])
    assert inv(catalog, "A")["a"] == (4, 1)


def test_sku_without_stock_rows_is_oversold_not_failed() -> None:
    catalog, store = fresh({"A": {}}, reserve_location="main")
    result = store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "A", 2, 0)])])
    assert inv(catalog, "A") == {"main": (0, 2)}
    assert catalog.available("A") == -2
    assert [f.code for f in result.flags] == ["oversell"]
    # shipping clamps on_hand at 0 (the CHECK constraint holds) and reports the shortfall once
    result = store.upsert_orders("x", "a", [one("1", S.SHIPPED, [("1", "A", 2, 2)], 1)])
    assert inv(catalog, "A") == {"main": (0, 0)}
    assert result.flags == []  # the oversell of this line is already open


def test_line_sku_change_returns_stock_to_the_old_sku() -> None:
    catalog, store = fresh({"A": {"default": 5}, "B": {"default": 5}})
    store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "A", 2, 0)])])
    store.upsert_orders("x", "a", [one("1", S.UNSHIPPED, [("1", "B", 2, 0)], 1)])
    assert inv(catalog, "A") == {"default": (5, 0)}
    assert inv(catalog, "B") == {"default": (5, 2)}


def test_ledger_entry_records_location_and_amounts() -> None:
    catalog, store = fresh({"A": {"default": 5}})
    store.upsert_orders("x", "a", [one("1", S.PARTIALLY_SHIPPED, [("L", "A", 3, 1)])])
    entry = StockLedger(catalog.db).entry(LineKey("x", "a", "1", "L"))
    assert entry is not None
    assert (entry.sku, entry.location, entry.reserved, entry.decremented) == (
        "A", "default", 2, 1)


# --- properties ------------------------------------------------------------------------------

STATUSES = list(OrderStatus)
ORDERS: dict[str, list[tuple[str, str, int]]] = {  # order → (line id, SKU, quantity)
    "o1": [("1", "A", 3), ("2", "B", 1)],
    "o2": [("1", "A", 2)],
    "o3": [("1", "B", 4)],
}
Step = tuple[str, OrderStatus, int, int]  # order, its new status, a line index, its shipped count

history_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(ORDERS)), st.sampled_from(STATUSES), st.integers(0, 1),
              st.integers(0, 5)),
    min_size=1, max_size=25,
)


def _orders(history: list[Step]) -> list[Order]:
    """One full order version per step: the step sets the order's status and one line's
    shipped count; the other lines keep theirs."""
    shipped: dict[tuple[str, str], int] = {}
    out = []
    for minute, (order_id, status, index, count) in enumerate(history):
        lines = ORDERS[order_id]
        line_id = lines[index % len(lines)][0]
        shipped[(order_id, line_id)] = count
        out.append(one(order_id, status, [(lid, sku, qty, shipped.get((order_id, lid), 0))
                                          for lid, sku, qty in lines], minute))
    return out


def _closed_form(history: list[Step], initial: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Expected (on_hand, reserved) per SKU: each line's target from its order's last status
    and the most units ever known shipped for it (all of them once the order was shipped)."""
    last: dict[str, OrderStatus] = {}
    high: dict[tuple[str, str], int] = {}
    for version in _orders(history):
        last[version.order_id] = version.status
        for line in version.lines:
            effective = line.quantity if version.status is S.SHIPPED else line.quantity_shipped
            key = (version.order_id, line.line_id)
            high[key] = max(high.get(key, 0), min(effective, line.quantity))
    reserved = dict.fromkeys(initial, 0)
    decremented = dict.fromkeys(initial, 0)
    for order_id, status in last.items():
        for line_id, sku, qty in ORDERS[order_id]:
            target = line_target(status, qty, high[(order_id, line_id)])
            reserved[sku] += target.reserved
            decremented[sku] += target.decremented
    return {sku: (max(0, initial[sku] - decremented[sku]), reserved[sku]) for sku in initial}


def _totals(catalog: Catalog) -> dict[str, tuple[int, int]]:
    rows = catalog.db.execute(
        "SELECT sku, SUM(on_hand), SUM(reserved) FROM inventory GROUP BY sku").fetchall()
    return {sku: (int(a), int(b)) for sku, a, b in rows}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=history_strategy, on_hand_a=st.integers(0, 6), on_hand_b=st.integers(0, 6))
def test_any_history_gives_the_closed_form_stock_and_never_negative(
        history: list[Step], on_hand_a: int, on_hand_b: int) -> None:
    initial = {"A": on_hand_a, "B": on_hand_b}
    catalog, store = fresh({sku: {"default": n} for sku, n in initial.items()})
    for version in _orders(history):
        with write_transaction(catalog.db):
            store.upsert_orders("x", "a", [version])
        low = catalog.db.execute(
            "SELECT MIN(on_hand), MIN(reserved) FROM inventory").fetchone()
        assert low[0] >= 0 and low[1] >= 0
    assert _totals(catalog) == _closed_form(history, initial)
    # replaying the whole history again is a no-op
    store.upsert_orders("x", "a", _orders(history))
    assert _totals(catalog) == _closed_form(history, initial)


def _lifecycle(draw: st.DrawFn, qty: int) -> list[tuple[OrderStatus, int]]:
    """A realistic history of one line: shipped counts only grow, shipped means all of it."""
    steps: list[tuple[OrderStatus, int]] = [(draw(st.sampled_from([S.PENDING, S.UNSHIPPED])), 0)]
    shipped = 0
    for _ in range(draw(st.integers(0, 4))):
        status = draw(st.sampled_from(STATUSES))
        if status is S.SHIPPED:
            shipped = qty
        elif status is S.PARTIALLY_SHIPPED:
            shipped = draw(st.integers(shipped, qty))
        steps.append((status, shipped))
        if status in (S.CANCELLED, S.REFUNDED):
            break
    return steps


@st.composite
def lifecycles(draw: st.DrawFn) -> list[Order]:
    """Realistic histories of every order, interleaved in time."""
    versions: list[Order] = []
    minute = 0
    for order_id, lines in ORDERS.items():
        shipped = {lid: 0 for lid, _, _ in lines}
        for status, _ in _lifecycle(draw, 1):
            minute += draw(st.integers(1, 3))
            for lid, _, qty in lines:
                if status is S.SHIPPED:
                    shipped[lid] = qty
                elif status is S.PARTIALLY_SHIPPED:
                    shipped[lid] = draw(st.integers(shipped[lid], qty))
            versions.append(one(order_id, status, [(lid, sku, qty, shipped[lid])
                                                   for lid, sku, qty in lines], minute))
    return versions


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=lifecycles(), seed=st.integers(0, 2**16))
def test_arrival_order_does_not_matter(versions: list[Order], seed: int) -> None:
    in_order, store1 = fresh({"A": {"default": 4}, "B": {"default": 3}})
    store1.upsert_orders("x", "a", versions)
    shuffled = list(versions)
    random.Random(seed).shuffle(shuffled)
    out_of_order, store2 = fresh({"A": {"default": 4}, "B": {"default": 3}})
    store2.upsert_orders("x", "a", shuffled)
    assert _totals(in_order) == _totals(out_of_order)
