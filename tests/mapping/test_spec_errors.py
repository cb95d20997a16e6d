"""A wrong mapping file is refused on load, naming file, line and key of each problem."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from feedsync.errors import ConfigError
from feedsync.mapping.engine import ChannelMapper
from feedsync.registry import channel_schema

GOOD_FIELDS = """
[fields]
id = "sku"
title = "title"
"""


def load(tmp_path: Path, text: str, **kwargs: object) -> ChannelMapper:
    path = tmp_path / "google.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return ChannelMapper(channel_schema("google"), path, **kwargs)  # type: ignore[arg-type]


def problems(tmp_path: Path, text: str, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, **kwargs)
    assert str(tmp_path / "google.toml") in info.value.message
    return info.value.problems


def test_structural_problems_are_reported_together(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD_FIELDS + """
        [price]
        markup = 10
        round = "0.90"

        [filters]
        exclude = [{ tag = "x" }]
        """)
    path = tmp_path / "google.toml"
    assert f"{path}:6: price.markup: unknown key" in found
    assert any(p.startswith(f"{path}:7: price.round: Input should be") for p in found)
    assert f"{path}:10: filters.exclude[0].tag: unknown key" in found


def test_semantic_problems(tmp_path: Path) -> None:
    found = problems(tmp_path, """
        [fields]
        id = "sku"
        titel = "title"
        description = { from = "descripton" }
        link = { from = "link", transforms = [
            "strip_html",
            { name = "strip_htm" },
        ] }
        brand = { template = "{brand} {colour}" }
        gtin = { transform = "gtin", args = { invalid = "maybe" } }

        [values.conditon]
        "new" = "new"
        """)
    path = tmp_path / "google.toml"
    lines = [p.split(": ", 2)[:2] for p in found]
    assert lines == [
        [f"{path}:3", "fields.titel"],
        [f"{path}:12", "values.conditon"],
        [f"{path}:4", "fields.description.from"],
        [f"{path}:7", "fields.link.transforms[1]"],
        [f"{path}:9", "fields.brand.template"],
        [f"{path}:10", "fields.gtin.args.invalid"],
    ]
    assert "did you mean 'title'" in found[0]
    assert "did you mean 'strip_html'" in found[3]


def test_dotted_table_headers_and_nested_keys(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD_FIELDS + """
        [fields.description]
        from = "description"
        transforms = [{ name = "truncate", args = { max = 0 } }]

        [variants]
        attributes = { color = "colour" }

        [categories]
        source = "categry"
        """)
    path = tmp_path / "google.toml"
    assert any(p.startswith(f"{path}:7: fields.description.transforms[0].args.max: "
                            f"transform truncate: Input should be greater than 0") for p in found)
    assert any(p.startswith(f"{path}:10: variants.attributes.color: 'colour' is not a google "
                            f"field") for p in found)
    assert any(p.startswith(f"{path}:13: categories.source: unknown column 'categry'")
               for p in found)


def test_source_rules(tmp_path: Path) -> None:
    # structure first (pydantic): every structural problem at once …
    found = problems(tmp_path, GOOD_FIELDS + """
        description = { from = "description", const = "x" }
        brand = { transform = "upper", transforms = ["lower"] }
        """)
    assert any(":5: fields.description: give one source, not from and const" in p for p in found)
    assert any(":6: fields.brand: use either 'transform'" in p for p in found)
    # … then meaning: every semantic problem at once
    found = problems(tmp_path, GOOD_FIELDS + """
        custom_label_0 = { transforms = ["upper"] }
        brand = { template = "{brand" }
        """)
    assert any(":5: fields.custom_label_0: no source" in p for p in found)
    assert any(":6: fields.brand.template: bad template" in p for p in found)


def test_price_currency_needs_a_rate(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD_FIELDS + '\n[price]\ncurrency = "EUR"\n',
                     rates={}, base_currency="USD")
    assert any(":6: price.currency: no rate for EUR" in p for p in found)
    load(tmp_path, GOOD_FIELDS + '\n[price]\ncurrency = "EUR"\n',
         rates={"EUR": Decimal("0.9")})


def test_wrong_channel_and_bad_toml(tmp_path: Path) -> None:
    found = problems(tmp_path, 'channel = "facebook"\n' + GOOD_FIELDS)
    assert any(":1: channel: this file is for 'facebook'" in p for p in found)
    with pytest.raises(ConfigError, match=r"invalid TOML.*line 1"):
        load(tmp_path, "[fields\n")
    with pytest.raises(ConfigError, match="cannot read"):
        ChannelMapper(channel_schema("google"), tmp_path / "missing.toml")


def test_missing_fields_table(tmp_path: Path) -> None:
    found = problems(tmp_path, '[price]\nround = "whole"\n')
    assert any("fields: required key is missing" in p for p in found)


def test_array_of_tables_and_dotted_keys(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD_FIELDS + """
        [[filters.exclude]]
        brand_in = ["A"]

        [[filters.exclude]]
        tag = "x"

        [price]
        rounding.mode = "up"
        """)
    assert any(p.startswith(f"{tmp_path / 'google.toml'}:9: filters.exclude[1].tag: unknown key")
               for p in found), found
    assert any(":12: price.rounding: unknown key" in p for p in found), found
