"""RSS 2.0 product feeds with a namespace for the product attributes (Google's ``g:``).

Google Merchant Center reads an RSS 2.0 document whose items carry every attribute in the
``g:`` namespace (http://base.google.com/ns/1.0); an attribute without the prefix is ignored,
repeated attributes are repeated elements and empty attributes are left out
(https://support.google.com/merchants/answer/14987622). Meta's RSS XML feed uses the same
namespace for the attributes it shares with Google, and writes its own fields (and, in its
example, ``additional_image_link``) without a prefix
(https://developers.facebook.com/docs/marketing-api/catalog/reference/#example-xml-feed).
Meta also rejects a line longer than 5 MB, so every attribute goes on its own line.

How it is written: the document's frame (declaration, ``<rss>``, ``<channel>`` and its title,
link and description) is serialised by lxml; each item is one string built from the record and
appended to the stream, so only one item exists in memory at a time. An item's text is escaped
exactly as libxml2 serialises text content (``&`` ``<`` ``>`` as entities and a carriage return
as ``&#13;``, so it survives XML's line-end normalisation; everything else as UTF-8), and a value
holding a character XML 1.0 forbids is found on the encoded bytes and handled as lxml refuses it:
the record is written again without those characters, and a note says so. tests/feeds/test_rss.py
compares both with lxml for every code point. (Building an lxml element per attribute and
serialising it cost more than the mapping of the record; ``lxml.etree.xmlfile`` also re-declares
``xmlns:g`` on every ``<item>``.) Untrusted XML, such as a previous feed being counted, is
parsed by lxml without entities, DTDs or network access.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO
from urllib.parse import urlsplit

from lxml import etree

from feedsync.feeds.base import FeedFormat, FeedInfo, FeedWriter, scrub, xml_bytes
from feedsync.mapping.record import FieldValue, MappedRecord
from feedsync.mapping.schema import ChannelSchema

GOOGLE_NS = "http://base.google.com/ns/1.0"

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_FIELD_TAIL = "\n      "  # before each attribute (and inside an item without any)
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


def escape_text(text: str) -> str:
    """``text`` as XML character data, escaped as libxml2 escapes text content."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


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
        # the start and end tag of each field's element, written as lxml names it
        self._tags: dict[str, tuple[str, str]] = {}
        for name in schema.field_names:
            qualified = name if name in fmt.unprefixed else f"{fmt.prefix}:{name}"
            self._tags[name] = (f"{_FIELD_TAIL}<{qualified}>", f"</{qualified}>")
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

    splittable = True  # an item depends on its record alone; the header on the first item

    def write(self, record: MappedRecord) -> None:
        """Append ``record`` as one ``<item>``."""
        if not self._started:
            self._start(record)
        self.stream.write(self.render(record))
        self.items += 1

    def render(self, record: MappedRecord) -> bytes:
        """``record``'s ``<item>`` as UTF-8 (a character XML forbids is removed and noted)."""
        data = xml_bytes(self._render(record, record.fields))
        if data is None:
            # A value holds characters XML cannot carry: remove them, say so, keep the SKU.
            data = self._render(record, self._cleaned(record)).encode("utf-8")
        return data

    def write_rendered(self, data: bytes, items: int, first: MappedRecord | None) -> None:
        """Append rendered items; the header (its link from ``first``) goes before the first."""
        if not items:
            return
        if not self._started:
            self._start(first)
        self.stream.write(data)
        self.items += items

    def _render(self, record: MappedRecord, fields: dict[str, FieldValue]) -> str:
        """The item's lines: ``<item>``, one attribute element per line, ``</item>``."""
        elements: list[str] = []
        tags = self._tags
        for name, value in fields.items():
            tag = tags.get(name)
            if tag is None:
                raise self._unknown_field(record, name)
            if value.__class__ is not str:  # a repeated field: one element per value
                elements += [f"{tag[0]}{escape_text(text)}{tag[1]}" for text in value if text]
            elif value:  # Google: leave empty attributes out
                # the test inline, not in a call: most values have nothing to escape
                if "&" in value or "<" in value or ">" in value or "\r" in value:
                    value = escape_text(value)
                elements.append(f"{tag[0]}{value}{tag[1]}")
        body = "".join(elements)
        return f"    <item>{body}{_LAST_TAIL if body else _FIELD_TAIL}</item>\n"

    def _cleaned(self, record: MappedRecord) -> dict[str, FieldValue]:
        """The record's values without the characters XML cannot carry (each noted)."""
        sku, clean = record.sku, self._clean
        return {name: clean(sku, name, value) if isinstance(value, str)
                else [clean(sku, name, text) for text in value]
                for name, value in record.fields.items()}

    def _clean(self, sku: str, name: str, text: str) -> str:
        cleaned, removed = scrub(text)
        if removed:
            self.notes.add("control_characters_removed", sku, name)
        return cleaned

    def close(self) -> None:
        """Write the closing tags (and the header, if no item was written)."""
        if not self._started:
            self._start(None)
        self.stream.write(b"  </channel>\n</rss>\n")
