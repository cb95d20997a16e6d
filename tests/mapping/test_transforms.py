"""Every named transform: its documented example, edge cases, and properties (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from feedsync.mapping.transforms import (
    REGISTRY,
    Problem,
    Value,
    build_transform,
    normalise_gtin,
    strip_html_text,
    truncate_text,
)
from feedsync.models import Severity


def run(name: str, value: Value, /, **args: object) -> tuple[Value, list[Problem]]:
    problems: list[Problem] = []
    return build_transform(name, dict(args))(value, problems), problems


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_documented_example(name: str) -> None:
    definition = REGISTRY[name]
    out, problems = run(name, definition.example_in, **definition.example_args)
    assert out == definition.example_out
    assert problems == []


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_empty_value_stays_empty_or_defaults(name: str) -> None:
    definition = REGISTRY[name]
    out, _ = run(name, "", **definition.example_args)
    if name in ("default", "yes_no"):
        assert out in (definition.example_args.get("value"), "no",
                       definition.example_args.get("no"))
    elif name in ("split", "slice"):
        assert out == []
    else:
        assert out == ""


def test_unknown_argument_is_rejected() -> None:
    with pytest.raises(ValidationError):
        build_transform("truncate", {"max": 5, "maximum": 3})
    with pytest.raises(ValidationError):
        build_transform("truncate", {})  # max is required


def test_transforms_apply_to_each_list_item() -> None:
    out, _ = run("upper", ["a", "", "b"])
    assert out == ["A", "B"]


class TestStripHtml:
    def test_scripts_comments_entities(self) -> None:
        text = "<style>p{}</style><p>A&nbsp;<!-- hidden -->b</p><script>alert(1)</script>&eacute;"
        assert strip_html_text(text) == "A b. é"  # a paragraph's end ends a sentence

    def test_block_tags_separate_words_inline_tags_do_not(self) -> None:
        # List items stay apart (issue #17: "Brand: Ridgeline Ships in …" ran together).
        assert strip_html_text("<li>one</li><li>two</li>") == "one. two"
        assert strip_html_text("<ul><li>Done.</li><li>Next</li></ul>") == "Done. Next"
        assert strip_html_text("<p>Intro</p><ul><li>a;</li><li>b</li></ul>") == "Intro. a; b"
        assert strip_html_text("<b>cot</b>ton, <em>soft</em>") == "cotton, soft"

    def test_escaped_markup_is_removed_too(self) -> None:
        assert strip_html_text("&lt;b&gt;bold&lt;/b&gt;") == "bold"

    def test_text_with_comparison_signs_survives(self) -> None:
        assert strip_html_text("5 < 10 and 10 > 5") == "5 < 10 and 10 > 5"

    def test_control_characters_removed(self) -> None:
        assert strip_html_text("a\x00b\x0bc") == "abc"


class TestTruncate:
    def test_word_boundary(self) -> None:
        assert truncate_text("Soft organic cotton tee", 12) == "Soft organic"
        assert truncate_text("Soft organic cotton tee", 11) == "Soft"

    def test_no_boundary_hard_cut(self) -> None:
        assert truncate_text("abcdefghij", 4) == "abcd"
        assert truncate_text("abcdefghij", 4, word_boundary=False) == "abcd"

    def test_short_text_unchanged(self) -> None:
        assert truncate_text("short", 5) == "short"

    def test_ellipsis_counts_towards_limit(self) -> None:
        out = truncate_text("one two three four", 10, "…")
        assert out == "one two…" and len(out) <= 10

    def test_ellipsis_longer_than_limit_is_dropped(self) -> None:
        assert truncate_text("abcdef", 2, "...") == "ab"


class TestGtin:
    @pytest.mark.parametrize("raw, digits", [
        ("4006381333931", "4006381333931"),  # EAN-13
        ("614141100071", "614141100071"),  # UPC-A
        ("96385074", "96385074"),  # EAN-8
        ("00614141100071", "00614141100071"),  # GTIN-14
        (" 4006-381-333931 ", "4006381333931"),
    ])
    def test_valid(self, raw: str, digits: str) -> None:
        assert normalise_gtin(raw) == (digits, "")

    @pytest.mark.parametrize("raw, why", [
        ("4006381333932", "check digit"),
        ("12345", "5 digits"),
        ("40063813339AB", "not all digits"),
        ("4.00638E+12", "scientific notation"),
        ("00000000", "all zeros"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "not all digits"),  # Arabic-Indic digits are not GS1 digits
    ])
    def test_invalid(self, raw: str, why: str) -> None:
        digits, reason = normalise_gtin(raw)
        assert digits is None and why in reason

    def test_invalid_is_dropped_with_a_warning_by_default(self) -> None:
        out, problems = run("gtin", "4006381333932")
        assert out == ""
        assert problems[0][:2] == (Severity.WARNING, "invalid_gtin")

    def test_invalid_can_be_an_error(self) -> None:
        _, problems = run("gtin", "123", invalid="error")
        assert problems[0][:2] == (Severity.ERROR, "invalid_gtin")


class TestUnits:
    def test_weight_bare_number_needs_from(self) -> None:
        assert run("convert_weight", "500", to="kg", **{"from": "g"})[0] == "0.5 kg"
        out, problems = run("convert_weight", "500", to="kg")
        assert out == "" and problems[0][1] == "bad_weight"

    def test_weight_aliases_and_comma_decimal(self) -> None:
        assert run("convert_weight", "2 lbs", to="oz")[0] == "32 oz"
        assert run("convert_weight", "1,5 kg", to="g")[0] == "1500 g"

    def test_length(self) -> None:
        assert run("convert_length", "1 m", to="cm")[0] == "100 cm"
        out, problems = run("convert_length", "tall", to="cm")
        assert out == "" and problems[0][1] == "bad_length"

    def test_unknown_unit_is_a_load_error(self) -> None:
        with pytest.raises(ValidationError):
            build_transform("convert_weight", {"to": "stone"})


class TestOthers:
    def test_format_price(self) -> None:
        assert run("format_price", "12.5 EUR")[0] == "12.50 EUR"
        assert run("format_price", "7", decimals=0, currency="JPY")[0] == "7 JPY"
        out, problems = run("format_price", "twelve")
        assert out == "" and problems[0][1] == "bad_price"

    def test_absolute_url(self) -> None:
        base = "https://shop.example.com/store"
        assert run("absolute_url", "img/a.jpg", base=base)[0] == \
            "https://shop.example.com/store/img/a.jpg"
        assert run("absolute_url", "https://cdn.example.com/a.jpg", base=base)[0] == \
            "https://cdn.example.com/a.jpg"
        out, problems = run("absolute_url", "ftp://x/a.jpg", base=base)
        assert out == "" and problems[0][1] == "bad_url"
        with pytest.raises(ValidationError):
            build_transform("absolute_url", {"base": "/relative"})

    def test_map(self) -> None:
        assert run("map", "NEW ", values={"new": "new"})[0] == "new"
        assert run("map", "other", values={"new": "new"})[0] == "other"
        assert run("map", "other", values={"new": "new"}, default="")[0] == ""
        assert run("map", "New", values={"new": "x"}, case_sensitive=True)[0] == "New"

    def test_regex_replace_bad_pattern_or_group_is_a_load_error(self) -> None:
        with pytest.raises(ValidationError):
            build_transform("regex_replace", {"pattern": "(unclosed"})
        with pytest.raises(ValueError):
            build_transform("regex_replace", {"pattern": "a", "replacement": r"\2"})
        assert run("regex_replace", "Blue-Navy", pattern=r"(\w+)-(\w+)",
                   replacement=r"\2 \1")[0] == "Navy Blue"

    def test_split_join_round_trip(self) -> None:
        items, _ = run("split", "a | b | c", sep="|")
        assert items == ["a", "b", "c"]
        assert run("join", items, sep="/")[0] == "a/b/c"

    def test_sentence_and_title_case(self) -> None:
        assert run("sentence_case", "hello. WORLD! yes")[0] == "Hello. World! Yes"
        assert run("title_case", "o'neill  tee")[0] == "O'neill  Tee"


# --- properties -----------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
HTMLISH = st.lists(st.sampled_from(["<b>", "</b>", "<p>", "&amp;", "&lt;", "&gt;", "<!--",
                                    "-->", "<script>", "</script>", " ", "\n", "x", "é", "<",
                                    ">", "&", "#", ";", "lt", "a"]), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, HTMLISH))
def test_strip_html_is_idempotent(text: str) -> None:
    once = strip_html_text(text)
    assert strip_html_text(once) == once


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(min_value=1, max_value=200), st.sampled_from(["", "…", "..."]),
       st.booleans())
def test_truncate_never_exceeds_its_limit(text: str, limit: int, ellipsis: str,
                                          words: bool) -> None:
    out = truncate_text(text, limit, ellipsis, words)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text


@settings(max_examples=150, deadline=None)
@given(st.one_of(TEXT, st.lists(TEXT, max_size=4)))
def test_no_transform_crashes_on_arbitrary_text(value: Value) -> None:
    for definition in REGISTRY.values():
        step = build_transform(definition.name, definition.example_args)
        out = step(value, [])
        assert isinstance(out, str | list)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=13), st.integers(0, 9))
def test_gtin_rejects_every_wrong_check_digit(body: str, wrong: int) -> None:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    check = (10 - total % 10) % 10
    valid = body + str(check)
    if len(valid) in (8, 12, 13, 14) and valid.strip("0"):
        assert normalise_gtin(valid) == (valid, "")
    if wrong != check:
        assert normalise_gtin(body + str(wrong))[0] is None
