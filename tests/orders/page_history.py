"""A seeded order history for the equivalence tests of the page-batched order store (issue #19).

It covers what the page path must keep exactly: new, updated, unchanged and stale versions;
the same order twice in one page (the second sees the first); lines that change SKU, grow,
shrink or disappear; duplicate line ids, negative quantities, missing and unknown SKUs;
untracked stock, SKUs without a stock row, SKUs added to the catalog later and re-applied;
every status, marketplace fulfilment, oversells, naive and offset timestamps; raw payloads
with personal data, Decimals and non-ASCII text; several channels and accounts, ack flags.

:func:`store_history` stores it and returns every table the orders touch (without the clock's
timestamps), every page result and the SKUs the sync plan's change stamps name, so two
implementations can be compared with ``==``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from feedsync.catalog import open_catalog
from feedsync.models import InventoryLevel, Order, OrderLine, OrderStatus, Product
from feedsync.orders.store import OrderStore, PageResult, write_transaction
from feedsync.sync.state import ensure_schema, ensure_triggers

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEYS = {"orders": 3, "order_lines": 4, "stock_ledger": 4, "inventory": 2, "order_issues": 5,
        "stock_outbox": 2}  # primary key columns: the first ones each SELECT returns
TABLES = {
    "orders": "channel, account, order_id, status, created_at, updated_at, total, currency, fees,"
              " fulfillment_channel, raw, content_hash, unknown_skus, ack_required",
    "order_lines": "*",
    "stock_ledger": "channel, account, order_id, line_id, sku, location, reserved, decremented",
    "inventory": "sku, location, on_hand, reserved",
    "order_issues": "channel, account, order_id, line_id, code, sku, message,"
                    " resolved_at IS NULL",
    "stock_outbox": "channel, sku",
}
SOURCES = (("amazon", "eu"), ("amazon", "us"), ("ebay", "main"))


def _view(result: PageResult) -> dict[str, Any]:
    return result.as_dict() | {"skus": sorted(result.affected_skus)}


def _product(sku: str) -> Product:
    return Product(sku=sku, title=sku, price=Decimal("1.00"), currency="USD")


def _raw(rng: random.Random, n: int, round_no: int) -> dict[str, Any]:
    raw: dict[str, Any] = {"n": n, "round": round_no, "note": rng.choice(["", "größe ✓", None])}
    if rng.random() < 0.5:
        raw["buyer"] = {"buyerEmail": f"b{n}@example.com", "Name": "Zoë", "countryCode": "DE"}
        raw["ShippingAddress"] = {"AddressLine1": "1 Rue", "city": "Lyon", "country": "FR",
                                  "lines": ["a", {"phone": "+33"}]}
    if rng.random() < 0.3:
        raw["amount"] = Decimal(rng.choice(["1.50", "2", "0.10"]))
        raw["items"] = [{"sku": f"S{rng.randrange(80)}", "qty": rng.randint(1, 3)}]
    return raw


def _order(rng: random.Random, n: int, round_no: int) -> Order:
    channel, account = SOURCES[n % len(SOURCES)]
    lines = [OrderLine(rng.choice(["1", "2", "3", "1", ""]),
                       None if rng.random() < 0.05 else f"S{rng.randrange(80)}",
                       rng.randint(-1, 5), quantity_shipped=rng.randint(-1, 3),
                       unit_price=rng.choice([Decimal("2.50"), Decimal("3"), None]),
                       currency=rng.choice(["USD", None]),
                       title=rng.choice([None, "Tasse ☕"]),
                       channel_item_id=rng.choice([None, f"I{n}"]))
             for _ in range(rng.randint(0, 4))]
    updated = T0 + timedelta(minutes=round_no * 10 - rng.randint(0, 12), seconds=n % 7)
    if rng.random() < 0.1:
        updated = updated.replace(tzinfo=None)  # naive: taken as UTC
    elif rng.random() < 0.1:
        updated = updated.astimezone(timezone(timedelta(hours=2)))
    return Order(
        channel=channel, account=account, order_id=f"O{n}",
        status=rng.choice(list(OrderStatus)),
        created_at=T0 + timedelta(microseconds=rng.choice([0, 1500])),
        updated_at=updated, total=rng.choice([Decimal("9"), Decimal("9.10"), None]),
        currency=rng.choice(["USD", "EUR"]),
        fulfillment_channel=rng.choice(["merchant", "merchant", "marketplace", None]),
        fees=rng.choice([None, Decimal("0.30")]), lines=lines, raw=_raw(rng, n, round_no))


def history(seed: int = 3, rounds: int = 7, per_round: int = 150) -> list[list[Order]]:
    """The rounds of orders, each a list the store receives in pages (see :func:`store_history`)."""
    rng = random.Random(seed)
    out: list[list[Order]] = []
    for round_no in range(rounds):
        orders = [_order(rng, n, round_no) for n in range(per_round)
                  if not round_no or rng.random() < 0.6]
        # the same order twice in a page: an unchanged copy, a newer and an older version
        for _ in range(6):
            if orders:
                twin = _order(rng, int(rng.choice(orders).order_id[1:]), round_no)
                orders.insert(rng.randrange(len(orders) + 1), twin)
        if orders:
            orders.insert(rng.randrange(len(orders)), orders[rng.randrange(len(orders))])
        out.append(orders)
    return out


def store_history(db_path: Path, *, page: int = 40, reserve_location: str | None = "b",
                  keep_personal_data: bool = False) -> dict[str, Any]:
    """Store :func:`history` in a fresh catalog at ``db_path``; every table and page result."""
    catalog = open_catalog(db_path)
    with catalog.db.atomic():
        catalog.upsert_products(_product(f"S{i}") for i in range(70))
        catalog.set_inventory(InventoryLevel(f"S{i}", loc, 4) for i in range(60)
                              for loc in ("a", "b") if (i + len(loc)) % 7)
    catalog.db.execute("UPDATE products SET stock_tracked = 0 WHERE sku IN ('S65', 'S66', 'S5')")
    ensure_schema(catalog.db)  # the sync plan's change stamps: every SKU whose stock moved
    ensure_triggers(catalog.db)
    catalog.db.execute("DELETE FROM sync_changes")
    store = OrderStore(catalog.db, reserve_location=reserve_location,
                       keep_personal_data=keep_personal_data)
    results = []
    for round_no, orders in enumerate(history()):
        for start in range(0, len(orders), page):
            chunk = orders[start:start + page]
            by_source: dict[tuple[str, str], list[Order]] = {}
            for order in chunk:
                by_source.setdefault((order.channel, order.account), []).append(order)
            with write_transaction(catalog.db):
                for (channel, account), part in by_source.items():
                    results.append(_view(store.upsert_orders(
                        channel, account, part, ack_required=channel == "ebay",
                        fastpath_targets=["ebay", "etsy"])))
        if round_no == 3:  # SKUs the orders named arrive in the catalog
            with catalog.db.atomic():
                catalog.upsert_products(_product(f"S{i}") for i in range(70, 76))
            with write_transaction(catalog.db):
                results.append(_view(store.reapply_unknown()))
    tables = {table: [list(row) for row in catalog.db.execute(
        f"SELECT {columns} FROM {table} ORDER BY "
        + ", ".join(str(i + 1) for i in range(KEYS[table]))).fetchall()]
        for table, columns in TABLES.items()}
    stamped = [row[0] for row in catalog.db.execute(
        "SELECT DISTINCT sku FROM sync_changes ORDER BY sku")]
    catalog.db.close()
    return {"tables": tables, "results": results, "stamped": stamped}
