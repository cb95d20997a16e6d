"""The unrolled field plan (feedsync/mapping/unrolled.py) gives what the step-by-step walk of
``feedsync explain`` gives: the same values, issues and sendability, for the shipped mappings of
every channel and for fields it reads in place, checks in place or does not check at all."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.hotpath import inline_read
from feedsync.models import Product
from feedsync.registry import channel_schema
from tests.conftest import REPO_ROOT, make_product
from tests.mapping.conftest import BASE_FIELDS, NOW, MapperFactory

CHANNELS = ("google", "facebook", "amazon", "ebay", "etsy", "walmart")


def _products() -> list[Product]:
    """Products that take every branch of the plan: missing, invalid and odd values."""
    return [
        make_product("A"),
        make_product("B", gtin="4006381333932", link=None, images=[]),  # bad check digit
        make_product("C", title="<b>Bold &amp; " + "long " * 60 + "</b>", description="",
                     brand="B" * 90, condition="Brand New", color="Red", size="M",
                     gender="Mens", age_group="Adults", item_group_id="FAM-1",
                     variant_axes=["color", "size", "Style"]),
        make_product("D", link="http://localhost/shop/d",
                     images=["http://192.168.1.5/d.jpg", *(f"https://cdn.example/{n}.jpg"
                                                          for n in range(14))]),
        make_product("E", attributes={"custom_label_0": "summer", "custom_label_1": ["a", "b"],
                                      "custom_label_2": 7, "google_product_category": "166",
                                      "handle": "e-tee"}, link=None),
        make_product("F", weight=Decimal("1.250"), weight_unit="lb", mpn="M-1", gtin=None,
                     sale_price=Decimal("9.99")),
        make_product("G", weight=Decimal("3"), weight_unit="stone", price=Decimal("0"),
                     currency="EUR", tags=["no-google"]),
        make_product("H", category="Unknown > Path", condition="weird", mpn=None, gtin=None,
                     description="x" * 6000),
    ]


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_shipped_mappings_give_what_explain_gives(channel: str) -> None:
    mapper = ChannelMapper(channel_schema(channel), REPO_ROOT / "mappings" / f"{channel}.toml",
                           rates={"EUR": Decimal("0.92")})
    for product in _products():
        for available in (0, 5, None):
            fast = mapper.map_product(product, available=available, now=NOW)
            slow = mapper.map_product(product, available=available, now=NOW, explain=True)
            assert (fast.included, fast.exclusion) == (slow.included, slow.exclusion)
            if not fast.included:  # explain maps an excluded product too, to show it
                continue
            assert fast.fields == slow.fields, product.sku
            assert list(fast.fields) == list(slow.fields), product.sku  # the feed's order
            assert fast.issues == slow.issues, product.sku
            assert fast.sendable == slow.sendable, product.sku


def test_attribute_keys_are_written_as_literals(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS + """
custom_label_0 = "attributes.it's {run} \\"quoted\\""
custom_label_1 = "attributes.list"
""")
    product = make_product("A", attributes={"it's {run} \"quoted\"": "yes", "list": ["x", "y"]})
    record = mapper.map_product(product, available=1, now=NOW)
    assert record.fields["custom_label_0"] == "yes"
    assert record.fields["custom_label_1"] == "x, y"  # not text: through the getter


def test_a_truncated_field_is_not_checked_again_but_a_split_one_is(
        make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS.replace('title = "title"', (
        'title = { from = "title", transforms = ["strip_html", '
        '{ name = "truncate", args = { max = 150 } }] }')) + (
        'brand = { from = "brand", transforms = [{ name = "split", args = { sep = "," } }, '
        '{ name = "truncate", args = { max = 60 } }] }\n'))
    steps = {step.name: step for step in mapper._steps}
    assert steps["title"].check is None and steps["title"].limit is None
    assert steps["brand"].limit == 70  # a list joined with ", " may be longer than 60
    record = mapper.map_product(make_product("A", title="word " * 80,
                                             brand=", ".join(["b" * 50] * 2)),
                                available=1, now=NOW)
    assert len(record.fields["title"]) <= 150
    assert [i.code for i in record.issues if i.field == "brand"] == ["too_long"]
    assert not record.sendable


def test_columns_read_in_place() -> None:
    mapper = ChannelMapper(channel_schema("google"), REPO_ROOT / "mappings" / "google.toml")
    reads = {cf.name: inline_read(cf) for cf in mapper.compiled.fields
             if not cf.steps and cf.value_map is None}
    assert reads["id"] == "product.sku"
    assert reads["image_link"] == "product.images[0] if product.images else None"
    assert reads["link"] == "product.link or {run}"
    assert "attributes.get('custom_label_0')" in str(reads["custom_label_0"])
    assert reads["availability"] is None  # a rule: through its getter


def test_a_remembered_text_is_replayed_in_place(make_mapper: MapperFactory) -> None:
    mapper = make_mapper(BASE_FIELDS.replace('title = "title"', (
        'title = { from = "title", transforms = ["strip_html", "upper"] }')))
    step = next(step for step in mapper._steps if step.name == "title")
    assert step.memo is not None and step.memo_key == "product.title"
    records = [mapper.map_product(make_product(sku, title="<b>Tee</b>"), available=1, now=NOW)
               for sku in ("A", "B", "C")]
    assert [r.fields["title"] for r in records] == ["TEE"] * 3
    assert (step.memo.misses, step.memo.hits) == (1, 2)  # mapped once, replayed twice
