"""The reading half of an import: file → parsed, validated, prepared rows in batches.

Reading is pure Python work that never touches the catalog, so for a large file it runs in a
forked child process (on Linux) while the parent writes the previous batch to SQLite: the two
halves use both cores (a thread would not: parsing and SQLite's statement binding both need the
GIL; measured, a writer thread gained nothing). The
child sends compact batches through a pipe, whose small buffer also keeps memory flat: the child
waits when the parent falls behind. Small files, and other platforms, read in-process.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from feedsync.catalog.importers import (
    inventory,
    native,
    native_jsonl,
    shopify,
    unchanged,
    woocommerce,
)
from feedsync.catalog.importers.base import Parsed, ParseOptions
from feedsync.catalog.importers.source import Problem, Source
from feedsync.catalog.store import PreparedProduct, prepare_product
from feedsync.errors import InputError
from feedsync.lifeline import die_with_parent

BATCH_SIZE = 1000
CHILD_MIN_BYTES = 4 * 1024 * 1024  # below this, forking costs more than it saves


class Row(NamedTuple):
    """One SKU of a product file, ready to write: prepared values, or the problems.

    A named tuple rather than a dataclass: batches cross a process boundary, and tuples pickle
    about three times faster.
    """

    line: int
    sku: str | None
    prepared: PreparedProduct | None
    problems: list[Problem]
    quantity: int | None = None
    location: str | None = None
    tracked: bool | None = None  # see Parsed.tracked
    warnings: list[Problem] | None = None
    note: str | None = None  # a row that is not a product: what it is
    derived_sku: bool = False
    row_hash: bytes | None = None  # see Parsed.row_hash
    unchanged: bool = False  # the product is as the last import left it: not prepared
    brandless: bool = False  # (unchanged rows) the product has no brand


@dataclass(slots=True)
class Batch:
    """Rows (or stock rows) plus how far the file has been read."""

    rows: list[Any]
    records: int
    position: int = 0


@dataclass
class _Progress:
    position: int = 0


def read_batches(format: str, source: Source, options: ParseOptions,
                 strict: bool, ask: unchanged.Ask | None = None) -> Iterator[Batch]:
    """Batches of :class:`Row` (product formats) or ``StockRow`` (inventory) from ``source``.

    ``ask``: how to learn which native CSV rows are unchanged since the last import
    (:mod:`.unchanged`); None parses every row."""
    progress = _Progress()
    source.progress = lambda position: setattr(progress, "position", position)
    if format == "inventory":
        for chunk in _chunks(inventory.parse(source, options)):
            yield Batch(chunk, source.records, progress.position)
        return
    failing = False
    for chunk in _chunks(_parser(format, source, options, ask)):
        rows = []
        for parsed in chunk:
            if parsed.unchanged:
                rows.append(Row(parsed.line, parsed.sku, None, [], parsed.quantity,
                                parsed.location, parsed.tracked, unchanged=True,
                                brandless=parsed.brandless))
            elif parsed.note is not None and not parsed.problems:
                rows.append(Row(parsed.line, parsed.sku, None, [],
                                warnings=parsed.warnings or None, note=parsed.note))
            elif parsed.problems or parsed.product is None:
                failing = True
                rows.append(Row(parsed.line, parsed.sku, None, parsed.problems))
            else:
                # Once a strict import has failed nothing will be written: skip the row building.
                prepared = None if failing and strict else prepare_product(parsed.product)
                rows.append(Row(parsed.line, parsed.sku, prepared, [], parsed.quantity,
                                parsed.location, parsed.tracked, parsed.warnings or None,
                                None, parsed.derived_sku, parsed.row_hash))
        yield Batch(rows, source.records, progress.position)


def _parser(format: str, source: Source, options: ParseOptions,
            ask: unchanged.Ask | None) -> Iterator[Parsed]:
    if format == "native":
        return native.parse_csv(source, options, ask)
    if format == "jsonl":
        return native_jsonl.parse_jsonl(source, options)
    if format == "shopify":
        return shopify.parse(source, options)
    return woocommerce.parse(source, options)


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(islice(items, BATCH_SIZE)):
        yield chunk


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect cyclic garbage less often while importing.

    An import allocates a few dozen containers per row and keeps a batch of them alive, so the
    default thresholds run the cyclic collector very often over the same live objects (measured:
    a quarter of the reading time). The import creates no cycles per row, so memory stays flat.
    """
    previous = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


