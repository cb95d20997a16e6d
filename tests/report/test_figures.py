"""Golden figures of ``feedsync report`` against a workspace whose every number is hand-computed.

The workspace (see ``seeded``):

- catalog in USD, ``[currency_rates] EUR = "0.5"`` (1 USD = 0.5 EUR, so 1 EUR = 2 USD);
- products A (cost 4.00 USD in ``attributes.cost``), B (``cost_per_item`` 10.00, Shopify's
  column), C (no cost), D (EUR, cost 3.00 EUR), E (cost 1.00 USD, one unit in stock);
- ``[fees.fake]``: referral 10 %, 0.30 per order, fulfilment 2.00 per order + 0.50 per unit.

Orders (all merchant-fulfilled unless said), with the figures worked out by hand:

- fake O1 (03-01): 2×A @ 10.00 → revenue 20, fees 2.30 (estimated: 10 % + 0.30), cost of goods
  8, fulfilment 3.00, margin 6.70.
- fake O2 (03-02): 1×B @ 25 + 1×C @ 5 → revenue 30, fees 3.30, cost of goods 10 (C's unit has
  no cost), fulfilment 3.00, margin 13.70.
- fake O3 (03-02): 1×A, cancelled → counted as cancelled only.
- fake O4 (03-03): 1×A, shipped then refunded → no revenue; fulfilment 2.50 was spent, margin
  −2.50. fake in all: 3 orders, 5 units, revenue 50, fees 5.60, cost 18, fulfilment 8.50,
  margin 17.90.
- shop2 O5 (03-02): 1×D @ 20 EUR, channel fee 3 EUR, marketplace-fulfilled → revenue 20 EUR,
  fees 3 EUR (reported), cost 3 EUR, margin 14 EUR = 28 USD.
- shop2 O6 (03-04): 1×A @ 10 USD, no fees reported and no [fees.shop2] → fees unknown (0),
  cost 4, margin 6. shop2 converted: revenue 50 USD, margin 34 USD.
- shop3 O7 (03-04): 2×E @ 5, channel fee 1 → revenue 10, fees 1, cost 2, margin 7; E had one
  unit, so the order oversells it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from feedsync.catalog import Catalog, open_catalog
from feedsync.config import Workspace, load_workspace
from feedsync.models import InventoryLevel, Order, OrderLine, OrderStatus
from feedsync.orders.store import OrderStore
from feedsync.report import build_report, render_html
from tests.conftest import make_product

TOML = """
[workspace]
name = "report-golden"

[catalog]
default_currency = "USD"

[currency_rates]
EUR = "0.5"

[channels.fake]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"

[channels.shop2]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"

[channels.shop3]
enabled = true
delivery = "api"
adapter = "feedsync.testing.fake"

