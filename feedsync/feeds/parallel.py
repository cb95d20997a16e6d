"""Building one feed with several processes: SKU ranges mapped and rendered side by side.

Mapping and rendering a product costs far more than writing its bytes, and each SKU's item
depends on that SKU alone, so the catalog is split into ranges of SKUs holding about the same
number of products (quantiles of the products table's SKU key, :func:`sku_ranges`). One worker
process per range maps its products (``ChannelMapper.map_catalog(sku_range=…)``) and renders the
sendable ones with the format's own writer (:meth:`FeedWriter.render`), a thousand SKUs at a
time, into a spill file of its own beside the target (``.<feed>.<pid>-part<i>-….tmp``, swept
like the publisher's temporary file if the build is killed). This process appends the chunks
strictly in SKU order — all of the first range, then the second … — through the writer and the
same :class:`~feedsync.feeds.atomic.AtomicFile` as a one-process build, so the header, footer,
gzip, sha256, publish gate and state are untouched and the bytes are identical. What each worker
left out (excluded, errors, warnings) and its writer's notes are merged in range order, so the
samples are the first ones in SKU order, as one pass would have taken them.

Workers are forked: they inherit the compiled mapping and the imported modules (nothing is
pickled or compiled again), and open their own connection to the workspace database, read-only
(``PRAGMA query_only``). Each reads its own snapshot (one process reads one): the workspace lock
that ``feed build`` and ``sync`` hold keeps catalog imports and order pulls out meanwhile, and
the ranges cover every SKU whatever is added, so no SKU is lost or doubled. A worker that
fails, or dies, fails the build with a clear error and the previous feed is left as it was;
Ctrl-C stops them (they ignore SIGINT; this process terminates them). Where ``fork`` is not
available, where this process runs other threads (forking those is unsafe), inside an open
write transaction (workers would not see it), or for a catalog too small to repay the
processes, the feed is built in this process.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import multiprocessing
import os
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from feedsync.errors import FeedsyncError
from feedsync.feeds.atomic import TEMP_SUFFIX, temp_prefix
from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter, WriterNotes
from feedsync.feeds.build import BuildTally, write_records
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema
from feedsync.mapping.stream import SkuRange

if TYPE_CHECKING:
    from feedsync.catalog import Catalog
    from feedsync.mapping.engine import ChannelMapper

log = logging.getLogger(__name__)

MAX_WORKERS = 8  # the default's cap: more processes than this mostly wait on each other
# Below this many SKUs per worker, starting a process costs more than it saves (a fork, a
# database connection, a spill file: ~20-50 ms; 5,000 SKUs take ~0.5 CPU-s to map).
MIN_SKUS_PER_WORKER = 5000
CHUNK_SKUS = 1000  # SKUs a worker maps before it hands their bytes over (and reports progress)


class ProgressSink(Protocol):
    """What a feed build reports progress to (feedsync.cli.progress.Progress is one)."""

    def wrap(self, items: Any) -> Iterator[Any]:
        """Yield ``items``, counting each; finished when they run out."""

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items."""

    def close(self) -> None:
        """Finish the display."""


def default_workers() -> int:
    """The machine's cores, at most :data:`MAX_WORKERS` (the CPUs this process may use)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def database_file(catalog: Catalog) -> Path | None:
    """The file of the catalog's database (None for an in-memory one)."""
    for _seq, name, filename in catalog.db.conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(filename) if filename else None
    return None


