"""A single background thread that runs an import's database work in order.

Parsing a row is Python work that holds the GIL; most of writing a row is SQLite's B-tree and
page work, which the sqlite3 module runs with the GIL released. Handing each batch's writes to one
writer thread lets the two overlap on a second core. Only the writer touches the catalog's
connection while it runs; the bounded queue keeps at most a few batches in memory and makes the
parser wait when the writer falls behind.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

_QUEUED_BATCHES = 3


class Writer:
    """Runs submitted jobs one after another on a background thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(_QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="feedsync-import-writer",
                                        daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._error is None:  # after a failure, drain without running anything
                try:
                    job()
                except BaseException as exc:  # re-raised on the submitting thread
                    self._error = exc

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` (waits while the queue is full); raises a failed job's exception."""
        self._raise()
        self._jobs.put(job)

    def finish(self) -> None:
        """Wait until every job ran; raise the first job's exception, if any."""
        self._stop()
        self._raise()

    def abandon(self) -> None:
        """Stop after the running job (the caller is failing anyway); errors are dropped."""
        self._error = self._error or RuntimeError("import abandoned")
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
