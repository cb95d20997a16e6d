"""The catalog store: upsert counts, hashes, streaming reads, stock and prune."""

from __future__ import annotations

from decimal import Decimal

from feedsync.catalog import Catalog
from feedsync.models import InventoryLevel
from tests.conftest import make_product


def test_upsert_counts_created_updated_unchanged(catalog: Catalog) -> None:
    first = catalog.upsert_products([make_product("A"), make_product("B")])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = catalog.upsert_products(
        [make_product("A"), make_product("B", price=Decimal("21.00"))]
    )
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    product = catalog.get_product("B")
    assert product is not None
    assert product.price == Decimal("21.00")


def test_round_trip_keeps_every_field(catalog: Catalog) -> None:
    original = make_product(
        "V-RED-M", item_group_id="V", color="Red", size="M", variant_axes=["color", "size"],
        sale_price=Decimal("9.50"), tags=["summer", "cotton"], attributes={"fit": "slim"},
        images=["https://x.example/1.jpg", "https://x.example/2.jpg"], weight=Decimal("0.250"),
        weight_unit="kg",
    )
    catalog.upsert_products([original])
    assert catalog.get_product("V-RED-M") == original


def test_iter_products_merges_images_in_order(catalog: Catalog) -> None:
    catalog.upsert_products([
        make_product("A", images=[]),
        make_product("B", images=["https://x.example/b1.jpg", "https://x.example/b2.jpg"]),
        make_product("C", images=["https://x.example/c1.jpg"]),
    ])
    images = {p.sku: p.images for p in catalog.iter_products()}
    assert images == {
        "A": [],
        "B": ["https://x.example/b1.jpg", "https://x.example/b2.jpg"],
        "C": ["https://x.example/c1.jpg"],
    }
    filtered = list(catalog.iter_products("sku = ?", ["B"]))
    assert [p.images for p in filtered] == [images["B"]]


def test_available_is_on_hand_minus_reserved_over_locations(catalog: Catalog) -> None:
    catalog.upsert_products([make_product("A")])
    catalog.set_inventory([InventoryLevel("A", "main", 5), InventoryLevel("A", "store", 3)])
    catalog.db.execute("UPDATE inventory SET reserved = 2 WHERE location = 'main'")
    assert catalog.available("A") == 6
    assert catalog.stats()["units_available"] == 6


def test_prune_removes_only_unseen(catalog: Catalog) -> None:
    catalog.upsert_products([make_product(s) for s in "ABCD"])
    catalog.start_tracking_seen()
    catalog.upsert_products([make_product(s) for s in "ABC"])
    assert catalog.unseen_count() == 1
    assert catalog.prune_unseen() == 1
    assert not catalog.has_sku("D")
    assert catalog.count() == 3
