"""A run: the workspace lock, the journal, and a list of steps that each report per channel.

``feedsync push`` runs the push step; ``feedsync sync`` runs :data:`SYNC_STEPS` in order. A
step is a function of the :class:`RunContext` yielding :class:`StepResult` s (one per channel it
touched); a step that raises is journaled as an error and the run goes on with the next step.
To add a step to ``sync`` (the orders pull, say), insert ``("orders", pull_step)`` into
:data:`SYNC_STEPS` before ``"push"``, so the stock it reserves is pushed in the same run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from feedsync.errors import ConfigError, ExitCode, FeedsyncError
from feedsync.feeds.channel import build_channel_feed
from feedsync.orders.step import orders_step
from feedsync.sync.channels import ChannelBinding, bind_channel, utc_now
from feedsync.sync.feedruns import feed_error_step, feed_step
from feedsync.sync.lock import WorkspaceLock, lock_path
from feedsync.sync.push import PushOptions, push_channel
from feedsync.sync.runs import Outcome, RunJournal, StepResult
from feedsync.sync.state import prune_changes

if TYPE_CHECKING:
    from feedsync.adapter import Adapter
    from feedsync.catalog import Catalog
    from feedsync.config import Workspace

log = logging.getLogger("feedsync.sync")

Binder = Callable[[str], ChannelBinding]


@dataclass
class RunContext:
    """What every step of a run may use."""

    workspace: Workspace
    catalog: Catalog
    journal: RunJournal
    options: PushOptions
    channels: Sequence[str] | None = None  # None: every enabled channel
    binder: Binder | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> int:
        """This run's id in ``sync_runs``."""
        return self.journal.run_id

    def channel_names(self) -> list[str]:
        """The channels this run is about."""
        if self.channels:
            return list(self.channels)
        return self.workspace.enabled_channels()

    def bind(self, name: str) -> ChannelBinding:
        """The run's binding of ``name`` (mapper, guardrails, lazy adapter), made once.

        Every step of a run shares it, and so one adapter and one access token per channel
        (issue #16: one sync fetched two LWA tokens 17 s apart, one per step).
        """
        bindings = self.extras.setdefault("bindings", {})
        if name not in bindings:
            opened = self.extras.get("adapters", {}).get(name)
            if self.binder is not None:
                binding = self.binder(name)
                if opened is not None and binding._adapter is None:
                    binding._adapter = opened
            else:
                binding = bind_channel(self.workspace, self.catalog.db, name, adapter=opened)
            bindings[name] = binding
        return bindings[name]

    def adapter(self, name: str) -> Adapter:
        """The run's adapter of ``name`` (the binding's, else opened once without a mapper:
        a channel feedsync only pulls orders from needs none)."""
        binding = self.extras.get("bindings", {}).get(name)
        if binding is not None:
            return binding.adapter()
        adapters = self.extras.setdefault("adapters", {})
        if name not in adapters:
            from feedsync.adapter_factory import open_adapter

            adapters[name] = open_adapter(self.workspace, self.catalog.db, name)
        return adapters[name]


Step = Callable[[RunContext], Iterable[StepResult]]


def push_step(ctx: RunContext) -> Iterator[StepResult]:
    """Push every channel of the run, one after another; one failing never stops the next."""
    for name in ctx.channel_names():
        if name not in ctx.workspace.settings.channels:
            yield StepResult(step="push", outcome=Outcome.NEEDS_HUMAN, channel=name,
                             message=f"{name}: not configured in {ctx.workspace.config_path}"
                                     f" (add a [channels.{name}] table)")
            continue
        settings = ctx.workspace.channel(name)
        if settings.delivery != "api":
            if not ctx.channels:  # `sync` over every channel: the feeds step builds these
                continue
            yield StepResult(step="push", outcome=Outcome.SKIPPED, channel=name,
                             account=settings.account,
                             message=f"{name}: delivery = {settings.delivery!r}: listings go "
                                     f"out as a feed file (`feedsync feed build {name}`)")
            continue
        try:
            binding = ctx.bind(name)
        except ConfigError as exc:
            yield StepResult(step="push", outcome=Outcome.NEEDS_HUMAN, channel=name,
                             account=settings.account, message=f"{name}: {exc.message}",
                             details={"problems": list(exc.problems)})
            continue
        except FeedsyncError as exc:
            yield StepResult(step="push", outcome=Outcome.ERROR, channel=name,
                             account=settings.account, message=f"{name}: {exc.message}")
            continue
        result = push_channel(binding, ctx.catalog, ctx.options, run_id=ctx.run_id)
        _count_held(ctx.catalog.db, result)
        yield result


