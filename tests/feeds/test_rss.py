"""The RSS 2.0 writer: structure, escaping, namespaces, repeated fields, hostile input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feedsync.feeds.base import FeedInfo, scrub, xml_bytes
from feedsync.feeds.rss import GOOGLE_NS, RssFormat, escape_text
from tests.feeds.helpers import INFO, SCHEMA, record, safe_parse

G = f"{{{GOOGLE_NS}}}"


def render(fmt: RssFormat, records: list, info: FeedInfo = INFO) -> bytes:  # type: ignore[type-arg]
    buffer = io.BytesIO()
    writer = fmt.open(buffer, SCHEMA, info)
    for rec in records:
        writer.write(rec)
    writer.close()
    return buffer.getvalue()


def test_document_shape_and_values_parse_back() -> None:
    data = render(RssFormat(), [
        record("A-1", title='Tee & <Co> "x" ]]>', link="https://shop.example.com/a?x=1&y=2",
               additional_image_link=["https://i.example/1.jpg", "https://i.example/2.jpg"],
               price="19.99 USD"),
        record("B-2", title="é ü 日本 🙂"),
    ])
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:g=')
    root = safe_parse(io.BytesIO(data)).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap == {"g": GOOGLE_NS}
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Example & Sons"
    assert channel.findtext("link") == "https://shop.example.com"  # origin of the first item
    assert channel.findtext("description") == "Test feed"
    first, second = channel.findall("item")
    assert [child.tag for child in first] == [
        G + "id", G + "title", G + "link", G + "additional_image_link",
        G + "additional_image_link", G + "price",
    ]
    assert first.findtext(G + "title") == 'Tee & <Co> "x" ]]>'
    assert first.findtext(G + "link") == "https://shop.example.com/a?x=1&y=2"
    assert [e.text for e in first.findall(G + "additional_image_link")] == [
        "https://i.example/1.jpg", "https://i.example/2.jpg"]
    assert second.findtext(G + "title") == "é ü 日本 🙂"
    # The namespace is declared once, on <rss>, not again on every item.
    assert data.count(GOOGLE_NS.encode()) == 1


def test_every_attribute_is_on_its_own_line() -> None:
    data = render(RssFormat(), [record("A", title="t", price="1.00 USD")])
    lines = data.decode().splitlines()
    assert "      <g:title>t</g:title>" in lines
    assert "      <g:price>1.00 USD</g:price>" in lines
    assert lines[-2:] == ["  </channel>", "</rss>"]


def test_unprefixed_fields_are_written_without_the_namespace() -> None:
    fmt = RssFormat(unprefixed={"additional_image_link", "quantity_to_sell_on_facebook"})
    data = render(fmt, [record("A", title="t", additional_image_link=["u1", "u2"],
                               quantity_to_sell_on_facebook="3")])
    item = safe_parse(io.BytesIO(data)).getroot().find("channel/item")
    assert item is not None
    assert [child.tag for child in item] == [
        G + "id", G + "title", "additional_image_link", "additional_image_link",
        "quantity_to_sell_on_facebook",
    ]


def test_empty_values_are_left_out() -> None:
    data = render(RssFormat(), [record("A", title="", additional_image_link=["", "u2"])])
    item = safe_parse(io.BytesIO(data)).getroot().find("channel/item")
    assert item is not None
    assert [(c.tag, c.text) for c in item] == [(G + "id", "A"), (G + "additional_image_link",
                                                                  "u2")]


def test_characters_xml_cannot_carry_are_removed_and_reported() -> None:
    fmt = RssFormat()
    buffer = io.BytesIO()
    writer = fmt.open(buffer, SCHEMA, INFO)
    writer.write(record("BAD", title="a\x00b\x1fc", description="lone \ud800 surrogate"))
    writer.write(record("GOOD", title="fine"))
    writer.close()
    items = safe_parse(io.BytesIO(buffer.getvalue())).getroot().findall("channel/item")
    assert [i.findtext(G + "title") for i in items] == ["abc", "fine"]
    assert items[0].findtext(G + "description") == "lone  surrogate"
    assert writer.notes.counts == {"control_characters_removed": 2}
    assert writer.notes.samples["control_characters_removed"] == ["BAD:title", "BAD:description"]


def test_a_field_outside_the_schema_is_a_programming_error_naming_the_sku() -> None:
    rec = record("A")
    rec.fields["colour"] = "red"
    with pytest.raises(ValueError, match=r"SKU 'A' has field 'colour'"):
        render(RssFormat(), [rec])


def test_an_empty_feed_is_still_a_valid_document() -> None:
    data = render(RssFormat(), [])
    root = safe_parse(io.BytesIO(data)).getroot()
    assert root.find("channel/item") is None
    assert root.find("channel/link") is None  # no item to take the site's address from
    assert RssFormat().count_items(io.BytesIO(data)) == 0


def test_count_items_streams_and_ignores_entities_and_dtds(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<rss version="2.0"><channel>'
        + "<item><title>&x;&b;</title></item>" * 3
        + "</channel></rss>"
    ).encode()
    assert RssFormat().count_items(io.BytesIO(hostile)) == 3
    tree = safe_parse(io.BytesIO(hostile))
    assert b"TOP-SECRET" not in tree.getroot().findtext("channel/item/title", "").encode()


text_values = st.text(min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(title=text_values, images=st.lists(text_values, max_size=3))
def test_any_text_round_trips_through_the_xml(title: str, images: list[str]) -> None:
    data = render(RssFormat(), [record("X", title=title, additional_image_link=images)])
    item = safe_parse(io.BytesIO(data)).getroot().find("channel/item")
    assert item is not None
    expected_title = scrub(title)[0]
    assert item.findtext(G + "title") == (expected_title or None)
    expected_images = [scrub(i)[0] for i in images]
    assert [e.text or "" for e in item.findall(G + "additional_image_link")] == [
        i for i in expected_images if i
    ]


def _lxml_text(text: str) -> bytes | None:
    """How lxml serialises ``text`` as an element's content (None: lxml refuses it)."""
    element = etree.Element("x")
    try:
        element.text = text
    except (ValueError, UnicodeEncodeError):
        return None
    return etree.tostring(element, encoding="utf-8")[3:-4]


def _ours(text: str) -> bytes | None:
    data = xml_bytes(text)
    return None if data is None else escape_text(text).encode("utf-8")


def test_escaping_and_refusals_match_lxml_for_every_bmp_character() -> None:
    # the writer escapes item text itself; it must write exactly what lxml would
    # (the astral planes were checked the same way once; a sample stays here)
    astral = range(0x10000, 0x110000, 0x3FF)
    for code in [*range(0x10000), *astral]:
        text = f"a{chr(code)}b"
        assert _ours(text) == _lxml_text(text), hex(code)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_escaping_matches_lxml_for_any_text(text: str) -> None:
    assert _ours(text) == _lxml_text(text)
