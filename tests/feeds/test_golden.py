"""Golden files: the feeds of a small fixed catalog, byte for byte, for every channel format.

The catalog (tests/feeds/golden_catalog.py) goes through the shipped mapping files and the real
writers. A change to a mapping, a schema or a writer shows up here as a diff to review. To
accept it, regenerate deliberately:

    FEEDSYNC_UPDATE_GOLDEN=1 pytest tests/feeds/test_golden.py

Besides the bytes, every file is parsed back (XML without entities or network) and checked
against the channel schema: field names, required fields, enumerations, repeated-field limits,
and the same values in the XML and the delimited format of one channel.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsync.catalog import Catalog
from feedsync.config import Workspace, load_workspace
from feedsync.feeds.build import FeedResult
from feedsync.feeds.channel import build_channel_feed
from feedsync.feeds.delimited import DelimitedFormat
from feedsync.feeds.rss import GOOGLE_NS, RssFormat
from feedsync.mapping.schema import ChannelSchema
from feedsync.registry import channel_feed, channel_schema
from tests.feeds import golden_catalog
from tests.feeds.helpers import safe_parse

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("FEEDSYNC_UPDATE_GOLDEN") == "1"
CASES = [(channel, name) for channel in ("google", "facebook") for name in channel_feed(channel)]


@pytest.fixture
def loaded(workspace: Path, catalog: Catalog) -> tuple[Workspace, Catalog]:
    golden_catalog.load(catalog)
    return load_workspace(workspace), catalog


def build(loaded: tuple[Workspace, Catalog], channel: str, fmt: str, target: Path,
          compress: bool = False) -> FeedResult:
    ws, cat = loaded
    return build_channel_feed(ws, cat, channel, now=golden_catalog.AS_OF, format_name=fmt,
                              target=target, compress=compress)


def golden_path(channel: str, fmt: str) -> Path:
    return GOLDEN / f"{channel}.{channel_feed(channel)[fmt].extension}"


@pytest.mark.parametrize(("channel", "fmt"), CASES)
def test_feed_matches_its_golden_file(loaded: tuple[Workspace, Catalog], tmp_path: Path,
                                      channel: str, fmt: str) -> None:
    result = build(loaded, channel, fmt, tmp_path / f"feed.{fmt}")
    assert result.published
    assert result.items == len(golden_catalog.SENT)
    assert result.skipped_sample == golden_catalog.LEFT_OUT
    assert result.excluded_sample == golden_catalog.EXCLUDED
    produced = result.path.read_bytes()
    expected = golden_path(channel, fmt)
    if UPDATE:
        expected.parent.mkdir(exist_ok=True)
        expected.write_bytes(produced)
    assert expected.exists(), (
        f"no golden file {expected}: create it with FEEDSYNC_UPDATE_GOLDEN=1 pytest {__file__}")
    assert produced.decode("utf-8") == expected.read_text(encoding="utf-8"), (
        f"{channel} {fmt} differs from {expected.name}; if the change is intended, regenerate "
        "with FEEDSYNC_UPDATE_GOLDEN=1")


@pytest.mark.parametrize(("channel", "fmt"), CASES)
def test_build_twice_and_gzip_give_identical_bytes(loaded: tuple[Workspace, Catalog],
                                                   tmp_path: Path, channel: str,
                                                   fmt: str) -> None:
    first = build(loaded, channel, fmt, tmp_path / "a").path.read_bytes()
    second = build(loaded, channel, fmt, tmp_path / "b").path.read_bytes()
    assert first == second
    packed_a = build(loaded, channel, fmt, tmp_path / "a.gz", compress=True).path.read_bytes()
    packed_b = build(loaded, channel, fmt, tmp_path / "b.gz", compress=True).path.read_bytes()
    assert packed_a == packed_b
    assert gzip.decompress(packed_a) == first


# --- parse-back against the schema -------------------------------------------------------


def xml_items(data: bytes, fmt: RssFormat) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(id, [(field, value) …]) per item, field names without the namespace."""
    root = safe_parse(io.BytesIO(data)).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap.get("g") == GOOGLE_NS
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") and channel.findtext("link") and channel.findtext(
        "description")
    prefix = f"{{{GOOGLE_NS}}}"
    for item in channel.findall("item"):
        fields = []
        for child in item:
            tag = str(child.tag)
            name = tag[len(prefix):] if tag.startswith(prefix) else tag
            # Exactly the documented prefixing: g: unless the format writes it bare.
            assert (tag == name) == (name in fmt.unprefixed), tag
            assert child.text and child.text == child.text.strip(), (name, child.text)
            fields.append((name, child.text))
        fields_by_name = dict(fields)
        yield fields_by_name["id"], fields


