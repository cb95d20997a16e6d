"""The sync engine: listing state, plans (diffs), guardrails, pushes, runs, the workspace lock.

Entry points other parts use:

- :func:`bind_channel` (``feedsync.sync.channels``) — a configured channel with its mapper,
  guardrails and (lazily) its adapter;
- :func:`build_plan` — what a push would do, with a field-level diff per SKU;
- :func:`push_channel` — plan, guard, render, batch, submit, poll one channel;
- :func:`run_steps` with :data:`SYNC_STEPS` — a locked, journaled run (``feedsync sync``);
- :func:`workspace_status` — listed / pending / rejected per channel and the last run.
"""

from feedsync.sync.channels import ChannelBinding, Mapper, bind_channel, load_mapper
from feedsync.sync.guardrails import Guardrails, load_guardrails
from feedsync.sync.lock import WorkspaceLock, lock_path
from feedsync.sync.parts import DeleteReason
from feedsync.sync.plan import Plan, PlanRow, build_plan
from feedsync.sync.push import PushOptions, push_channel
from feedsync.sync.runner import SYNC_STEPS, RunContext, RunReport, push_step, run_steps
from feedsync.sync.runs import Outcome, RunJournal, StepResult, exit_code_for
from feedsync.sync.status import rejected_listings, workspace_status

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
