"""Re-importing an unchanged native CSV without parsing its rows again (issue #19).

Merchants re-import the same daily export: most rows are exactly what they were. Each native row
is digested (its product cells, after the export's formula quotes are undone, with the parse
options and :data:`PARSER_VERSION`) and the digest kept per SKU in ``import_rows`` -- only while
the product keeps the content that row produced (catalog schema V3). On the next import a row
whose digest matches is *unchanged* without being parsed: parsing is a pure function of those
inputs, so it would build the very same products row. Its stock cells
(``quantity``, ``location``) are not in the digest: they are always parsed and written.

The reader asks about a chunk of rows before it parses them (:func:`look_ahead`): in a forked
reader the question travels to the writing process, which answers from the catalog before it
writes the previous batch, so the answer is there when the reader needs it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from feedsync.catalog.importers.base import ParseOptions

# Bump whenever parsing a native row could give a different products row for the same cells
# (a new column, a changed canonical form): every row is then parsed again once.
PARSER_VERSION = "1"
DIGEST_SIZE = 16
_IN_LIMIT = 900  # SQLite host parameters per statement stay under the default 999

# A question about a chunk: (SKU, row digest) pairs → a callable giving, in the same order,
# whether each row is unchanged (called once, after the next chunk's question was asked).
Ask = Callable[[list[tuple[str, bytes]]], Callable[[], Sequence[int]]]
T = TypeVar("T")


def salt(options: ParseOptions) -> bytes:
    """What besides its cells decides a row's product: the parser version and the options."""
    return f"\x1e{PARSER_VERSION}\x1e{options.default_currency}\x1e{options.columns!r}".encode()


def row_hash(cells: Sequence[str], row_salt: bytes) -> bytes:
    """The digest of one row's product cells (the native reader inlines this)."""
    return hashlib.blake2b("\x1f".join(cells).encode("utf-8", "surrogatepass") + row_salt,
                           digest_size=DIGEST_SIZE).digest()


def look_ahead(chunks: Iterator[list[T]], ask: Callable[[list[T]], Callable[[], Sequence[int]]]
               ) -> Iterator[tuple[list[T], Sequence[int]]]:
    """Each chunk with its answer; the next chunk's question is asked before a chunk is handed
    on, so the writer answers it while the reader parses the current one."""
    chunk = next(chunks, None)
    if chunk is None:
        return
    answer = ask(chunk)
    while chunk is not None:
        following = next(chunks, None)
        following_answer = ask(following) if following is not None else None
        yield chunk, answer()
        chunk, answer = following, following_answer  # type: ignore[assignment]


def unchanged_flags(conn: sqlite3.Connection, pairs: list[tuple[str, bytes]]) -> bytes:
    """For each (SKU, digest): 1 when the SKU's last import had that digest (and so the
    product still has the content that row produced), else 0."""
    stored: dict[str, bytes] = {}
    execute = conn.execute
    for start in range(0, len(pairs), _IN_LIMIT):
        chunk = [sku for sku, _ in pairs[start:start + _IN_LIMIT]]
        marks = ", ".join("?" * len(chunk))
        # an entry exists only while its product has the content it recorded (schema V3)
        stored.update(execute(
            f"SELECT sku, row_hash FROM import_rows WHERE sku IN ({marks})", chunk))
    return bytes([stored.get(sku) == digest for sku, digest in pairs])


def any_recorded(conn: sqlite3.Connection) -> bool:
    """Whether any SKU has a recorded row (if not, asking is pointless: nothing matches)."""
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM import_rows)").fetchone()[0])


def record(conn: sqlite3.Connection, rows: list[tuple[str, bytes]]) -> None:
    """Remember the (SKU, row digest) of rows just written, or parsed and found unchanged."""
    if rows:
        conn.executemany("INSERT OR REPLACE INTO import_rows (sku, row_hash) VALUES (?, ?)", rows)
