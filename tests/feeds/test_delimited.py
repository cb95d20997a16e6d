"""The CSV/TSV writers: header, one line per item, quoting, repeated values, parse-back."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.feeds.base import scrub
from feedsync.feeds.delimited import _NEEDS_CLEANING, DelimitedFormat, needs_cleaning
from feedsync.mapping.record import MappedRecord
from feedsync.registry import channel_feed
from tests.feeds.helpers import INFO, SCHEMA, record

TSV = channel_feed("google")["tsv"]
CSV = channel_feed("facebook")["csv"]
assert isinstance(TSV, DelimitedFormat) and isinstance(CSV, DelimitedFormat)


def render(fmt: DelimitedFormat, records: list[MappedRecord],
           columns: tuple[str, ...] | None = None) -> str:
    buffer = io.BytesIO()
    writer = fmt.open(buffer, SCHEMA, INFO, columns)
    for rec in records:
        writer.write(rec)
    writer.close()
    return buffer.getvalue().decode("utf-8")


def parse(fmt: DelimitedFormat, text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter))


@pytest.mark.parametrize("fmt", [TSV, CSV], ids=["google-tsv", "meta-csv"])
def test_header_then_one_full_width_row_per_item(fmt: DelimitedFormat) -> None:
    text = render(fmt, [
        record("A", title="Tee, blue", description="two\nlines\r\nand\ttab",
               additional_image_link=["https://i.example/a,1.jpg", "https://i.example/2.jpg"]),
        record("B", title='Say "hi"'),
    ])
    rows = parse(fmt, text)
    assert rows[0] == list(SCHEMA.field_names)
    assert all(len(row) == len(SCHEMA.field_names) for row in rows)
    assert len(text.splitlines()) == 3  # one line per item, whatever the values hold
    a, b = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert a["title"] == "Tee, blue"
    assert a["description"] == "two lines and tab"
    # Commas inside a URL are encoded, the separator is not (Google answer 6324370).
    assert a["additional_image_link"] == "https://i.example/a%2C1.jpg,https://i.example/2.jpg"
    assert b["title"] == 'Say "hi"'
    assert b["price"] == ""


def test_google_tsv_quotes_only_what_needs_it() -> None:
    text = render(TSV, [record("A", title="Tee, blue & more", description='6" wide')])
    line = text.splitlines()[1]
    assert line.split("\t")[:3] == ["A", "Tee, blue & more", '"6"" wide"']
    assert text.endswith("\n") and "\r" not in text


def test_meta_csv_quotes_every_value_but_not_the_header() -> None:
    text = render(CSV, [record("A", title="Tee blue")])
    header, row = text.splitlines()
    assert header == ",".join(SCHEMA.field_names)
    assert row.startswith('"A","Tee blue",""')


def test_columns_can_be_narrowed_and_must_cover_the_record() -> None:
    text = render(TSV, [record("A", title="t")], columns=("id", "title"))
    assert parse(TSV, text) == [["id", "title"], ["A", "t"]]
    with pytest.raises(ValueError, match="no column for"):
        render(TSV, [record("A", price="1.00 USD")], columns=("id", "title"))
    with pytest.raises(ValueError, match="not in the schema"):
        render(TSV, [], columns=("id", "colour"))


def test_separator_inside_a_non_url_repeated_value_is_reported() -> None:
    buffer = io.BytesIO()
    writer = TSV.open(buffer, SCHEMA, INFO)
    writer.write(record("A", product_type=["Home, Garden", "Tools"]))
    writer.close()
    assert writer.notes.counts == {"separator_inside_repeated_value": 1}
    assert writer.notes.samples["separator_inside_repeated_value"] == ["A:product_type"]


def test_count_items_counts_rows_not_lines() -> None:
    text = 'id,title\n"A","multi\nline"\n"B","x"\n'
    assert CSV.count_items(io.BytesIO(text.encode())) == 2
    assert CSV.count_items(io.BytesIO(b"")) == 0


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.text(max_size=40), min_size=1, max_size=3))
@pytest.mark.parametrize("fmt", [TSV, CSV], ids=["google-tsv", "meta-csv"])
def test_any_text_keeps_the_columns_and_reads_back(fmt: DelimitedFormat,
                                                   values: list[str]) -> None:
    title, description = values[0], values[-1]
    text = render(fmt, [record("X", title=title, description=description)])
    rows = parse(fmt, text)
    assert len(rows) == 2 and len(rows[1]) == len(SCHEMA.field_names)

    def expected(value: str) -> str:
        flattened = value
        for br in ("\r\n", "\r", "\n", "\t", "\v", "\f", "\x85", "\u2028", "\u2029"):
            flattened = flattened.replace(br, " ")
        return scrub(flattened)[0]

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["title"] == expected(title)
    assert row["description"] == expected(description)


def test_needs_cleaning_agrees_with_the_regex_for_every_bmp_character() -> None:
    # the writer's fast check must find exactly what the cleaning regex finds
    for code in [*range(0x10000), *range(0x10000, 0x110000, 0x3FF)]:
        for text in (f"a{chr(code)}b", f"\u00e9{chr(code)}", f"\u65e5{chr(code)}"):
            assert needs_cleaning(text) == bool(_NEEDS_CLEANING.search(text)), hex(code)


def _csv_module_line(fmt: DelimitedFormat, row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=fmt.delimiter, lineterminator="\n", quotechar='"',
               doublequote=True,
               quoting=csv.QUOTE_ALL if fmt.quote_all else csv.QUOTE_MINIMAL).writerow(row)
    return out.getvalue()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(alphabet=st.sampled_from('ab ,;\t"\'\r\né'), max_size=6),
                       min_size=1, max_size=4),
       quote_all=st.booleans(), delimiter=st.sampled_from(["\t", ",", ";"]))
def test_rows_are_the_bytes_csv_writer_writes(values: list[str], quote_all: bool,
                                              delimiter: str) -> None:
    # rows joined by the writer itself must equal csv.writer's (after the writer's cleaning)
    fmt = DelimitedFormat(name="x", delimiter=delimiter, quote_all=quote_all)
    names = SCHEMA.field_names[1:1 + len(values)]
    for columns in (("id", *names), ("id",)):
        fields = {"id": values[0], **dict(zip(names, values, strict=False))}
        fields = {name: value for name, value in fields.items() if name in columns}
        rec = MappedRecord(sku="X", channel="test", fields=fields)
        lines = render(fmt, [rec], columns).splitlines(keepends=True)
        flattened = [value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
                     .replace("\t", " ") for value in fields.values()]
        expected = _csv_module_line(fmt, flattened)
        assert "".join(lines[1:]) == expected
