"""Words and JSON for plans, push results and status (the CLI prints what these return)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from feedsync.adapter_types import Action
from feedsync.sync.parts import DeleteReason
from feedsync.sync.plan import Plan, PlanRow
from feedsync.sync.runs import StepResult

_MARK = {Action.CREATE: "+", Action.UPDATE: "~", Action.PRICE_QUANTITY: "$", Action.DELETE: "-"}
_SHOWN = 60


def reason_text(reason: str, detail: str = "") -> str:
    """``filtered out: category 'Hidden'`` from a stored reason code and detail."""
    try:
        words = DeleteReason(reason).describe()
    except ValueError:
        words = reason
    if not detail:
        return words
    if detail.lower().startswith(words):  # the mapping engine may already say it
        return detail
    return f"{words}: {detail}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def change_json(row: PlanRow) -> dict[str, Any]:
    """One planned change for ``--json``."""
    data: dict[str, Any] = {"sku": row.sku, "action": row.action.value}
    if row.action is Action.DELETE:
        data["reason"] = row.reason
        data["reason_text"] = reason_text(row.reason, row.detail)
        data["remote_id"] = row.remote_id
    else:
        data["parts"] = sorted(row.parts)
        if row.action is Action.CREATE:
            data["fields"] = row.fields
        else:
            data["diff"] = row.diff or {}
    if row.warnings:
        data["warnings"] = [{"code": i.code, "message": i.message, "field": i.field}
                            for i in row.warnings]
    return data


def change_line(row: PlanRow) -> str:
    """One planned change for people."""
    head = f"  {_MARK[row.action]} {row.action.value:<15}{row.sku}"
    if row.action is Action.DELETE:
        return f"{head}  ({reason_text(row.reason, row.detail)})"
    if row.action is Action.CREATE:
        return f"{head}  ({len(row.fields or {})} fields)"
    diff = "; ".join(f"{name}: {_short(old)} → {_short(new)}"
                     for name, (old, new) in (row.diff or {}).items())
    return f"{head}  {diff}"


def plan_lines(plan: Plan, limit: int) -> Iterator[str]:
    """The human summary of a plan, then up to ``limit`` changes (0: all)."""
    s = plan.summary()
    yield (f"{plan.channel} (account {plan.account}): {s['create']} to create, "
           f"{s['update']} to update, {s['price_quantity']} price/quantity only, "
           f"{s['delete']} to delete; {s['unchanged']} unchanged")
    if s["delete_reasons"]:
        yield "  deletes: " + ", ".join(f"{n} {reason_text(r)}"
                                        for r, n in sorted(s["delete_reasons"].items()))
    if plan.held:
        codes = ", ".join(f"{code} {n}" for code, n in plan.held_codes)
        yield (f"  held back: {plan.held} SKU(s) with validation errors ({codes}); "
               f"`feedsync validate {plan.channel}` lists them")
    if plan.in_flight:
        yield f"  in flight: {plan.in_flight} SKU(s) wait for the channel's verdict on a batch"
    if plan.violations:
        yield "  guardrails: REFUSED unless --force"
        for violation in plan.violations:
            yield f"    - {violation}"
    else:
        yield "  guardrails: ok"
    shown = 0
    for row in plan.rows(limit=None if limit == 0 else limit):
        shown += 1
        yield change_line(row)
    if limit and plan.total > shown:
        yield f"  … {plan.total - shown} more (--limit 0 shows all; --json gives everything)"


def payload_text(payload: Any) -> str:
    """A rendered payload as text: JSON for structures, UTF-8 for bytes."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload).decode("utf-8", errors="replace")
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)


