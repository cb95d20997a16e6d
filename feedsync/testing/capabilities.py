"""The contract tests of the capabilities beyond pushing listings, each switched on by the
capabilities an adapter declares (a test of a capability the adapter does not declare skips,
naming it).

They run the real core (orders pull, acknowledgement, shipment confirmation, reconcile's
comparison, the feed writer) against the adapter and its channel double. The double speaks its
channel's wire format; the tests describe orders in channel-neutral terms (:class:`OrderSpec`)
and the double publishes them in its own shapes:

- ``ORDERS``: ``add_order(spec)`` publishes or updates an order; ``page_size`` is how many
  orders one page of the channel's answer holds (the suite sets 2, to exercise paging);
- ``ACKNOWLEDGE``: ``acknowledged`` lists the order ids the channel received acks for;
- ``SHIPMENTS``: ``confirmations`` lists what the channel received, one dict per confirmation:
  ``{"order_id", "tracking_number", "quantities": {sku: units}}``;
- ``FETCH_LIVE``: ``remove_live(sku)`` makes the channel stop showing a listing.

A double that lacks the method a test needs makes that test skip with the reason, so a channel
can grow its double capability by capability.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from feedsync.adapter import Adapter, Capability
from feedsync.models import InventoryLevel

if TYPE_CHECKING:
    from feedsync.orders.pull import ChannelPull
    from feedsync.testing.contract import ChannelDouble, ContractEnv

__all__ = ["CapabilityContract", "LineSpec", "OrderSpec"]

STOCK = 5  # units of each sample SKU before the orders come in


@dataclass(frozen=True)
class LineSpec:
    """One order line: a SKU (possibly unknown to the catalog) and how many units."""

    sku: str
    quantity: int = 1
    unit_price: Decimal = Decimal("10.00")


@dataclass(frozen=True)
class OrderSpec:
    """A channel-neutral order a double publishes in its channel's shapes.

    ``status`` is ``unshipped``, ``shipped`` or ``cancelled``; line ``i`` gets the line id the
    double chooses (its channel's item id), stable across updates of the same order.
    """

    order_id: str
    updated_at: datetime
    lines: tuple[LineSpec, ...]
    status: str = "unshipped"
    currency: str = "USD"
    created_at: datetime | None = None

    @property
    def placed_at(self) -> datetime:
        """When the order was placed (``created_at``, else ``updated_at``)."""
        return self.created_at or self.updated_at


def _skip(reason: str) -> None:
    import pytest  # only a test run reaches this: pytest stays out of non-test imports

    pytest.skip(reason)


@dataclass
class _Orders:
    """One contract test's view of the orders side of the workspace."""

    env: ContractEnv
    adapter_class: type[Adapter]
    pulls: list[ChannelPull] = field(default_factory=list)

    def pull(self, adapter_class: type[Adapter] | None = None) -> ChannelPull:
        from feedsync.orders.pull import pull_orders

        adapter = self.env.bind(adapter_class or self.adapter_class).adapter()
        report = pull_orders(self.env.workspace, self.env.catalog.db, [self.env.channel],
                             factory=lambda _name: adapter, clock=adapter.clock)
        [pulled] = report.channels
        self.pulls.append(pulled)
        return pulled

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return list(self.env.catalog.db.execute(sql, [self.env.channel, *args]).fetchall())

    def orders(self) -> dict[str, str]:
        """order id → status."""
        return dict(self.rows("SELECT order_id, status FROM orders WHERE channel = ?"))

    def reserved(self, sku: str) -> int:
        value = self.rows("SELECT COALESCE(SUM(reserved), 0) FROM stock_ledger"
                          " WHERE channel = ? AND sku = ?", sku)[0][0]
        return int(value)


class CapabilityContract:
    """Mixed into :class:`~feedsync.testing.AdapterContract`; see the module docstring."""

    adapter_class: ClassVar[type[Adapter]]

    # provided by AdapterContract
    def make_env(self, tmp_path: Path, double: ChannelDouble,
                 records: Any = None) -> ContractEnv:
        raise NotImplementedError

    def sample_records(self) -> list[Any]:
        raise NotImplementedError

    # --- harness --------------------------------------------------------------------------

    def _requires(self, capability: Capability, double: object, *needs: str) -> None:
        if not self.adapter_class.capabilities & capability:
            _skip(f"{self.adapter_class.name} does not declare {capability.name}")
        missing = [n for n in needs if not hasattr(double, n)]
        if missing:
            _skip(f"the channel double has no {', '.join(missing)}: implement it to run the "
                  f"{capability.name} contract (feedsync.testing.capabilities)")

    def _orders_env(self, tmp_path: Path, double: Any) -> _Orders:
        env = self.make_env(tmp_path, double)
        env.catalog.set_inventory(InventoryLevel(r.sku, "main", STOCK)
                                  for r in self.sample_records())
        double.page_size = 2
        return _Orders(env, self.adapter_class)

    def _skus(self) -> list[str]:
        return [r.sku for r in self.sample_records()]

    @staticmethod
    def _now(double: Any) -> datetime:
        now: datetime = double.clock.now()
        return now.replace(microsecond=0)

    # --- ORDERS ---------------------------------------------------------------------------

    def test_orders_are_pulled_page_by_page_and_reserve_stock(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.ORDERS, channel_double, "add_order", "clock")
        side = self._orders_env(tmp_path, channel_double)
        skus, now = self._skus(), self._now(channel_double)
        for i in range(5):
            channel_double.add_order(OrderSpec(
                f"C-{i + 1:03d}", now - timedelta(minutes=50 - i),
                (LineSpec(skus[i % len(skus)], 1),)))
        pulled = side.pull()
        assert pulled.error is None, pulled.error
        assert pulled.pages >= 3, "five orders two to a page take three pages"
        assert sorted(side.orders()) == [f"C-{i:03d}" for i in range(1, 6)]
        assert pulled.cursor is not None and pulled.cursor >= now - timedelta(minutes=50)
        ordered = {sku: sum(1 for i in range(5) if skus[i % len(skus)] == sku) for sku in skus}
        assert {sku: side.reserved(sku) for sku in skus} == ordered

    def test_orders_re_read_from_the_cursor_change_nothing(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.ORDERS, channel_double, "add_order", "clock")
        side = self._orders_env(tmp_path, channel_double)
        skus, now = self._skus(), self._now(channel_double)
        for i in range(3):
            channel_double.add_order(OrderSpec(f"R-{i}", now - timedelta(minutes=20 - i),
                                               (LineSpec(skus[0], 1),)))
        first = side.pull()
        again = side.pull()  # the lookback window re-reads the same orders
        assert first.error is None and again.error is None, (first.error, again.error)
        assert again.since is not None and first.since is not None and again.since > first.since
        assert again.result.new == 0 and again.result.updated == 0
        assert len(side.orders()) == 3 and side.reserved(skus[0]) == 3
        channel_double.add_order(OrderSpec("R-9", now - timedelta(minutes=5),
                                           (LineSpec(skus[1], 2),)))
        later = side.pull()
        assert later.result.new == 1 and side.reserved(skus[1]) == 2

    def test_orders_with_an_unknown_sku_are_kept_and_flagged(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.ORDERS, channel_double, "add_order", "clock")
        side = self._orders_env(tmp_path, channel_double)
        known, now = self._skus()[0], self._now(channel_double)
        channel_double.add_order(OrderSpec("U-1", now - timedelta(minutes=10), (
            LineSpec(known, 1), LineSpec("NOT-IN-THE-CATALOG", 1))))
        pulled = side.pull()
        assert pulled.error is None, pulled.error
        assert "U-1" in side.orders() and side.reserved(known) == 1
        [(unknown,)] = side.rows("SELECT unknown_skus FROM orders WHERE channel = ?"
                                 " AND order_id = 'U-1'")
        assert unknown == 1

    def test_a_cancelled_order_releases_its_stock(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.ORDERS, channel_double, "add_order", "clock")
        side = self._orders_env(tmp_path, channel_double)
        sku, now = self._skus()[0], self._now(channel_double)
        placed = now - timedelta(minutes=30)
        channel_double.add_order(OrderSpec("X-1", placed, (LineSpec(sku, 2),)))
        assert side.pull().error is None and side.reserved(sku) == 2
        channel_double.add_order(OrderSpec("X-1", now - timedelta(minutes=5),
                                           (LineSpec(sku, 2),), status="cancelled",
                                           created_at=placed))
        pulled = side.pull()
        assert pulled.error is None, pulled.error
        assert side.orders()["X-1"] == "cancelled" and side.reserved(sku) == 0

    # --- ACKNOWLEDGE ----------------------------------------------------------------------

    def test_orders_are_acknowledged_only_after_they_are_committed(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.ACKNOWLEDGE, channel_double, "add_order", "acknowledged",
                       "clock")
        side = self._orders_env(tmp_path, channel_double)
        db_path = side.env.workspace.db_path
        sku, now = self._skus()[0], self._now(channel_double)
        for i in range(3):
            channel_double.add_order(OrderSpec(f"A-{i}", now - timedelta(minutes=9 - i),
                                               (LineSpec(sku, 1),)))
        seen: list[str] = []
        base = self.adapter_class

        def ack_orders(this: Adapter, order_ids: Sequence[str]) -> None:
            # Another connection sees only committed rows: each acked order must be there.
            with sqlite3.connect(db_path) as other:
                stored = {row[0] for row in other.execute(
                    "SELECT order_id FROM orders WHERE channel = ?", [side.env.channel])}
            assert set(order_ids) <= stored, "acknowledged before the order was committed"
            seen.extend(order_ids)
            base.ack_orders(this, order_ids)

        checked = type(f"Checked{base.__name__}", (base,), {"ack_orders": ack_orders})
        pulled = side.pull(checked)
        assert pulled.error is None and pulled.ack_error is None, (pulled.error,
                                                                   pulled.ack_error)
        assert sorted(seen) == ["A-0", "A-1", "A-2"]
        assert sorted(set(channel_double.acknowledged)) == ["A-0", "A-1", "A-2"]
        assert side.rows("SELECT COUNT(*) FROM orders WHERE channel = ?"
                         " AND acked_at IS NULL")[0][0] == 0

    # --- SHIPMENTS ------------------------------------------------------------------------

    def test_shipments_are_confirmed_partially_and_never_twice(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.SHIPMENTS, channel_double, "add_order", "confirmations",
                       "clock")
        if not self.adapter_class.capabilities & Capability.ORDERS:
            _skip("shipments are confirmed against pulled orders (ORDERS not declared)")
        from feedsync.orders.pull import order_store
        from feedsync.orders.ship import ship
        from feedsync.orders.shipfile import RequestedLine, ShipmentRequest

        side = self._orders_env(tmp_path, channel_double)
        sku, now = self._skus()[0], self._now(channel_double)
        channel_double.add_order(OrderSpec("S-1", now - timedelta(minutes=10),
                                           (LineSpec(sku, 2),)))
        assert side.pull().error is None
        adapter = side.env.bind().adapter()
        store = order_store(side.env.workspace, side.env.catalog.db)

        def send(tracking: str) -> str:
            request = ShipmentRequest(where=f"contract:{tracking}", order_id="S-1",
                                      carrier="UPS", tracking_number=tracking,
                                      channel=side.env.channel, shipped_at=now,
                                      lines=[RequestedLine(None, sku, 1)])
            [result] = ship(side.env.workspace, store, lambda _n: adapter, [request]).results
            return f"{result.status}: {result.message}"

        assert send("1Z0000000000000001").startswith("confirmed"), "a partial shipment"
        assert send("1Z0000000000000001").startswith("already_confirmed")
        assert send("1Z0000000000000002").startswith("confirmed"), "the rest of the line"
        sent = channel_double.confirmations
        assert [c["tracking_number"] for c in sent] == ["1Z0000000000000001",
                                                        "1Z0000000000000002"]
        assert all(c["order_id"] == "S-1" and c["quantities"] == {sku: 1} for c in sent)
        [(confirmed,)] = side.rows("SELECT SUM(quantity_confirmed) FROM order_lines"
                                   " WHERE channel = ? AND order_id = 'S-1'")
        assert confirmed == 2

    # --- FETCH_LIVE -----------------------------------------------------------------------

    def test_fetch_live_shows_what_reconcile_compares(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.FETCH_LIVE, channel_double, "remove_live")
        from feedsync.orders.reconcile import compare

        env = self.make_env(tmp_path, channel_double)
        result = env.push()
        assert result.outcome.value == "ok", result.message
        records = {r.sku: r for r in self.sample_records()}
        gone = next(iter(records))
        channel_double.remove_live(gone)
        adapter = env.bind().adapter()
        live = {str(item["sku"]): item for item in adapter.fetch_live(sorted(records))}
        assert set(live) <= set(records), "fetch_live answers only for the SKUs asked"
        schema = env.mapper.schema
        drift = {sku: [d.kind for d in compare(sku, records[sku], live.get(sku), schema)]
                 for sku in records}
        assert drift.pop(gone) == ["missing"]
        assert all(kinds == [] for kinds in drift.values()), drift

    # --- FILE_FEED ------------------------------------------------------------------------

    def test_file_feed_holds_every_sendable_record_and_is_deterministic(
            self, tmp_path: Path, channel_double: Any) -> None:
        self._requires(Capability.FILE_FEED, channel_double)
        from feedsync.feeds.base import FeedInfo
        from feedsync.feeds.build import build_feed
        from feedsync.registry import channel_feed

        env = self.make_env(tmp_path, channel_double)
        records = self.sample_records()
        formats = channel_feed(self.adapter_class.name,
                               self.adapter_class.__module__.rsplit(".", 1)[0])
        info = FeedInfo(channel=self.adapter_class.name, title="contract",
                        description="contract feed", settings=env.bind().adapter().config)
        for name, fmt in formats.items():
            built = []
            for attempt in ("a", "b"):
                target = tmp_path / f"feed-{attempt}" / f"{name}.{fmt.extension}"
                target.parent.mkdir(parents=True, exist_ok=True)
                result = build_feed(records, schema=env.mapper.schema, fmt=fmt, target=target,
                                    info=info, force=True)
                assert result.published and result.items == len(records), (name, result)
                built.append(target.read_bytes())
            assert built[0] == built[1], f"{name}: the same records must give the same bytes"
            for record in records:
                assert record.sku.encode("utf-8") in built[0], f"{name}: {record.sku} missing"