def check_record(schema: ChannelSchema, sku: str, fields: list[tuple[str, str]]) -> None:
    names = [name for name, _ in fields]
    order = [schema.field_names.index(name) for name in names]  # unknown name: ValueError
    assert order == sorted(order), f"{sku}: fields out of schema order"
    for spec in schema.fields:
        values = [value for name, value in fields if name == spec.name]
        if spec.required:
            assert values, f"{sku}: required {spec.name} missing"
        if not spec.repeated:
            assert len(values) <= 1, f"{sku}: {spec.name} repeated"
        elif spec.max_items:
            assert len(values) <= spec.max_items
        for value in values:
            if spec.allowed is not None:
                assert value in spec.allowed, f"{sku}: {spec.name}={value!r}"
            if spec.max_length is not None:
                assert len(value) <= spec.max_length


@pytest.mark.parametrize("channel", ["google", "facebook"])
def test_xml_parses_back_and_agrees_with_the_delimited_feed(
        loaded: tuple[Workspace, Catalog], tmp_path: Path, channel: str) -> None:
    schema = channel_schema(channel)
    formats = channel_feed(channel)
    xml_fmt = formats["xml"]
    assert isinstance(xml_fmt, RssFormat)
    xml = build(loaded, channel, "xml", tmp_path / "feed.xml").path.read_bytes()
    from_xml = dict(xml_items(xml, xml_fmt))
    assert list(from_xml) == golden_catalog.SENT  # SKU order, errors and drafts left out
    for sku, fields in from_xml.items():
        check_record(schema, sku, fields)

    (name, tabular), = [(n, f) for n, f in formats.items() if isinstance(f, DelimitedFormat)]
    text = build(loaded, channel, name, tmp_path / f"feed.{name}").path.read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=tabular.delimiter))
    header, body = rows[0], rows[1:]
    assert header == list(schema.field_names)
    assert all(len(row) == len(header) for row in body)
    assert [row[0] for row in body] == golden_catalog.SENT
    for row in body:
        sku = row[0]
        expected: dict[str, list[str]] = {}
        for field_name, value in from_xml[sku]:
            expected.setdefault(field_name, []).append(" ".join(value.split("\n")))
        for field_name, cell in zip(header, row, strict=True):
            spec = schema.get(field_name)
            assert spec is not None
            if spec.repeated:
                got = [v.replace("%2C", ",") for v in cell.split(",")] if cell else []
            else:
                got = [cell] if cell else []
            assert got == expected.get(field_name, []), (sku, field_name)


def test_meta_xml_prefixes_exactly_the_fields_it_shares_with_google() -> None:
    meta_xml = channel_feed("facebook")["xml"]
    assert isinstance(meta_xml, RssFormat)
    meta_only = set(channel_schema("facebook").field_names) - set(
        channel_schema("google").field_names)
    # Meta's own fields go without the g: prefix; so does additional_image_link, as in the XML
    # example of Meta's catalog reference.
    assert meta_only <= meta_xml.unprefixed
    google_xml = channel_feed("google")["xml"]
    assert isinstance(google_xml, RssFormat) and not google_xml.unprefixed
