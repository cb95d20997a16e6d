"""Benchmark: a feed build under a terminal costs what it costs without one (issue #19 point 5).

    python bench/feed_progress.py               # the 10k catalog of bench/feeds.py, 6 rounds
    python bench/feed_progress.py --size 100k --rounds 4

``feedsync feed build google`` runs as its own process, alternately with stderr on a
pseudo-terminal (so the throttled progress line of feedsync/cli/progress.py is drawn) and on
/dev/null (no progress). The CPU seconds (user + sys, from ``os.wait4``) of each process are
compared: the median with a terminal over the median without is the ratio (target ≤ 1.05). The
rounds alternate which goes first. On a loaded machine single runs vary by ±20 %, so use enough
rounds; the progress line itself costs ~0.5 µs per item (bench/progress.py). The catalog is
bench/feeds.py's (created there on first use).
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from feeds import ensure_catalog, parse_size  # noqa: E402


def _drain(fd: int, sink: list[int]) -> None:
    """Read the terminal side until it closes (a full pty would block the build)."""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return
        if not data:
            return
        sink.append(len(data))


def build(folder: Path, terminal: bool) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, bytes drawn on the terminal) of one feed build."""
    argv = [sys.executable, "-m", "feedsync", "-w", str(folder), "feed", "build", "google",
            "--as-of", "2026-11-15T12:00Z", "--force", "--out", str(folder / "out" / "p.xml")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    drawn: list[int] = []
    started = time.perf_counter()
    if terminal:
        master, slave = pty.openpty()
        reader = threading.Thread(target=_drain, args=(master, drawn), daemon=True)
        reader.start()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
    else:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if terminal:
        reader.join(timeout=5)
        os.close(master)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"feed build failed ({os.waitstatus_to_exitcode(status)})")
    return usage.ru_utime + usage.ru_stime, wall, sum(drawn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    size = parse_size(args.size)
    folder = ROOT / "bench" / "out" / f"feeds-{size}"
    ensure_catalog(folder, size)
    runs: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
    for round_no in range(args.rounds):  # interleaved, first one then the other, so load
        order = (False, True) if round_no % 2 == 0 else (True, False)  # changes hit both alike
        for terminal in order:
            runs[terminal].append(build(folder, terminal))
    cpu = {t: statistics.median(r[0] for r in runs[t]) for t in runs}
    for terminal in (False, True):
        wall = statistics.median(r[1] for r in runs[terminal])
        drawn = max(r[2] for r in runs[terminal])
        print(f"{size:>9,} SKUs  {'terminal' if terminal else 'no terminal':<11} "
              f"CPU {cpu[terminal]:6.2f} s  wall {wall:6.2f} s  drawn {drawn:,} bytes")
    print(f"ratio terminal / no terminal (CPU, median of {args.rounds}): "
          f"{cpu[True] / cpu[False]:.3f} (target ≤ 1.05)")


if __name__ == "__main__":
    main()
