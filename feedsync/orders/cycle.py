"""The orders step of a run: pull every channel's orders, then the quantity fast path.

``feedsync sync`` calls :func:`run_orders_cycle` at the start of its run (inside its run lock),
and ``feedsync orders pull`` calls it inside the same lock, so the stock that orders moved is
pushed to the channels before anything else happens in the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from feedsync.config import Workspace
from feedsync.errors import ExitCode
from feedsync.orders.channels import AdapterFactory, adapter_factory, utcnow
from feedsync.orders.fastpath import FastPathReport, QuantityPusher, drain_outbox
from feedsync.orders.fastpath_push import engine_pusher
from feedsync.orders.pull import ChannelPull, PullReport, pull_orders
from feedsync.orders.store import Flag
from feedsync.sync.runs import Outcome, StepResult


@dataclass
class OrdersCycle:
    """What the orders step of a run did."""

    pull: PullReport
    fastpath: FastPathReport | None = None
    fastpath_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (``--json``)."""
        return {
            "ok": self.exit_code() == ExitCode.OK,
            "pull": self.pull.as_dict(),
            "fast_path": self.fastpath.as_dict() if self.fastpath else None,
            "fast_path_note": self.fastpath_note,
        }

    def exit_code(self) -> ExitCode:
        """The most urgent thing a human should know: a guardrail refusal (5), then a
        configuration or credential problem (4); 75 when every failure is temporary; 1 when
        nothing went through; 3 when some of it did; else 0."""
        problems: list[ExitCode] = []
        worked = 0
        for pulled in self.pull.channels:
            if pulled.error is not None:
                problems.append(pulled.exit_code)
            else:
                worked += 1
            if pulled.ack_error is not None or pulled.time_bound is not None:
                problems.append(ExitCode.TEMPFAIL)
        for pushed in self.fastpath.channels if self.fastpath else []:
            if pushed.error is not None:
                problems.append(pushed.exit_code)
            elif pushed.retry:
                problems.append(ExitCode.TEMPFAIL)
            elif pushed.failed:
                problems.append(ExitCode.PARTIAL)
            if pushed.pushed:
                worked += 1
        if not problems:
            return ExitCode.OK
        for urgent in (ExitCode.GUARDRAIL, ExitCode.NEEDS_HUMAN):
            if urgent in problems:
                return urgent
        if all(code is ExitCode.TEMPFAIL for code in problems):
            return ExitCode.TEMPFAIL
        return ExitCode.PARTIAL if worked else ExitCode.ERROR

    def human_lines(self) -> list[str]:
        """A short human report, one line per channel plus flagged orders."""
        out: list[str] = []
        for pulled in self.pull.channels:
            r = pulled.result
            text = (f"{pulled.channel}: {r.new} new, {r.updated} updated, {r.unchanged} "
                    f"unchanged, {r.stale} stale order(s) in {pulled.pages} page(s)")
            if pulled.acked or pulled.ack_failed:
                text += f"; {pulled.acked} acknowledged"
            if pulled.ack_error:
                text += f"; acknowledgement failed ({pulled.ack_error}), retried next run"
            if pulled.error:
                text += f"; stopped: {pulled.error}"
            if pulled.time_bound:
                text += f"; {pulled.time_bound}"
            out.append(text)
            out.extend(f"  ! {flag_text(flag)}" for flag in r.flags)
        for name, why in self.pull.skipped.items():
            out.append(f"{name}: skipped ({why})")
        if self.pull.reapplied:
            out.append(f"{self.pull.reapplied} order line(s) with a newly known SKU reserved")
        if self.fastpath is not None:
            for pushed in self.fastpath.channels:
                text = f"fast path → {pushed.channel}: {pushed.pushed} SKU quantity(ies) pushed"
                if pushed.unchanged:
                    text += f", {pushed.unchanged} already up to date"
                if pushed.not_listed:
                    text += f", {pushed.not_listed} not listed there"
                if pushed.failed:
                    text += f", {len(pushed.failed)} refused"
                if pushed.retry:
                    text += f", {len(pushed.retry)} left queued"
                if pushed.error:
                    text += f"; stopped: {pushed.error}"
                out.append(text)
        if self.fastpath_note:
            out.append(f"fast path: {self.fastpath_note}")
        return out or ["no channel with orders is enabled"]


