"""Benchmark: what a progress display costs on a terminal, per item streamed (issue #17).

    python bench/progress.py            # 200,000 items
    python bench/progress.py --items 1000000

A pseudo-terminal stands in for the merchant's terminal (a thread drains it, as a terminal
would). Three runs over the same item stream, each timed in CPU seconds of this process:

- floor: the items alone, no progress;
- click: ``click.progressbar`` updated per item (what ``feed build`` did before);
- feedsync: ``feedsync.cli.progress.Progress`` (throttled to four redraws a second).

Printed: CPU seconds, the ratio to the floor, the added CPU per item, and the bytes each wrote to
the terminal. The floor's items cost nearly nothing, so the ratio is an upper bound; what counts
is the added time per item (a mapped record takes tens of microseconds). Goal: under one
microsecond added per item and a few hundred bytes, whatever the item count.
"""

from __future__ import annotations

import argparse
import os
import pty
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import click  # noqa: E402

from feedsync.cli.progress import Progress  # noqa: E402


def items(count: int) -> Iterator[dict[str, int]]:
    """A stream of small records, like mapped records arriving from the engine."""
    for n in range(count):
        yield {"sku": n, "price": n % 97}


def consume(stream: Iterator[dict[str, int]]) -> int:
    total = 0
    for item in stream:
        total += item["price"]
    return total


class Terminal:
    """A pseudo-terminal whose output is drained and counted by a thread."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        self.stream: IO[str] = os.fdopen(slave, "w", buffering=1)
        self.bytes = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.bytes += len(chunk)

    def close(self) -> int:
        self.stream.flush()
        time.sleep(0.2)  # let the drain catch up
        self.stream.close()
        self._thread.join(timeout=2)
        os.close(self.master)
        return self.bytes


def run(name: str, count: int, wrap: Callable[[Iterator[dict[str, int]], IO[str]],
                                             Iterator[dict[str, int]]] | None) -> None:
    terminal = Terminal()
    started = time.process_time()
    stream = items(count)
    consume(wrap(stream, terminal.stream) if wrap else stream)
    cpu = time.process_time() - started
    written = terminal.close()
    results[name] = (cpu, written)


def with_click(stream: Iterator[dict[str, int]], out: IO[str]) -> Iterator[dict[str, int]]:
    with click.progressbar(length=COUNT, label="google", file=out, show_pos=True) as bar:
        for item in stream:
            bar.update(1)
            yield item


def with_feedsync(stream: Iterator[dict[str, int]], out: IO[str]) -> Iterator[dict[str, int]]:
    return Progress("google", out, total=COUNT).wrap(stream)


results: dict[str, tuple[float, int]] = {}
COUNT = 200_000


def main() -> None:
    global COUNT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    COUNT = parser.parse_args().items
    run("floor", COUNT, None)
    run("click per item", COUNT, with_click)
    run("feedsync throttled", COUNT, with_feedsync)
    floor = results["floor"][0]
    print(f"{COUNT:,} items; CPU seconds of this process; bytes written to the terminal")
    for name, (cpu, written) in results.items():
        added = (cpu - floor) / COUNT * 1e6
        print(f"  {name:<20} {cpu:7.3f} s  {cpu / floor:6.1f}x floor  "
              f"{added:6.2f} µs/item added  {written:>12,} bytes")


if __name__ == "__main__":
    main()
