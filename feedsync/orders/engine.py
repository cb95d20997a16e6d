"""The fast path's pusher: the sync engine restricted to some SKUs and to quantity changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlite_utils

from feedsync.config import Workspace
from feedsync.errors import TransientError
from feedsync.orders.channels import utcnow
from feedsync.orders.fastpath import QuantityPusher, QuantityPushResult


def engine_pusher(workspace: Workspace, db: sqlite_utils.Database,
                  clock: Callable[[], datetime] = utcnow) -> QuantityPusher:
    """A pusher sending queued SKUs' quantities through the sync engine's plan and push."""

    def push(channel: str, skus: Sequence[str]) -> QuantityPushResult:
        raise TransientError("the sync engine's push is not available in this build")

    return push
