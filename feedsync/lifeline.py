"""A forked helper process that dies with its parent (issue #16: no orphans).

``kill -9`` of ``catalog import`` used to leave its forked reader alive forever, blocked on a
pipe whose read end it had itself inherited, holding the database file open. A child calls
:func:`die_with_parent` first thing: on Linux the kernel sends it SIGKILL when the parent dies
(``prctl(PR_SET_PDEATHSIG)``, https://man7.org/linux/man-pages/man2/prctl.2.html); elsewhere a
watcher thread polls the parent pid. Either way the child also checks that the parent did not
die before the request took effect (the race the man page describes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_POLL_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Make the calling (child) process end when ``parent_pid`` ends, however it ends."""
    if not (sys.platform.startswith("linux") and _pdeathsig()):
        threading.Thread(target=_watch, args=(parent_pid,), daemon=True,
                         name="feedsync-lifeline").start()
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def _pdeathsig() -> bool:
    try:
        # The running interpreter's own symbols include libc's prctl; find_library("c") would
        # run `ldconfig -p` in a subprocess, ~60 ms of CPU per import (issue #19).
        libc = ctypes.CDLL(None, use_errno=True)
        if not hasattr(libc, "prctl"):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_POLL_SECONDS)
    os._exit(1)
