"""Reading catalog rows back into products: the positional fast path and its JSON memo."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from feedsync.catalog import Catalog
from feedsync.catalog.rows import (
    CONTENT_COLUMNS,
    product_from_values,
    product_to_row,
    product_values,
    row_to_product,
)
from feedsync.mapping.stream import iter_catalog
from feedsync.models import ProductStatus
from tests.conftest import make_product


def test_every_column_survives_the_round_trip() -> None:
    product = make_product(
        "R-1", item_group_id="R", sale_price=Decimal("9.50"),
        sale_start=datetime(2026, 1, 2, 3, 4, tzinfo=UTC), sale_end=datetime(2026, 2, 1),
        weight=Decimal("1E+3"), weight_unit="g", length=Decimal("0.5"), width=Decimal("2"),
        height=Decimal("3.25"), dimension_unit="cm", tags=["a", "b"],
        status=ProductStatus.DRAFT, color="Red", size="M", material="wool", pattern="plain",
        gender="male", age_group="adult", variant_axes=["color", "size"],
        attributes={"fit": "slim", "n": 3, "nested": {"x": [1, 2]}},
        images=["https://x.example/1.jpg", "https://x.example/2.jpg"],
    )
    images = list(product.images)
    assert product_from_values(product_values(product), images) == product
    assert row_to_product(product_to_row(product), images) == product


def test_products_never_share_decoded_lists_or_dicts() -> None:
    first = product_from_values(product_values(make_product(
        "A", tags=["x"], attributes={"fit": "slim", "nested": {"k": "v"}})), [])
    second = product_from_values(product_values(make_product(
        "B", tags=["x"], attributes={"fit": "slim", "nested": {"k": "v"}})), [])
    first.tags.append("changed")
    first.attributes["fit"] = "wide"
    first.attributes["nested"]["k"] = "changed"
    assert second.tags == ["x"]
    assert second.attributes == {"fit": "slim", "nested": {"k": "v"}}
    third = product_from_values(product_values(make_product("C")), [])
    third.tags.append("t")
    third.variant_axes.append("size")
    third.attributes["a"] = "b"
    fourth = product_from_values(product_values(make_product("D")), [])
    assert (fourth.tags, fourth.variant_axes, fourth.attributes) == ([], [], {})


def test_an_unknown_status_is_an_error() -> None:
    values = product_values(make_product("A"))
    values[CONTENT_COLUMNS.index("status")] = "sold-out"
    with pytest.raises(ValueError, match="sold-out"):
        product_from_values(values, [])


def test_mapper_read_path_equals_the_store(catalog: Catalog) -> None:
    products = [
        make_product("A", images=[], tags=["t"]),
        make_product("B", images=["https://x.example/b1.jpg", "https://x.example/b2.jpg"],
                     attributes={"season": "winter"}),
        make_product("C", images=["https://x.example/c1.jpg"], variant_axes=["color"]),
    ]
    catalog.upsert_products(products)
    assert [row[0] for row in iter_catalog(catalog, "google")] == list(catalog.iter_products())
    assert [row[0] for row in iter_catalog(catalog, "google", ["C", "A", "Z"])] == [
        catalog.get_product("A"), catalog.get_product("C")]
