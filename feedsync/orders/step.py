"""The orders loop inside ``feedsync sync`` and ``feedsync status``.

``orders_step`` is the first step of :data:`feedsync.sync.runner.SYNC_STEPS`: inside the run's
lock it pulls every channel's orders, reserves their stock, acknowledges them and pushes the
moved quantities to the channels (the fast path), before the run's own push. So the
oversell window is one run. ``add_order_counts`` and ``order_status_lines`` put the orders
figures (unacknowledged, unshipped, open issues, queued quantity pushes) into ``feedsync status``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlite_utils

from feedsync.orders.cycle import run_orders_cycle, step_results
from feedsync.orders.fastpath_push import engine_pusher
from feedsync.orders.query import status_counts
from feedsync.sync.runs import Outcome, StepResult

if TYPE_CHECKING:
    from feedsync.sync.runner import RunContext


def orders_step(ctx: RunContext) -> Iterator[StepResult]:
    """Pull orders and run the quantity fast path for the run's channels (see module doc)."""
    if ctx.options.dry_run:
        yield StepResult(step="orders", outcome=Outcome.SKIPPED,
                         message="dry run: orders are not pulled, acknowledged or pushed")
        return
    db = ctx.catalog.db
    # The run's adapters and bindings: pull, fast path and push share one access token.
    pusher = engine_pusher(ctx.workspace, db, run_id=ctx.run_id, force=ctx.options.force,
                           binder=ctx.bind)
    cycle = run_orders_cycle(ctx.workspace, db, ctx.channels, pusher=pusher,
                             factory=ctx.adapter)
    yield from step_results(cycle)


def add_order_counts(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Add each channel's ``orders`` figures to ``feedsync status`` rows (in place)."""
    counts = status_counts(db)
    for row in rows:
        if row.get("channel") in counts:
            row["orders"] = counts[row["channel"]]


def order_status_lines(row: dict[str, Any]) -> Iterator[str]:
    """The orders line of one channel in ``feedsync status`` (nothing for channels without)."""
    counts = row.get("orders")
    if not counts:
        return
    yield (f"  orders {counts['orders']}: unacknowledged {counts['unacknowledged']}, "
           f"unshipped {counts['unshipped']}, open issues {counts['open_issues']}"
           + (f"; quantities queued for this channel {counts['queued_pushes']}"
              if counts["queued_pushes"] else ""))
