"""Pushing one channel: resume, plan, guard, render, batch, submit, poll — and never lose a SKU.

:func:`push_channel` is the engine's one entry point for a channel (``feedsync push``,
``feedsync sync`` and the orders loop's quantity fast path all call it):

1. release batches a dead run left half-sent, and poll submissions still pending;
2. build the plan (only dirty SKUs are rendered) and check its guardrails (``--force`` skips;
   the orders fast path is exempt from the quantity ones, see :mod:`feedsync.sync.guardrails`);
3. render each change through the adapter, group them within its limits and, unless this is a
   dry run, record → submit → record each batch (:mod:`feedsync.sync.apply`);
4. poll pending submissions until they are final or ``wait`` seconds have passed (the next run
   picks up the rest).

A failure stops only this channel and becomes the step's outcome; per-SKU problems are stored
on the listings and summarised in the result.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from feedsync.adapter import (
    Adapter,
    Batch,
    ItemOutcome,
    ItemStatus,
    Submission,
    SubmissionState,
)
from feedsync.errors import (
    AuthError,
    BudgetExhausted,
    ChannelError,
    CircuitOpen,
    ConfigError,
    FeedsyncError,
    ItemRejected,
    OutcomeUnknown,
    RenderError,
    TransientError,
)
from feedsync.models import Issue, Severity
from feedsync.sync import apply, readback
from feedsync.sync.batching import Batcher, ItemTooLarge, Outgoing
from feedsync.sync.plan import Plan, PlanRow, build_plan
from feedsync.sync.runs import Outcome, StepResult
from feedsync.sync.state import ensure_schema
from feedsync.sync.timebox import Narrower, TimeBox, bounded_waits

if TYPE_CHECKING:
    from feedsync.catalog import Catalog
    from feedsync.sync.channels import ChannelBinding

log = logging.getLogger("feedsync.sync")

# Consecutive whole-batch refusals after which a channel is stopped for this run.
MAX_BATCH_FAILURES = 3
SAMPLE = 20


@dataclass
class PushOptions:
    """How to push. ``sleep``/``monotonic`` are injectable so tests never wait."""

    dry_run: bool = False
    force: bool = False
    wait: float = 120.0  # seconds to keep polling pending submissions in this run
    skus: Sequence[str] | None = None  # only these SKUs (the orders fast path)
    # Only these parts of listed items (the orders fast path: {"quantity"}); the other parts,
    # creates and deletes stay planned for the next push (feedsync.sync.diff).
    parts: frozenset[str] | None = None
    # Set only by the orders fast path (feedsync.orders.fastpath_push): its sell-outs are not
    # judged by the quantity guardrails (feedsync.sync.guardrails.QUANTITY_RULES). Needs
    # ``skus`` and ``parts={"quantity"}``; every other push keeps every guardrail.
    exempt_quantity_guardrails: bool = False
    full: bool = False  # compare every SKU's inputs rather than trust the change stamps
    max_seconds: float | None = None  # sending time bound (default: [sync] max_push_seconds)
    poll_interval: float = 2.0
    max_poll_interval: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    # Called with each batch a dry run would send (the CLI prints them as they come).
    on_batch: Callable[[str, Outgoing[PlanRow]], None] | None = None


def push_channel(binding: ChannelBinding, catalog: Catalog, options: PushOptions | None = None,
                 *, run_id: int | None = None) -> StepResult:
    """Push one channel; see the module docstring. Never raises for a channel failure."""
    opts = options or PushOptions()
    result = StepResult(step="push", outcome=Outcome.OK, channel=binding.name,
                        account=binding.account)
    if binding.delivery != "api":
        result.outcome = Outcome.SKIPPED
        result.message = (f"{binding.name}: delivery = {binding.delivery!r}: its listings go "
                          f"out as a feed file (`feedsync feed build {binding.name}`)")
        return result
    pusher = _Pusher(binding, catalog, opts, run_id, result)
    try:
        pusher.run()
    except (AuthError, CircuitOpen, ConfigError) as exc:
        pusher.stop(Outcome.NEEDS_HUMAN, exc)
    except BudgetExhausted as exc:
        pusher.stop(Outcome.PARTIAL, exc, "budget used up, the rest is deferred to the next run")
    except TransientError as exc:
        pusher.stop(Outcome.TRANSIENT, exc, "the next run continues")
    except RenderBug as exc:  # not bad data: the adapter's code failed, say so loudly
        log.info("%s: rendering SKU %s failed", binding.name, exc.sku, exc_info=exc.error)
        pusher.stop(Outcome.ERROR, exc)
    except FeedsyncError as exc:
        pusher.stop(Outcome.ERROR, exc)
    except Exception as exc:  # a bug or a malformed answer: stop this channel, not the run
        log.debug("%s: push failed", binding.name, exc_info=True)
        pusher.stop(Outcome.ERROR, exc)
    pusher.finish()
    return result


class RenderBug(FeedsyncError):
    """``render_item`` raised something other than :class:`RenderError`: a bug in the adapter,
    not a data problem of the SKU, so the channel stops (traceback in the log with -v)."""

    def __init__(self, channel: str, sku: str, error: BaseException) -> None:
        self.sku = sku
        self.error = error
        super().__init__(f"the {channel} adapter failed while rendering SKU {sku!r} "
                         f"({type(error).__name__}: {error}); this is a bug in the adapter, "
                         f"not a problem of the SKU's data: run with -v for the traceback")


class _Pusher:
    def __init__(self, binding: ChannelBinding, catalog: Catalog, opts: PushOptions,
                 run_id: int | None, result: StepResult) -> None:
        self.b = binding
        self.catalog = catalog
        self.db = catalog.db
        self.opts = opts
        self.run_id = run_id
        self.result = result
        self.counts: Counter[str] = Counter()
        self.touched: list[int] = []
        self.plan: Plan | None = None
        self.local_rejects: list[dict[str, Any]] = []
        self.sent_skus: list[str] = []
        self.time_bound: str | None = None
        self.overdue: list[str] = []  # lost answers still undecided after hours (readback)
        # Batches that failed whole, how many of them transiently, and the last cause: a step
        # whose every batch failed transiently is TRANSIENT (the channel is down), and its
        # message names the cause (issue #16 follow-up: it read "partial: 58 sent, 58 failed").
        self.failed_items = 0
        self.transient_batches = 0
        self.last_cause: str | None = None

    # --- the steps ----------------------------------------------------------------------

    def run(self) -> None:
        ensure_schema(self.db)
        adapter = self.b.adapter()
        if not self.opts.dry_run:
            # Batches whose answer was lost (this or a dead run): read back before planning,
            # so a batch that did arrive is adopted, not sent twice (feedsync.sync.readback).
            resolved = readback.resolve_open(self.db, adapter, self.b.name, self.b.account)
            self.counts["lost"] += resolved.released
            self.counts["adopted"] += resolved.adopted
            self.counts["unknown"] += resolved.open
            self.counts.update(resolved.counts)
            self.overdue = resolved.overdue
            self._poll(adapter, deadline=self.opts.monotonic())
        plan = self.plan = build_plan(
            self.b, self.catalog, skus=self.opts.skus, full=self.opts.full,
            parts=self.opts.parts, exempt_quantity_guardrails=self.opts.exempt_quantity_guardrails)
        try:
            self.result.details["plan"] = plan.summary()
            if plan.violations:
                if not self.opts.force:
                    self.result.outcome = Outcome.REFUSED
                    self.result.message = (
                        f"{self.b.name}: plan refused by guardrails (check it with `feedsync plan "
                        f"{self.b.name}`, then use --force if it is right): "
                        + "; ".join(plan.violations))
                    return
                self.result.details["forced"] = list(plan.violations)
            if self.opts.dry_run:
                self._dry_run(adapter, plan)
                return
            self.counts["cleaned_up"] += apply.cleanup_unlisted(self.db, self.b.name,
                                                                self.b.account)
            self._send(adapter, plan)
            self._poll(adapter, deadline=self.opts.monotonic() + self.opts.wait)
        finally:
            plan.close()

    def _batches(self, adapter: Adapter, plan: Plan) -> Batcher[PlanRow]:
        return Batcher(self.b.name, type(adapter).limits, key=adapter.batch_key)

    def _rendered(self, adapter: Adapter, plan: Plan, batcher: Batcher[PlanRow]
                  ) -> Iterator[Outgoing[PlanRow]]:
        """Yield full batches as the plan's rows are rendered; bad SKUs are set aside."""
        for row in plan.rows():
            try:
                item = adapter.render_item(row.change(self.b.name))
                full = batcher.add(item, row)
            except ItemTooLarge as exc:
                self._reject_locally(row, "item_too_large", str(exc))
                continue
            except RenderError as exc:  # one SKU that cannot be rendered never blocks the rest
                self._reject_locally(row, "render_failed", f"could not render: {exc.message}")
                continue
            except FeedsyncError:  # a deliberate error (config, auth …): handled as such
                raise
            except Exception as exc:
                raise RenderBug(self.b.name, row.sku, exc) from exc
            yield from full
        yield from batcher.flush()

    def _dry_run(self, adapter: Adapter, plan: Plan) -> None:
        for outgoing in self._rendered(adapter, plan, self._batches(adapter, plan)):
            self.counts["batches"] += 1
            self.counts["items"] += len(outgoing.batch.items)
            self.counts["bytes"] += outgoing.size
            if self.opts.on_batch is not None:
                self.opts.on_batch(self.b.name, outgoing)

    def _send(self, adapter: Adapter, plan: Plan) -> None:
        # A time bound per channel and run, rate waits included (issue #16): what is not sent
        # by then stays planned for the next run, and the step says so.
        box = TimeBox(self.opts.max_seconds or self.b.workspace.settings.sync.max_push_seconds,
                      self.opts.monotonic, setting="[sync] max_push_seconds")
        with bounded_waits(adapter, box) as narrow:
            try:
                self._send_batches(adapter, plan, box, narrow)
            except BudgetExhausted as exc:
                if not narrow.binding:
                    raise  # a spent quota of the channel, not our bound
                self.time_bound = box.note(f"{self.b.name}: {exc.message}")
        if self.time_bound:
            self.result.outcome = Outcome.TRANSIENT
            self.result.message = self.time_bound

    def _send_batches(self, adapter: Adapter, plan: Plan, box: TimeBox,
                      narrow: Narrower) -> None:
        failures = 0
        for outgoing in self._rendered(adapter, plan, self._batches(adapter, plan)):
            if box.expired():
                self.time_bound = box.note(f"{self.b.name}: {self.counts['batches']} "
                                           "batch(es) sent")
                return
            narrow()
            sub_id = apply.open_submission(
                self.db, channel=self.b.name, account=self.b.account, run_id=self.run_id,
                rows=outgoing.tags, size=outgoing.size)
            self.touched.append(sub_id)
            self.counts["batches"] += 1
            self.counts["items"] += len(outgoing.batch.items)
            self.counts["bytes"] += outgoing.size
            try:
                submission = adapter.submit(outgoing.batch)
            except (AuthError, CircuitOpen, ConfigError, BudgetExhausted) as exc:
                # About the channel (credentials, settings, a spent quota): stop it.
                self.counts.update(apply.fail(self.db, sub_id, self.b.name,
                                              f"not sent, channel stopped: {exc.message}"))
                raise
            except OutcomeUnknown as exc:  # sent, answer lost: read back, never resend blind
                self._outcome_unknown(adapter, sub_id, exc)
                failures += 1
                if failures >= MAX_BATCH_FAILURES:
                    raise
                continue
            except TransientError as exc:  # this batch only (a 5xx after its retries …)
                self.counts.update(apply.fail(self.db, sub_id, self.b.name,
                                              f"not sent: {exc.message}"))
                self._batch_failed(outgoing, exc.message)
                self.transient_batches += 1
                failures += 1  # the other batches go on, unless the channel looks down
                if failures >= MAX_BATCH_FAILURES:
                    raise
                continue
            except ItemRejected as exc:  # one SKU named: it is rejected, the others wait
                verdict = self._one_rejected(outgoing.batch, exc)
                if verdict is None:
                    self.counts.update(apply.fail(self.db, sub_id, self.b.name, exc.message))
                    self._batch_failed(outgoing, exc.message)
                    continue
                submission = verdict
            except ChannelError as exc:  # the whole batch was refused; try the next one
                self.counts.update(apply.fail(self.db, sub_id, self.b.name, exc.message))
                self._batch_failed(outgoing, exc.message)
                failures += 1
                if failures >= MAX_BATCH_FAILURES:
                    raise
                continue
            except Exception as exc:
                self.counts.update(apply.fail(self.db, sub_id, self.b.name, repr(exc)))
                raise
            failures = 0
            if self.opts.skus is not None:  # a push of given SKUs says which ones went out
                self.sent_skus.extend(outgoing.batch.skus)
            counts = apply.record(self.db, sub_id, submission)
            counts.pop("pending", None)  # pending submissions are counted after polling
            self.counts.update(counts)
            if _nothing_went_through(submission):
                # Answered, but none of the batch arrived (Amazon's patch path when its first
                # SKU failed transiently; Meta ingesting nothing): a failed batch, not a sent one.
                self._batch_failed(outgoing, submission.error or "the batch failed")
                if any(i.code == "transient" for o in submission.outcomes for i in o.issues):
                    self.transient_batches += 1

    def _batch_failed(self, outgoing: Outgoing[PlanRow], cause: str) -> None:
        self.counts["failed_batches"] += 1
        self.failed_items += len(outgoing.batch.items)
        self.last_cause = cause

    def _outcome_unknown(self, adapter: Adapter, sub_id: int, exc: OutcomeUnknown) -> None:
        """The batch may have arrived: keep it open and read back (or, for an adapter without
        the hook, release it for the next plan as before)."""
        readback.mark_unknown(self.db, sub_id, exc.message)
        attempt = readback.attempt_of(
            self.db, sub_id, self.b.name, self.b.account,
            self.db.execute("SELECT created_at FROM submissions WHERE id = ?",
                            [sub_id]).fetchone()[0],
            readback.known_handles(self.db, self.b.name, self.b.account), exc.message)
        resolved = readback.Resolved()
        readback.resolve(self.db, adapter, attempt, resolved)
        self.counts["outcome_unknown"] += 1
        self.counts["adopted"] += resolved.adopted
        self.counts["unknown"] += resolved.open
        self.counts["lost"] += resolved.released
        self.counts.update(resolved.counts)

    def _one_rejected(self, batch: Batch, exc: ItemRejected) -> Submission | None:
        """A final submission for an ItemRejected naming a SKU of ``batch`` (else None):
        that SKU rejected with the channel's message, the rest deferred to the next run."""
        sku = exc.sku or (batch.skus[0] if len(batch.items) == 1 else "")
        if sku not in batch.skus:
            return None
        issue = Issue(sku=sku, severity=Severity.ERROR, code="rejected", message=exc.message,
                      source=self.b.name)
        outcomes = [ItemOutcome(sku=s, status=ItemStatus.REJECTED, issues=[issue]) if s == sku
                    else ItemOutcome(sku=s, status=ItemStatus.DEFERRED) for s in batch.skus]
        return Submission(channel=self.b.name, handle=None, state=SubmissionState.DONE,
                          skus=batch.skus, outcomes=outcomes)

    def _poll(self, adapter: Adapter, *, deadline: float) -> None:
        interval = self.opts.poll_interval
        while True:
            pending = apply.pending_submissions(self.db, self.b.name, self.b.account)
            if not pending:
                self.counts["pending"] = 0
                return
            for sub_id, submission in pending:
                if sub_id not in self.touched:
                    self.touched.append(sub_id)
                try:
                    polled = adapter.poll(submission)
                except BudgetExhausted:
                    raise
                except TransientError as exc:  # leave it pending; a later poll asks again
                    log.info("%s: polling submission %s failed: %s", self.b.name, sub_id, exc)
                    continue
                if polled.state is SubmissionState.PENDING:
                    apply.note_poll(self.db, sub_id, polled)
                else:
                    counts = apply.record(self.db, sub_id, polled)
                    counts.pop("pending", None)
                    self.counts.update(counts)
            left = len(apply.pending_submissions(self.db, self.b.name, self.b.account))
            self.counts["pending"] = left
            now = self.opts.monotonic()
            if not left or now >= deadline:
                return
            self.opts.sleep(min(interval, max(deadline - now, 0.0)))
            interval = min(interval * 2, self.opts.max_poll_interval)

    # --- bookkeeping --------------------------------------------------------------------

    def _reject_locally(self, row: PlanRow, code: str, message: str) -> None:
        self.counts["not_sent"] += 1
        if self.opts.dry_run:
            self.counts["would_fail"] += 1
        else:
            apply.reject_locally(self.db, self.b.name, self.b.account, row, code, message)
        if self.opts.skus is not None or len(self.local_rejects) < SAMPLE:
            self.local_rejects.append({"sku": row.sku, "issues": [
                {"code": code, "message": message, "source": "feedsync"}]})

    def stop(self, outcome: Outcome, exc: BaseException, hint: str = "") -> None:
        text = exc.message if isinstance(exc, FeedsyncError) else f"{type(exc).__name__}: {exc}"
        self.result.outcome = outcome
        self.result.message = f"{self.b.name}: {text}" + (f" ({hint})" if hint else "")

    def finish(self) -> None:
        """Fill the step result: counts, rejected sample, outcome and message."""
        counts = {k: v for k, v in self.counts.items() if v}
        if self.plan is not None:
            summary = self.plan.summary()
            counts.update({k: summary[k] for k in ("create", "update", "price_quantity",
                                                   "delete") if summary[k]})
        self.result.counts = counts
        # A push of given SKUs (the orders fast path) reports every rejection; others a sample.
        limit = max(len(self.opts.skus), SAMPLE) if self.opts.skus is not None else SAMPLE
        rejected = self.local_rejects + _item_sample(self.db, self.touched, "rejected", limit)
        if rejected:
            self.result.details["rejected"] = rejected[:limit]
        if self.opts.skus is not None:
            self.result.details["sent_skus"] = self.sent_skus
        deferred = _item_sample(self.db, self.touched, "deferred", SAMPLE)
        if deferred:
            self.result.details["deferred"] = deferred
        if self.last_cause is not None:
            self.result.details["error"] = self.last_cause
        if self.overdue:
            self.result.details["undecided"] = self.overdue
        if self.result.outcome is not Outcome.OK:
            return
        bad = sum(counts.get(k, 0) for k in ("rejected", "deferred", "failed", "not_sent",
                                               "unknown"))
        if bad and not self.opts.dry_run:
            self.result.outcome = Outcome.PARTIAL
        failed = counts.get("failed_batches", 0)
        if failed and failed == counts.get("batches", 0) and failed == self.transient_batches:
            # Nothing went through and every failure was transient: the channel is down, not
            # partly working; exit 75 ("try again later") when that is the whole run.
            self.result.outcome = Outcome.TRANSIENT
        self.result.message = self._describe(counts)
        if self.overdue:  # held for hours and the channel cannot tell: a person must look
            self.result.outcome = Outcome.NEEDS_HUMAN
            self.result.message += "; " + "; ".join(self.overdue)

    def _describe(self, c: dict[str, int]) -> str:
        if self.opts.dry_run:
            return (f"{self.b.name}: dry run: would send {c.get('items', 0)} item(s) in "
                    f"{c.get('batches', 0)} batch(es), {c.get('bytes', 0)} bytes; nothing sent")
        failed, batches = c.get("failed_batches", 0), c.get("batches", 0)
        if failed:  # a failed batch is not "sent": say what failed, and why
            what = f"{failed} batch{'es' if failed > 1 else ''} failed: {self.last_cause}"
            if failed == batches:
                return (f"{self.b.name}: {what}; nothing was sent ({self.failed_items} item(s) "
                        "stay planned for the next run)")
            parts = [f"{batches - failed} of {batches} batches sent "
                     f"({c.get('items', 0) - self.failed_items} item(s)); {what}"]
        else:
            parts = [f"{c.get('items', 0)} sent in {batches} batch(es)"]
        for key in ("accepted", "rejected", "deferred", "failed", "not_sent", "adopted",
                    "unknown"):
            if c.get(key):
                parts.append(f"{c[key]} {key.replace('_', ' ')}")
        if c.get("pending"):
            parts.append(f"{c['pending']} submission(s) still pending (polled by the next run)")
        return f"{self.b.name}: " + ", ".join(parts)


def _nothing_went_through(submission: Submission) -> bool:
    """A synchronous answer that failed the whole batch: FAILED, nothing accepted or rejected."""
    return submission.state is SubmissionState.FAILED and not any(
        o.status in (ItemStatus.ACCEPTED, ItemStatus.REJECTED) for o in submission.outcomes)


def _item_sample(db: Any, submission_ids: list[int], status: str,
                 limit: int) -> list[dict[str, Any]]:
    """SKUs of these submissions with ``status`` (rejected, deferred) and their issues."""
    import json

    if not submission_ids:
        return []
    rows = db.execute(
        "SELECT sku, issues FROM submission_items WHERE status = ?"
        " AND submission_id IN (SELECT value FROM json_each(?)) ORDER BY sku LIMIT ?",
        [status, json.dumps(submission_ids), limit]).fetchall()
    return [{"sku": sku, "issues": [
        {"code": i.get("code"), "message": i.get("message"), "field": i.get("field"),
         "source": i.get("source")} for i in json.loads(issues or "[]")]} for sku, issues in rows]
