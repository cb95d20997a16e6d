"""The hot path's memo of transform chains: same records as without it, bounded, self-disabling."""

from __future__ import annotations

import pytest

from feedsync.mapping import hotpath as plan
from feedsync.mapping.hotpath import ChainMemo
from feedsync.models import Severity
from tests.conftest import make_product
from tests.mapping.conftest import BASE_FIELDS, NOW, MapperFactory

FIELDS = BASE_FIELDS + """
gtin = { transform = "gtin" }
product_type = { from = "tags", transforms = [{ name = "split", args = { sep = "/" } }] }
additional_image_link = { from = "title", transforms = [{ name = "split", args = { sep = " " } }] }
"""


def test_a_remembered_result_replays_its_problems(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(FIELDS)
    first, second = (mapper.map_product(make_product(sku, gtin="4006381333932"), available=1,
                                        now=NOW) for sku in ("A", "B"))
    for record in (first, second):
        assert [(i.severity, i.code) for i in record.issues if i.field == "gtin"] == [
            (Severity.WARNING, "invalid_gtin")]
        assert "gtin" not in record.fields
    assert {i.sku for i in second.issues} == {"B"}


def test_records_never_share_a_remembered_list(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(FIELDS)
    urls = "https://x.example/1.jpg https://x.example/2.jpg"
    first = mapper.map_product(make_product("A", title=urls), available=1, now=NOW)
    second = mapper.map_product(make_product("B", title=urls), available=1, now=NOW)
    assert first.fields["additional_image_link"] == urls.split()
    assert first.fields["additional_image_link"] is not second.fields["additional_image_link"]
    first.fields["additional_image_link"].append("changed")  # type: ignore[union-attr]
    third = mapper.map_product(make_product("C", title=urls), available=1, now=NOW)
    assert third.fields["additional_image_link"] == urls.split()
    assert first.sendable and third.sendable


def test_explain_and_the_hot_path_agree(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(FIELDS)
    products = [make_product(f"S{n}", title=["Tee red", "Tee blue"][n % 2],
                             gtin=["4006381333931", "123", None][n % 3]) for n in range(12)]
    for product in products:
        fast = mapper.map_product(product, available=len(product.sku) % 2, now=NOW)
        slow = mapper.map_product(product, available=len(product.sku) % 2, now=NOW,
                                  explain=True)
        assert (fast.fields, fast.issues) == (slow.fields, slow.issues)


def test_memo_stops_for_values_that_do_not_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "MEMO_TRIAL", 10)
    memo = ChainMemo()
    for n in range(10):
        memo.remember(f"unique-{n}", f"result-{n}", ())
    assert not memo.useful and not memo.entries
    repeating = ChainMemo()
    repeating.hits = 5
    for n in range(10):
        repeating.remember(f"value-{n}", "x", ())
    assert repeating.useful and len(repeating.entries) == 10


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "MEMO_ENTRIES", 4)
    monkeypatch.setattr(plan, "MEMO_CHARS", 100)
    memo = ChainMemo()
    memo.hits = 10**6  # keep it useful
    for n in range(10):
        memo.remember(f"v{n}", "r", ())
        assert len(memo.entries) <= 4
    memo.remember("x" * 60, "y" * 60, ())  # larger than the whole budget: not kept
    assert "x" * 60 not in memo.entries
    for n in range(5):
        memo.remember(f"{n}" * 40, "z", ())
        assert sum(len(k) + 1 for k in memo.entries) <= 100 + 1