def _count_held(db: Any, result: StepResult) -> None:
    """Add ``held_invalid`` (SKUs the plan kept back for validation errors) to a push's counts,
    so its line says why fewer SKUs went out than the catalog has."""
    if result.outcome not in (Outcome.OK, Outcome.PARTIAL) or result.channel is None:
        return
    held = db.execute("SELECT COUNT(*) FROM listing_inputs WHERE channel = ? AND account = ?"
                      " AND want = 'hold'", [result.channel, result.account]).fetchone()[0]
    if held:
        result.counts["held_invalid"] = int(held)


def feeds_step(ctx: RunContext) -> Iterator[StepResult]:
    """Build and publish the feed file of every file-delivery channel of the run."""
    for name in ctx.channel_names():
        settings = ctx.workspace.settings.channels.get(name)
        if settings is None or settings.delivery != "file":
            continue
        result = StepResult(step="feed", outcome=Outcome.OK, channel=name,
                            account=settings.account)
        if ctx.options.dry_run:
            result.outcome = Outcome.SKIPPED
            result.message = f"{name}: dry run: feed file not rebuilt"
            yield result
            continue
        try:
            feed = build_channel_feed(ctx.workspace, ctx.catalog, name, now=utc_now(),
                                      force=ctx.options.force)
        except Exception as exc:  # one channel's feed never stops the others
            log.debug("feed %s failed", name, exc_info=True)
            yield feed_error_step(name, settings.account, exc)
        else:
            yield feed_step(name, settings.account, feed, ctx.workspace.root)


# The steps of `feedsync sync`, in order.
SYNC_STEPS: list[tuple[str, Step]] = [
    ("orders", orders_step),  # pull orders + quantity fast path first (feedsync/orders/step.py)
    ("push", push_step),
    ("feeds", feeds_step),
]


@dataclass
class RunReport:
    """What a run did, for the CLI."""

    run_id: int
    exit_code: ExitCode
    results: list[StepResult]
    took_over: dict[str, Any]
    crashed_before: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return {
            "ok": self.exit_code == ExitCode.OK,
            "run": self.run_id,
            "exit_code": int(self.exit_code),
            "stale_lock_taken_over": self.took_over or None,
            "steps": [r.as_dict() for r in self.results],
        }


def run_steps(workspace: Workspace, catalog: Catalog, command: str,
              steps: Sequence[tuple[str, Step]], options: PushOptions, *,
              channels: Sequence[str] | None = None, binder: Binder | None = None,
              on_result: Callable[[StepResult], None] | None = None) -> RunReport:
    """Take the workspace lock, journal a run, run ``steps``; raises LockBusy if held."""
    lock = WorkspaceLock(lock_path(workspace.db_path), command)
    with lock:
        journal = RunJournal(catalog.db, command, dry_run=options.dry_run)
        ctx = RunContext(workspace=workspace, catalog=catalog, journal=journal,
                         options=options, channels=channels, binder=binder)
        try:
            for name, step in steps:
                try:
                    for result in step(ctx):
                        journal.add(result)
                        if on_result is not None:
                            on_result(result)
                except Exception as exc:  # a broken step is journaled; the next one runs
                    log.debug("step %s failed", name, exc_info=True)
                    text = exc.message if isinstance(exc, FeedsyncError) else repr(exc)
                    result = StepResult(step=name, outcome=Outcome.ERROR, message=text)
                    journal.add(result)
                    if on_result is not None:
                        on_result(result)
        except BaseException as exc:
            journal.abort(f"interrupted: {exc!r}")
            raise
        code = journal.finish()
        prune_changes(catalog.db)  # here too: a workspace whose channels are all files
    return RunReport(run_id=journal.run_id, exit_code=code, results=journal.results,
                     took_over=lock.previous, crashed_before=journal.crashed_before)