def worker_count(catalog: Catalog, requested: int | None,
                 min_per_worker: int | None = None) -> int:
    """How many processes should build this feed: 1 means this process, the usual way.

    ``requested`` None: :func:`default_workers`; at most one per ``min_per_worker`` SKUs
    (default :data:`MIN_SKUS_PER_WORKER`)."""
    wanted = default_workers() if requested is None else requested
    if wanted < 2:
        return 1
    least = MIN_SKUS_PER_WORKER if min_per_worker is None else max(min_per_worker, 1)
    wanted = min(wanted, catalog.count() // least)
    if wanted < 2:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        log.debug("feed build in one process: other threads run (forking them is unsafe)")
        return 1
    if catalog.db.conn.in_transaction or database_file(catalog) is None:
        return 1
    return wanted


def sku_ranges(catalog: Catalog, parts: int) -> list[SkuRange]:
    """``parts`` consecutive SKU ranges holding about as many products each (fewer ranges when
    the catalog has fewer SKUs); together they cover every SKU, whatever is added meanwhile."""
    conn = catalog.db.conn
    total = conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
    bounds: list[str] = []
    for part in range(1, parts):
        offset = total * part // parts
        if offset == 0:  # more parts than SKUs: no empty first range
            continue
        row = conn.execute("SELECT sku FROM products ORDER BY sku LIMIT 1 OFFSET ?",
                           [offset]).fetchone()
        if row is not None and (not bounds or row[0] > bounds[-1]):
            bounds.append(row[0])
    edges: list[str | None] = [None, *bounds, None]
    return list(pairwise(edges))


def describe_range(sku_range: SkuRange) -> str:
    """``SKUs from 'A' to before 'M'`` (for error messages)."""
    first, end = sku_range
    start = f"from {first!r}" if first is not None else "from the first"
    stop = f"to before {end!r}" if end is not None else "to the last"
    return f"SKUs {start} {stop}"


@dataclass(frozen=True)
class FeedJob:
    """What every worker needs: the compiled mapping, the format and when to evaluate."""

    mapper: ChannelMapper
    fmt: FeedFormat
    schema: ChannelSchema
    info: FeedInfo
    columns: Sequence[str] | None
    database: Path
    now: datetime


class WorkerFailed(FeedsyncError):
    """A worker process of a multi-process feed build failed; nothing was published."""


@dataclass
class _Worker:
    """This process's view of one worker: its pipe, its spill file and what it reported."""

    index: int
    sku_range: SkuRange
    spill: Path
    reader: BinaryIO
    conn: Connection
    process: Any  # multiprocessing's forked Process
    chunks: deque[tuple[int, int, MappedRecord | None]] = field(default_factory=deque)
    listening: bool = True
    finished: bool = False
    tally: BuildTally | None = None
    notes: WriterNotes | None = None


class ParallelFill:
    """Fills a feed writer from ``len(ranges)`` worker processes (see the module docstring).

    Called by :func:`feedsync.feeds.build.publish_feed` inside the atomic file; a writer that
    cannot render items apart (Amazon's numbered messages) is filled here, in one pass.
    """

    def __init__(self, job: FeedJob, catalog: Catalog, ranges: Sequence[SkuRange],
                 target: Path, progress: ProgressSink | None = None) -> None:
        self.job = job
        self.catalog = catalog
        self.ranges = list(ranges)
        self.target = target
        self.progress = progress

    def __call__(self, writer: FeedWriter, tally: BuildTally) -> None:
        if not writer.splittable:
            records: Any = self.job.mapper.map_catalog(self.catalog, now=self.job.now)
            write_records(self.progress.wrap(records) if self.progress else records, writer,
                          tally)
            return
        workers: list[_Worker] = []
        try:
            # The workers' garbage collector leaves what they inherit alone (gc.freeze): it
            # would walk, and so copy, every page of this process's objects in each of them.
            gc.freeze()
            try:
                for index, sku_range in enumerate(self.ranges):
                    self._start(index, sku_range, workers)
            finally:
                gc.unfreeze()
            self._collect(workers, writer, tally)
        finally:
            self._stop(workers)
            if self.progress is not None:
                self.progress.close()

    # --- this process ---------------------------------------------------------------------

    def _start(self, index: int, sku_range: SkuRange, workers: list[_Worker]) -> None:
        """Start the worker of ``sku_range``; it joins ``workers`` before it is started, so
        :meth:`_stop` removes its spill file even if the fork fails."""
        fd, name = tempfile.mkstemp(
            prefix=f"{temp_prefix(self.target)}{os.getpid()}-part{index}-", suffix=TEMP_SUFFIX,
            dir=self.target.parent)
        reader = os.fdopen(fd, "rb")
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        # the worker closes its copies of the read ends of its own and earlier pipes (_work)
        others = [*(worker.conn for worker in workers), receive]
        process = context.Process(target=_work,
                                  args=(self.job, sku_range, Path(name), send, others),
                                  name=f"feedsync-feed-{index}", daemon=True)
        workers.append(_Worker(index, sku_range, Path(name), reader, receive, process))
        try:
            process.start()
        except OSError as exc:  # no more processes or memory: say so, not "cannot write"
            raise self._failed(workers[-1], f"it could not be started ({exc})") from exc
        finally:
            send.close()  # ours: the pipe reports end-of-file once the worker is gone

    def _collect(self, workers: list[_Worker], writer: FeedWriter, tally: BuildTally) -> None:
        current = 0
        while current < len(workers):
            worker = workers[current]
            if worker.chunks:
                size, items, first = worker.chunks.popleft()
                data = worker.reader.read(size)
                if len(data) != size:
                    raise self._failed(worker, "its spill file is shorter than it reported")
                writer.write_rendered(data, items, first)
            elif worker.finished:
                assert worker.tally is not None and worker.notes is not None
                tally.merge(worker.tally)
                writer.notes.merge(worker.notes)
                current += 1
            else:
                listening = [w.conn for w in workers if w.listening]
                for conn in wait(listening):
                    self._receive(next(w for w in workers if w.conn is conn))

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except EOFError:
            worker.listening = False
            worker.process.join(timeout=5)
            raise self._failed(worker, f"it ended unexpectedly (exit code "
                                       f"{worker.process.exitcode})") from None
        kind = message[0]
        if kind == "chunk":
            _, size, items, seen, first = message
            if size or items:
                worker.chunks.append((size, items, first))
            if self.progress is not None:
                self.progress.advance(seen)
        elif kind == "done":
            worker.tally, worker.notes = message[1], message[2]
            worker.finished = True
            worker.listening = False
        else:
            worker.listening = False
            raise self._failed(worker, message[1])

    def _failed(self, worker: _Worker, why: str) -> WorkerFailed:
        return WorkerFailed(
            f"{self.job.info.channel}: the feed build's worker {worker.index + 1} of "
            f"{len(self.ranges)} ({describe_range(worker.sku_range)}) failed: {why}; nothing "
            "was published and the previously published file, if any, is unchanged")

    def _stop(self, workers: list[_Worker]) -> None:
        """End every worker (terminated if still running) and remove the spill files."""
        started = [w for w in workers if w.process.pid is not None]
        for worker in started:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in workers:
            if worker.process.pid is not None:
                worker.process.join()
            worker.conn.close()
            worker.reader.close()
            with contextlib.suppress(FileNotFoundError):
                worker.spill.unlink()


# --- a worker process -----------------------------------------------------------------------

def _work(job: FeedJob, sku_range: SkuRange, spill: Path, conn: Connection,
          others: list[Connection]) -> None:
    """Map and render ``sku_range`` into ``spill``, telling ``conn`` after each chunk."""
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The fork copied the parent's read ends of this worker's pipe and the earlier workers':
    # closed, so that if the parent dies (kill -9) the worker's next report fails
    # (BrokenPipeError) and it ends, instead of mapping on with nobody to read its reports.
    for other in others:
        other.close()
    try:
        _render_range(job, sku_range, spill, conn)
    except BrokenPipeError:  # the parent is gone: nobody to tell
        return
    except BaseException as exc:  # reported to the parent, which fails the build cleanly
        log.debug("feed worker for %s failed", describe_range(sku_range), exc_info=True)
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _render_range(job: FeedJob, sku_range: SkuRange, spill: Path, conn: Connection) -> None:
    from feedsync.catalog import open_catalog

    catalog = open_catalog(job.database)
    catalog.db.execute("PRAGMA query_only = ON")  # a worker only reads
    try:
        # The worker's writer only renders: its header (if any) goes to a scratch buffer.
        writer = job.fmt.open(io.BytesIO(), job.schema, job.info, job.columns)
        tally = BuildTally()
        admit, render = tally.admit, writer.render
        parts: list[bytes] = []
        items = seen = 0
        first: MappedRecord | None = None
        first_sent = False
        with spill.open("wb") as out:
            for record in job.mapper.map_catalog(catalog, now=job.now, sku_range=sku_range):
                seen += 1
                if admit(record):
                    parts.append(render(record))
                    items += 1
                    if first is None:  # the header may need it (RSS takes its link)
                        first = MappedRecord(record.sku, record.channel, record.fields)
                if seen == CHUNK_SKUS:
                    _hand_over(out, conn, parts, items, seen, None if first_sent else first)
                    first_sent = first_sent or items > 0
                    parts, items, seen = [], 0, 0
            _hand_over(out, conn, parts, items, seen, None if first_sent else first)
        conn.send(("done", tally, writer.notes))
    finally:
        catalog.db.close()


def _hand_over(out: BinaryIO, conn: Connection, parts: list[bytes], items: int, seen: int,
               first: MappedRecord | None) -> None:
    """Write a chunk to the spill file and tell the parent (``first``: the range's first item,
    sent with the first chunk that has items)."""
    data = b"".join(parts)
    out.write(data)
    out.flush()  # the parent reads these bytes as soon as it hears of them
    conn.send(("chunk", len(data), items, seen, first if items else None))
