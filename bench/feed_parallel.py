"""Benchmark: a feed built by N worker processes against the same feed built by one (issue #19).

    python bench/feed_parallel.py                      # 10k and 100k SKUs, N = the machine's cores
    python bench/feed_parallel.py --sizes 1M --rounds 1
    python bench/feed_parallel.py --workers 2,3 --tasks google-xml
    python bench/feed_parallel.py --sizes 100k --gzip   # compressed (gzip stays in one process)

The catalogs are bench/feeds.py's (created by its ``ensure_catalog`` and kept in
bench/out/feeds-<N>/). Each build is ``build_channel_feed`` — what ``feedsync feed build`` runs —
in a fresh interpreter, one process (``workers=1``, the floor) and N processes alternately, so
load from elsewhere on the machine falls on both alike. Printed per build: wall seconds, CPU
seconds of the build process and of its workers (user + sys, the workers reaped by it), peak RSS
of the build process and of the largest worker, and the sha256 of the file (it must be the same
for every N). Per size and task: the median ``wall(N) / wall(1)`` — issue #19's target is ≤ 0.6 on
2 cores at 1M SKUs — and ``cpu(N) / cpu(1)``, what splitting the work costs in total.

Wall time only shows the speed-up when the cores are free: the load average at the start is
printed, and on a machine busy with other work the wall ratio says more about the neighbours.
So the critical path is printed too, measured in CPU seconds: the build process's CPU plus the
slowest worker's (each worker's CPU is recorded by wrapping its function in this benchmark's
process only), over the one-process build's CPU — the wall ratio the build would reach with a
free core per worker (an upper bound: the build process's copying overlaps the workers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feeds import NOW, ensure_catalog, parse_size  # noqa: E402  (bench/feeds.py)

TASKS = {"google-xml": ("google", "xml"), "meta-csv": ("facebook", "csv")}


def run_build(folder: Path, task: str, workers: int, compress: bool) -> dict[str, object]:
    """Build one feed in this process with ``workers`` processes and measure it."""
    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.feeds.channel import build_channel_feed
    from feedsync.feeds.gate import state_path

    workspace = load_workspace(folder)
    catalog = open_catalog(workspace.db_path)
    channel, fmt = TASKS[task]
    worker_cpu = _time_workers()
    suffix = ".gz" if compress else ""
    target = folder / "out" / f"parallel-{task}-{workers}.{fmt}{suffix}"
    started = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF)
    result = build_channel_feed(workspace, catalog, channel, now=NOW, format_name=fmt,
                                target=target, force=True, workers=workers, compress=compress)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    target.unlink()
    each_worker = [float(p.read_text()) for p in sorted(worker_cpu.iterdir())]
    shutil.rmtree(worker_cpu)
    state_path(target).unlink(missing_ok=True)  # the publish gate's record of it
    return {
        "wall": wall,
        "cpu_parent": after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime,
        "cpu_workers": children.ru_utime + children.ru_stime,
        "rss_parent_mb": after.ru_maxrss / 1024,
        "rss_worker_mb": children.ru_maxrss / 1024,
        "items": result.items,
        "sha256": result.sha256,
        "cpu_each_worker": each_worker,
    }


def _time_workers() -> Path:
    """A folder where each worker of this build leaves the CPU seconds it used (forked workers
    inherit the wrapped function; bench-only instrumentation, the build itself is unchanged)."""
    from feedsync.feeds import parallel

    folder = Path(tempfile.mkdtemp(prefix="feed-parallel-cpu-"))
    render_range = parallel._render_range

    def timed(*args: Any) -> None:
        started = time.process_time()
        try:
            render_range(*args)
        finally:
            (folder / str(os.getpid())).write_text(str(time.process_time() - started))

    parallel._render_range = timed  # type: ignore[assignment]
    return folder


def measure(folder: Path, task: str, workers: int, compress: bool) -> dict[str, object]:
    """:func:`run_build` in a fresh interpreter (its own RSS and CPU accounting)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--run", task, "--folder", str(folder),
         "--workers", str(workers), *(["--gzip"] if compress else [])],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{task} with {workers} worker(s) failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated, e.g. 10k,100k,1M")
    parser.add_argument("--workers", default=None,
                        help="comma-separated process counts to compare with 1 (default: the "
                             "machine's cores, at most 8)")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"subset of {','.join(TASKS)}")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--gzip", action="store_true", help="build compressed feeds")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # one measured build, in its own interpreter
        print(json.dumps(run_build(args.folder, args.run, int(args.workers), args.gzip)))
        return
    from feedsync.feeds.parallel import default_workers

    counts = ([int(n) for n in args.workers.split(",")] if args.workers
              else [max(default_workers(), 2)])
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    print(f"cores: {os.cpu_count()}, load average at start: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'SKUs':>9} {'task':<10} {'procs':>5} {'wall s':>7} {'cpu s':>7} {'(workers)':>9} "
          f"{'RSS parent':>10} {'RSS worker':>10}  sha256")
    for size in (parse_size(s) for s in args.sizes.split(",")):
        folder = args.out / f"feeds-{size}"
        created = ensure_catalog(folder, size)
        if created:
            print(f"(created a {size:,}-SKU catalog in {created:.0f} s)", flush=True)
        for task in tasks:
            runs: dict[int, list[dict[str, object]]] = {n: [] for n in [1, *counts]}
            for _ in range(args.rounds):
                for n in runs:  # alternate, so the machine's load falls on each alike
                    row = measure(folder, task, n, args.gzip)
                    runs[n].append(row)
                    cpu = float(row["cpu_parent"]) + float(row["cpu_workers"])  # type: ignore[arg-type]
                    print(f"{size:>9,} {task:<10} {n:>5} {float(row['wall']):>7.2f} "  # type: ignore[arg-type]
                          f"{cpu:>7.2f} {float(row['cpu_workers']):>9.2f} "  # type: ignore[arg-type]
                          f"{float(row['rss_parent_mb']):>8.0f}MB "  # type: ignore[arg-type]
                          f"{float(row['rss_worker_mb']):>8.0f}MB  "  # type: ignore[arg-type]
                          f"{str(row['sha256'])[:12]}", flush=True)
            digests = {str(r["sha256"]) for rows in runs.values() for r in rows}
            if len(digests) != 1:
                raise SystemExit(f"{task} at {size:,}: the files differ between process "
                                 f"counts: {sorted(digests)}")

            for n in counts:
                wall = median(runs[n], "wall") / median(runs[1], "wall")
                cpu = median(runs[n], "cpu") / median(runs[1], "cpu")
                path = median(runs[n], "path") / median(runs[1], "cpu")
                print(f"{size:>9,} {task:<10} wall({n})/wall(1) = {wall:.2f} (issue #19 target "
                      f"≤ 0.6 on 2 cores at 1M), cpu({n})/cpu(1) = {cpu:.2f}, critical path "
                      f"({n})/cpu(1) = {path:.2f}; identical bytes", flush=True)


def median(rows: list[dict[str, object]], key: str) -> float:
    """The median over ``rows`` of: ``wall`` seconds; ``cpu``, CPU seconds of the build and its
    workers; ``path``, the critical path — the build process's CPU plus its slowest worker's,
    what the wall time would be on free cores (an upper bound: the build process's copying
    overlaps the workers)."""
    def value(row: dict[str, object]) -> float:
        if key == "wall":
            return float(row["wall"])  # type: ignore[arg-type]
        parent = float(row["cpu_parent"])  # type: ignore[arg-type]
        if key == "path":
            return parent + max(row["cpu_each_worker"] or [0.0])  # type: ignore[call-overload]
        return parent + float(row["cpu_workers"])  # type: ignore[arg-type]

    return statistics.median(value(row) for row in rows)


if __name__ == "__main__":
    main()
