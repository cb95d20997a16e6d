"""Etsy's text rules: the generated character classes and the title/tag/material patterns."""

from __future__ import annotations

import re
import unicodedata

import pytest
from feedsync.adapters.etsy import charclasses, text
from gen_charclasses import base_ranges, extra_ranges


@pytest.mark.skipif(unicodedata.unidata_version != charclasses.UNIDATA_VERSION,
                    reason="charclasses.py was generated for another Unicode version")
def test_generated_classes_match_unicodedata() -> None:
    assert list(charclasses.LETTERS_DIGITS_SPACES) == base_ranges()
    assert list(charclasses.PUNCTUATION_MATH) == extra_ranges()


@pytest.mark.parametrize("title, ok", [
    ("Soft & warm tee: 100% organic cotton + love", True),
    ("Café crème — handmade mug™ ©2026 ®", True),
    ("Ünïcödé Ελληνικά 日本語 tee", True),
    ("A & B & C & D & E", False),  # four ampersands: Etsy allows one
    ("50% + 50% blend", False),  # % twice
    ("Tee 😀", False),  # emoji: not a letter, number, punctuation or math symbol
    ("Tee $20", False),  # $ is a currency symbol (Sc), not allowed
    ("tab\there", False),  # a tab is not a space separator (Zs)
])
def test_title_pattern(title: str, ok: bool) -> None:
    assert (re.fullmatch(text.title_pattern(), title) is not None) is ok
    assert (text.title_problem(title) is None) is ok


@pytest.mark.parametrize("tag, ok", [("kid's tee", True), ("t-shirt", True),
                                     ("tee, red", False), ("tee!", False)])
def test_tag_pattern(tag: str, ok: bool) -> None:
    assert (re.fullmatch(text.tag_pattern(), tag) is not None) is ok


@pytest.mark.parametrize("material, ok", [("organic cotton", True), ("100 wool", True),
                                          ("cotton-linen", False)])
def test_material_pattern(material: str, ok: bool) -> None:
    assert (re.fullmatch(text.material_pattern(), material) is not None) is ok
