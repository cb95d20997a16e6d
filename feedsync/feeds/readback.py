"""Reading a published feed file back: what a file channel shows is what its last feed holds.

Google Merchant Center and the Meta catalog fetch the feed file on their schedule, so for a
channel with ``delivery = "file"`` the "live" side of ``feedsync reconcile`` is the file feedsync
last published (the one ``feedsync status`` names): its items are read back, as untrusted input
(no entity resolution, no network), into a temporary table of the workspace connection, so
memory stays flat however large the feed is, and answered per SKU chunk in the shape
``Adapter.fetch_live`` yields.

The RSS formats keep one element per record field (``<g:price>`` for ``price``); the delimited
formats one column per field. An item's SKU is its record's id field (the mappings shipped use
the SKU as the id).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from feedsync.errors import UsageError
from feedsync.feeds.atomic import open_feed_for_reading
from feedsync.mapping.schema import ChannelSchema
from feedsync.sync.parts import amount, quantity_of, split_parts
from feedsync.sync.status import feed_status

DELIMITERS = {"csv": ",", "tsv": "\t"}
_TABLES = itertools.count(1)
CHUNK = 1000


def read_items(path: Path, format_name: str) -> Iterator[dict[str, Any]]:
    """Each item of the feed at ``path`` as field name → text (a repeated element: a list)."""
    with open_feed_for_reading(path) as handle:
        if format_name in DELIMITERS:
            yield from _delimited(handle, DELIMITERS[format_name])
        elif format_name == "xml":
            yield from _rss(handle)
        else:
            raise UsageError(f"{path}: reading a {format_name!r} feed back is not supported")


def _delimited(handle: BinaryIO, delimiter: str) -> Iterator[dict[str, Any]]:
    text = codecs.getreader("utf-8-sig")(handle)
    yield from csv.DictReader(text, delimiter=delimiter)


def _rss(handle: BinaryIO) -> Iterator[dict[str, Any]]:
    events = etree.iterparse(handle, events=("end",), tag="item", resolve_entities=False,
                             no_network=True, huge_tree=False)
    for _, item in events:
        fields: dict[str, Any] = {}
        for child in item:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            name = etree.QName(child).localname
            value = child.text or ""
            if name in fields:
                previous = fields[name]
                fields[name] = [*previous, value] if isinstance(previous, list) else [
                    previous, value]
            else:
                fields[name] = value
        yield fields
        item.clear()
        while item.getprevious() is not None:
            del item.getparent()[0]


def live_view(fields: dict[str, Any], schema: ChannelSchema) -> dict[str, Any]:
    """One feed item as reconcile's live dict: present, its quantity (or in/out of stock) and
    its price text."""
    parts = split_parts(fields, schema)
    price_part = parts["price"]
    price_field = "price" if "price" in price_part else next(
        (name for name, value in price_part.items() if amount(value) is not None), None)
    return {"sku": str(fields.get(schema.id_field, "")), "present": True,
            "quantity": quantity_of(parts["quantity"]),
            "price": price_part.get(price_field) if price_field else None}


class PublishedFeed:
    """The live side of reconcile for a file channel: its published feed, read once."""

    def __init__(self, db: Any, path: Path, format_name: str, schema: ChannelSchema) -> None:
        self.path = path
        self.db = db
        self.table = f"feed_readback_{next(_TABLES)}"
        self.items = 0
        db.execute(f"CREATE TEMP TABLE {self.table} (sku TEXT PRIMARY KEY, live TEXT NOT NULL,"
                   " seen INTEGER NOT NULL DEFAULT 0)")
        rows: list[tuple[str, str]] = []
        for fields in read_items(path, format_name):
            view = live_view(fields, schema)
            if not view["sku"]:
                continue
            rows.append((view["sku"], json.dumps(view, default=str)))
            if len(rows) >= CHUNK:
                self._store(rows)
                rows = []
        self._store(rows)

    def _store(self, rows: list[tuple[str, str]]) -> None:
        self.db.conn.executemany(
            f"INSERT OR REPLACE INTO temp.{self.table} (sku, live) VALUES (?, ?)", rows)
        self.items += len(rows)

    def fetch_live(self, skus: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The feed's items for ``skus`` (those it holds), marked as seen."""
        marks = ", ".join("?" for _ in skus)
        found = self.db.execute(f"SELECT live FROM temp.{self.table} WHERE sku IN ({marks})",
                                list(skus)).fetchall()
        self.db.execute(f"UPDATE temp.{self.table} SET seen = 1 WHERE sku IN ({marks})",
                        list(skus))
        for (live,) in found:
            yield dict(json.loads(live))

    def unseen(self) -> Iterator[dict[str, Any]]:
        """Items of the feed no SKU asked about (a product gone from the catalog)."""
        after = ""
        while True:
            rows = self.db.execute(
                f"SELECT sku, live FROM temp.{self.table} WHERE seen = 0 AND sku > ?"
                " ORDER BY sku LIMIT ?", [after, CHUNK]).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            for _, live in rows:
                yield dict(json.loads(live))

    def close(self) -> None:
        """Drop the temporary table."""
        self.db.execute(f"DROP TABLE IF EXISTS temp.{self.table}")


def published_feed(workspace: Any, db: Any, channel: str, schema: ChannelSchema
                   ) -> PublishedFeed:
    """The file channel's last published feed (the one ``feedsync status`` names)."""
    found = feed_status(workspace, db, channel)
    if found is None or not found["exists"]:
        where = f" ({found['path']})" if found else ""
        raise UsageError(f"{channel}: no published feed to reconcile against{where}: run "
                         f"'feedsync feed build {channel}' first")
    return PublishedFeed(db, Path(found["path"]), str(found["format"]), schema)
