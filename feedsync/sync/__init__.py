"""The sync engine: listing state, plans (diffs), guardrails, pushes, runs, the workspace lock.

Entry points other parts use:

- :func:`bind_channel` (``feedsync.sync.channels``) — a configured channel with its mapper,
  guardrails and (lazily) its adapter;
- :func:`build_plan` — what a push would do, with a field-level diff per SKU;
- :func:`push_channel` — plan, guard, render, batch, submit, poll one channel;
- :func:`run_steps` with :data:`SYNC_STEPS` — a locked, journaled run (``feedsync sync``);
- :func:`workspace_status` — listed / pending / rejected per channel and the last run.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Names are loaded on first use (PEP 562), so importing one sync module (say
# feedsync.sync.push from the orders fast path) does not import the whole engine: the run
# composes orders and feeds steps, and those import sync modules at their top level.
_HOME = {
    "ChannelBinding": "feedsync.sync.channels",
    "DeleteReason": "feedsync.sync.parts",
    "Guardrails": "feedsync.sync.guardrails",
    "Mapper": "feedsync.sync.channels",
    "Outcome": "feedsync.sync.runs",
    "Plan": "feedsync.sync.plan",
    "PlanRow": "feedsync.sync.plan",
    "PushOptions": "feedsync.sync.push",
    "RunContext": "feedsync.sync.runner",
    "RunJournal": "feedsync.sync.runs",
    "RunReport": "feedsync.sync.runner",
    "SYNC_STEPS": "feedsync.sync.runner",
    "StepResult": "feedsync.sync.runs",
    "WorkspaceLock": "feedsync.sync.lock",
    "bind_channel": "feedsync.sync.channels",
    "build_plan": "feedsync.sync.plan",
    "exit_code_for": "feedsync.sync.runs",
    "load_guardrails": "feedsync.sync.guardrails",
    "load_mapper": "feedsync.sync.channels",
    "lock_path": "feedsync.sync.lock",
    "push_channel": "feedsync.sync.push",
    "push_step": "feedsync.sync.runner",
    "rejected_listings": "feedsync.sync.status",
    "run_steps": "feedsync.sync.runner",
    "workspace_status": "feedsync.sync.status",
}

if TYPE_CHECKING:  # the same names, for type checkers
    from feedsync.sync.channels import ChannelBinding, Mapper, bind_channel, load_mapper
    from feedsync.sync.guardrails import Guardrails, load_guardrails
    from feedsync.sync.lock import WorkspaceLock, lock_path
    from feedsync.sync.parts import DeleteReason
    from feedsync.sync.plan import Plan, PlanRow, build_plan
    from feedsync.sync.push import PushOptions, push_channel
    from feedsync.sync.runner import SYNC_STEPS, RunContext, RunReport, push_step, run_steps
    from feedsync.sync.runs import Outcome, RunJournal, StepResult, exit_code_for
    from feedsync.sync.status import rejected_listings, workspace_status


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SYNC_STEPS",
    "ChannelBinding",
    "DeleteReason",
    "Guardrails",
    "Mapper",
    "Outcome",
    "Plan",
    "PlanRow",
    "PushOptions",
    "RunContext",
    "RunJournal",
    "RunReport",
    "StepResult",
    "WorkspaceLock",
    "bind_channel",
    "build_plan",
    "exit_code_for",
    "load_guardrails",
    "load_mapper",
    "lock_path",
    "push_channel",
    "push_step",
    "rejected_listings",
    "run_steps",
    "workspace_status",
]


def __dir__() -> list[str]:
    return sorted(__all__)
