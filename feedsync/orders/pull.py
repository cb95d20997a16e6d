"""`orders pull`: read each channel's orders from its cursor minus the lookback, page by page.

Per page, in ONE write transaction: the orders and their lines are upserted, stock moves through
the reservation ledger, the SKUs whose availability changed are queued for the fast path, and the
channel's cursor advances to the page's cursor. A crash inside the page leaves nothing of it; a
crash after it loses nothing, and the next run re-reads from the cursor minus the lookback window,
whose overlap the idempotent upsert absorbs.

Only after a page is committed are its orders acknowledged (channels with
``Capability.ACKNOWLEDGE``); an acknowledgement that fails or never happens (crash) is retried at
the next run, because the ``acked_at`` of those orders is still empty.

The caller holds the workspace run lock (``feedsync orders pull`` and ``feedsync sync`` do).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from feedsync.adapter import Adapter, Capability
from feedsync.config import Workspace
from feedsync.db import utcnow_iso
from feedsync.errors import BudgetExhausted, ExitCode, FeedsyncError, redact
from feedsync.orders.channels import AdapterFactory, adapter_factory, channels_with, utcnow
from feedsync.orders.faults import crash_point
from feedsync.orders.store import OrderStore, PageResult, iso, write_transaction
from feedsync.sync.timebox import Narrower, TimeBox, bounded_waits

log = logging.getLogger(__name__)

ACK_BATCH = 50
FASTPATH_CAPABILITIES = Capability.PRICE_QUANTITY | Capability.API_PUSH


@dataclass
class ChannelPull:
    """The outcome of pulling one channel."""

    channel: str
    account: str = ""
    since: datetime | None = None
    cursor: datetime | None = None
    pages: int = 0
    result: PageResult = field(default_factory=PageResult)
    acked: int = 0
    ack_failed: int = 0
    ack_error: str | None = None
    error: str | None = None
    exit_code: ExitCode = ExitCode.OK  # of the error that stopped the pull
    time_bound: str | None = None  # stopped by [orders] max_pull_seconds: the rest next run

    @property
    def transient(self) -> bool:
        """Stopped by a temporary failure (the next run continues from the cursor)."""
        return self.exit_code is ExitCode.TEMPFAIL

    @property
    def ok(self) -> bool:
        """Pulled completely and every acknowledgement went through."""
        return self.error is None and self.ack_error is None and self.time_bound is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "channel": self.channel, "account": self.account,
            "since": iso(self.since) if self.since else None,
            "cursor": iso(self.cursor) if self.cursor else None, "pages": self.pages,
            **self.result.as_dict(), "acknowledged": self.acked,
            "ack_failed": self.ack_failed, "ack_error": self.ack_error, "error": self.error,
            "time_bound": self.time_bound, "exit_code": int(self.exit_code),
        }


@dataclass
class PullReport:
    """The outcome of ``orders pull`` over several channels."""

    channels: list[ChannelPull] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    reapplied: int = 0

    @property
    def affected_skus(self) -> set[str]:
        """Every SKU whose availability changed."""
        found: set[str] = set()
        for pulled in self.channels:
            found |= pulled.result.affected_skus
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"channels": [c.as_dict() for c in self.channels], "skipped": self.skipped,
                "reapplied_lines": self.reapplied}


def fastpath_targets(workspace: Workspace) -> list[str]:
    """Enabled API channels that take quantity pushes (file-feed channels get them later).

    The channel an order came from is one of them: it usually lowered its own count already,
    but feedsync's listing state still holds the quantity it last sent, so the run's push would
    send the sell-out anyway — judged there by ``max_zero_quantity_share`` and refused on a small
    catalog, holding back that channel's whole push. Through the fast path it goes out exempt
    from the quantity guardrails (feedsync.orders.fastpath_push), for the same one call per SKU.
    """
    api = [n for n in workspace.enabled_channels() if workspace.channel(n).delivery == "api"]
    chosen, _ = channels_with(workspace, FASTPATH_CAPABILITIES, api)
    return chosen


def order_store(workspace: Workspace, db: sqlite_utils.Database) -> OrderStore:
    """The workspace's order store, configured from ``[orders]``."""
    settings = workspace.settings.orders
    return OrderStore(db, keep_personal_data=settings.keep_personal_data,
                      reserve_location=settings.reserve_location)


def pull_orders(workspace: Workspace, db: sqlite_utils.Database,
                channels: Sequence[str] | None = None, *,
                factory: AdapterFactory | None = None,
                clock: Callable[[], datetime] = utcnow) -> PullReport:
    """Pull, store and acknowledge the orders of ``channels`` (default: every enabled channel
    whose adapter has orders). One channel's failure is reported and never stops the others."""
    store = order_store(workspace, db)
    factory = factory or adapter_factory(workspace, db, clock)
    report = PullReport()
    names = list(channels) if channels else None
    chosen, report.skipped = channels_with(workspace, Capability.ORDERS, names)
    targets = fastpath_targets(workspace) if workspace.settings.orders.fast_path else []
    with write_transaction(db):
        # Lines whose SKU was unknown when their order came in and is in the catalog now.
        again = store.reapply_unknown()
        store.enqueue(targets, again.affected_skus)
        report.reapplied = again.updated
    for channel in chosen:
        pulled = ChannelPull(channel)
        report.channels.append(pulled)
        try:
            adapter = factory(channel)
            pulled.account = adapter.context.account
            _pull_channel(workspace, store, adapter, pulled, targets, clock)
        except FeedsyncError as exc:
            pulled.error = exc.message
            pulled.exit_code = exc.exit_code
        except Exception as exc:  # an adapter bug must not hide the other channels' orders
            log.debug("orders pull %s failed", channel, exc_info=True)
            pulled.error = redact(f"{type(exc).__name__}: {exc}")
            pulled.exit_code = ExitCode.ERROR
        if pulled.account:
            _acknowledge(store, factory, pulled)
    return report


