"""One lock per workspace, so two cron jobs never push the same listings at once.

The lock is an advisory ``flock`` on ``<database>.lock`` beside the workspace database. The
operating system drops it when the holding process dies, however it dies, so a stale lock
cannot block the next run; the file only carries the holder's pid, host, command and start
time, for the message a refused run prints and for the takeover note of the next one. (On
Windows ``msvcrt.locking`` gives the same guarantee. flock is not reliable on some network file
systems: keep the workspace on a local disk.)
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from feedsync.db import utcnow_iso
from feedsync.errors import LockBusy

log = logging.getLogger("feedsync.sync")


def lock_path(db_path: Path) -> Path:
    """Where the lock of the workspace using ``db_path`` lives."""
    return db_path.with_name(db_path.name + ".lock")


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _read_holder(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


class WorkspaceLock:
    """``with WorkspaceLock(path, "push"):`` — raises :class:`LockBusy` if another run has it.

    ``previous`` holds what the file said when the lock was taken: a holder recorded there
    that no longer holds the lock died without releasing it (a stale lock, taken over).
    """

    def __init__(self, path: Path, command: str, *, wait: float = 0.0) -> None:
        self.path = path
        self.command = command
        self.wait = wait  # seconds to wait for a busy lock (reported), then LockBusy
        self.previous: dict[str, Any] = {}
        self._fd: int | None = None

    def acquire(self) -> WorkspaceLock:
        """Take the lock, waiting up to ``wait`` seconds, or raise :class:`LockBusy`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd) and not self._wait_for(fd):
            holder = _read_holder(fd)
            os.close(fd)
            waited = f" (waited {self.wait:g} s)" if self.wait else ""
            raise LockBusy(
                f"another feedsync run holds the workspace lock ({describe(holder)}){waited}; "
                f"it exits by itself, try again later. Lock file: {self.path}"
            )
        self.previous = _read_holder(fd)
        if self.previous:
            log.warning("taking over a stale workspace lock left by %s (that process is gone)",
                        describe(self.previous))
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started_at": utcnow_iso()}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode("utf-8"))
        os.fsync(fd)
        self._fd = fd
        return self

    def _wait_for(self, fd: int) -> bool:
        """Poll for the lock until ``wait`` runs out; say once on stderr whom we wait for."""
        if self.wait <= 0:
            return False
        log.warning("waiting up to %g s for the workspace lock (%s)", self.wait,
                    describe(_read_holder(fd)))
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            time.sleep(min(0.25, max(deadline - time.monotonic(), 0)))
            if _try_lock(fd):
                return True
        return False

    def release(self) -> None:
        """Clear the holder record and release the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def stale_takeover(self) -> bool:
        """True when this acquisition replaced a holder that had died."""
        return bool(self.previous)

    def __enter__(self) -> WorkspaceLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def describe(holder: dict[str, Any]) -> str:
    """``pid 123 on host, `feedsync push`, since 2026-…`` (or 'unknown holder')."""
    if not holder:
        return "holder unknown"
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"`feedsync {holder.get('command', '?')}`, since {holder.get('started_at', '?')}")