def run_orders_cycle(workspace: Workspace, db: sqlite_utils.Database,
                     channels: Sequence[str] | None = None, *, fast_path: bool = True,
                     pusher: QuantityPusher | None = None,
                     factory: AdapterFactory | None = None,
                     clock: Callable[[], datetime] = utcnow) -> OrdersCycle:
    """Pull orders (see :mod:`feedsync.orders.pull`) then drain the fast-path queue.

    The caller holds the workspace run lock. ``pusher`` defaults to the sync engine restricted
    to the queued SKUs and to quantity-only actions
    (:func:`feedsync.orders.fastpath_push.engine_pusher`).
    """
    factory = factory or adapter_factory(workspace, db, clock)
    report = pull_orders(workspace, db, channels, factory=factory, clock=clock)
    outcome = OrdersCycle(report)
    if not fast_path or not workspace.settings.orders.fast_path:
        outcome.fastpath_note = "off; the queued quantities go out with the next run"
        return outcome
    if pusher is None:
        pusher = engine_pusher(workspace, db, clock=clock)
    outcome.fastpath = drain_outbox(db, pusher)
    return outcome


def _outcome(code: ExitCode) -> Any:
    return {ExitCode.OK: Outcome.OK, ExitCode.TEMPFAIL: Outcome.TRANSIENT,
            ExitCode.NEEDS_HUMAN: Outcome.NEEDS_HUMAN, ExitCode.GUARDRAIL: Outcome.REFUSED,
            ExitCode.PARTIAL: Outcome.PARTIAL}.get(code, Outcome.ERROR)


def oversells(pulled: ChannelPull) -> list[Flag]:
    """The oversells this pull newly found (each is reported once, when it opens)."""
    return [flag for flag in pulled.result.flags if flag.code == "oversell"]


def flag_text(flag: Flag) -> str:
    """One new order issue for people; an oversell says which order and what to do."""
    if flag.code == "oversell":
        return (f"oversell: {flag.channel} {flag.message}; cancel one of the orders that share "
                "this stock (`feedsync orders list --flagged` lists them)")
    return f"{flag.code}: {flag.message}"


def step_results(cycle: OrdersCycle) -> list[Any]:
    """The cycle as the run journal's steps (``feedsync.sync.runs.StepResult``): one
    ``orders`` step per pulled channel and one ``fast_path`` step per target channel."""
    steps: list[Any] = []
    for pulled in cycle.pull.channels:
        code = pulled.exit_code if pulled.error else (
            ExitCode.TEMPFAIL if pulled.ack_error or pulled.time_bound else ExitCode.OK)
        counts = {k: v for k, v in pulled.as_dict().items()
                  if k in ("new", "updated", "unchanged", "stale", "pages", "acknowledged",
                           "ack_failed", "affected_skus")}
        counts["flags"] = len(pulled.result.flags)
        message = pulled.error or pulled.time_bound or pulled.ack_error or (
            f"{pulled.channel}: {pulled.result.new} new, {pulled.result.updated} updated order(s)")
        found = oversells(pulled)
        if found:
            # An oversell needs a human (cancel one order): the step is PARTIAL, so the run
            # exits 3 and a cron log shows it, and it is named in the text (problems).
            if code in (ExitCode.OK, ExitCode.TEMPFAIL):
                code = ExitCode.PARTIAL
            message += (f"; {len(found)} oversell(s) found: cancel one of the orders sharing "
                        "the stock")
        details: dict[str, Any] = {"flags": pulled.result.as_dict()["flags"]}
        if pulled.result.flags:
            details["problems"] = [flag_text(flag) for flag in pulled.result.flags]
        steps.append(StepResult(step="orders", outcome=_outcome(code), channel=pulled.channel,
                                account=pulled.account, message=message, counts=counts,
                                details=details))
    for pushed in cycle.fastpath.channels if cycle.fastpath else []:
        code = pushed.exit_code if pushed.error else (
            ExitCode.TEMPFAIL if pushed.retry else
            ExitCode.PARTIAL if pushed.failed else ExitCode.OK)
        steps.append(StepResult(
            step="fast_path", outcome=_outcome(code), channel=pushed.channel,
            message=pushed.error or f"{pushed.channel}: {pushed.pushed} quantity(ies) pushed",
            counts={"pushed": pushed.pushed, "not_listed": pushed.not_listed,
                    "failed": len(pushed.failed),
                    "retry": len(pushed.retry)}))
    return steps
