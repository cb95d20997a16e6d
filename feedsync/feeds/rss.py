"""RSS 2.0 product feeds with a namespace for the product attributes (Google's ``g:``).

Google Merchant Center reads an RSS 2.0 document whose items carry every attribute in the
``g:`` namespace (http://base.google.com/ns/1.0); an attribute without the prefix is ignored,
repeated attributes are repeated elements and empty attributes are left out
(https://support.google.com/merchants/answer/14987622). Meta's RSS XML feed uses the same
namespace for the attributes it shares with Google, and writes its own fields (and, in its
example, ``additional_image_link``) without a prefix
(https://developers.facebook.com/docs/marketing-api/catalog/reference/#example-xml-feed).
Meta also rejects a line longer than 5 MB, so every attribute goes on its own line.

How it is written: each item is built as an lxml element tree and serialised by lxml (so
escaping is lxml's, not ours), then appended to the stream; only one item exists in memory at a
time. The item's elements are reused from record to record, which keeps the cost per item
close to a bare ``csv.writer`` row. (``lxml.etree.xmlfile`` serialises every element written
into it on its own, so each ``<item>`` would re-declare ``xmlns:g``; writing lxml's bytes
ourselves keeps one declaration, on ``<rss>``.) Untrusted XML, such as a previous feed being
counted, is parsed without entities, DTDs or network access.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO
from urllib.parse import urlsplit

from lxml import etree

from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter, scrub
from feedsync.mapping.record import MappedRecord
from feedsync.mapping.schema import ChannelSchema

GOOGLE_NS = "http://base.google.com/ns/1.0"

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_ITEM_OPEN_TEXT = "\n      "  # after <item>: indentation of the first attribute
_FIELD_TAIL = "\n      "  # between attributes
_LAST_TAIL = "\n    "  # before </item>


class RssFormat(FeedFormat):
    """RSS 2.0 with product attributes in one namespace (``prefix`` → ``namespace``).

    ``unprefixed`` names fields written without the namespace (Meta's own fields).
    """

    extension = "xml"
    media_type = "application/rss+xml"

    def __init__(self, *, name: str = "xml", namespace: str = GOOGLE_NS, prefix: str = "g",
                 unprefixed: Iterable[str] = ()) -> None:
        self.name = name
        self.namespace = namespace
        self.prefix = prefix
        self.unprefixed = frozenset(unprefixed)

    def tag(self, field_name: str) -> str:
        """The element name (Clark notation) a field is written as."""
        if field_name in self.unprefixed:
            return field_name
        return f"{{{self.namespace}}}{field_name}"

    def open(self, stream: BinaryIO, schema: ChannelSchema, info: FeedInfo,
             columns: Sequence[str] | None = None) -> RssWriter:
        """An RSS writer on ``stream`` (items carry only the fields they have: no columns)."""
        return RssWriter(self, stream, schema, info)

    def count_items(self, stream: BinaryIO) -> int:
        """Count ``<item>`` elements, streaming; the file is parsed as untrusted input."""
        count = 0
        parser_events = etree.iterparse(
            stream, events=("end",), tag="item", resolve_entities=False, no_network=True,
            load_dtd=False,  # and libxml2's size limits stay on (no huge_tree)
        )
        for _event, element in parser_events:
            count += 1
            element.clear()
            # Drop already-counted siblings so memory stays flat on a large feed.
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        return count


def _element_bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="utf-8")


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


class RssWriter(FeedWriter):
    """Streams one RSS 2.0 document: header at the first item (or at close), items, trailer."""

    def __init__(self, fmt: RssFormat, stream: BinaryIO, schema: ChannelSchema,
                 info: FeedInfo) -> None:
        super().__init__(stream, schema, info)
        self.format = fmt
        nsmap = {fmt.prefix: fmt.namespace}
        self._item = etree.Element("item", nsmap=nsmap)
        self._item.text = _ITEM_OPEN_TEXT
        # lxml declares the namespace on every item it serialises on its own; the declaration
        # is already on <rss>, so it is removed from the item's start tag (its first match).
        self._redundant_ns = f' xmlns:{fmt.prefix}="{fmt.namespace}"'.encode()
        # One reusable element per field (more for repeated fields, created on demand): an item
        # costs one text assignment per attribute instead of building a tree per record.
        self._pool: dict[str, list[etree._Element]] = {
            name: [self._new_element(fmt.tag(name))] for name in schema.field_names
        }
        self._children: list[etree._Element] = []
        self._started = False

    # --- document ------------------------------------------------------------------------

    def _start(self, first: MappedRecord | None) -> None:
        self._started = True
        link = self.info.link
        if link is None and first is not None:
            first_link = first.fields.get("link")
            if isinstance(first_link, str):
                link = _origin(first_link)
        out = self.stream
        out.write(_DECLARATION)
        out.write(f'<rss xmlns:{self.format.prefix}="{self.format.namespace}" '
                  'version="2.0">\n  <channel>\n'.encode())
        for tag, text in (("title", self.info.title), ("link", link),
                          ("description", self.info.description or self.info.title)):
            if text:
                element = etree.Element(tag)
                element.text = scrub(text)[0]
                out.write(b"    " + _element_bytes(element) + b"\n")

    def write(self, record: MappedRecord) -> None:
        """Append ``record`` as one ``<item>``."""
        if not self._started:
            self._start(record)
        try:
            data = self._render(record, clean=False)
        except (ValueError, UnicodeEncodeError):
            # A value holds characters XML cannot carry: remove them, say so, keep the SKU.
            data = self._render(record, clean=True)
        self.stream.write(b"    " + data.replace(self._redundant_ns, b"", 1) + b"\n")
        self.items += 1

    @staticmethod
    def _new_element(tag: str) -> etree._Element:
        element = etree.Element(tag)
        element.tail = _FIELD_TAIL
        return element

    def _render(self, record: MappedRecord, *, clean: bool) -> bytes:
        children: list[etree._Element] = []
        append = children.append
        pools = self._pool
        for name, value in record.fields.items():
            pool = pools.get(name)
            if pool is None:
                raise self._unknown_field(record, name)
            if value.__class__ is str:
                if clean:
                    value = self._clean(record.sku, name, value)
                if value:  # Google: leave empty attributes out
                    element = pool[0]
                    element.text = value  # lxml refuses text XML cannot carry (ValueError)
                    append(element)
                continue
            position = 0
            for text in value:
                if clean:
                    text = self._clean(record.sku, name, text)
                if not text:
                    continue
                if position == len(pool):
                    pool.append(self._new_element(pool[0].tag))
                element = pool[position]
                position += 1
                element.text = text
                append(element)
        item = self._item
        if children != self._children:  # the same attributes as the last item: keep them
            item[:] = children
            self._children = children
        if not children:
            return _element_bytes(item)
        last = children[-1]
        last.tail = _LAST_TAIL
        try:
            return _element_bytes(item)
        finally:
            last.tail = _FIELD_TAIL

    def _clean(self, sku: str, name: str, text: str) -> str:
        cleaned, removed = scrub(text)
        if removed:
            self.notes.add("control_characters_removed", sku, name)
        return cleaned

    def close(self) -> None:
        """Write the closing tags (and the header, if no item was written)."""
        if not self._started:
            self._start(None)
        self._item[:] = []
        self.stream.write(b"  </channel>\n</rss>\n")
