"""Fault injection for crash tests: the process kills itself with SIGKILL at a named step.

The orders loop calls :func:`crash_point` at each step where a crash must lose nothing
(``after_upsert_before_commit``, ``after_commit_before_ack`` …). Normally it does nothing. When
the environment variable ``FEEDSYNC_TEST_CRASH_AT`` names the step, the process sends itself
SIGKILL there, exactly as if the machine died: no ``finally`` block, no ``atexit``, no rollback
message reaches SQLite. ``NAME@N`` crashes at the N-th time the step is reached (1-based), so a
test can kill a run in the middle of its second page.

The test suite runs real ``feedsync`` subprocesses with this variable and then checks that a
normal re-run converges to the right orders and stock.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "FEEDSYNC_TEST_CRASH_AT"

# Every step name the orders loop passes to crash_point, for tests and docs/orders.md.
STEPS: tuple[str, ...] = (
    "before_page_upsert",
    "after_upsert_before_commit",
    "after_commit_before_ack",
    "after_ack_before_record",
    "before_fastpath_push",
    "after_fastpath_push_before_clear",
    "after_shipment_push_before_record",
)

_hits: dict[str, int] = {}


def crash_point(step: str) -> None:
    """SIGKILL this process if ``FEEDSYNC_TEST_CRASH_AT`` names ``step`` (see module doc)."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != step:
        return
    _hits[step] = _hits.get(step, 0) + 1
    if _hits[step] >= (int(nth) if nth else 1):
        os.kill(os.getpid(), signal.SIGKILL)