def payload_json(payload: Any) -> Any:
    """A rendered payload for ``--json``: structures as they are, bytes as text."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload).decode("utf-8", errors="replace")
    try:
        json.dumps(payload)
    except TypeError:
        return payload_text(payload)
    return payload


def result_lines(result: StepResult) -> Iterator[str]:
    """A step's outcome, then its rejected SKUs with the channel's words."""
    held = result.counts.get("held_invalid", 0) if result.step == "push" else 0
    suffix = (f"; {held} held back for validation errors (feedsync validate {result.channel})"
              if held else "")
    yield f"{result.outcome.value:>11}  {result.message}{suffix}"
    for entry in result.details.get("rejected", []):
        issues = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in entry["issues"])
        yield f"             rejected {entry['sku']}: {issues}"
    deferred = result.details.get("deferred", [])
    for entry in deferred[:3]:
        notes = "; ".join(str(i.get("message")) for i in entry["issues"]) or "deferred"
        yield f"             deferred {entry['sku']}: {notes} (sent by a later run)"
    if result.counts.get("deferred", 0) > 3:
        yield f"             … {result.counts['deferred'] - 3} more deferred"
    for problem in result.details.get("problems", []):
        yield f"             - {problem}"


def status_lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    """``feedsync status`` for people."""
    # the orders package (cycle, fast path …) only when status is shown: `feedsync plan`
    # starts without it (issue #19)
    from feedsync.orders.step import order_status_lines

    if not rows:
        yield "no channel is configured"
        return
    for s in rows:
        flags = ("enabled" if s["enabled"] else "disabled") + (
            f", {s['delivery']}" if s["delivery"] else "")
        yield f"{s['channel']} (account {s['account']}; {flags})"
        if s.get("delivery") == "file":
            yield f"  listed {s['listed']} (items in the published feed)"
        else:
            yield (f"  listed {s['listed']}: live {s['live']}, pending {s['pending']}, "
                   f"rejected {s['rejected']}; deleted {s['deleted']}")
        if s["top_rejection_codes"]:
            yield "  top rejection codes: " + ", ".join(
                f"{code} ({n})" for code, n in s["top_rejection_codes"].items())
        if s["held_invalid"]:
            yield f"  held back for validation errors: {s['held_invalid']}"
        if s["open_submissions"]:
            yield f"  submissions awaiting the channel: {s['open_submissions']}"
        for u in s.get("undecided") or ():  # answer lost, the channel asked (readback.py)
            more = " …" if u["skus"] > len(u["sample"]) else ""
            yield (f"  {'NEEDS A HUMAN: ' if u['overdue'] else ''}submission {u['submission']}"
                   f" sent {u['sent_at']}, its answer lost, undecided: {u['skus']} SKU(s)"
                   f" held ({', '.join(u['sample'])}{more})")
        yield from order_status_lines(s)  # feedsync/orders/step.py
        yield from history_lines(s)


_RUN_STATES = {  # a run that did not finish, said before its step's outcome (status.run_state)
    "crashed": "crashed (the process died before the run finished; the next run resumes)",
    "running": "still running",
}


def _when(step: dict[str, Any]) -> str:
    dry = " (dry run)" if step["dry_run"] else ""
    state = _RUN_STATES.get(step.get("run_status") or "")
    head = f"#{step['run']} {step['command']}{dry}"
    if state:
        return f"{head}: {state}; its {step['step']} step: {step['outcome']} — {step['message']}"
    return f"{head} at {step['finished_at']}: {step['outcome']} — {step['message']}"


def history_lines(s: dict[str, Any]) -> Iterator[str]:
    """The feed line of a file channel, then the last real run, a later dry run, and each
    step still failing since its last success."""
    feed = s.get("feed")
    if feed is not None:
        if not feed["exists"]:
            yield f"  feed: not published yet ({feed['path']})"
        else:
            when = f", published {feed['published_at']}" if feed["published_at"] else ""
            yield f"  feed: {feed['path']} holds {feed['items']} items ({feed['format']}{when})"
    unfinished = s.get("unfinished_run")
    if unfinished:  # killed (or still going) before it journaled a step for this channel
        yield (f"  run #{unfinished['run']} {unfinished['command']} started "
               f"{unfinished['started_at']}: {_RUN_STATES[unfinished['run_status']]}, before "
               "any step for this channel")
    last = s["last_run"]
    yield "  last run: never" if last is None else f"  last run: {_when(last)}"
    if s.get("last_dry_run"):
        yield f"  later dry run: {_when(s['last_dry_run'])}"
    for failure in s.get("unresolved_failures", []):
        yield f"  last {failure['step']} failed: {_when(failure)}"
