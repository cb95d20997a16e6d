"""Small hand-built schemas and records for the writer tests (no mapping engine involved)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from feedsync.feeds.base import FeedInfo
from feedsync.mapping.record import FieldValue, MappedRecord
from feedsync.mapping.schema import ChannelSchema, FieldSpec
from feedsync.models import Issue, Severity

SCHEMA = ChannelSchema(
    channel="test",
    version="t1",
    fields=(
        FieldSpec("id", required=True),
        FieldSpec("title"),
        FieldSpec("description"),
        FieldSpec("link"),
        FieldSpec("image_link"),
        FieldSpec("additional_image_link", repeated=True),
        FieldSpec("price", part="price"),
        FieldSpec("product_type", repeated=True),
        FieldSpec("quantity_to_sell_on_facebook", part="quantity"),
    ),
)
INFO = FeedInfo(channel="test", title="Example & Sons", description="Test feed")


def record(sku: str, **fields: FieldValue) -> MappedRecord:
    """A sendable record whose id is the SKU; fields in schema order."""
    values: dict[str, FieldValue] = {"id": sku, **fields}
    ordered = {name: values[name] for name in SCHEMA.field_names if name in values}
    return MappedRecord(sku=sku, channel="test", fields=ordered)


def erroneous(sku: str) -> MappedRecord:
    """A record with an error issue (must be left out)."""
    rec = record(sku, title="broken")
    rec.issues.append(Issue(sku, Severity.ERROR, "missing_price", "price is required", "price"))
    return rec


def excluded(sku: str) -> MappedRecord:
    """A record filtered out by the mapping."""
    rec = record(sku, title="hidden")
    rec.included = False
    rec.exclusion = "filter: status = active"
    return rec


def many(count: int, start: int = 0) -> Iterator[MappedRecord]:
    """``count`` simple sendable records."""
    for i in range(start, start + count):
        sku = f"SKU-{i:05d}"
        yield record(sku, title=f"Product {i}", link=f"https://shop.example.com/p/{i}",
                     price="9.99 USD")


def safe_parse(source: Path | BinaryIO) -> etree._ElementTree:
    """Parse XML as untrusted input: no entities, no DTD, no network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(source, parser)