[fees.fake]
referral_rate = "0.10"
per_order = "0.30"
fulfilment_per_order = "2.00"
fulfilment_per_unit = "0.50"
"""

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def _order(channel_order: str, day: int, lines: list[tuple[str, int, str | None]],
           status: OrderStatus = OrderStatus.UNSHIPPED, *, currency: str = "USD",
           fees: str | None = None, marketplace: bool = False,
           shipped: bool = False) -> Order:
    placed = datetime(2026, 3, day, 10, 0, tzinfo=UTC)
    return Order(
        channel="", account="default", order_id=channel_order, status=status,
        created_at=placed, updated_at=placed, currency=currency,
        fees=None if fees is None else Decimal(fees),
        fulfillment_channel="marketplace" if marketplace else "merchant",
        lines=[OrderLine(line_id=f"{channel_order}-{i}", sku=sku, quantity=qty,
                         quantity_shipped=qty if shipped else 0,
                         unit_price=None if price is None else Decimal(price), currency=currency)
               for i, (sku, qty, price) in enumerate(lines)])


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Workspace, Catalog]]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(TOML)
    workspace = load_workspace(root)
    catalog = open_catalog(workspace.db_path)
    catalog.upsert_products([
        make_product("A", attributes={"cost": "4.00"}),
        make_product("B", attributes={"cost_per_item": "10.00"}),
        make_product("C"),
        make_product("D", currency="EUR", attributes={"cost": "3.00"}),
        make_product("E", attributes={"cost": "1.00"}),
    ])
    catalog.set_inventory([InventoryLevel(s, "main", 100) for s in "ABCD"]
                          + [InventoryLevel("E", "main", 1)])
    store = OrderStore(catalog.db)
    with catalog.db.atomic():
        store.upsert_orders("fake", "default", [
            _order("O1", 1, [("A", 2, "10.00")]),
            _order("O2", 2, [("B", 1, "25.00"), ("C", 1, "5.00")]),
            _order("O3", 2, [("A", 1, "10.00")], OrderStatus.CANCELLED),
            _order("O4", 3, [("A", 1, "10.00")], OrderStatus.REFUNDED, shipped=True),
        ])
        store.upsert_orders("shop2", "default", [
            _order("O5", 2, [("D", 1, "20.00")], currency="EUR", fees="3.00", marketplace=True),
            _order("O6", 4, [("A", 1, "10.00")]),
        ])
        store.upsert_orders("shop3", "default", [
            _order("O7", 4, [("E", 2, "5.00")], fees="1.00"),
        ])
    yield workspace, catalog
    catalog.db.close()


def _channel(report: dict, name: str) -> dict:
    return next(row for row in report["channels"] if row["channel"] == name)


def test_money_per_channel_matches_the_hand_computed_figures(seeded):
    workspace, catalog = seeded
    report = build_report(workspace, catalog.db, since=date(2026, 3, 1), now=NOW)
    fake = _channel(report, "fake")["orders"]
    assert (fake["orders"], fake["units"], fake["cancelled"], fake["refunded"]) == (3, 5, 1, 1)
    money = {name: fig["by_currency"] for name, fig in fake["money"].items()}
    assert money == {
        "revenue": {"USD": "50.00"}, "fees": {"USD": "5.60"},
        "fees_reported": {"USD": "0.00"}, "fees_estimated": {"USD": "5.60"},
        "cogs": {"USD": "18.00"}, "fulfilment": {"USD": "8.50"}, "margin": {"USD": "17.90"},
    }
    assert fake["cogs_missing_units"] == 1 and fake["fees_unknown_orders"] == 0

    shop2 = _channel(report, "shop2")["orders"]
    assert shop2["money"]["revenue"]["by_currency"] == {"EUR": "20.00", "USD": "10.00"}
    assert shop2["money"]["revenue"]["converted"] == "50.00"  # 10 USD + 20 EUR × 2
    assert shop2["money"]["fees_reported"]["by_currency"] == {"EUR": "3.00", "USD": "0.00"}
    assert shop2["money"]["margin"]["by_currency"] == {"EUR": "14.00", "USD": "6.00"}
    assert shop2["money"]["margin"]["converted"] == "34.00"
    assert shop2["money"]["fulfilment"]["converted"] == "0.00"  # no model, marketplace-shipped
    assert shop2["fees_unknown_orders"] == 1  # O6: nothing reported, no [fees.shop2]

    shop3 = _channel(report, "shop3")["orders"]
    assert shop3["money"]["margin"]["by_currency"] == {"USD": "7.00"}


def test_daily_figures_and_summary_row(seeded):
    workspace, catalog = seeded
    report = build_report(workspace, catalog.db, since=date(2026, 3, 1), now=NOW)
    daily = {d["day"]: d for d in _channel(report, "fake")["orders"]["daily"]}
    assert list(daily) == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04",
                           "2026-03-05"]
    assert (daily["2026-03-01"]["orders"], daily["2026-03-01"]["margin"]) == (1, "6.70")
    assert (daily["2026-03-02"]["orders"], daily["2026-03-02"]["revenue"]) == (1, "30.00")
    assert daily["2026-03-03"]["margin"] == "-2.50"
    assert daily["2026-03-05"] == {"day": "2026-03-05", "orders": 0, "units": 0,
                                   **{k: "0" for k in ("revenue", "fees", "fees_reported",
                                                       "fees_estimated", "cogs", "fulfilment",
                                                       "margin")}}
    summary = {row["channel"]: row for row in report["summary"]}
    assert summary["shop2"]["margin"] == "34.00" and summary["fake"]["revenue"] == "50.00"


def test_oversell_and_period_boundaries(seeded):
    workspace, catalog = seeded
    report = build_report(workspace, catalog.db, since=date(2026, 3, 1), now=NOW)
    shop3 = _channel(report, "shop3")
    assert [(o["order_id"], o["sku"]) for o in shop3["oversells"]] == [("O7", "E")]
    later = build_report(workspace, catalog.db, since=date(2026, 3, 4), now=NOW)
    fake = _channel(later, "fake")["orders"]
    assert fake["orders"] == 0 and fake["money"]["revenue"]["converted"] == "0.00"
    assert _channel(later, "shop2")["orders"]["orders"] == 1  # only O6 (03-04)


def test_listing_counts_rejection_reasons_and_daily_snapshots(seeded):
    workspace, catalog = seeded
    db = catalog.db
    from feedsync.sync.state import ensure_schema

    ensure_schema(db)
    stamp = "2026-03-05T10:00:00Z"
    rows = [("A", "live", 1, "[]"), ("B", "live", 1, "[]"), ("C", "pending", 0, "[]"),
            ("D", "rejected", 0, '[{"code": "missing_gtin", "severity": "error",'
                                 ' "message": "GTIN required"}]')]
    for sku, status, exists, issues in rows:
        db.execute("INSERT INTO listings (channel, account, sku, status, remote_exists, issues,"
                   " created_at, updated_at) VALUES ('fake', 'default', ?, ?, ?, ?, ?, ?)",
                   [sku, status, exists, issues, stamp, stamp])
    db.execute("INSERT INTO listing_inputs (channel, account, sku, render_version, want,"
               " issues, planned_at) VALUES ('fake', 'default', 'E', 'v', 'hold', ?, ?)",
               ['[{"code": "title_too_long", "severity": "error", "message": "too long"}]',
                stamp])
    db.conn.commit()
    report = build_report(workspace, db, since=date(2026, 3, 1), now=NOW)
    fake = _channel(report, "fake")
    assert fake["listing"] == {"listed": 2, "live": 2, "pending": 1, "rejected": 1,
                               "held_invalid": 1, "excluded": 0, "catalog_active": 5,
                               "share_listed": 0.4}
    reasons = {(r["source"], r["code"]): r for r in fake["rejection_reasons"]}
    assert reasons[("channel", "missing_gtin")]["skus"] == ["D"]
    assert reasons[("channel", "missing_gtin")]["explain"] == ["feedsync explain fake D"]
    assert reasons[("validation", "title_too_long")]["skus"] == ["E"]
    assert fake["history"] == [{"day": "2026-03-05", "listed": 2, "live": 2, "pending": 1,
                                "rejected": 1, "excluded": 0, "catalog_active": 5}]
    # a second report the same day replaces the day's snapshot instead of adding one
    build_report(workspace, db, since=date(2026, 3, 1), now=NOW)
    assert db.execute("SELECT COUNT(*) FROM report_snapshots WHERE channel = 'fake'"
                      ).fetchone()[0] == 1


def test_fast_path_latency_from_the_run_journal(seeded):
    workspace, catalog = seeded
    db = catalog.db
    from feedsync.sync.state import ensure_schema

    ensure_schema(db)
    # O6 (shop2, placed 03-04 10:00) was stored by run 1, whose fast path pushed at 10:04:30.
    db.execute("UPDATE orders SET first_seen_at = '2026-03-04T10:03:00Z' WHERE order_id = 'O6'")
    db.execute("INSERT INTO sync_runs (id, command, pid, host, status, started_at, finished_at)"
               " VALUES (1, 'sync', 1, 'h', 'ok', '2026-03-04T10:02:00Z',"
               " '2026-03-04T10:05:00Z')")
    db.execute("INSERT INTO sync_run_steps (run_id, step, channel, outcome, counts, started_at,"
               " finished_at) VALUES (1, 'fast_path', 'fake', 'ok', '{\"pushed\": 1}',"
               " '2026-03-04T10:04:00Z', '2026-03-04T10:04:30Z')")
    db.conn.commit()
    report = build_report(workspace, db, since=date(2026, 3, 1), now=NOW)
    assert _channel(report, "shop2")["fast_path"] == {
        "samples": 1, "median_seconds": 270.0, "worst_seconds": 270.0}
    runs = _channel(report, "fake")["last_runs"]
    assert runs[0]["run"] == 1 and runs[0]["duration_seconds"] == 180.0


def test_html_is_self_contained_and_escapes_everything(seeded, tmp_path):
    workspace, catalog = seeded
    catalog.db.execute("UPDATE order_lines SET title = '<script>x</script>'")
    report = build_report(workspace, catalog.db, since=date(2026, 3, 1), now=NOW)
    report["workspace"] = "<b>shop & co</b>"
    page = render_html(report)
    assert "<script" not in page.lower()
    assert "&lt;b&gt;shop &amp; co&lt;/b&gt;" in page
    for external in ("http://", "https://", "@import", "url("):
        assert external not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count('<svg class="chart"') == 3 * 3  # three charts per channel
    assert 'id="summary"' in page