Lookup = Callable[[list[tuple[str, bytes]]], bytes]  # see unchanged.unchanged_flags
Make = Callable[[unchanged.Ask | None], Iterator[Batch]]


def batches(make: Make, size: int, lookup: Lookup | None = None) -> Iterator[Batch]:
    """``make(ask)``'s batches, computed in a forked child for files of ``CHILD_MIN_BYTES`` or
    more. ``lookup`` answers the reader's questions about unchanged rows (in this process, which
    owns the catalog connection); None: the reader asks nothing."""
    # fork only on Linux: macOS offers it but system frameworks are not fork-safe there.
    if size < CHILD_MIN_BYTES or not sys.platform.startswith("linux"):
        yield from make(_asking_here(lookup) if lookup is not None else None)
        return
    yield from _in_child(make, lookup)


def _asking_here(lookup: Lookup) -> unchanged.Ask:
    def ask(pairs: list[tuple[str, bytes]]) -> Callable[[], bytes]:
        flags = lookup(pairs)
        return lambda: flags
    return ask


@dataclass
class _Failure:
    """An exception from the child, carried as plain data (InputError keeps its problems)."""

    kind: str
    message: str
    problems: list[str] = field(default_factory=list)


class _Question(NamedTuple):
    """The child asks which of these (SKU, row digest) pairs are unchanged; the answer goes
    back through the second pipe, answers in the order of the questions."""

    pairs: list[tuple[str, bytes]]


def _in_child(make: Make, lookup: Lookup | None) -> Iterator[Batch]:
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # the child flushes its copy of these on exit
        with contextlib.suppress(Exception):
            stream.flush()
    receiver, sender = context.Pipe(duplex=False)
    answers_in, answers_out = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(make, sender, receiver, answers_in, answers_out, os.getpid(),
                                  lookup is not None),
        daemon=True, name="feedsync-import-reader")
    child.start()
    sender.close()
    answers_in.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the import's reader process ended unexpectedly") from None
            if isinstance(message, Batch):
                yield message
            elif isinstance(message, _Question):
                answers_out.send_bytes(lookup(message.pairs) if lookup else b"")
            elif message is None:
                return
            elif message.kind == "InputError":
                raise InputError(message.message, message.problems)
            else:
                raise RuntimeError(f"the import's reader failed: {message.message}")
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        receiver.close()
        answers_out.close()


def _child_main(make: Make, sender: Any, receiver: Any, answers_in: Any, answers_out: Any,
                parent: int, asking: bool) -> None:
    # Die with the parent (kill -9 of the import) and drop the inherited parent ends, so a send
    # to a dead parent fails instead of blocking forever (issue #16).
    die_with_parent(parent)
    receiver.close()
    answers_out.close()
    gc.freeze()  # what the parent had is never garbage here: keep the collector off it

    def ask(pairs: list[tuple[str, bytes]]) -> Callable[[], bytes]:
        if not pairs:
            return bytes
        sender.send(_Question(pairs))
        return answers_in.recv_bytes

    try:
        for batch in make(ask if asking else None):
            sender.send(batch)
        sender.send(None)
    except InputError as exc:
        sender.send(_Failure("InputError", exc.message, list(exc.problems)))
    except BaseException as exc:  # reported by the parent, which owns the transaction
        sender.send(_Failure(type(exc).__name__, f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()
        answers_in.close()
