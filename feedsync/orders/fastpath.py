"""The quantity fast path: push the stock that orders just moved to every channel.

Storing a page of orders queues, in the same transaction, one ``stock_outbox`` row per
(target channel, SKU whose availability changed); the target channels are the enabled API
channels that take price/quantity updates, the one the order came from included (it usually
lowered its own count, but the quantity feedsync last sent there is the old one: sent here, the
sell-out is exempt from the quantity guardrails instead of being judged, and perhaps refused,
by the run's push — see :mod:`feedsync.orders.fastpath_push`). Right after the pull,
:func:`drain_outbox` hands the queued SKUs of each channel, in batches, to a
:class:`QuantityPusher` — the sync engine's plan and apply restricted to those SKUs and to
their quantity — and removes the rows the push settled. So a sale on one channel reaches
every channel in the same run, and a crash between the pull and the push only delays it to the next
run (the rows are still there), never loses it.

Quantities are read when the push happens, not when the row was queued, so a SKU queued twice is
sent once with its latest stock. Pushing a quantity is idempotent (it sets a value), so a crash
after the channel accepted a batch but before its rows were removed only re-sends the same value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlite_utils

from feedsync.errors import ExitCode, FeedsyncError, redact
from feedsync.orders.faults import crash_point
from feedsync.orders.store import write_transaction

BATCH = 500


@dataclass
class QuantityPushResult:
    """How a push of some SKUs' quantities to one channel went.

    ``done``: sent; ``unchanged``: the channel already has this quantity, nothing was sent;
    ``failed``: a permanent per-SKU refusal, reported and not retried by the fast path (the
    listing's state says what is wrong); ``retry``: a temporary failure, left queued for the next
    run; ``not_listed``: the channel does not hold the SKU, so there was nothing to update. SKUs
    in none of them count as done.
    """

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    retry: dict[str, str] = field(default_factory=dict)
    not_listed: list[str] = field(default_factory=list)  # nothing to update on that channel
    unchanged: list[str] = field(default_factory=list)  # already true there: nothing sent


class QuantityPusher(Protocol):
    """Pushes the current quantity of ``skus`` to ``channel`` (quantity-only, batched)."""

    def __call__(self, channel: str, skus: Sequence[str]) -> QuantityPushResult:
        """Push and report per SKU."""
        ...


@dataclass
class ChannelFastPath:
    """The fast path's outcome on one target channel."""

    channel: str
    pushed: int = 0  # SKUs whose quantity was actually sent (issue #16: not the settled ones)
    unchanged: int = 0  # queued, but the channel already had the quantity: nothing sent
    not_listed: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    retry: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    exit_code: ExitCode = ExitCode.OK  # of the error that stopped this channel

    @property
    def transient(self) -> bool:
        """Stopped by a temporary failure."""
        return self.exit_code is ExitCode.TEMPFAIL

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"channel": self.channel, "pushed": self.pushed, "unchanged": self.unchanged,
                "not_listed": self.not_listed, "failed": self.failed,
                "retry": self.retry, "error": self.error, "exit_code": int(self.exit_code)}


@dataclass
class FastPathReport:
    """The fast path's outcome over every target channel."""

    channels: list[ChannelFastPath] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything queued was pushed."""
        return all(not c.failed and not c.retry and c.error is None for c in self.channels)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {"channels": [c.as_dict() for c in self.channels]}


def queued(db: sqlite_utils.Database) -> dict[str, int]:
    """Queued SKUs per target channel."""
    rows = db.execute(
        "SELECT channel, COUNT(*) FROM stock_outbox GROUP BY channel ORDER BY channel"
    ).fetchall()
    return {channel: int(n) for channel, n in rows}


def queued_skus(db: sqlite_utils.Database, channel: str) -> list[str]:
    """The SKUs queued for ``channel`` (for tests and ``--json`` reports)."""
    rows = db.execute(
        "SELECT sku FROM stock_outbox WHERE channel = ? ORDER BY sku", [channel]
    ).fetchall()
    return [row[0] for row in rows]


def drain_outbox(db: sqlite_utils.Database, pusher: QuantityPusher, *,
                 channels: Sequence[str] | None = None, batch: int = BATCH) -> FastPathReport:
    """Push every queued SKU to its target channel through ``pusher`` and settle the queue.

    A channel whose push raises stops there for this run (its remaining rows stay queued, their
    attempt counters grow) while the other channels carry on.
    """
    report = FastPathReport()
    names = list(channels) if channels is not None else list(queued(db))
    for channel in names:
        outcome = ChannelFastPath(channel)
        report.channels.append(outcome)
        after = ""
        while True:
            skus = [row[0] for row in db.execute(
                "SELECT sku FROM stock_outbox WHERE channel = ? AND sku > ? ORDER BY sku"
                " LIMIT ?", [channel, after, batch],
            ).fetchall()]
            if not skus:
                break
            after = skus[-1]
            crash_point("before_fastpath_push")
            try:
                result = pusher(channel, skus)
            except Exception as exc:
                outcome.error = (exc.message if isinstance(exc, FeedsyncError)
                                 else redact(f"{type(exc).__name__}: {exc}"))
                outcome.exit_code = (exc.exit_code if isinstance(exc, FeedsyncError)
                                     else ExitCode.ERROR)
                _note_attempt(db, channel, {sku: outcome.error for sku in skus})
                break
            crash_point("after_fastpath_push_before_clear")
            _settle(db, channel, skus, result)
            outcome.not_listed += len(result.not_listed)
            outcome.unchanged += len(result.unchanged)
            outcome.pushed += (len(skus) - len(result.failed) - len(result.retry)
                               - len(result.not_listed) - len(result.unchanged))
            outcome.failed.update(result.failed)
            outcome.retry.update(result.retry)
    return report


def _settle(db: sqlite_utils.Database, channel: str, skus: Sequence[str],
            result: QuantityPushResult) -> None:
    with write_transaction(db):
        db.conn.executemany(
            "DELETE FROM stock_outbox WHERE channel = ? AND sku = ?",
            [[channel, sku] for sku in skus if sku not in result.retry],
        )
    if result.retry:
        _note_attempt(db, channel, result.retry)


def _note_attempt(db: sqlite_utils.Database, channel: str, errors: dict[str, str]) -> None:
    with write_transaction(db):
        db.conn.executemany(
            "UPDATE stock_outbox SET attempts = attempts + 1, last_error = ?"
            " WHERE channel = ? AND sku = ?",
            [[message, channel, sku] for sku, message in errors.items()],
        )