def _pull_channel(workspace: Workspace, store: OrderStore, adapter: Adapter,
                  pulled: ChannelPull, targets: list[str],
                  clock: Callable[[], datetime]) -> None:
    settings = workspace.settings.orders
    channel, account = pulled.channel, pulled.account
    cursor = store.cursor(channel, account)
    if cursor is None:
        since = clock() - timedelta(days=settings.initial_lookback_days)
    else:
        since = cursor - timedelta(minutes=settings.lookback_minutes)
    pulled.since = since
    ack = bool(adapter.capabilities & Capability.ACKNOWLEDGE)
    box = TimeBox(settings.max_pull_seconds)
    with bounded_waits(adapter, box) as narrow:
        try:
            _read_pages(store, adapter, pulled, since, ack, targets, box, narrow)
        except BudgetExhausted as exc:
            if not narrow.binding:
                raise  # a spent budget of the channel, not our time bound
            # A rate wait that would cross the step's deadline: stop here (cursor committed).
            pulled.time_bound = box.note(f"{channel}: {pulled.pages} page(s) read, the next "
                                         f"would wait past the bound ({exc.message})")
    if pulled.time_bound:
        pulled.exit_code = ExitCode.TEMPFAIL


def _read_pages(store: OrderStore, adapter: Adapter, pulled: ChannelPull, since: datetime,
                ack: bool, targets: list[str], box: TimeBox, narrow: Narrower) -> None:
    channel, account = pulled.channel, pulled.account
    pages = iter(adapter.pull_orders(since))
    while True:
        if box.expired():
            pulled.time_bound = box.note(f"{channel}: {pulled.pages} page(s) read")
            return
        narrow()
        page = next(pages, None)
        if page is None:
            return
        crash_point("before_page_upsert")
        with write_transaction(store.db):
            result = store.upsert_orders(channel, account, page.orders, ack_required=ack,
                                         fastpath_targets=targets)
            if page.cursor is not None:
                store.advance_cursor(channel, account, page.cursor)
            crash_point("after_upsert_before_commit")
        pulled.pages += 1
        pulled.result.add(result)
        pulled.cursor = store.cursor(channel, account)
        crash_point("after_commit_before_ack")
        if ack:
            _acknowledge(store, lambda _name: adapter, pulled)


def _acknowledge(store: OrderStore, factory: AdapterFactory, pulled: ChannelPull) -> None:
    """Acknowledge every committed, unacknowledged open order of the channel, in batches."""
    channel, account = pulled.channel, pulled.account
    if pulled.ack_error is not None:
        return  # failed once this run: try again next run rather than hammering the channel
    pending = store.db.execute(
        "SELECT COUNT(*) FROM orders WHERE channel = ? AND account = ? AND ack_required = 1"
        " AND acked_at IS NULL AND status IN ('pending', 'unshipped')", [channel, account],
    ).fetchone()[0]
    if not pending:
        return
    try:
        adapter = factory(channel)
    except FeedsyncError as exc:
        pulled.ack_error = exc.message
        return
    while True:
        ids = [row[0] for row in store.db.execute(
            "SELECT order_id FROM orders WHERE channel = ? AND account = ? AND ack_required = 1"
            " AND acked_at IS NULL AND status IN ('pending', 'unshipped')"
            " ORDER BY created_at, order_id LIMIT ?", [channel, account, ACK_BATCH],
        ).fetchall()]
        if not ids:
            return
        try:
            adapter.ack_orders(ids)
        except Exception as exc:
            message = (exc.message if isinstance(exc, FeedsyncError)
                       else redact(f"{type(exc).__name__}: {exc}"))
            with write_transaction(store.db):
                store.db.conn.executemany(
                    "UPDATE orders SET ack_attempts = ack_attempts + 1, ack_error = ?"
                    " WHERE channel = ? AND account = ? AND order_id = ?",
                    [[message, channel, account, i] for i in ids],
                )
            pulled.ack_failed += len(ids)
            pulled.ack_error = message
            return
        crash_point("after_ack_before_record")
        now = utcnow_iso()
        with write_transaction(store.db):
            store.db.conn.executemany(
                "UPDATE orders SET acked_at = ?, ack_attempts = ack_attempts + 1,"
                " ack_error = NULL WHERE channel = ? AND account = ? AND order_id = ?",
                [[now, channel, account, i] for i in ids],
            )
        pulled.acked += len(ids)
