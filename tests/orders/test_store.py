"""OrderStore: idempotent upsert, flags, personal data, cursors, money as Decimal text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from feedsync.catalog import Catalog
from feedsync.db import open_database
from feedsync.models import InventoryLevel, Order, OrderLine, OrderStatus
from feedsync.orders.privacy import REMOVED
from feedsync.orders.store import OrderStore, write_transaction
from tests.conftest import make_product

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def setup(keep: bool = False) -> tuple[Catalog, OrderStore]:
    catalog = Catalog(open_database(":memory:"))
    catalog.upsert_products([make_product("A"), make_product("B")])
    catalog.set_inventory([InventoryLevel("A", "default", 5), InventoryLevel("B", "default", 5)])
    return catalog, OrderStore(catalog.db, keep_personal_data=keep)


def order(order_id: str = "1", minute: int = 0, status: OrderStatus = OrderStatus.UNSHIPPED,
          lines: list[OrderLine] | None = None, **raw: object) -> Order:
    return Order(
        channel="amazon", account="eu", order_id=order_id, status=status, created_at=T0,
        updated_at=T0 + timedelta(minutes=minute), total=Decimal("39.98"), currency="EUR",
        fees=Decimal("5.10"), fulfillment_channel="merchant",
        lines=lines if lines is not None else [OrderLine("L1", "A", 2, unit_price=Decimal(
            "19.99"))],
        raw={"orderId": order_id, **raw},
    )


def rows(catalog: Catalog, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in catalog.db.execute(sql).fetchall()]


def test_new_unchanged_updated_stale() -> None:
    catalog, store = setup()
    assert store.upsert_orders("amazon", "eu", [order()]).new == 1
    assert store.upsert_orders("amazon", "eu", [order()]).unchanged == 1
    result = store.upsert_orders("amazon", "eu", [order(minute=5, status=OrderStatus.SHIPPED)])
    assert result.updated == 1
    assert store.upsert_orders("amazon", "eu", [order(minute=1)]).stale == 1
    assert rows(catalog, "SELECT status, COUNT(*) FROM orders GROUP BY status") == [
        ("shipped", 1)]
    assert rows(catalog, "SELECT COUNT(*) FROM order_lines") == [(1,)]


def test_same_order_id_on_another_account_is_another_order() -> None:
    catalog, store = setup()
    store.upsert_orders("amazon", "eu", [order()])
    store.upsert_orders("amazon", "us", [order()])
    store.upsert_orders("ebay", "eu", [order()])
    assert rows(catalog, "SELECT COUNT(*) FROM orders") == [(3,)]
    assert catalog.available("A") == 5 - 6


def test_money_is_decimal_text_and_timestamps_utc() -> None:
    catalog, store = setup()
    store.upsert_orders("amazon", "eu", [order()])
    assert rows(catalog, "SELECT total, currency, fees, created_at FROM orders") == [
        ("39.98", "EUR", "5.10", "2026-05-01T12:00:00Z")]
    assert rows(catalog, "SELECT unit_price, currency FROM order_lines") == [("19.99", "EUR")]


def test_personal_data_is_removed_unless_configured() -> None:
    personal = {"buyer": {"buyerName": "Ann Example", "buyerEmail": "ann@example.com"},
                "recipient": {"deliveryAddress": {"name": "Ann Example", "phone": "+44 1",
                                                  "addressLine1": "1 High St",
                                                  "countryCode": "GB"}}}
    catalog, store = setup()
    store.upsert_orders("amazon", "eu", [order(**personal)])
    raw = catalog.db.execute("SELECT raw FROM orders").fetchone()[0]
    for secret in ("Ann Example", "ann@example.com", "+44 1", "1 High St"):
        assert secret not in raw
    data = json.loads(raw)
    assert data["buyer"]["buyerEmail"] == REMOVED
    assert data["recipient"]["deliveryAddress"]["countryCode"] == "GB"

    catalog, store = setup(keep=True)
    store.upsert_orders("amazon", "eu", [order(**personal)])
    assert "ann@example.com" in catalog.db.execute("SELECT raw FROM orders").fetchone()[0]


def test_unknown_sku_is_stored_flagged_and_reserved_once_known() -> None:
    catalog, store = setup()
    lines = [OrderLine("L1", "A", 1), OrderLine("L2", "NEW", 2), OrderLine("L3", None, 1)]
    result = store.upsert_orders("amazon", "eu", [order(lines=lines)])
    assert result.new == 1
    assert sorted((f.line_id, f.code) for f in result.flags) == [
        ("L2", "unknown_sku"), ("L3", "unknown_sku")]
    assert rows(catalog, "SELECT unknown_skus FROM orders") == [(2,)]
    assert rows(catalog, "SELECT COUNT(*) FROM order_lines") == [(3,)]
    # re-storing does not report the same flag again
    assert store.upsert_orders("amazon", "eu", [order(minute=1, lines=lines)]).flags == []

    catalog.upsert_products([make_product("NEW")])
    catalog.set_inventory([InventoryLevel("NEW", "default", 3)])
    with write_transaction(catalog.db):
        again = store.reapply_unknown()
    assert again.updated == 1
    assert again.affected_skus == {"NEW"}
    assert catalog.available("NEW") == 1
    assert rows(catalog, "SELECT unknown_skus FROM orders") == [(1,)]
    assert rows(catalog, "SELECT line_id FROM order_issues WHERE resolved_at IS NULL") == [
        ("L3",)]


def test_duplicate_line_ids_are_kept_and_flagged() -> None:
    catalog, store = setup()
    lines = [OrderLine("L1", "A", 1), OrderLine("L1", "B", 2)]
    result = store.upsert_orders("amazon", "eu", [order(lines=lines)])
    assert [f.code for f in result.flags] == ["invalid_line"]
    assert rows(catalog, "SELECT line_id, sku FROM order_lines ORDER BY position") == [
        ("L1", "A"), ("L1#2", "B")]
    assert (catalog.available("A"), catalog.available("B")) == (4, 3)


def test_negative_quantities_are_stored_as_zero_and_flagged() -> None:
    catalog, store = setup()
    result = store.upsert_orders("amazon", "eu", [order(lines=[OrderLine("L1", "A", -2)])])
    assert [f.code for f in result.flags] == ["invalid_quantity"]
    assert catalog.available("A") == 5


def test_a_line_the_channel_drops_releases_its_reservation() -> None:
    catalog, store = setup()
    store.upsert_orders("amazon", "eu", [order(lines=[OrderLine("L1", "A", 2),
                                                      OrderLine("L2", "B", 1)])])
    assert (catalog.available("A"), catalog.available("B")) == (3, 4)
    result = store.upsert_orders("amazon", "eu", [order(minute=1,
                                                        lines=[OrderLine("L1", "A", 2)])])
    assert result.affected_skus == {"B"}
    assert (catalog.available("A"), catalog.available("B")) == (3, 5)
    assert rows(catalog, "SELECT line_id FROM order_lines") == [("L1",)]


def test_cursor_only_moves_forward() -> None:
    _, store = setup()
    assert store.cursor("amazon", "eu") is None
    store.advance_cursor("amazon", "eu", T0)
    store.advance_cursor("amazon", "eu", T0 - timedelta(hours=1))
    assert store.cursor("amazon", "eu") == T0
    store.advance_cursor("amazon", "eu", T0 + timedelta(seconds=1))
    assert store.cursor("amazon", "eu") == T0 + timedelta(seconds=1)
    assert store.cursor("amazon", "us") is None


def test_outbox_is_keyed_by_channel_and_sku() -> None:
    catalog, store = setup()
    store.upsert_orders("amazon", "eu", [order()], fastpath_targets=["ebay", "etsy"])
    store.upsert_orders("amazon", "eu", [order("2")], fastpath_targets=["ebay", "etsy"])
    assert rows(catalog, "SELECT channel, sku FROM stock_outbox ORDER BY 1, 2") == [
        ("ebay", "A"), ("etsy", "A")]


def test_a_failed_page_leaves_nothing_behind() -> None:
    catalog, store = setup()
    try:
        with write_transaction(catalog.db):
            store.upsert_orders("amazon", "eu", [order()], fastpath_targets=["ebay"])
            store.advance_cursor("amazon", "eu", T0)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    for table in ("orders", "order_lines", "stock_ledger", "stock_outbox", "order_cursors"):
        assert rows(catalog, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert catalog.available("A") == 5
