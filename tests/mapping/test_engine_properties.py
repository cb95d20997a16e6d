"""Properties of the whole engine on arbitrary product data (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsync.mapping.engine import ChannelMapper
from feedsync.models import Severity
from feedsync.registry import channel_schema
from tests.conftest import REPO_ROOT, make_product
from tests.mapping.conftest import NOW

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
OPTIONAL = st.one_of(st.none(), TEXT)


@pytest.fixture(scope="module", params=["google", "facebook"])
def mapper(request: pytest.FixtureRequest) -> ChannelMapper:
    channel = request.param
    return ChannelMapper(channel_schema(channel), REPO_ROOT / "mappings" / f"{channel}.toml",
                         rates={"EUR": Decimal("0.9")})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, description=TEXT, brand=OPTIONAL, gtin=OPTIONAL, category=TEXT,
       color=OPTIONAL, condition=TEXT, link=OPTIONAL,
       images=st.lists(TEXT, max_size=12), tags=st.lists(TEXT, max_size=3),
       price=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
       available=st.integers(-5, 10**6),
       axes=st.lists(st.sampled_from(["color", "size", "Style"]), max_size=3))
def test_mapping_never_crashes_and_errors_are_explained(
        mapper: ChannelMapper, title: str, description: str, brand: str | None,
        gtin: str | None, category: str, color: str | None, condition: str, link: str | None,
        images: list[str], tags: list[str], price: Decimal, available: int,
        axes: list[str]) -> None:
    product = make_product(title=title, description=description, brand=brand, gtin=gtin,
                           category=category, color=color, condition=condition, link=link,
                           images=images, tags=tags, price=price, item_group_id="G",
                           variant_axes=axes)
    record = mapper.map_product(product, available=available, now=NOW)
    assert record.sku == "SKU-1"
    order = list(mapper.schema.field_names)
    assert [order.index(name) for name in record.fields] == \
        sorted(order.index(name) for name in record.fields)
    for name, value in record.fields.items():
        spec = mapper.schema.get(name)
        assert spec is not None
        assert value, name  # empty values are never sent
        if spec.repeated:
            assert isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        else:
            assert isinstance(value, str)
    # a record that is sendable passes every rule of the channel, by construction
    if record.sendable:
        rerun = mapper.validator.validate(record.sku, record.fields, {})
        assert not [i for i in rerun if i.severity is Severity.ERROR]
    for issue in record.issues:
        assert issue.sku == "SKU-1" and issue.code and issue.message


def test_catalog_run_reports_every_sku(tmp_path: Path) -> None:
    """A failure inside one SKU's mapping becomes that SKU's error; the others carry on."""
    from feedsync.catalog import open_catalog

    catalog = open_catalog(tmp_path / "db.sqlite")
    catalog.upsert_products([make_product("A"), make_product("B"), make_product("C")])
    mapper = ChannelMapper(channel_schema("google"), REPO_ROOT / "mappings" / "google.toml")
    original = mapper.map_product

    def flaky(product, **kwargs):  # type: ignore[no-untyped-def]
        if product.sku == "B":
            raise RuntimeError("boom")
        return original(product, **kwargs)

    mapper.map_product = flaky  # type: ignore[method-assign]
    records = list(mapper.map_catalog(catalog, now=NOW))
    assert [r.sku for r in records] == ["A", "B", "C"]
    assert records[0].sendable and records[2].sendable
    assert [i.code for i in records[1].issues] == ["mapping_failed"]
    assert "RuntimeError: boom" in records[1].issues[0].message and not records[1].sendable
    catalog.db.close()
