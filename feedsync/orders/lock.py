"""The run lock the orders commands hold, so two runs never import the same orders at once.

It is the sync engine's workspace lock (:class:`feedsync.sync.lock.WorkspaceLock`, an advisory
``flock`` on ``<database>.lock`` that the kernel drops when the holder dies, even by SIGKILL):
``feedsync sync`` takes it and calls the orders loop inside it, and the standalone
``feedsync orders …`` and ``feedsync reconcile`` commands take the same lock here, so a cron
``sync`` and a manual ``orders pull`` exclude each other too.
"""

from __future__ import annotations

from feedsync.config import Workspace
from feedsync.sync.lock import WorkspaceLock, lock_path


def run_lock(workspace: Workspace, command: str) -> WorkspaceLock:
    """The workspace's run lock for ``command`` (use as a context manager; raises LockBusy)."""
    return WorkspaceLock(lock_path(workspace.db_path), command)
